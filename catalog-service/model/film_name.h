// Film resource names: "films/{film_id}".
//
// A film id is 1-128 bytes of ASCII letters, digits and -._~:%()!,'+ so that
// ids from real sources ("wp:The_Spider_and_the_Fly_(1949_film)") keep their
// shape while names stay safe in URLs, logs and RocksDB keys. "." and ".."
// are not ids: they mean something else in URL paths and file names.
#ifndef REEL_CATALOG_SERVICE_MODEL_FILM_NAME_H_
#define REEL_CATALOG_SERVICE_MODEL_FILM_NAME_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reel::catalog {

inline constexpr size_t kMaxFilmIdBytes = 128;

// OK, or INVALID_ARGUMENT naming `field` and the problem.
absl::Status ValidateFilmId(absl::string_view film_id,
                            absl::string_view field = "film_id");

// The film id in "films/{film_id}", or INVALID_ARGUMENT naming `field`.
absl::StatusOr<std::string> ParseFilmName(absl::string_view name,
                                          absl::string_view field = "name");

std::string FilmName(absl::string_view film_id);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_MODEL_FILM_NAME_H_
