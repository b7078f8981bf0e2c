// LiveIndex: the searchable scene index the search service serves from,
// together with the catalog revision it reflects.
//
// Writers (the catalog follower, one thread) apply change batches or swap in a
// whole snapshot; readers search concurrently and always see a state that
// corresponds exactly to one applied revision. Readers that need a newer
// revision (read-your-writes) wait for it with a deadline.
//
// Thread-safe.
#ifndef REEL_SEARCH_SERVICE_INDEX_LIVE_INDEX_H_
#define REEL_SEARCH_SERVICE_INDEX_LIVE_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "reel/catalog/v1/catalog.pb.h"
#include "search-service/index/revision_waiters.h"
#include "search-service/index/scene_index.h"

namespace reel::search {

class LiveIndex {
 public:
  explicit LiveIndex(std::shared_ptr<const text::Analyzer> analyzer);

  // Applies catalog events (CREATED/UPDATED/SNAPSHOT upsert a film, DELETED
  // removes it) and records `revision` as applied, atomically for readers.
  void Apply(const std::vector<reel::catalog::v1::FilmEvent>& events,
             int64_t revision);

  // Replaces the whole index with `films` at `revision` (a fresh snapshot).
  // The new index is built before the swap, so searches continue meanwhile.
  void Replace(const std::vector<reel::catalog::v1::Film>& films,
               int64_t revision);

  // Runs `query` against the current state and sets *revision (if not
  // null) to the revision that state reflects. Never waits on a writer for
  // longer than one Apply.
  SearchResult Search(const ParsedQuery& query, const SearchOptions& options,
                      int64_t* revision = nullptr) const;

  int64_t applied_revision() const;
  // True once Apply or Replace has run at least once.
  bool ready() const;

  // Calls `done(kReached)` once applied_revision() >= revision (at once if
  // it already is), `done(kDeadline)` when `deadline` passes first, or
  // `done(kShutdown)` on CancelWaits(). `done` runs on the writer's, the
  // timer's or the caller's thread: keep it short (e.g. start a search).
  void NotifyWhenApplied(int64_t revision, absl::Time deadline,
                         RevisionWaiters::Callback done) const;
  // Ends every pending and future wait with kShutdown (server draining).
  void CancelWaits() const { waiters_.Shutdown(); }
  // Searches waiting for a revision right now.
  size_t pending_waits() const { return waiters_.pending(); }

  IndexStats stats() const;

 private:
  std::shared_ptr<const text::Analyzer> analyzer_;
  // Searches hold it shared; Apply, Replace and the compaction swap hold it
  // exclusively.
  mutable absl::Mutex mutex_;
  std::unique_ptr<SceneIndex> index_ ABSL_GUARDED_BY(mutex_);
  int64_t revision_ ABSL_GUARDED_BY(mutex_) = 0;
  bool ready_ ABSL_GUARDED_BY(mutex_) = false;

  mutable RevisionWaiters waiters_;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_LIVE_INDEX_H_
