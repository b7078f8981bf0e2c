// Content rules for a film record, shared by every write path (CreateFilm,
// UpdateFilm after its mask is applied, ImportFilms). Limits are documented
// on the Film message in proto/reel/catalog/v1/catalog.proto; a value over a
// limit is rejected, never truncated.
#ifndef REEL_CATALOG_SERVICE_MODEL_FILM_VALIDATION_H_
#define REEL_CATALOG_SERVICE_MODEL_FILM_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

// Largest encoded film the catalog stores (beyond this: INVALID_ARGUMENT).
inline constexpr size_t kMaxFilmBytes = 4 << 20;

// OK, or INVALID_ARGUMENT whose message starts with the offending field's
// path under `field_prefix`, e.g. "film.scenes[2].scene_id: ...". Output-only
// fields are not looked at.
absl::Status ValidateFilm(const reel::catalog::v1::Film& film,
                          absl::string_view field_prefix = "film");

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_MODEL_FILM_VALIDATION_H_
