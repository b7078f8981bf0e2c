// RevisionWaiters: callbacks waiting for the index to reach a revision, each
// with a deadline. Advance() fires the reached ones; a timer thread fires the
// expired ones; Shutdown() fires the rest and refuses new ones. Lets
// read-your-writes searches wait without holding a thread. Thread-safe; the
// destructor shuts down.
#ifndef REEL_SEARCH_SERVICE_INDEX_REVISION_WAITERS_H_
#define REEL_SEARCH_SERVICE_INDEX_REVISION_WAITERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace reel::search {

// How a wait ended.
enum class WaitOutcome { kReached, kDeadline, kShutdown };

class RevisionWaiters {
 public:
  RevisionWaiters();
  ~RevisionWaiters();
  RevisionWaiters(const RevisionWaiters&) = delete;
  RevisionWaiters& operator=(const RevisionWaiters&) = delete;

  using Callback = std::function<void(WaitOutcome)>;

  // Registers `done` unless `current >= revision` (runs now with kReached)
  // or the waiters are shut down (runs now with kShutdown).
  void Add(int64_t revision, int64_t current, absl::Time deadline,
           Callback done);
  // Fires (kReached) every waiter whose revision is <= `revision`.
  void Advance(int64_t revision);
  // Fires every pending waiter with kShutdown and refuses new ones.
  void Shutdown();
  // Waiters registered and not yet fired.
  size_t pending() const;

 private:
  struct Waiter {
    int64_t revision;
    absl::Time deadline;
    Callback done;
  };
  void TimerLoop();

  mutable absl::Mutex mutex_;
  absl::CondVar wakeup_;  // A waiter was added, or stopping_ was set.
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 0;
  std::map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mutex_);
  int64_t revision_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread timer_;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_REVISION_WAITERS_H_
