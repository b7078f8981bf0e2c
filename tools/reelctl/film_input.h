// The film a `films create` / `films update` command sends, from --json or
// --file.
#ifndef REEL_TOOLS_REELCTL_FILM_INPUT_H_
#define REEL_TOOLS_REELCTL_FILM_INPUT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::reelctl {

// A Film in protobuf's JSON mapping ({"title": "...", "scenes": [...]}).
// INVALID_ARGUMENT names what did not parse (unknown fields included).
absl::StatusOr<catalog::v1::Film> FilmFromJson(absl::string_view json);

// A file holding either Film JSON (its text starts with '{') or a film page
// (see catalog-service/importer/film_page_parser.h). NOT_FOUND etc. when it
// cannot be read; INVALID_ARGUMENT, prefixed with the path, when it does not
// parse.
absl::StatusOr<catalog::v1::Film> FilmFromFile(const std::string& path);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_FILM_INPUT_H_
