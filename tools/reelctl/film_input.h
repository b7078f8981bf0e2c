// Films as reelctl reads them: the one film of `films create` / `films
// update` (from --json or --file), and the films of the files `import`
// reads.
#ifndef REEL_TOOLS_REELCTL_FILM_INPUT_H_
#define REEL_TOOLS_REELCTL_FILM_INPUT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "catalog-service/importer/film_file_reader.h"
#include "catalog-service/importer/gz_line_reader.h"
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

// Clears the Film fields the catalog sets and ignores on input: revision,
// etag, create_time and update_time.
void ClearOutputOnlyFields(catalog::v1::Film& film);

// Reads the films of one file for `reelctl import`:
//
//   *.jsonl, *.jsonl.gz   JSON Lines, gzip-compressed or not, one film per
//                         non-empty line, in one of two formats, told apart
//                         by the first line that is a JSON object:
//                         - with a "name" member: films as `films export`
//                           and `films list` print them, Film in protobuf's
//                           JSON mapping. The film id comes from the name
//                           ("films/{film_id}"), scene ids are kept, and the
//                           output-only fields are ignored; an unknown field
//                           is an error rather than silently dropped data.
//                         - otherwise: corpus records (see
//                           catalog-service/importer/corpus_record_parser.h).
//   anything else         one film page (see catalog::FilmFileReader).
//
// Records come back as catalog::FilmFileReader returns them: one that does
// not parse has a non-OK status starting with "path:line: ", and reading
// goes on with the next one.
class ImportFileReader {
 public:
  // OK: the file is open. NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT (a
  // directory): it cannot be read; the message names the path.
  static absl::StatusOr<std::unique_ptr<ImportFileReader>> Open(
      const std::string& path);

  // true: `*out` holds the next record, parsed or not. false: no records are
  // left. DATA_LOSS, OUT_OF_RANGE: the rest of the file cannot be read.
  absl::StatusOr<bool> Next(catalog::ImportedFilm* out);

 private:
  enum class Format { kUndecided, kFilms, kCorpus };

  ImportFileReader(std::unique_ptr<catalog::GzLineReader> lines,
                   std::unique_ptr<catalog::FilmFileReader> page);

  // The next line of a JSON Lines file.
  absl::StatusOr<bool> NextLine(catalog::ImportedFilm* out);

  const std::unique_ptr<catalog::GzLineReader> lines_;   // JSON Lines.
  const std::unique_ptr<catalog::FilmFileReader> page_;  // Anything else.
  Format format_ = Format::kUndecided;
  int line_number_ = 0;  // Of the last line read.
  std::string line_;     // Reused across lines to keep its capacity.
};

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_FILM_INPUT_H_
