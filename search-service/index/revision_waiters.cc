#include "search-service/index/revision_waiters.h"

#include <algorithm>
#include <utility>

namespace reel::search {

RevisionWaiters::RevisionWaiters() : timer_([this] { TimerLoop(); }) {}

RevisionWaiters::~RevisionWaiters() {
  Shutdown();
  timer_.join();
}

void RevisionWaiters::Shutdown() {
  std::map<uint64_t, Waiter> pending;
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    pending.swap(waiters_);
    wakeup_.SignalAll();
  }
  for (auto& [id, waiter] : pending) waiter.done(WaitOutcome::kShutdown);
}

void RevisionWaiters::Add(int64_t revision, int64_t current,
                          absl::Time deadline, Callback done) {
  WaitOutcome outcome;
  {
    absl::MutexLock lock(&mutex_);
    current = std::max(current, revision_);
    if (current >= revision) {
      outcome = WaitOutcome::kReached;
    } else if (stopping_) {
      outcome = WaitOutcome::kShutdown;
    } else {
      waiters_.emplace(next_id_++, Waiter{revision, deadline, std::move(done)});
      wakeup_.SignalAll();
      return;
    }
  }
  done(outcome);
}

size_t RevisionWaiters::pending() const {
  absl::MutexLock lock(&mutex_);
  return waiters_.size();
}

void RevisionWaiters::Advance(int64_t revision) {
  std::vector<Callback> reached;
  {
    absl::MutexLock lock(&mutex_);
    revision_ = std::max(revision_, revision);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.revision <= revision_) {
        reached.push_back(std::move(it->second.done));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& done : reached) done(WaitOutcome::kReached);
}

void RevisionWaiters::TimerLoop() {
  mutex_.Lock();
  while (!stopping_) {
    absl::Time next = absl::InfiniteFuture();
    for (const auto& [id, waiter] : waiters_)
      next = std::min(next, waiter.deadline);
    // An infinite deadline waits for a signal alone.
    wakeup_.WaitWithDeadline(&mutex_, next);
    const absl::Time now = absl::Now();
    std::vector<Callback> expired;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.done));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    mutex_.Unlock();  // Callbacks may call back into Add().
    for (auto& done : expired) done(WaitOutcome::kDeadline);
    mutex_.Lock();
  }
  mutex_.Unlock();
}

}  // namespace reel::search
