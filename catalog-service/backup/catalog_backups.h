// CatalogBackups: online backups of a FilmStore in a backup folder, with
// RocksDB's BackupEngine (incremental: files shared by several backups are
// stored once; every file checksummed).
//
// A backup is taken from a checkpoint (FilmStore::Checkpoint) made next to
// the live database, so it holds exactly one revision, which it records
// with the history id and film count in the backup's metadata. Writes
// continue meanwhile.
//
// Restore (RestoreBackup) is offline, into an empty data folder, and gives
// the restored database a new history id.
//
// Thread-safe. One backup is taken at a time; list and verify wait for a
// backup in progress to finish.
#ifndef REEL_CATALOG_SERVICE_BACKUP_CATALOG_BACKUPS_H_
#define REEL_CATALOG_SERVICE_BACKUP_CATALOG_BACKUPS_H_

#include <rocksdb/utilities/backup_engine.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "catalog-service/store/film_store.h"

namespace reel::catalog {

// What a backup holds.
struct BackupRecord {
  int64_t backup_id = 0;
  int64_t revision = 0;    // Every write up to it, none after.
  std::string history_id;  // Of the catalog it was taken from.
  absl::Time create_time = absl::InfinitePast();
  int64_t size_bytes = 0;  // Files it references (shared ones included).
  int64_t file_count = 0;
  int64_t film_count = 0;
};

class CatalogBackups {
 public:
  // Opens the backup folder `backup_dir`, creating it (mode 0700) if
  // missing. UNAVAILABLE when it cannot be created or read.
  static absl::StatusOr<std::unique_ptr<CatalogBackups>> Open(
      const std::string& backup_dir);

  CatalogBackups(const CatalogBackups&) = delete;
  CatalogBackups& operator=(const CatalogBackups&) = delete;
  ~CatalogBackups();

  // Backs up `store` as it is now; then, when keep_latest > 0, deletes the
  // oldest backups so that keep_latest remain (*deleted says how many).
  // ABORTED while another backup is being taken; RESOURCE_EXHAUSTED when a
  // disk is full; INVALID_ARGUMENT for a negative keep_latest.
  absl::StatusOr<BackupRecord> Create(const FilmStore& store, int keep_latest,
                                      int* deleted);
  // Every backup, oldest first.
  absl::StatusOr<std::vector<BackupRecord>> List() const;
  // Reads every file of backup `backup_id` and checks sizes and checksums.
  // NOT_FOUND for an unknown id; DATA_LOSS naming what is wrong.
  absl::StatusOr<BackupRecord> Verify(int64_t backup_id) const;

  const std::string& backup_dir() const { return backup_dir_; }

 private:
  CatalogBackups(std::string backup_dir,
                 std::unique_ptr<rocksdb::BackupEngine> engine);

  const std::string backup_dir_;
  // Thread-safe itself (a read-write lock inside: reads wait for a backup
  // being written).
  const std::unique_ptr<rocksdb::BackupEngine> engine_;
  std::atomic<bool> creating_{false};
};

// Restores backup `backup_id` (0: the newest) from `backup_dir` into
// `data_dir`, which must be absent or empty, after verifying the backup's
// checksums; then gives the restored database a new history id. Returns the
// backup restored (history_id: the NEW id). FAILED_PRECONDITION when
// data_dir holds anything; NOT_FOUND when there is no such backup;
// DATA_LOSS when the backup is damaged.
absl::StatusOr<BackupRecord> RestoreBackup(const std::string& backup_dir,
                                           int64_t backup_id,
                                           const std::string& data_dir);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_BACKUP_CATALOG_BACKUPS_H_
