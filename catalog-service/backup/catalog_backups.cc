#include "catalog-service/backup/catalog_backups.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "catalog-service/store/keys.h"
#include "catalog-service/store/sync_directory.h"
#include "common/status/rocksdb_status.h"
#include "common/status/status_macros.h"

namespace reel::catalog {
namespace {

// Beside the live database (same filesystem: its SSTs are hard links), and
// ignored by RocksDB, which only looks at names it made.
constexpr char kCheckpointName[] = "backup-checkpoint";

absl::Status BackupError(const rocksdb::Status& status,
                         absl::string_view context) {
  if (status.IsNoSpace()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(context, ": a disk is full (", status.ToString(), ")"));
  }
  if (status.IsCorruption()) {
    return absl::DataLossError(absl::StrCat(context, ": ", status.ToString()));
  }
  return FromRocksDbStatus(status, context);
}

rocksdb::BackupEngineOptions EngineOptions(const std::string& backup_dir) {
  rocksdb::BackupEngineOptions options(backup_dir);
  options.sync = true;  // A backup reported done survives a power cut.
  options.share_table_files = true;
  options.share_files_with_checksum = true;
  options.max_background_operations = 1;
  return options;
}

BackupRecord ToRecord(const rocksdb::BackupInfo& info) {
  BackupRecord record;
  record.backup_id = info.backup_id;
  record.create_time = absl::FromUnixSeconds(info.timestamp);
  record.size_bytes = static_cast<int64_t>(info.size);
  record.file_count = info.number_files;
  const nlohmann::json metadata =
      nlohmann::json::parse(info.app_metadata, nullptr, /*allow_exceptions=*/
                            false);
  if (metadata.is_object()) {
    record.revision = metadata.value("revision", int64_t{0});
    record.history_id = metadata.value("history_id", std::string());
    record.film_count = metadata.value("film_count", int64_t{0});
  }
  return record;
}

// What a checkpoint holds: its revision, history id and film count, read
// from the checkpoint opened as a database (it is opened read-write so that
// BackupEngine can take its file list; nothing writes to it).
struct OpenedCheckpoint {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  BackupRecord contents;

  ~OpenedCheckpoint() {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    if (db != nullptr) db->Close().PermitUncheckedError();
  }
};

absl::Status OpenCheckpoint(const std::string& dir, OpenedCheckpoint* out) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = false;
  std::vector<std::string> names;
  REEL_RETURN_IF_ERROR(FromRocksDbStatus(
      rocksdb::DB::ListColumnFamilies(db_options, dir, &names),
      "listing the checkpoint's column families"));
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  int films_index = -1;
  for (const std::string& name : names) {
    if (name == keys::kFilmsFamily) films_index = descriptors.size();
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  if (films_index < 0) {
    return absl::DataLossError("the checkpoint has no films column family");
  }
  rocksdb::DB* raw_db = nullptr;
  REEL_RETURN_IF_ERROR(FromRocksDbStatus(
      rocksdb::DB::Open(db_options, dir, descriptors, &out->handles, &raw_db),
      "opening the checkpoint"));
  out->db.reset(raw_db);

  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  std::string value;
  rocksdb::Status status = out->db->Get(
      read_options, out->db->DefaultColumnFamily(), keys::kRevisionKey, &value);
  if (status.ok()) {
    REEL_ASSIGN_OR_RETURN(out->contents.revision, keys::DecodeRevision(value));
  } else if (!status.IsNotFound()) {
    return FromRocksDbStatus(status, "reading the checkpoint's revision");
  }
  status = out->db->Get(read_options, out->db->DefaultColumnFamily(),
                        keys::kHistoryIdKey, &out->contents.history_id);
  if (!status.ok() && !status.IsNotFound()) {
    return FromRocksDbStatus(status, "reading the checkpoint's history id");
  }
  std::unique_ptr<rocksdb::Iterator> films(
      out->db->NewIterator(read_options, out->handles[films_index]));
  for (films->SeekToFirst(); films->Valid(); films->Next()) {
    ++out->contents.film_count;
  }
  return FromRocksDbStatus(films->status(), "counting the checkpoint's films");
}

}  // namespace

absl::StatusOr<std::unique_ptr<CatalogBackups>> CatalogBackups::Open(
    const std::string& backup_dir) {
  if (backup_dir.empty()) {
    return absl::InvalidArgumentError("backup folder: is required");
  }
  std::error_code error;
  if (!std::filesystem::exists(backup_dir, error)) {
    std::filesystem::create_directories(backup_dir, error);
    if (!error) {
      std::filesystem::permissions(
          backup_dir, std::filesystem::perms::owner_all,
          std::filesystem::perm_options::replace, error);
    }
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("backup folder ", backup_dir,
                       " cannot be created: ", error.message()));
    }
  }
  rocksdb::BackupEngine* raw_engine = nullptr;
  REEL_RETURN_IF_ERROR(BackupError(
      rocksdb::BackupEngine::Open(EngineOptions(backup_dir),
                                  rocksdb::Env::Default(), &raw_engine),
      absl::StrCat("opening the backup folder ", backup_dir)));
  return std::unique_ptr<CatalogBackups>(new CatalogBackups(
      backup_dir, std::unique_ptr<rocksdb::BackupEngine>(raw_engine)));
}

CatalogBackups::CatalogBackups(std::string backup_dir,
                               std::unique_ptr<rocksdb::BackupEngine> engine)
    : backup_dir_(std::move(backup_dir)), engine_(std::move(engine)) {}

CatalogBackups::~CatalogBackups() = default;

absl::StatusOr<BackupRecord> CatalogBackups::Create(const FilmStore& store,
                                                    int keep_latest,
                                                    int* deleted) {
  if (keep_latest < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("keep_latest: must not be negative, got ", keep_latest));
  }
  if (creating_.exchange(true)) {
    return absl::AbortedError(
        "another backup is being taken; retry when it is done");
  }
  absl::Cleanup done = [this] { creating_.store(false); };
  *deleted = 0;

  const std::string checkpoint =
      (std::filesystem::path(store.path()) / kCheckpointName).string();
  std::error_code error;
  std::filesystem::remove_all(checkpoint, error);  // Left by a crash.
  absl::Cleanup remove_checkpoint = [&checkpoint] {
    std::error_code ignored;
    std::filesystem::remove_all(checkpoint, ignored);
  };
  const absl::Time started = absl::Now();
  REEL_RETURN_IF_ERROR(store.Checkpoint(checkpoint));

  BackupRecord record;
  {
    OpenedCheckpoint opened;
    REEL_RETURN_IF_ERROR(OpenCheckpoint(checkpoint, &opened));
    record = opened.contents;
    nlohmann::json metadata = {{"revision", record.revision},
                               {"history_id", record.history_id},
                               {"film_count", record.film_count}};
    rocksdb::CreateBackupOptions options;
    options.flush_before_backup = true;
    rocksdb::BackupID backup_id = 0;
    REEL_RETURN_IF_ERROR(
        BackupError(engine_->CreateNewBackupWithMetadata(
                        options, opened.db.get(), metadata.dump(), &backup_id),
                    absl::StrCat("backing up to ", backup_dir_)));
    record.backup_id = backup_id;
  }
  rocksdb::BackupInfo info;
  REEL_RETURN_IF_ERROR(
      BackupError(engine_->GetBackupInfo(record.backup_id, &info),
                  "reading the new backup's details"));
  record = ToRecord(info);
  if (keep_latest > 0) {
    std::vector<rocksdb::BackupInfo> before;
    engine_->GetBackupInfo(&before);
    REEL_RETURN_IF_ERROR(BackupError(engine_->PurgeOldBackups(keep_latest),
                                     "deleting old backups"));
    std::vector<rocksdb::BackupInfo> after;
    engine_->GetBackupInfo(&after);
    *deleted = static_cast<int>(before.size() - after.size());
  }
  spdlog::info(
      "backup {} taken in {}: revision {}, {} films, {} files, {} bytes, "
      "history id {}{}",
      record.backup_id, absl::FormatDuration(absl::Now() - started),
      record.revision, record.film_count, record.file_count, record.size_bytes,
      record.history_id,
      *deleted > 0 ? absl::StrCat("; deleted ", *deleted, " older") : "");
  return record;
}

absl::StatusOr<std::vector<BackupRecord>> CatalogBackups::List() const {
  std::vector<rocksdb::BackupInfo> infos;
  engine_->GetBackupInfo(&infos);
  std::vector<BackupRecord> records;
  records.reserve(infos.size());
  for (const rocksdb::BackupInfo& info : infos) {
    records.push_back(ToRecord(info));
  }
  return records;
}

absl::StatusOr<BackupRecord> CatalogBackups::Verify(int64_t backup_id) const {
  if (backup_id <= 0 || backup_id > UINT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backup_id: must be a backup's number (1 or more), got ", backup_id));
  }
  rocksdb::BackupInfo info;
  rocksdb::Status status =
      engine_->GetBackupInfo(static_cast<rocksdb::BackupID>(backup_id), &info);
  if (status.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("backup ", backup_id,
                                            " does not "
                                            "exist in ",
                                            backup_dir_));
  }
  REEL_RETURN_IF_ERROR(
      BackupError(status, absl::StrCat("reading backup ", backup_id)));
  status = engine_->VerifyBackup(static_cast<rocksdb::BackupID>(backup_id),
                                 /*verify_with_checksum=*/true);
  if (!status.ok()) {
    // Whatever is wrong with a backup's files makes it unusable.
    return absl::DataLossError(
        absl::StrCat("backup ", backup_id, " is damaged: ", status.ToString()));
  }
  return ToRecord(info);
}

absl::StatusOr<BackupRecord> RestoreBackup(const std::string& backup_dir,
                                           int64_t backup_id,
                                           const std::string& data_dir) {
  if (data_dir.empty()) {
    return absl::InvalidArgumentError("data folder: is required");
  }
  std::error_code error;
  if (std::filesystem::exists(data_dir, error) &&
      !std::filesystem::is_empty(data_dir, error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data folder ", data_dir,
        " is not empty: restore only into an empty folder (move the old "
        "one aside first)"));
  }
  if (!std::filesystem::is_directory(backup_dir, error)) {
    return absl::NotFoundError(
        absl::StrCat("backup folder ", backup_dir, " does not exist"));
  }
  rocksdb::BackupEngineReadOnly* raw_engine = nullptr;
  REEL_RETURN_IF_ERROR(BackupError(
      rocksdb::BackupEngineReadOnly::Open(EngineOptions(backup_dir),
                                          rocksdb::Env::Default(), &raw_engine),
      absl::StrCat("opening the backup folder ", backup_dir)));
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw_engine);

  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  if (infos.empty()) {
    return absl::NotFoundError(
        absl::StrCat("backup folder ", backup_dir, " holds no backup"));
  }
  const rocksdb::BackupInfo* chosen = &infos.back();
  if (backup_id != 0) {
    chosen = nullptr;
    for (const rocksdb::BackupInfo& info : infos) {
      if (static_cast<int64_t>(info.backup_id) == backup_id) chosen = &info;
    }
    if (chosen == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "backup ", backup_id, " does not exist in ", backup_dir));
    }
  }
  BackupRecord record = ToRecord(*chosen);
  rocksdb::Status status = engine->VerifyBackup(chosen->backup_id, true);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(
        "backup ", record.backup_id, " is damaged: ", status.ToString()));
  }

  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat(
        "data folder ", data_dir, " cannot be created: ", error.message()));
  }
  std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  REEL_RETURN_IF_ERROR(BackupError(
      engine->RestoreDBFromBackup(rocksdb::RestoreOptions(), chosen->backup_id,
                                  data_dir, data_dir),
      absl::StrCat("restoring backup ", record.backup_id, " into ", data_dir)));
  REEL_RETURN_IF_ERROR(SyncDirectory(data_dir));
  REEL_RETURN_IF_ERROR(SyncDirectory(
      std::filesystem::absolute(data_dir).parent_path().string()));

  // The new history id is written (durably) by opening the restored store.
  FilmStoreOptions options;
  options.path = data_dir;
  options.new_history = true;
  options.maintenance_interval = absl::ZeroDuration();
  REEL_ASSIGN_OR_RETURN(std::unique_ptr<FilmStore> store,
                        FilmStore::Open(options));
  if (store->revision() != record.revision) {
    return absl::DataLossError(absl::StrCat(
        "backup ", record.backup_id, " says revision ", record.revision,
        " but the restored catalog is at revision ", store->revision()));
  }
  spdlog::info(
      "restored backup {} (revision {}, {} films, history id {}) into {}; "
      "new history id {}",
      record.backup_id, record.revision, record.film_count, record.history_id,
      data_dir, store->history_id());
  record.history_id = store->history_id();
  return record;
}

}  // namespace reel::catalog
