// SyncDirectory: fsync of a directory, which makes the entries in it (a new
// file or subdirectory, a rename) durable; a file's own fsync does not.
#ifndef REEL_CATALOG_SERVICE_STORE_SYNC_DIRECTORY_H_
#define REEL_CATALOG_SERVICE_STORE_SYNC_DIRECTORY_H_

#include <string>

#include "absl/status/status.h"

namespace reel::catalog {

// UNAVAILABLE, naming the directory and the OS error, when it cannot be
// opened or synced.
absl::Status SyncDirectory(const std::string& dir);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_STORE_SYNC_DIRECTORY_H_
