#include "catalog-service/store/film_store.h"

#include <fcntl.h>
#include <google/protobuf/util/time_util.h>
#include <pthread.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catalog-service/model/film_name.h"
#include "catalog-service/model/film_validation.h"
#include "catalog-service/store/keys.h"
#include "catalog-service/store/sync_directory.h"
#include "common/status/rocksdb_status.h"
#include "common/status/status_macros.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;

std::string EtagFor(int64_t revision) { return absl::StrCat("r", revision); }

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  *out = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(time));
}

absl::Status CheckEtag(const Film& current, absl::string_view expected,
                       absl::string_view field) {
  if (expected.empty() || expected == current.etag()) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat(
      field, ": \"", expected, "\" is not the current etag of ", current.name(),
      " (now \"", current.etag(), "\"); read the film again and retry"));
}

// Identifies a CreateFilm request for idempotency: the id and the film as the
// caller sent it, without the output-only fields the server overwrites.
uint32_t RequestChecksum(absl::string_view film_id, const Film& film) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    film.SerializeToCodedStream(&coded);
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(film_id.data()),
              static_cast<uInt>(film_id.size()));
  crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()),
              static_cast<uInt>(bytes.size()));
  return static_cast<uint32_t>(crc);
}

rocksdb::ColumnFamilyOptions FamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache, bool point_lookups) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (point_lookups) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.compression = rocksdb::kLZ4Compression;
  return options;
}

absl::StatusOr<int64_t> ReadCounter(rocksdb::DB* db,
                                    const rocksdb::ReadOptions& read_options,
                                    rocksdb::ColumnFamilyHandle* family,
                                    absl::string_view key) {
  std::string value;
  rocksdb::Status status =
      db->Get(read_options, family, keys::ToSlice(key), &value);
  if (status.IsNotFound()) return 0;
  REEL_RETURN_IF_ERROR(
      FromRocksDbStatus(status, absl::StrCat("reading ", key)));
  return keys::DecodeRevision(value);
}

// The database's history id: the stored one, or (for a new database, one
// made before history ids existed, or with `replace`) a new random one,
// stored durably before the store serves anything.
absl::StatusOr<std::string> LoadOrMakeHistoryId(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, bool replace) {
  std::string stored;
  rocksdb::Status status =
      db->Get(rocksdb::ReadOptions(), meta, keys::kHistoryIdKey, &stored);
  if (!status.IsNotFound()) {
    REEL_RETURN_IF_ERROR(FromRocksDbStatus(status, "reading the history id"));
    if (!replace) return stored;
  }
  absl::BitGen random;  // Seeded from the OS's entropy.
  std::string bytes(16, '\0');
  for (char& byte : bytes) {
    byte = static_cast<char>(absl::Uniform<uint8_t>(random));
  }
  const std::string history_id = absl::BytesToHexString(bytes);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  REEL_RETURN_IF_ERROR(FromRocksDbStatus(
      db->Put(write_options, meta, keys::kHistoryIdKey, history_id),
      "storing the history id"));
  if (stored.empty()) {
    spdlog::info("catalog history id {} (new)", history_id);
  } else {
    spdlog::info("catalog history id {} replaces {}", history_id, stored);
  }
  return history_id;
}

// A failed write as the API reports it: a full disk is RESOURCE_EXHAUSTED
// (docs/api.md), the rest as FromRocksDbStatus maps them.
absl::Status WriteError(const rocksdb::Status& status,
                        absl::string_view context) {
  if (status.IsNoSpace()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        context, ": the data dir's disk is full (", status.ToString(),
        "); writes succeed again once space is freed"));
  }
  return FromRocksDbStatus(status, context);
}

}  // namespace

// One requested change and, once committed, its outcome.
struct FilmStore::Operation {
  enum class Kind { kCreate, kUpdate, kDelete, kImport };
  Kind kind;
  std::string film_id;
  Film film;  // Create/import: the film. Update: the patch.
  FilmFields fields;
  std::string expected_etag;
  std::string request_id;
  uint32_t request_checksum = 0;
  bool replace_existing = false;
  bool repeated = false;  // Import: an earlier item of the call has this id.
  absl::StatusOr<WriteResult> result = absl::InternalError("not applied");
};

// A write waiting in the queue: its operations and what to do once they are
// committed. The committing thread moves `done` out before calling it, so
// `done` may destroy the Writer.
struct FilmStore::Writer {
  std::vector<Operation>* operations;
  absl::AnyInvocable<void(absl::Status)> done;
};

// Applies one group's operations in order on top of the committed state,
// remembering what earlier operations of the group changed. Groups commit
// one at a time, so this is the serial stage of every write: it copies and
// serializes each film once:
// the group's own changes point at the results they produced, and a change
// log entry is the event's header fields followed by the film's bytes.
class FilmStore::GroupApplier {
 public:
  GroupApplier(FilmStore* store, absl::Time now)
      : store_(store), now_(now), next_revision_(store->revision() + 1) {}

  void Apply(Operation* op) {
    change_ = Change::kNone;
    op->result = ApplyOne(op);
    // Later operations on the same film see this one's outcome, which now has
    // a stable address in `op` until the group is completed.
    if (change_ == Change::kStored) {
      overlay_[op->film_id] = &op->result->film;
    } else if (change_ == Change::kDeleted) {
      overlay_[op->film_id] = nullptr;
    }
  }

  int64_t last_revision() const { return next_revision_ - 1; }
  rocksdb::WriteBatch* batch() { return &batch_; }

 private:
  enum class Change { kNone, kStored, kDeleted };

  absl::StatusOr<WriteResult> ApplyOne(Operation* op) {
    REEL_ASSIGN_OR_RETURN(const Film* current, Current(op->film_id));
    switch (op->kind) {
      case Operation::Kind::kCreate: {
        if (!op->request_id.empty()) {
          REEL_ASSIGN_OR_RETURN(std::optional<WriteResult> replay, Replay(*op));
          if (replay.has_value()) return *std::move(replay);
        }
        if (current != nullptr) return AlreadyExists(op->film_id);
        Film film = std::move(op->film);
        SetTimestamp(now_, film.mutable_create_time());
        WriteResult result =
            Store(op->film_id, std::move(film), FilmEvent::EVENT_TYPE_CREATED);
        if (!op->request_id.empty()) Remember(*op);
        return result;
      }
      case Operation::Kind::kImport: {
        if (op->repeated) {
          return absl::AlreadyExistsError(
              absl::StrCat("film ", FilmName(op->film_id),
                           " appears earlier in the same import"));
        }
        if (current != nullptr && !op->replace_existing) {
          return AlreadyExists(op->film_id);
        }
        Film film = std::move(op->film);
        if (current != nullptr) {
          *film.mutable_create_time() = current->create_time();
        } else {
          SetTimestamp(now_, film.mutable_create_time());
        }
        return Store(op->film_id, std::move(film),
                     current != nullptr ? FilmEvent::EVENT_TYPE_UPDATED
                                        : FilmEvent::EVENT_TYPE_CREATED);
      }
      case Operation::Kind::kUpdate: {
        if (current == nullptr) return Missing(op->film_id);
        REEL_RETURN_IF_ERROR(
            CheckEtag(*current, op->expected_etag, "film.etag"));
        Film film = *current;
        ApplyFilmFields(op->fields, op->film, &film);
        REEL_RETURN_IF_ERROR(ValidateFilm(film));
        return Store(op->film_id, std::move(film),
                     FilmEvent::EVENT_TYPE_UPDATED);
      }
      case Operation::Kind::kDelete: {
        if (current == nullptr) return Missing(op->film_id);
        REEL_RETURN_IF_ERROR(CheckEtag(*current, op->expected_etag, "etag"));
        const int64_t revision = next_revision_++;
        FilmEvent event;
        event.set_type(FilmEvent::EVENT_TYPE_DELETED);
        event.set_revision(revision);
        event.set_name(FilmName(op->film_id));
        batch_.Delete(store_->films(), op->film_id);
        batch_.Put(store_->changes(), keys::EncodeRevision(revision),
                   event.SerializeAsString());
        change_ = Change::kDeleted;
        return WriteResult{Film(), revision};
      }
    }
    return absl::InternalError("unknown operation");
  }

  // The film as the group has left it so far (the overlay, else the
  // database), or null when there is none. Valid until the next call.
  absl::StatusOr<const Film*> Current(const std::string& film_id) {
    if (auto it = overlay_.find(film_id); it != overlay_.end()) {
      return it->second;
    }
    std::string value;
    rocksdb::Status status =
        store_->db_->Get(rocksdb::ReadOptions(), store_->films(),
                         keys::ToSlice(film_id), &value);
    if (status.IsNotFound()) return nullptr;
    REEL_RETURN_IF_ERROR(FromRocksDbStatus(status, "reading film"));
    if (!stored_.ParseFromString(value)) {
      return absl::DataLossError(
          absl::StrCat("stored film ", film_id, " cannot be parsed"));
    }
    return &stored_;
  }

  // Stamps the film with the next revision and queues it with its event.
  WriteResult Store(const std::string& film_id, Film film,
                    FilmEvent::EventType type) {
    const int64_t revision = next_revision_++;
    film.set_name(FilmName(film_id));
    film.set_revision(revision);
    film.set_etag(EtagFor(revision));
    SetTimestamp(now_, film.mutable_update_time());
    film_bytes_.clear();
    film.AppendToString(&film_bytes_);
    // The event is {type, revision, name, film}. film is its last field, so
    // the header's bytes followed by field 4 holding the film's bytes are the
    // event's serialization, without copying or serializing the film again.
    FilmEvent event;
    event.set_type(type);
    event.set_revision(revision);
    event.set_name(film.name());
    std::string event_bytes;
    event_bytes.reserve(event.ByteSizeLong() + 16 + film_bytes_.size());
    event.AppendToString(&event_bytes);
    AppendLengthDelimited(FilmEvent::kFilmFieldNumber, film_bytes_,
                          &event_bytes);
    batch_.Put(store_->films(), film_id, film_bytes_);
    batch_.Put(store_->changes(), keys::EncodeRevision(revision), event_bytes);
    change_ = Change::kStored;
    return WriteResult{std::move(film), revision};
  }

  // Appends a length-delimited field (wire type 2) to a serialized message.
  static void AppendLengthDelimited(int field_number, absl::string_view bytes,
                                    std::string* out) {
    auto append_varint = [out](uint64_t value) {
      while (value >= 0x80) {
        out->push_back(static_cast<char>(value | 0x80));
        value >>= 7;
      }
      out->push_back(static_cast<char>(value));
    };
    append_varint((static_cast<uint64_t>(field_number) << 3) | 2);
    append_varint(bytes.size());
    out->append(bytes.data(), bytes.size());
  }

  // The first response for a retried request_id, if there is one.
  absl::StatusOr<std::optional<WriteResult>> Replay(const Operation& op) {
    std::optional<keys::IdempotencyRecord> record;
    if (auto it = requests_.find(op.request_id); it != requests_.end()) {
      record = it->second;
    } else {
      std::string value;
      rocksdb::Status status =
          store_->db_->Get(rocksdb::ReadOptions(), store_->requests(),
                           keys::ToSlice(op.request_id), &value);
      if (status.IsNotFound()) return std::optional<WriteResult>();
      REEL_RETURN_IF_ERROR(FromRocksDbStatus(status, "reading request_id"));
      REEL_ASSIGN_OR_RETURN(record, keys::DecodeIdempotencyRecord(value));
    }
    if (record->request_checksum != op.request_checksum) {
      return absl::InvalidArgumentError(
          absl::StrCat("request_id: \"", op.request_id,
                       "\" was already used for a different request"));
    }
    WriteResult result;
    if (!result.film.ParseFromString(record->response_film)) {
      return absl::DataLossError("stored CreateFilm response cannot be parsed");
    }
    result.revision = result.film.revision();
    return std::optional<WriteResult>(std::move(result));
  }

  // Records the response to op's request_id: the film Store() just wrote.
  void Remember(const Operation& op) {
    keys::IdempotencyRecord record{op.request_checksum, now_, film_bytes_};
    batch_.Put(store_->requests(), op.request_id,
               keys::EncodeIdempotencyRecord(record));
    requests_[op.request_id] = std::move(record);
  }

  static absl::Status AlreadyExists(absl::string_view film_id) {
    return absl::AlreadyExistsError(
        absl::StrCat("film ", FilmName(film_id), " already exists"));
  }
  static absl::Status Missing(absl::string_view film_id) {
    return absl::NotFoundError(
        absl::StrCat("film ", FilmName(film_id), " does not exist"));
  }

  FilmStore* store_;
  const absl::Time now_;
  int64_t next_revision_;
  rocksdb::WriteBatch batch_;
  // Films this group changed, by id: the result holding the film as stored,
  // or null once deleted. Keys and films live in the group's operations.
  absl::flat_hash_map<absl::string_view, const Film*> overlay_;
  absl::flat_hash_map<std::string, keys::IdempotencyRecord> requests_;
  Change change_ = Change::kNone;  // What the current operation did.
  Film stored_;                    // Current()'s film read from the database.
  std::string film_bytes_;         // Store()'s last film, serialized.
};

absl::StatusOr<std::unique_ptr<FilmStore>> FilmStore::Open(
    const FilmStoreOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("data directory: is required");
  }
  // Films are private data: a directory the catalog creates is for its user
  // alone (files inside follow the process umask; main() sets 077).
  std::error_code error;
  if (!std::filesystem::exists(options.path, error)) {
    // The directories about to be created, deepest first.
    std::vector<std::filesystem::path> created;
    for (std::filesystem::path dir = std::filesystem::absolute(options.path);
         !dir.empty() && dir != dir.root_path() &&
         !std::filesystem::exists(dir, error);
         dir = dir.parent_path()) {
      created.push_back(dir);
    }
    std::filesystem::create_directories(options.path, error);
    if (!error) {
      std::filesystem::permissions(
          options.path, std::filesystem::perms::owner_all,
          std::filesystem::perm_options::replace, error);
    }
    if (error) {
      return absl::UnavailableError(absl::StrCat(
          "data dir ", options.path, " cannot be created: ", error.message()));
    }
    // A new directory's entry is durable only once its parent is fsync'ed;
    // without this a power cut can take the whole new database with it.
    for (const std::filesystem::path& dir : created) {
      REEL_RETURN_IF_ERROR(SyncDirectory(dir.parent_path().string()));
    }
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.IncreaseParallelism(2);
  db_options.keep_log_file_num = 5;
  db_options.max_total_wal_size = 256 << 20;

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(cache, true)},
      {keys::kFilmsFamily, FamilyOptions(cache, true)},
      {keys::kChangesFamily, FamilyOptions(cache, false)},
      {keys::kRequestsFamily, FamilyOptions(cache, true)},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  const rocksdb::Status open_status = rocksdb::DB::Open(
      db_options, options.path, descriptors, &handles, &raw_db);
  // RocksDB reports a held lock as a raw I/O error; say what it means.
  if (open_status.IsIOError() &&
      (absl::StrContains(open_status.ToString(), "While lock file") ||
       absl::StrContains(open_status.ToString(), "lock hold by"))) {
    return absl::UnavailableError(absl::StrCat(
        "data dir ", options.path, " is in use by another process (lock file ",
        (std::filesystem::path(options.path) / "LOCK").string(), ")"));
  }
  REEL_RETURN_IF_ERROR(FromRocksDbStatus(
      open_status, absl::StrCat("opening catalog database at ", options.path)));
  std::unique_ptr<rocksdb::DB> db(raw_db);

  auto close = [&](absl::Status status) {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    return status;
  };
  absl::StatusOr<int64_t> revision = ReadCounter(
      db.get(), rocksdb::ReadOptions(), handles[0], keys::kRevisionKey);
  if (!revision.ok()) return close(revision.status());
  absl::StatusOr<int64_t> compacted = ReadCounter(
      db.get(), rocksdb::ReadOptions(), handles[0], keys::kCompactedThroughKey);
  if (!compacted.ok()) return close(compacted.status());
  absl::StatusOr<std::string> history_id =
      LoadOrMakeHistoryId(db.get(), handles[0], options.new_history);
  if (!history_id.ok()) return close(history_id.status());

  spdlog::info(
      "catalog database open at {}: revision {}, change log from {}, "
      "history id {}",
      options.path, *revision, *compacted + 1, *history_id);
  std::unique_ptr<FilmStore> store(
      new FilmStore(options, std::move(db), std::move(handles), *revision,
                    *compacted, *std::move(history_id)));
  // Maintenance also runs at open: a catalog restarted more often than the
  // maintenance interval would otherwise never trim its change log.
  if (absl::Status status = store->RunMaintenance(); !status.ok()) {
    spdlog::warn("catalog maintenance at open failed: {}", status.ToString());
  }
  return store;
}

FilmStore::FilmStore(FilmStoreOptions options, std::unique_ptr<rocksdb::DB> db,
                     std::vector<rocksdb::ColumnFamilyHandle*> families,
                     int64_t revision, int64_t compacted_through,
                     std::string history_id)
    : options_(std::move(options)),
      db_(std::move(db)),
      families_(std::move(families)),
      history_id_(std::move(history_id)),
      revision_(revision),
      compacted_through_(compacted_through) {
  commit_thread_ = std::thread([this] { CommitLoop(); });
  // Named for top -H and perf: it is where every write's fsync happens.
  pthread_setname_np(commit_thread_.native_handle(), "film-commit");
  completion_thread_ = std::thread([this] { CompletionLoop(); });
  pthread_setname_np(completion_thread_.native_handle(), "film-complete");
  if (options_.maintenance_interval > absl::ZeroDuration()) {
    maintenance_thread_ = std::thread([this] { MaintenanceLoop(); });
  }
}

FilmStore::~FilmStore() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  commit_wakeup_.SignalAll();
  maintenance_wakeup_.SignalAll();
  // The commit thread drains the queue, then the completion thread answers
  // what it committed.
  if (commit_thread_.joinable()) commit_thread_.join();
  if (completion_thread_.joinable()) completion_thread_.join();
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  for (auto* handle : families_) db_->DestroyColumnFamilyHandle(handle);
  rocksdb::Status status = db_->Close();
  if (!status.ok())
    spdlog::error("closing catalog database: {}", status.ToString());
}

void FilmStore::SetCommitListener(std::function<void(int64_t)> listener) {
  absl::MutexLock lock(&mutex_);
  commit_listener_ = std::move(listener);
}

absl::StatusOr<Film> FilmStore::Get(absl::string_view film_id) const {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), films(), keys::ToSlice(film_id), &value);
  if (status.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("film ", FilmName(film_id), " does not exist"));
  }
  REEL_RETURN_IF_ERROR(FromRocksDbStatus(status, "reading film"));
  Film film;
  if (!film.ParseFromString(value)) {
    return absl::DataLossError(
        absl::StrCat("stored film ", film_id, " cannot be parsed"));
  }
  return film;
}

absl::StatusOr<FilmStore::ListPage> FilmStore::List(absl::string_view after_id,
                                                    int limit) const {
  std::unique_ptr<FilmSnapshot> snapshot = TakeSnapshot();
  ListPage page;
  page.revision = snapshot->revision();
  bool done = false;
  std::vector<Film> films;
  // Ask for one more than the limit to learn whether another page exists.
  REEL_RETURN_IF_ERROR(snapshot->ReadFilms(
      after_id, limit + 1, std::numeric_limits<size_t>::max(), &films, &done));
  if (films.size() > static_cast<size_t>(limit)) {
    films.resize(limit);
    page.has_more = true;
  }
  page.films = std::move(films);
  return page;
}

absl::Status FilmStore::ReadChanges(int64_t after_revision, size_t max_events,
                                    size_t max_bytes,
                                    std::vector<FilmEvent>* events) const {
  int64_t head = revision();
  const int64_t floor = compacted_through();
  if (after_revision > head) {
    // A commit is visible in RocksDB (to snapshots, Get, List) a moment
    // before revision_ is published, so a caller may legitimately be ahead of
    // revision_; the counter stored with the commit is the authority.
    REEL_ASSIGN_OR_RETURN(head, ReadCounter(db_.get(), rocksdb::ReadOptions(),
                                            meta(), keys::kRevisionKey));
  }
  auto out_of_range = [&](absl::string_view why) {
    return absl::OutOfRangeError(absl::StrCat(
        "start_revision ", after_revision, " ", why,
        "; changes can be replayed from start_revision ", compacted_through(),
        " up to the newest revision ", revision(),
        "; use start_revision 0 for a fresh snapshot"));
  };
  if (after_revision > head) return out_of_range("is ahead of the catalog");
  if (after_revision < floor) return out_of_range("was compacted away");
  if (after_revision == head) return absl::OkStatus();

  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), changes()));
  int64_t expected = after_revision + 1;
  size_t bytes = 0;
  size_t taken = 0;
  for (it->Seek(keys::EncodeRevision(expected));
       it->Valid() && taken < max_events && (taken == 0 || bytes < max_bytes);
       it->Next(), ++expected, ++taken) {
    REEL_ASSIGN_OR_RETURN(int64_t revision,
                          keys::DecodeRevision(keys::FromSlice(it->key())));
    if (revision != expected) {
      return out_of_range("was compacted away while being read");
    }
    FilmEvent event;
    if (!event.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("change log entry ", revision, " cannot be parsed"));
    }
    bytes += it->value().size();
    events->push_back(std::move(event));
  }
  REEL_RETURN_IF_ERROR(FromRocksDbStatus(it->status(), "reading change log"));
  if (taken == 0 && expected <= head) {
    return out_of_range("was compacted away while being read");
  }
  return absl::OkStatus();
}

std::unique_ptr<FilmSnapshot> FilmStore::TakeSnapshot() const {
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  // The counter is written in the same batch as the films, so reading it
  // through the snapshot gives exactly the snapshot's revision.
  absl::StatusOr<int64_t> revision =
      ReadCounter(db_.get(), read_options, meta(), keys::kRevisionKey);
  return std::unique_ptr<FilmSnapshot>(
      new FilmSnapshot(this, snapshot, revision.ok() ? *revision : 0));
}

FilmSnapshot::~FilmSnapshot() { store_->db_->ReleaseSnapshot(snapshot_); }

absl::Status FilmSnapshot::ReadFilms(absl::string_view after_id,
                                     size_t max_films, size_t max_bytes,
                                     std::vector<Film>* films,
                                     bool* done) const {
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot_;
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db_->NewIterator(read_options, store_->films()));
  it->Seek(keys::ToSlice(after_id));
  if (it->Valid() && !after_id.empty() &&
      keys::FromSlice(it->key()) == after_id) {
    it->Next();
  }
  size_t bytes = 0;
  size_t taken = 0;
  for (; it->Valid() && taken < max_films && (taken == 0 || bytes < max_bytes);
       it->Next(), ++taken) {
    Film film;
    if (!film.ParseFromArray(it->value().data(),
                             static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat(
          "stored film ", it->key().ToString(), " cannot be parsed"));
    }
    bytes += it->value().size();
    films->push_back(std::move(film));
  }
  REEL_RETURN_IF_ERROR(FromRocksDbStatus(it->status(), "listing films"));
  *done = !it->Valid();
  return absl::OkStatus();
}

namespace {

// The one-operation writes, as the blocking and asynchronous forms share them.
template <typename Operation>
Operation CreateOperation(absl::string_view film_id, Film film,
                          absl::string_view request_id) {
  ClearOutputOnlyFields(&film);
  Operation op;
  op.kind = Operation::Kind::kCreate;
  op.film_id = std::string(film_id);
  // Only a request that can be retried needs its fingerprint.
  if (!request_id.empty()) op.request_checksum = RequestChecksum(film_id, film);
  op.film = std::move(film);
  op.request_id = std::string(request_id);
  return op;
}

template <typename Operation>
Operation UpdateOperation(absl::string_view film_id, const Film& patch,
                          const FilmFields& fields,
                          absl::string_view expected_etag) {
  Operation op;
  op.kind = Operation::Kind::kUpdate;
  op.film_id = std::string(film_id);
  op.film = patch;
  op.fields = fields;
  op.expected_etag = std::string(expected_etag);
  return op;
}

template <typename Operation>
Operation DeleteOperation(absl::string_view film_id,
                          absl::string_view expected_etag) {
  Operation op;
  op.kind = Operation::Kind::kDelete;
  op.film_id = std::string(film_id);
  op.expected_etag = std::string(expected_etag);
  return op;
}

}  // namespace

absl::StatusOr<WriteResult> FilmStore::Create(absl::string_view film_id,
                                              Film film,
                                              absl::string_view request_id) {
  std::vector<Operation> ops;
  ops.push_back(
      CreateOperation<Operation>(film_id, std::move(film), request_id));
  REEL_RETURN_IF_ERROR(Write(&ops));
  return std::move(ops[0].result);
}

absl::StatusOr<WriteResult> FilmStore::Update(absl::string_view film_id,
                                              const Film& patch,
                                              const FilmFields& fields,
                                              absl::string_view expected_etag) {
  std::vector<Operation> ops;
  ops.push_back(
      UpdateOperation<Operation>(film_id, patch, fields, expected_etag));
  REEL_RETURN_IF_ERROR(Write(&ops));
  return std::move(ops[0].result);
}

absl::StatusOr<WriteResult> FilmStore::Delete(absl::string_view film_id,
                                              absl::string_view expected_etag) {
  std::vector<Operation> ops;
  ops.push_back(DeleteOperation<Operation>(film_id, expected_etag));
  REEL_RETURN_IF_ERROR(Write(&ops));
  return std::move(ops[0].result);
}

void FilmStore::CreateAsync(absl::string_view film_id, Film film,
                            absl::string_view request_id, WriteCallback done) {
  SubmitOne(CreateOperation<Operation>(film_id, std::move(film), request_id),
            std::move(done));
}

void FilmStore::UpdateAsync(absl::string_view film_id, const Film& patch,
                            const FilmFields& fields,
                            absl::string_view expected_etag,
                            WriteCallback done) {
  SubmitOne(UpdateOperation<Operation>(film_id, patch, fields, expected_etag),
            std::move(done));
}

void FilmStore::DeleteAsync(absl::string_view film_id,
                            absl::string_view expected_etag,
                            WriteCallback done) {
  SubmitOne(DeleteOperation<Operation>(film_id, expected_etag),
            std::move(done));
}

std::vector<FilmStore::Operation> FilmStore::ImportOperations(
    std::vector<ImportItem> items, bool replace_existing) {
  std::vector<Operation> ops(items.size());
  absl::flat_hash_set<absl::string_view> ids;
  for (size_t i = 0; i < items.size(); ++i) {
    ops[i].kind = Operation::Kind::kImport;
    ops[i].film_id = std::move(items[i].film_id);
    ops[i].repeated = !ids.insert(ops[i].film_id).second;
    ops[i].film = std::move(items[i].film);
    ClearOutputOnlyFields(&ops[i].film);
    ops[i].replace_existing = replace_existing;
  }
  return ops;
}

absl::StatusOr<std::vector<absl::StatusOr<WriteResult>>> FilmStore::Import(
    std::vector<ImportItem> items, bool replace_existing) {
  std::vector<Operation> ops =
      ImportOperations(std::move(items), replace_existing);
  REEL_RETURN_IF_ERROR(Write(&ops));
  std::vector<absl::StatusOr<WriteResult>> results;
  results.reserve(ops.size());
  for (Operation& op : ops) results.push_back(std::move(op.result));
  return results;
}

void FilmStore::ImportAsync(std::vector<ImportItem> items,
                            bool replace_existing, ImportCallback done) {
  // Owns the operations until the committing thread hands them back.
  struct Pending {
    Writer writer;
    std::vector<Operation> operations;
  };
  auto* pending = new Pending;
  pending->operations = ImportOperations(std::move(items), replace_existing);
  pending->writer.operations = &pending->operations;
  pending->writer.done = [pending,
                          done = std::move(done)](absl::Status status) mutable {
    std::unique_ptr<Pending> owned(pending);
    if (!status.ok()) {
      done(std::move(status));
      return;
    }
    std::vector<absl::StatusOr<WriteResult>> results;
    results.reserve(owned->operations.size());
    for (Operation& op : owned->operations) {
      results.push_back(std::move(op.result));
    }
    done(std::move(results));
  };
  Submit(&pending->writer);
}

absl::Status FilmStore::Write(std::vector<Operation>* operations) {
  // Unless it commits the write itself, the caller sleeps here until the
  // thread committing it is done.
  struct Waiter {
    absl::Mutex mutex;
    bool done ABSL_GUARDED_BY(mutex) = false;
    absl::Status status ABSL_GUARDED_BY(mutex);
  } waiter;
  Writer writer;
  writer.operations = operations;
  writer.done = [&waiter](absl::Status status) {
    // Set under the lock: the waiter may be gone as soon as it is released.
    absl::MutexLock lock(&waiter.mutex);
    waiter.status = std::move(status);
    waiter.done = true;
  };
  Submit(&writer);
  absl::MutexLock lock(&waiter.mutex);
  waiter.mutex.Await(absl::Condition(&waiter.done));
  return waiter.status;
}

void FilmStore::SubmitOne(Operation operation, WriteCallback done) {
  // Owns the operation until the committing thread hands it back.
  struct Pending {
    Writer writer;
    std::vector<Operation> operations;
  };
  auto* pending = new Pending;
  pending->operations.push_back(std::move(operation));
  pending->writer.operations = &pending->operations;
  pending->writer.done = [pending,
                          done = std::move(done)](absl::Status status) mutable {
    std::unique_ptr<Pending> owned(pending);
    if (status.ok()) {
      done(std::move(owned->operations[0].result));
    } else {
      done(std::move(status));
    }
  };
  Submit(&pending->writer);
}

void FilmStore::Submit(Writer* writer) {
  mutex_.Lock();
  if (stopping_) {
    mutex_.Unlock();
    auto done = std::move(writer->done);
    done(absl::UnavailableError("the catalog store is closing"));
    return;
  }
  writers_.push_back(writer);
  // Busy: the committer takes this write with the next group.
  if (committing_) {
    mutex_.Unlock();
    return;
  }
  // Idle: commit on this thread, as a lone writer would, rather than pay a
  // hand-off to the commit thread and back. Writers arriving meanwhile
  // queue; the commit thread takes them over, so this caller only ever
  // waits for one group.
  CommittedGroup committed = CommitNextGroup();
  if (!writers_.empty()) commit_wakeup_.Signal();
  mutex_.Unlock();
  // The next group may already be committing: completing this one is off
  // its path.
  Complete(&committed);
}

void FilmStore::CommitLoop() {
  absl::MutexLock lock(&mutex_);
  while (true) {
    while (!((!writers_.empty() && !committing_) ||
             (stopping_ && writers_.empty()))) {
      commit_wakeup_.Wait(&mutex_);
    }
    // Stopping drains the queue first: every queued write is completed.
    if (writers_.empty()) break;
    // The completion thread answers this group's writers while this thread
    // goes on to commit the writes that queued during its fsync.
    completions_.push_back(CommitNextGroup());
    completion_wakeup_.Signal();
  }
  commit_loop_done_ = true;
  completion_wakeup_.Signal();
}

void FilmStore::CompletionLoop() {
  absl::MutexLock lock(&mutex_);
  while (true) {
    while (completions_.empty() && !commit_loop_done_) {
      completion_wakeup_.Wait(&mutex_);
    }
    if (completions_.empty()) return;  // The commit thread has finished.
    CommittedGroup committed = std::move(completions_.front());
    completions_.pop_front();
    mutex_.Unlock();
    Complete(&committed);
    mutex_.Lock();
  }
}

FilmStore::CommittedGroup FilmStore::CommitNextGroup() {
  committing_ = true;
  CommittedGroup committed;
  size_t group_operations = 0;
  while (!writers_.empty()) {
    Writer* writer = writers_.front();
    if (!committed.writers.empty() &&
        group_operations + writer->operations->size() >
            options_.max_group_operations) {
      break;
    }
    committed.writers.push_back(writer);
    group_operations += writer->operations->size();
    writers_.pop_front();
  }
  mutex_.Unlock();
  committed.status = CommitGroup(committed.writers);
  committed_groups_.fetch_add(1, std::memory_order_relaxed);
  committed_writes_.fetch_add(committed.writers.size(),
                              std::memory_order_relaxed);
  committed_operations_.fetch_add(group_operations, std::memory_order_relaxed);
  mutex_.Lock();
  committing_ = false;
  return committed;
}

void FilmStore::Complete(CommittedGroup* committed) {
  for (Writer* writer : committed->writers) {
    auto done = std::move(writer->done);
    done(committed->status);  // May destroy *writer.
  }
}

CommitStats FilmStore::commit_stats() const {
  CommitStats stats;
  stats.groups = committed_groups_.load(std::memory_order_relaxed);
  stats.writes = committed_writes_.load(std::memory_order_relaxed);
  stats.operations = committed_operations_.load(std::memory_order_relaxed);
  return stats;
}

absl::Status FilmStore::CommitGroup(const std::vector<Writer*>& group) {
  GroupApplier applier(this, absl::Now());
  for (Writer* writer : group) {
    for (Operation& op : *writer->operations) applier.Apply(&op);
  }
  const int64_t revision = applier.last_revision();
  if (revision == this->revision()) return absl::OkStatus();  // Nothing to do.

  applier.batch()->Put(meta(), keys::kRevisionKey,
                       keys::EncodeRevision(revision));
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  // A write that fails for lack of space leaves RocksDB refusing writes; it
  // resumes on its own once its space check (every few seconds) finds room.
  // A manual DB::Resume() here would race that recovery, and with the disk
  // still full Debian's RocksDB aborts on an assertion.
  REEL_RETURN_IF_ERROR(WriteError(db_->Write(write_options, applier.batch()),
                                  "committing writes"));
  revision_.store(revision, std::memory_order_release);
  if (commit_listener_) commit_listener_(revision);
  return absl::OkStatus();
}

absl::Status FilmStore::Checkpoint(const std::string& dir) const {
  std::error_code error;
  if (std::filesystem::exists(dir, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint folder ", dir, " already exists"));
  }
  rocksdb::Checkpoint* raw_checkpoint = nullptr;
  REEL_RETURN_IF_ERROR(
      FromRocksDbStatus(rocksdb::Checkpoint::Create(db_.get(), &raw_checkpoint),
                        "preparing a checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw_checkpoint);
  // log_size_for_flush 0: always flush, so the copy's state is in its SSTs.
  return WriteError(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                    absl::StrCat("writing a checkpoint to ", dir));
}

absl::Status FilmStore::RunMaintenance() {
  absl::MutexLock maintenance_lock(&maintenance_mutex_);
  rocksdb::WriteBatch batch;
  const int64_t target = revision() - options_.change_retention_revisions;
  const int64_t floor = compacted_through();
  if (target > floor) {
    batch.DeleteRange(changes(), keys::EncodeRevision(floor + 1),
                      keys::EncodeRevision(target + 1));
    batch.Put(meta(), keys::kCompactedThroughKey, keys::EncodeRevision(target));
  }
  const absl::Time expiry = absl::Now() - options_.request_id_retention;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), requests()));
  int expired = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<keys::IdempotencyRecord> record =
        keys::DecodeIdempotencyRecord(keys::FromSlice(it->value()));
    if (!record.ok() || record->created < expiry) {
      batch.Delete(requests(), it->key());
      ++expired;
    }
  }
  REEL_RETURN_IF_ERROR(FromRocksDbStatus(it->status(), "scanning requests"));
  if (batch.Count() == 0) return absl::OkStatus();
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync_writes;
  REEL_RETURN_IF_ERROR(
      FromRocksDbStatus(db_->Write(write_options, &batch), "maintenance"));
  if (target > floor) {
    compacted_through_.store(target, std::memory_order_release);
    spdlog::info("change log compacted through revision {}", target);
  }
  if (expired > 0) spdlog::info("expired {} request ids", expired);
  return absl::OkStatus();
}

void FilmStore::MaintenanceLoop() {
  absl::MutexLock lock(&mutex_);
  while (!stopping_) {
    maintenance_wakeup_.WaitWithTimeout(&mutex_, options_.maintenance_interval);
    if (stopping_) break;
    mutex_.Unlock();
    if (absl::Status status = RunMaintenance(); !status.ok()) {
      spdlog::warn("catalog maintenance failed: {}", status.ToString());
    }
    mutex_.Lock();
  }
}

uint64_t FilmStore::ApproximateDiskBytes() const {
  uint64_t total = 0;
  for (auto* family : families_) {
    uint64_t bytes = 0;
    if (db_->GetIntProperty(family, "rocksdb.live-sst-files-size", &bytes)) {
      total += bytes;
    }
  }
  return total;
}

uint64_t FilmStore::AggregatedIntProperty(const std::string& property) const {
  uint64_t value = 0;
  return db_->GetAggregatedIntProperty(property, &value) ? value : 0;
}

}  // namespace reel::catalog
