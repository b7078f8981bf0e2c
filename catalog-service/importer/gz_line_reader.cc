#include "catalog-service/importer/gz_line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace reel::catalog {
namespace {

// Large reads keep zlib's per-call overhead small on multi-MB files.
constexpr unsigned kChunkBytes = 256 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<GzLineReader>> GzLineReader::Open(
    const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return absl::Status(absl::ErrnoToStatusCode(error),
                        absl::StrCat(path, ": ", std::strerror(error)));
  }
  // zlib would open a directory and fail only on the first read.
  struct stat info;
  if (fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory, not a file"));
  }
  gzFile file = gzdopen(fd, "rb");  // Owns fd from here on success.
  if (file == nullptr) {
    close(fd);
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": cannot allocate a zlib reader"));
  }
  gzbuffer(file, kChunkBytes);
  return std::unique_ptr<GzLineReader>(new GzLineReader(path, file));
}

GzLineReader::GzLineReader(std::string path, gzFile file)
    : path_(std::move(path)), file_(file) {}

GzLineReader::~GzLineReader() { gzclose(file_); }

absl::Status GzLineReader::Fill() {
  buffer_.resize(kChunkBytes);
  position_ = 0;
  errno = 0;
  const int read = gzread(file_, buffer_.data(), kChunkBytes);
  buffer_.resize(read > 0 ? read : 0);
  if (read > 0) return absl::OkStatus();
  // gzread returns 0 both at a clean end and at a truncated stream; only
  // gzerror tells them apart.
  int error = Z_OK;
  const char* message = gzerror(file_, &error);
  if (error == Z_OK) {
    at_end_ = true;
    return absl::OkStatus();
  }
  const std::string reason =
      error == Z_ERRNO ? std::strerror(errno) : std::string(message);
  return absl::DataLossError(absl::StrCat(path_, ": ", reason));
}

absl::StatusOr<bool> GzLineReader::ReadLine(std::string* line) {
  line->clear();
  bool got_bytes = false;
  while (true) {
    const size_t newline = buffer_.find('\n', position_);
    if (newline != std::string::npos) {
      line->append(buffer_, position_, newline - position_);
      position_ = newline + 1;
      return true;
    }
    got_bytes = got_bytes || position_ < buffer_.size();
    line->append(buffer_, position_);
    if (at_end_) return got_bytes;  // A last line without "\n" counts.
    REEL_RETURN_IF_ERROR(Fill());
  }
}

absl::Status GzLineReader::ReadAll(size_t max_bytes, std::string* text) {
  while (true) {
    if (text->size() + (buffer_.size() - position_) > max_bytes) {
      return absl::OutOfRangeError(
          absl::StrCat(path_, ": longer than ", max_bytes, " bytes"));
    }
    text->append(buffer_, position_);
    position_ = buffer_.size();
    if (at_end_) return absl::OkStatus();
    REEL_RETURN_IF_ERROR(Fill());
  }
}

}  // namespace reel::catalog
