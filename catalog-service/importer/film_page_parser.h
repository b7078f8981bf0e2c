// Parses a film page copied from a movie site into a Film:
//
//   The Red Shoes                               <- first line: title
//   In this classic drama, ...                  <- paragraphs: synopsis
//   Quotes from Movie The Red Shoes             <- "Character: line" or line
//   Sound Tracks from The Red Shoes by Brian Easdale
//   Entr'acte                                   <- entry title, then
//   Entr'acte by Walter Goehr, Interlude ...    <- "TITLE by ARTIST,
//   DESCRIPTION" Memorable Scenes from Movie The Red Shoes The Audition <-
//   scene title, In a high-stakes audition, ...              <- description,
//   Context: This scene highlights ...          <- optional context
//
// Site chrome ("Download App") is dropped wherever it appears, empty
// sections and unknown "... from Movie X" sections are skipped, and the
// composer named in the soundtrack heading is not kept. Scenes get the ids
// "s1", "s2", ... in page order. Accepts CRLF, a BOM, blank lines and curly
// quotes. The page has no year, id or name: the result leaves them unset.
#ifndef REEL_CATALOG_SERVICE_IMPORTER_FILM_PAGE_PARSER_H_
#define REEL_CATALOG_SERVICE_IMPORTER_FILM_PAGE_PARSER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

// OK: the film the page describes. INVALID_ARGUMENT, with "line N: " in the
// message: the page has no title (it is empty or starts with a section
// heading) or a line that fits nowhere (a "Context:" line before any scene).
absl::StatusOr<v1::Film> ParseFilmPage(absl::string_view text);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_IMPORTER_FILM_PAGE_PARSER_H_
