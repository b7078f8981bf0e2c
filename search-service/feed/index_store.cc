#include "search-service/feed/index_store.h"

#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status/rocksdb_status.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;

constexpr char kFilmPrefix[] = "film/";
// The first key after every "film/..." key ('0' follows '/').
constexpr char kFilmEnd[] = "film0";
constexpr char kRevisionKey[] = "revision";
constexpr char kHistoryIdKey[] = "history_id";

// Debian's Abseil has its own string_view, so bridge it to RocksDB's Slice.
rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}
absl::string_view FromSlice(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

std::string FilmKey(absl::string_view name) {
  return absl::StrCat(kFilmPrefix, name);
}

// Big-endian, like the catalog's counters.
std::string EncodeRevision(int64_t revision) {
  std::string bytes(8, '\0');
  uint64_t value = static_cast<uint64_t>(revision);
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return bytes;
}

absl::StatusOr<int64_t> DecodeRevision(absl::string_view bytes) {
  if (bytes.size() != 8) {
    return absl::DataLossError(absl::StrCat("index store: revision record has ",
                                            bytes.size(), " bytes, not 8"));
  }
  uint64_t value = 0;
  for (unsigned char c : bytes) value = (value << 8) | c;
  return static_cast<int64_t>(value);
}

absl::Status CheckRevision(int64_t revision) {
  if (revision < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("revision: must not be negative, got ", revision));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<IndexStore>> IndexStore::Open(
    const std::string& dir) {
  if (dir.empty()) {
    return absl::InvalidArgumentError("index store directory: is required");
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  options.keep_log_file_num = 5;
  options.max_total_wal_size = 256 << 20;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::DB* raw_db = nullptr;
  absl::Status status =
      FromRocksDbStatus(rocksdb::DB::Open(options, dir, &raw_db),
                        absl::StrCat("opening index store at ", dir));
  if (!status.ok()) return status;
  return std::unique_ptr<IndexStore>(
      new IndexStore(std::unique_ptr<rocksdb::DB>(raw_db)));
}

IndexStore::IndexStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

IndexStore::~IndexStore() {
  if (db_ != nullptr) {
    rocksdb::Status status = db_->Close();
    if (!status.ok()) {
      spdlog::warn("closing index store: {}", status.ToString());
    }
  }
}

absl::StatusOr<IndexStore::LoadedState> IndexStore::Load() const {
  // One snapshot for both the revision and the films.
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  struct Release {
    rocksdb::DB* db;
    const rocksdb::Snapshot* snapshot;
    ~Release() { db->ReleaseSnapshot(snapshot); }
  } release{db_.get(), snapshot};

  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  LoadedState state;
  std::string value;
  rocksdb::Status status = db_->Get(read_options, kRevisionKey, &value);
  if (status.ok()) {
    absl::StatusOr<int64_t> revision = DecodeRevision(value);
    if (!revision.ok()) return revision.status();
    state.revision = *revision;
  } else if (!status.IsNotFound()) {
    return FromRocksDbStatus(status, "reading index store revision");
  }
  status = db_->Get(read_options, kHistoryIdKey, &state.history_id);
  if (!status.ok() && !status.IsNotFound()) {
    return FromRocksDbStatus(status, "reading index store history id");
  }

  rocksdb::Slice end(kFilmEnd);
  read_options.iterate_upper_bound = &end;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  for (it->Seek(kFilmPrefix); it->Valid(); it->Next()) {
    Film& film = state.films.emplace_back();
    if (!film.ParseFromArray(it->value().data(),
                             static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("index store: film record ",
                                              FromSlice(it->key()),
                                              " does not parse"));
    }
  }
  absl::Status iterate = FromRocksDbStatus(it->status(), "reading index store");
  if (!iterate.ok()) return iterate;
  return state;
}

absl::Status IndexStore::Apply(const std::vector<FilmEvent>& events,
                               int64_t revision) {
  if (absl::Status status = CheckRevision(revision); !status.ok()) {
    return status;
  }
  rocksdb::WriteBatch batch;
  std::string value;
  for (size_t i = 0; i < events.size(); ++i) {
    const FilmEvent& event = events[i];
    if (event.name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "].name: is required"));
    }
    const std::string key = FilmKey(event.name());
    switch (event.type()) {
      case FilmEvent::EVENT_TYPE_SNAPSHOT:
      case FilmEvent::EVENT_TYPE_CREATED:
      case FilmEvent::EVENT_TYPE_UPDATED:
        if (!event.has_film()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "events[", i, "].film: is required for ", event.name()));
        }
        value.clear();
        event.film().SerializeToString(&value);
        batch.Put(ToSlice(key), ToSlice(value));
        break;
      case FilmEvent::EVENT_TYPE_DELETED:
        batch.Delete(ToSlice(key));
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "events[", i, "].type: unsupported event type ",
            static_cast<int>(event.type()), " for ", event.name()));
    }
  }
  batch.Put(kRevisionKey, ToSlice(EncodeRevision(revision)));
  return Commit(&batch, "applying changes to index store");
}

absl::Status IndexStore::Replace(const std::vector<Film>& films,
                                 int64_t revision,
                                 const std::string& history_id) {
  if (absl::Status status = CheckRevision(revision); !status.ok()) {
    return status;
  }
  rocksdb::WriteBatch batch;
  // Later entries of a batch get higher sequence numbers, so the puts below
  // survive the range deletion that precedes them.
  batch.DeleteRange(kFilmPrefix, kFilmEnd);
  std::string value;
  for (size_t i = 0; i < films.size(); ++i) {
    const Film& film = films[i];
    if (film.name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("films[", i, "].name: is required"));
    }
    value.clear();
    film.SerializeToString(&value);
    batch.Put(ToSlice(FilmKey(film.name())), ToSlice(value));
  }
  batch.Put(kRevisionKey, ToSlice(EncodeRevision(revision)));
  batch.Put(kHistoryIdKey, ToSlice(history_id));
  return Commit(&batch, "replacing index store contents");
}

uint64_t IndexStore::DiskBytes() const {
  uint64_t sst = 0;
  uint64_t memtables = 0;
  db_->GetIntProperty("rocksdb.live-sst-files-size", &sst);
  // Memtable contents are on disk in the WAL until flushed.
  db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &memtables);
  return sst + memtables;
}

absl::Status IndexStore::Commit(rocksdb::WriteBatch* batch, const char* what) {
  rocksdb::WriteOptions write_options;
  write_options.sync = false;  // See the header: atomicity is what matters.
  return FromRocksDbStatus(db_->Write(write_options, batch), what);
}

}  // namespace reel::search
