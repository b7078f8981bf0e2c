#include "search-service/index/revision_waiters.h"

#include <utility>

namespace reel::search {

RevisionWaiters::RevisionWaiters() : timer_([this] { TimerLoop(); }) {}

RevisionWaiters::~RevisionWaiters() {
  std::map<uint64_t, Waiter> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    pending.swap(waiters_);
  }
  wakeup_.notify_all();
  timer_.join();
  for (auto& [id, waiter] : pending) waiter.done(false);
}

void RevisionWaiters::Add(int64_t revision, int64_t current,
                          absl::Time deadline, std::function<void(bool)> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current = std::max(current, revision_);
    if (current < revision && !stopping_) {
      waiters_.emplace(next_id_++, Waiter{revision, deadline, std::move(done)});
      wakeup_.notify_all();
      return;
    }
  }
  done(current >= revision);
}

void RevisionWaiters::Advance(int64_t revision) {
  std::vector<std::function<void(bool)>> reached;
  {
    std::lock_guard<std::mutex> lock(mutex_);
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
  for (auto& done : reached) done(true);
}

void RevisionWaiters::TimerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    absl::Time next = absl::InfiniteFuture();
    for (const auto& [id, waiter] : waiters_)
      next = std::min(next, waiter.deadline);
    if (next == absl::InfiniteFuture()) {
      wakeup_.wait(lock);
    } else {
      wakeup_.wait_for(lock, absl::ToChronoNanoseconds(std::max(
                                 absl::ZeroDuration(), next - absl::Now())));
    }
    const absl::Time now = absl::Now();
    std::vector<std::function<void(bool)>> expired;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.done));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (auto& done : expired) done(false);
    lock.lock();
  }
}

}  // namespace reel::search
