// UpdateFilm's field-mask semantics, as pure functions over Film messages.
//
// A mask names top-level mutable Film fields ("title", "scenes", ...) or is
// "*" for all of them. Output-only fields (name, revision, etag, create_time,
// update_time) can be neither named nor changed.
#ifndef REEL_CATALOG_SERVICE_MODEL_FILM_UPDATE_H_
#define REEL_CATALOG_SERVICE_MODEL_FILM_UPDATE_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/field_mask.pb.h>

#include <vector>

#include "absl/status/statusor.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

using FilmFields = std::vector<const google::protobuf::FieldDescriptor*>;

// The fields a mask names, or INVALID_ARGUMENT naming the bad path
// ("update_mask.paths[1]: ...") when the mask is empty, names an unknown,
// output-only or nested field, or repeats one.
absl::StatusOr<FilmFields> ResolveUpdateMask(
    const google::protobuf::FieldMask& mask);

// Copies `fields` from `patch` into `film` (a field unset in `patch` is
// cleared in `film`); other fields of `film` are left alone.
void ApplyFilmFields(const FilmFields& fields,
                     const reel::catalog::v1::Film& patch,
                     reel::catalog::v1::Film* film);

// Clears name, revision, etag, create_time and update_time.
void ClearOutputOnlyFields(reel::catalog::v1::Film* film);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_MODEL_FILM_UPDATE_H_
