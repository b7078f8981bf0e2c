// Maps rocksdb::Status to absl::Status so storage errors flow like any other.
// Corruption becomes DATA_LOSS, I/O errors UNAVAILABLE, a busy/timed-out lock
// ABORTED; the RocksDB text is kept, prefixed by what we were doing.
#ifndef REEL_COMMON_STATUS_ROCKSDB_STATUS_H_
#define REEL_COMMON_STATUS_ROCKSDB_STATUS_H_

#include <rocksdb/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace reel {

absl::Status FromRocksDbStatus(const rocksdb::Status& status,
                               absl::string_view context);

}  // namespace reel

#endif  // REEL_COMMON_STATUS_ROCKSDB_STATUS_H_
