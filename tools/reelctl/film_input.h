// Films as reelctl reads them: the one film of `films create` / `films
// update` (from --json or --file), and the films of the files `import`
// reads.
#ifndef REEL_TOOLS_REELCTL_FILM_INPUT_H_
#define REEL_TOOLS_REELCTL_FILM_INPUT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "catalog-service/importer/film_file_reader.h"
#include "catalog-service/importer/gz_line_reader.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::reelctl {

// A Film in protobuf's JSON mapping ({"title": "...", "scenes": [...]}).
// INVALID_ARGUMENT names what did not parse (unknown fields included).
absl::StatusOr<catalog::v1::Film> FilmFromJson(absl::string_view json);

// OK when `text` is a film page (see catalog-service/importer/
// film_page_parser.h): its first line is the film's title and at least one
// later line is a heading of a section the importer reads ("Memorable
// Scenes from Movie TITLE", "Quotes from Movie TITLE", "Dialogues from
// Movie TITLE" or "Sound Tracks from TITLE"). INVALID_ARGUMENT saying what
// a film page has otherwise: without such a heading any text file, a README
// say, would parse as a film with its first line as the title.
absl::Status CheckFilmPage(absl::string_view text);

// A file holding either Film JSON (its text starts with '{') or a film page
// (see CheckFilmPage). NOT_FOUND etc. when it cannot be read;
// INVALID_ARGUMENT, prefixed with the path, when it does not parse.
absl::StatusOr<catalog::v1::Film> FilmFromFile(const std::string& path);

// Clears the Film fields the catalog sets and ignores on input: revision,
// etag, create_time and update_time.
void ClearOutputOnlyFields(catalog::v1::Film& film);

// Reads the films of one file, or of stdin ("-"), for `reelctl import`:
//
//   JSON Lines            *.jsonl and *.jsonl.gz files, and other input
//                         whose first non-blank line starts with '{';
//                         gzip-compressed or not, one film per non-empty
//                         line, in one of two formats, told apart by the
//                         first line that is a JSON object:
//                         - with a "name" member: films as `films export`
//                           and `films list` print them, Film in protobuf's
//                           JSON mapping. The film id comes from the name
//                           ("films/{film_id}"), scene ids are kept, and the
//                           output-only fields are ignored; an unknown field
//                           is an error rather than silently dropped data.
//                         - otherwise: corpus records (see
//                           catalog-service/importer/corpus_record_parser.h).
//   a film page           anything else, checked by CheckFilmPage and parsed
//                         whole by Open(); its film id is SlugFromTitle.
//
// Records come back as catalog::FilmFileReader returns them: one that does
// not parse has a non-OK status starting with "NAME:LINE: ", and reading
// goes on with the next one.
class ImportFileReader {
 public:
  // OK: the input is open, and a page is parsed. NOT_FOUND,
  // PERMISSION_DENIED, INVALID_ARGUMENT (a directory): it cannot be read;
  // INVALID_ARGUMENT: it is neither JSON Lines nor a film page, or its page
  // does not parse. Messages start with the name.
  static absl::StatusOr<std::unique_ptr<ImportFileReader>> Open(
      const std::string& path);

  // true: `*out` holds the next record, parsed or not. false: no records are
  // left. DATA_LOSS, OUT_OF_RANGE: the rest of the input cannot be read.
  absl::StatusOr<bool> Next(catalog::ImportedFilm* out);

  // The path, or "stdin".
  const std::string& name() const { return name_; }
  // Bytes of (uncompressed) text read so far, and in all: for a file, its
  // size (for gzip, the size its trailer records); -1 for stdin.
  int64_t bytes_read() const { return bytes_read_; }
  int64_t total_bytes() const { return total_bytes_; }

 private:
  enum class Format { kUndecided, kFilms, kCorpus };

  ImportFileReader(std::string name,
                   std::unique_ptr<catalog::GzLineReader> lines,
                   int64_t total_bytes);

  // Reads lines up to the first non-blank one, keeping them for NextLine.
  // true: it starts with '{'.
  absl::StatusOr<bool> StartsLikeJson();
  // Reads the rest of the input as one film page into page_.
  absl::Status ReadPage();
  absl::StatusOr<bool> ReadLine(std::string* line);
  // The next line of a JSON Lines input.
  absl::StatusOr<bool> NextLine(catalog::ImportedFilm* out);

  const std::string name_;
  const std::unique_ptr<catalog::GzLineReader> lines_;
  const int64_t total_bytes_;
  int64_t bytes_read_ = 0;
  std::deque<std::string> pending_;  // Lines read ahead, not yet returned.
  std::optional<catalog::ImportedFilm> page_;  // A page not yet returned.
  bool is_page_ = false;
  Format format_ = Format::kUndecided;
  int line_number_ = 0;  // Of the last line read.
  std::string line_;     // Reused across lines to keep its capacity.
};

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_FILM_INPUT_H_
