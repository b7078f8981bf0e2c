// IndexStore: the search service's own RocksDB (separate from the catalog's)
// holding the films it has indexed and the catalog revision they reflect.
//
// Layout (default column family):
//   "film/" + film name  -> serialized reel.catalog.v1.Film
//   "revision"           -> applied catalog revision (8 bytes, big-endian)
//   "history_id"         -> the catalog history that revision belongs to
//                           (set by every snapshot; empty before one)
//
// Every write (Apply, Replace) puts the film changes and the revision in ONE
// WriteBatch, so the recorded revision always describes exactly the stored
// films, also after a crash.
//
// Durability: writes go to the WAL but are not fsync'ed. That is safe here:
// the catalog is the source of truth and replays every change after a given
// revision. A process crash loses nothing (the WAL is in the OS page cache);
// an OS crash or power loss may drop the newest batches, but RocksDB recovers
// a prefix of whole batches (point-in-time recovery), so the store comes
// back at some older revision R with exactly R's films, and the follower
// resumes WatchFilms from R. Paying an fsync per change would buy nothing.
//
// Not thread-safe for writers: one follower thread writes. Load() and
// DiskBytes() may run concurrently with writes.
#ifndef REEL_SEARCH_SERVICE_FEED_INDEX_STORE_H_
#define REEL_SEARCH_SERVICE_FEED_INDEX_STORE_H_

#include <rocksdb/db.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::search {

class IndexStore {
 public:
  // What the store holds: the films in name order and their revision.
  // A new store has revision 0 and no films.
  struct LoadedState {
    std::vector<reel::catalog::v1::Film> films;
    int64_t revision = 0;
    // The catalog history `revision` belongs to ("" when unknown).
    std::string history_id;
  };

  // Opens (or creates) the database in `dir`. UNAVAILABLE when the directory
  // is locked by another process or unreadable; DATA_LOSS on corruption.
  static absl::StatusOr<std::unique_ptr<IndexStore>> Open(
      const std::string& dir);

  IndexStore(const IndexStore&) = delete;
  IndexStore& operator=(const IndexStore&) = delete;
  ~IndexStore();

  // Reads every film and the revision from one consistent view. DATA_LOSS
  // when a record does not parse.
  absl::StatusOr<LoadedState> Load() const;

  // Upserts (SNAPSHOT, CREATED, UPDATED) or deletes (DELETED) each event's
  // film by event name, in order, and records `revision`, atomically.
  // INVALID_ARGUMENT (nothing written) for an event without a name, an
  // upsert without a film, or an unknown event type.
  absl::Status Apply(const std::vector<reel::catalog::v1::FilmEvent>& events,
                     int64_t revision);

  // Replaces every stored film with `films` and records `revision` and the
  // catalog `history_id` they belong to, atomically. INVALID_ARGUMENT
  // (nothing written) for a film without a name.
  absl::Status Replace(const std::vector<reel::catalog::v1::Film>& films,
                       int64_t revision, const std::string& history_id);

  // Approximate bytes of live SST files plus memtables.
  uint64_t DiskBytes() const;

 private:
  explicit IndexStore(std::unique_ptr<rocksdb::DB> db);
  absl::Status Commit(rocksdb::WriteBatch* batch, const char* what);

  const std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_FEED_INDEX_STORE_H_
