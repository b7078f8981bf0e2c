// Reads a file line by line, decompressing it on the fly when it is gzip
// (plain files are read as they are). Lines may be of any length.
//
//   REEL_ASSIGN_OR_RETURN(auto reader, GzLineReader::Open(path));
//   std::string line;
//   while (true) {
//     REEL_ASSIGN_OR_RETURN(bool more, reader->ReadLine(&line));
//     if (!more) break;
//     ...
//   }
#ifndef REEL_CATALOG_SERVICE_IMPORTER_GZ_LINE_READER_H_
#define REEL_CATALOG_SERVICE_IMPORTER_GZ_LINE_READER_H_

#include <zlib.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace reel::catalog {

class GzLineReader {
 public:
  // OK: the file is open for reading. NOT_FOUND, PERMISSION_DENIED, ...: it
  // could not be opened (the message names the path).
  static absl::StatusOr<std::unique_ptr<GzLineReader>> Open(
      const std::string& path);

  ~GzLineReader();
  GzLineReader(const GzLineReader&) = delete;
  GzLineReader& operator=(const GzLineReader&) = delete;

  // true: `*line` holds the next line, without its "\n" (a "\r" before it
  // is kept). false: the file has ended. DATA_LOSS: the file is unreadable
  // from here on (a corrupt or truncated gzip stream, an I/O error).
  absl::StatusOr<bool> ReadLine(std::string* line);

  // Appends everything not read yet to `*text`. OUT_OF_RANGE when that is
  // more than `max_bytes`; DATA_LOSS as for ReadLine.
  absl::Status ReadAll(size_t max_bytes, std::string* text);

  const std::string& path() const { return path_; }

 private:
  GzLineReader(std::string path, gzFile file);

  // Replaces the buffer with the next chunk of the file; at its end, sets
  // at_end_ and leaves the buffer empty.
  absl::Status Fill();

  const std::string path_;
  const gzFile file_;
  std::string buffer_;
  size_t position_ = 0;  // Next unread byte of buffer_.
  bool at_end_ = false;
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_IMPORTER_GZ_LINE_READER_H_
