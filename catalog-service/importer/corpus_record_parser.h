// Parses one record of the film corpus (JSON Lines, one film per line):
//
//   {"id": "wp:The_Spider_and_the_Fly_(1949_film)", "title": "...",
//    "year": 1949, "directors": [...], "genres": [...], "synopsis": "...",
//    "scenes": [{"title": "...", "description": "...", "context": ""}],
//    "cast": [...], "url": "https://en.wikipedia.org/wiki/..."}
//
// `id` becomes the film id as-is, `url` the source_url, and scenes get the
// ids "s1", "s2", ... in record order. `year`, `synopsis`, `url` and the
// lists may be null or missing; fields not listed here are ignored.
#ifndef REEL_CATALOG_SERVICE_IMPORTER_CORPUS_RECORD_PARSER_H_
#define REEL_CATALOG_SERVICE_IMPORTER_CORPUS_RECORD_PARSER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

struct CorpusRecord {
  std::string film_id;
  v1::Film film;  // `name` is left unset.
};

// OK: the record's film. INVALID_ARGUMENT: the line is not a JSON object, or
// a field is missing or has the wrong type; the message names the field
// (e.g. "scenes[2].title: expected a string, got number") or, for bad JSON,
// the byte. `id` must also be a valid film id (see ValidateFilmId in
// catalog-service/model/film_name.h).
absl::StatusOr<CorpusRecord> ParseCorpusRecord(absl::string_view line);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_IMPORTER_CORPUS_RECORD_PARSER_H_
