// FilmStore: the catalog's films, change log and revision counter in RocksDB.
//
// Every write is assigned the next global revision and committed as one
// WriteBatch (film record + change-log entry + revision counter), so a crash
// leaves either all of it or none. With `sync_writes` (the default) the WAL is
// fsync'ed before a write returns OK: an acknowledged write survives kill -9.
//
// Concurrent writers are group-committed (LevelDB's writer queue): callers
// queue their writes; one group at a time is committed, everything queued at
// its head in one batch and one fsync, then each of its writes is completed.
// A writer that finds no commit in progress commits on its own thread, so a
// lone writer pays no hand-off; writes queued meanwhile are taken over by the
// store's commit thread, which keeps committing while anything is queued, so
// writes queued during one group's fsync form the next group. The commit
// thread hands each group it committed to the store's completion thread, so
// answering one group's writers overlaps the next group's fsync. Preconditions
// (existence, etags, idempotency keys) are checked in revision order inside
// the group, so the outcome is as if the writes had run one at a time.
//
// Writes come in two forms: blocking (Create, Update, Delete, Import) and
// asynchronous (CreateAsync, UpdateAsync, DeleteAsync), which call `done`
// once the write is durable or has failed: before returning when they
// committed on the caller's thread, else later from the completion thread.
// The asynchronous form holds no thread while a queued write waits,
// which is what lets the gRPC edge keep many writes in flight cheaply.
//
// Reads (Get, List, ReadChanges, snapshots) never wait for writers.
// Thread-safe. Example:
//
//   REEL_ASSIGN_OR_RETURN(auto store, FilmStore::Open({.path = dir}));
//   REEL_ASSIGN_OR_RETURN(Film film, store->Create("the-red-shoes", film, ""));
//   REEL_ASSIGN_OR_RETURN(Film same, store->Get("the-red-shoes"));
#ifndef REEL_CATALOG_SERVICE_STORE_FILM_STORE_H_
#define REEL_CATALOG_SERVICE_STORE_FILM_STORE_H_

#include <rocksdb/db.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "catalog-service/model/film_update.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

struct FilmStoreOptions {
  // Directory of the RocksDB database; created if missing.
  std::string path;

  // --- Behaviour ---
  // fsync the WAL before acknowledging a write. Turning it off speeds up bulk
  // loads but a crash may lose the last acknowledged writes.
  bool sync_writes = true;
  // How many revisions of change history WatchFilms can replay. Older entries
  // are removed by maintenance; watching from before them is OUT_OF_RANGE.
  int64_t change_retention_revisions = 100'000;
  // How long a CreateFilm request_id is remembered for retries.
  absl::Duration request_id_retention = absl::Hours(24);
  // How often maintenance (history and request-id expiry) runs; zero
  // disables the background thread (tests call RunMaintenance()).
  absl::Duration maintenance_interval = absl::Minutes(1);
  // Give the database a new history id at open, replacing the one it has
  // (a database restored from a backup must not share its source's
  // history: see history_id()).
  bool new_history = false;

  // --- Performance ---
  // RocksDB block cache shared by all column families.
  size_t block_cache_bytes = 64 << 20;
  // Most operations one group commit takes from the queue.
  size_t max_group_operations = 4096;
};

// What one write did: the film as stored (empty after a delete) and the
// revision the write was given.
struct WriteResult {
  reel::catalog::v1::Film film;
  int64_t revision = 0;
};

// One film of an import batch.
struct ImportItem {
  std::string film_id;
  reel::catalog::v1::Film film;
};

// Completes an asynchronous write. Runs exactly once, after the write is
// durable (or has failed): on the caller's thread (before the call returns)
// when it committed there, else on the store's completion thread. Keep it
// cheap and never call a blocking FilmStore write from it (that would wait
// for itself).
using WriteCallback = absl::AnyInvocable<void(absl::StatusOr<WriteResult>)>;
// Completes an asynchronous import, like WriteCallback: one outcome per item,
// or a non-OK status when nothing was written.
using ImportCallback = absl::AnyInvocable<void(
    absl::StatusOr<std::vector<absl::StatusOr<WriteResult>>>)>;

// Group commit counters since the store was opened.
struct CommitStats {
  uint64_t groups = 0;      // Commits (one WriteBatch and one fsync each).
  uint64_t writes = 0;      // Write calls committed in those groups.
  uint64_t operations = 0;  // Films written or rejected (import items count).
};

class FilmSnapshot;

class FilmStore {
 public:
  // Opens (or creates, mode 0700) the database, recovers the revision
  // counter and runs maintenance once. UNAVAILABLE when the directory is
  // locked by another process ("data dir X is in use by another process
  // (lock file X/LOCK)") or unreadable; DATA_LOSS when RocksDB finds
  // corruption.
  static absl::StatusOr<std::unique_ptr<FilmStore>> Open(
      const FilmStoreOptions& options);

  FilmStore(const FilmStore&) = delete;
  FilmStore& operator=(const FilmStore&) = delete;
  // Commits the writes already queued (completing asynchronous ones), stops
  // the commit and maintenance threads and closes the database. No blocking
  // call may be in progress and every FilmSnapshot must have been destroyed.
  ~FilmStore();

  // --- Reads ---
  // NOT_FOUND when there is no such film.
  absl::StatusOr<reel::catalog::v1::Film> Get(absl::string_view film_id) const;

  struct ListPage {
    std::vector<reel::catalog::v1::Film> films;
    bool has_more = false;  // More films follow the last one returned.
    int64_t revision = 0;   // The revision the page was read at.
  };
  // Up to `limit` films with ids after `after_id` ("" = from the start), in
  // id order, read from one consistent view.
  absl::StatusOr<ListPage> List(absl::string_view after_id, int limit) const;

  // The id of this database's history: random, made when the database was
  // created and replaced when it is restored from a backup. Two catalogs
  // with the same revision number hold the same films only when their
  // history ids are equal too.
  const std::string& history_id() const { return history_id_; }
  // The database's directory.
  const std::string& path() const { return options_.path; }

  // The newest committed revision (0 for an empty catalog).
  int64_t revision() const { return revision_.load(std::memory_order_acquire); }
  // The newest revision removed from the change log (0 if none was); changes
  // after it can be replayed.
  int64_t compacted_through() const {
    return compacted_through_.load(std::memory_order_acquire);
  }

  // Appends to `events` the changes with revision > after_revision, in order,
  // stopping after `max_events` or once `max_bytes` of events are collected
  // (at least one event is returned when any is available). OUT_OF_RANGE when
  // those changes were compacted or after_revision is ahead of the catalog.
  absl::Status ReadChanges(
      int64_t after_revision, size_t max_events, size_t max_bytes,
      std::vector<reel::catalog::v1::FilmEvent>* events) const;

  // A consistent read-only view of every film at the current revision.
  std::unique_ptr<FilmSnapshot> TakeSnapshot() const;

  // --- Writes ---
  // Creates films/{film_id}. ALREADY_EXISTS when it exists. With a non-empty
  // request_id, a retry of the same request returns the first result without
  // writing; reusing the id for a different request is INVALID_ARGUMENT.
  // `film` must already be valid (ValidateFilm); output-only fields are
  // replaced.
  absl::StatusOr<WriteResult> Create(absl::string_view film_id,
                                     reel::catalog::v1::Film film,
                                     absl::string_view request_id);

  // Replaces `fields` of the film with those of `patch`, then validates the
  // result (INVALID_ARGUMENT). NOT_FOUND when missing; ABORTED when
  // `expected_etag` is non-empty and not the current etag.
  absl::StatusOr<WriteResult> Update(absl::string_view film_id,
                                     const reel::catalog::v1::Film& patch,
                                     const FilmFields& fields,
                                     absl::string_view expected_etag);

  // Deletes the film; NOT_FOUND / ABORTED as for Update.
  absl::StatusOr<WriteResult> Delete(absl::string_view film_id,
                                     absl::string_view expected_etag);

  // The same three writes with a callback: `done` gets what the blocking
  // form would have returned. When no commit is in progress the write is
  // committed on the calling thread and `done` runs before the call returns;
  // otherwise the call queues the write and returns at once. Writes
  // submitted while the store is closing fail with UNAVAILABLE.
  void CreateAsync(absl::string_view film_id, reel::catalog::v1::Film film,
                   absl::string_view request_id, WriteCallback done);
  void UpdateAsync(absl::string_view film_id,
                   const reel::catalog::v1::Film& patch,
                   const FilmFields& fields, absl::string_view expected_etag,
                   WriteCallback done);
  void DeleteAsync(absl::string_view film_id, absl::string_view expected_etag,
                   WriteCallback done);

  // Creates (or, with replace_existing, replaces) every item in one atomic,
  // durable batch. Returns one status per item: an item that conflicts
  // (ALREADY_EXISTS) or repeats an earlier item's id is rejected alone; the
  // others are written. A non-OK return means nothing was written.
  absl::StatusOr<std::vector<absl::StatusOr<WriteResult>>> Import(
      std::vector<ImportItem> items, bool replace_existing);
  // The same import with a callback, as CreateAsync is to Create: `done`
  // gets what Import would have returned, possibly before this returns.
  void ImportAsync(std::vector<ImportItem> items, bool replace_existing,
                   ImportCallback done);

  // Called after every commit with the newest revision, from the commit
  // thread, in revision order, before the group's writes are completed. Keep
  // it cheap (e.g. wake a thread). Set before any write.
  void SetCommitListener(std::function<void(int64_t revision)> listener);

  // Removes change history beyond the retention and expired request ids.
  // Runs once at Open (so a store restarted more often than the interval
  // still trims), then periodically unless maintenance_interval is zero.
  absl::Status RunMaintenance();

  // How many groups, writes and operations have been committed; writes ÷
  // groups is the mean group size.
  CommitStats commit_stats() const;

  // Writes a consistent copy of the database as it is now into `dir`, which
  // must not exist (RocksDB's Checkpoint: files are hard-linked when `dir` is
  // on the same filesystem, copied otherwise; the memtables are flushed
  // first, so the copy needs no WAL replay beyond its own). Writes continue
  // meanwhile. Errors: FAILED_PRECONDITION when `dir` exists,
  // RESOURCE_EXHAUSTED on a full disk, others as RocksDB reports them.
  absl::Status Checkpoint(const std::string& dir) const;

  // Approximate RocksDB figures for status pages: live data bytes on disk.
  uint64_t ApproximateDiskBytes() const;
  // A RocksDB integer property summed over the column families, e.g.
  // "rocksdb.cur-size-all-mem-tables"; 0 when RocksDB does not know it.
  uint64_t AggregatedIntProperty(const std::string& property) const;

 private:
  struct Operation;
  struct Writer;
  class GroupApplier;

  FilmStore(FilmStoreOptions options, std::unique_ptr<rocksdb::DB> db,
            std::vector<rocksdb::ColumnFamilyHandle*> families,
            int64_t revision, int64_t compacted_through,
            std::string history_id);

  static std::vector<Operation> ImportOperations(std::vector<ImportItem> items,
                                                 bool replace_existing);
  // Queues `operations`, waits until a group commit has applied them, and
  // returns their outcomes (same order). Non-OK: nothing was written.
  absl::Status Write(std::vector<Operation>* operations);
  // A committed group: its writers, in order, and the commit's outcome.
  struct CommittedGroup {
    std::vector<Writer*> writers;
    absl::Status status;
  };
  // Queues `writer` and, when no group is being committed, commits the
  // queue's head group on the calling thread and completes it there;
  // otherwise the commit thread will. writer->done (which hands the Writer
  // back) runs once committed.
  void Submit(Writer* writer);
  // Takes the group at the head of the queue and commits it, returning it
  // for Complete(). Called with mutex_ held and committing_ false; releases
  // it meanwhile, and clears committing_ before returning, so the next group
  // can commit while this one's writers are being answered.
  CommittedGroup CommitNextGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Runs each writer's done callback, in order. Called without mutex_.
  static void Complete(CommittedGroup* committed);
  // Queues one operation and calls `done` with its outcome when committed.
  void SubmitOne(Operation operation, WriteCallback done);
  // Commits `group` (the queue's head): checks preconditions in order, builds
  // one WriteBatch, writes it. Runs without mutex_, holding committing_.
  absl::Status CommitGroup(const std::vector<Writer*>& group);
  void CommitLoop();
  void CompletionLoop();
  void MaintenanceLoop();

  rocksdb::ColumnFamilyHandle* films() const { return families_[1]; }
  rocksdb::ColumnFamilyHandle* changes() const { return families_[2]; }
  rocksdb::ColumnFamilyHandle* requests() const { return families_[3]; }
  rocksdb::ColumnFamilyHandle* meta() const { return families_[0]; }

  // Constant after construction.
  const FilmStoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;

  const std::string history_id_;
  std::atomic<int64_t> revision_;
  std::atomic<int64_t> compacted_through_;

  absl::Mutex mutex_;
  // Front commits next.
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mutex_);
  // A group is being committed (by the commit thread or a caller). One at a
  // time: that is what keeps revisions in queue order.
  bool committing_ ABSL_GUARDED_BY(mutex_) = false;
  // Set under mutex_ before any write; read by the committing thread.
  std::function<void(int64_t)> commit_listener_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  absl::CondVar commit_wakeup_;  // Writers queued, or stopping_.
  std::thread commit_thread_;
  // Groups the commit thread committed, oldest first, for the completion
  // thread to answer; commit_loop_done_ once the commit thread has drained
  // the queue and left.
  std::deque<CommittedGroup> completions_ ABSL_GUARDED_BY(mutex_);
  bool commit_loop_done_ ABSL_GUARDED_BY(mutex_) = false;
  absl::CondVar completion_wakeup_;
  std::thread completion_thread_;
  std::atomic<uint64_t> committed_groups_{0};
  std::atomic<uint64_t> committed_writes_{0};
  std::atomic<uint64_t> committed_operations_{0};
  absl::CondVar maintenance_wakeup_;
  std::thread maintenance_thread_;
  absl::Mutex maintenance_mutex_;  // Serializes RunMaintenance().

  friend class FilmSnapshot;
};

// A point-in-time view of every film, pinned until destroyed. Used for
// WatchFilms snapshots. Must not outlive its FilmStore.
class FilmSnapshot {
 public:
  ~FilmSnapshot();
  FilmSnapshot(const FilmSnapshot&) = delete;
  FilmSnapshot& operator=(const FilmSnapshot&) = delete;

  // The revision the view is at.
  int64_t revision() const { return revision_; }

  // Appends films with ids after `after_id` in id order, up to `max_films` or
  // `max_bytes` (at least one film when any remains). Sets *done when the
  // view has no more films after those returned.
  absl::Status ReadFilms(absl::string_view after_id, size_t max_films,
                         size_t max_bytes,
                         std::vector<reel::catalog::v1::Film>* films,
                         bool* done) const;

 private:
  friend class FilmStore;
  FilmSnapshot(const FilmStore* store, const rocksdb::Snapshot* snapshot,
               int64_t revision)
      : store_(store), snapshot_(snapshot), revision_(revision) {}

  const FilmStore* store_;
  const rocksdb::Snapshot* snapshot_;
  int64_t revision_;
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_STORE_FILM_STORE_H_
