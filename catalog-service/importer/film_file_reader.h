// Reads the films of one file for import:
//
//   *.jsonl, *.jsonl.gz   the corpus format (see corpus_record_parser.h), one
//                         film per non-empty line, gzip-compressed or not;
//   anything else         one film page (see film_page_parser.h), whose film
//                         id is SlugFromTitle(title, year).
//
// A record that does not parse is returned as an ImportedFilm with a non-OK
// status, so the caller can report it and go on to the next record:
//
//   REEL_ASSIGN_OR_RETURN(auto reader, FilmFileReader::Open(path));
//   ImportedFilm record;
//   while (true) {
//     REEL_ASSIGN_OR_RETURN(bool more, reader->Next(&record));
//     if (!more) break;
//     if (!record.status.ok()) { Report(record.status); continue; }
//     Send(record.film_id, record.film);
//   }
#ifndef REEL_CATALOG_SERVICE_IMPORTER_FILM_FILE_READER_H_
#define REEL_CATALOG_SERVICE_IMPORTER_FILM_FILE_READER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog-service/importer/gz_line_reader.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

struct ImportedFilm {
  // Where the record comes from: "path:line" for JSON Lines, "path" for a
  // page.
  std::string source;
  // OK: film_id and film hold the record. INVALID_ARGUMENT: the record does
  // not parse; the message starts with `source`, and film_id and film are
  // empty.
  absl::Status status;
  std::string film_id;
  v1::Film film;  // `name` is left unset.
};

class FilmFileReader {
 public:
  // OK: the file is open. NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT (a
  // directory): it cannot be read; the message names the path.
  static absl::StatusOr<std::unique_ptr<FilmFileReader>> Open(
      const std::string& path);

  // true: `*out` holds the next record, parsed or not (see ImportedFilm).
  // false: no records are left. DATA_LOSS (corrupt or truncated gzip, I/O
  // error) or OUT_OF_RANGE (a page over 16 MiB): the rest of the file cannot
  // be read; records returned so far stand.
  absl::StatusOr<bool> Next(ImportedFilm* out);

  const std::string& path() const { return lines_->path(); }

 private:
  FilmFileReader(std::unique_ptr<GzLineReader> lines, bool json_lines);

  absl::StatusOr<bool> NextJsonLine(ImportedFilm* out);
  absl::StatusOr<bool> NextPage(ImportedFilm* out);

  const std::unique_ptr<GzLineReader> lines_;
  const bool json_lines_;
  int line_number_ = 0;  // Of the last line read (JSON Lines).
  bool page_read_ = false;
  std::string line_;  // Reused across lines to keep its capacity.
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_IMPORTER_FILM_FILE_READER_H_
