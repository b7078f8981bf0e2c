#include "catalog-service/watch/watch_hub.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catalog-service/watch/watch_stream.h"

namespace reel::catalog {

using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;

// History ids are 32 hex digits; a request may name at most this many bytes.
constexpr size_t kMaxHistoryIdBytes = 64;

WatchHub::WatchHub(FilmStore* store, WatchOptions options)
    : store_(store), options_(options) {
  const int builders = std::max(1, options_.build_threads);
  for (int i = 0; i < builders; ++i) {
    builders_.emplace_back([this] { BuildLoop(); });
    pthread_setname_np(builders_.back().native_handle(), "watch-build");
  }
  thread_ = std::thread([this] { Run(); });
  pthread_setname_np(thread_.native_handle(), "watch-hub");
}

WatchHub::~WatchHub() {
  Shutdown();
  if (thread_.joinable()) thread_.join();
  for (std::thread& builder : builders_) builder.join();
  // Builders drain the queue before leaving; anything queued since holds a
  // reference only.
  std::deque<WatchStream*> left;
  {
    absl::MutexLock lock(&mutex_);
    left.swap(queue_);
  }
  for (WatchStream* stream : left) stream->Unref();
}

grpc::ServerWriteReactor<WatchFilmsResponse>* WatchHub::Watch(
    grpc::CallbackServerContext* context, const WatchFilmsRequest* request) {
  std::optional<grpc::Status> rejection;
  if (request->start_revision() < 0) {
    rejection =
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("start_revision: ", request->start_revision(),
                                  " is negative; use 0 for a snapshot"));
  } else if (request->history_id().size() > kMaxHistoryIdBytes) {
    rejection =
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("history_id: ", request->history_id().size(),
                                  " bytes long; at most ", kMaxHistoryIdBytes));
  } else if (!request->history_id().empty() &&
             request->history_id() != store_->history_id()) {
    // The same revision numbers name other changes in this history: resuming
    // would silently mix two catalogs.
    rejection = grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("history_id: the catalog's history is ",
                     store_->history_id(), ", not ", request->history_id(),
                     " (it was restored from a backup or replaced); start "
                     "again from a snapshot (start_revision 0)"));
  }
  if (rejection.has_value()) {
    auto* stream = new WatchStream(this, context, -1);
    {
      absl::MutexLock lock(&mutex_);
      stream->hub_->mutex_.AssertHeld();
      stream->state_ = WatchStream::State::kFinished;
    }
    stream->Finish(*rejection);
    return stream;
  }
  auto* stream = new WatchStream(this, context, request->start_revision());
  {
    absl::MutexLock lock(&mutex_);
    stream->hub_->mutex_.AssertHeld();
    if (!stopping_) {
      streams_.insert(stream);
      // Built by a builder thread, not on this gRPC thread.
      EnqueueLocked(stream);
      return stream;
    }
    stream->state_ = WatchStream::State::kFinished;
  }
  stream->Finish(ShuttingDownStatus());
  return stream;
}

grpc::Status WatchHub::ShuttingDownStatus() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "catalog is shutting down; reconnect and resume from "
                      "the last revision received");
}

void WatchHub::EnqueueLocked(WatchStream* stream) {
  stream->hub_->mutex_.AssertHeld();  // The same mutex, for the analysis.
  stream->state_ = WatchStream::State::kQueued;
  stream->Ref();
  queue_.push_back(stream);
  work_ready_.Signal();
}

void WatchHub::OnCommit(int64_t revision) {
  absl::MutexLock lock(&mutex_);
  if (commit_pending_) return;
  commit_pending_ = true;
  wakeup_.Signal();
}

void WatchHub::Shutdown() {
  std::vector<WatchStream*> streams;
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (WatchStream* stream : streams_) {
      stream->Ref();
      streams.push_back(stream);
    }
    wakeup_.SignalAll();
    work_ready_.SignalAll();
  }
  for (WatchStream* stream : streams) {
    stream->End(ShuttingDownStatus());
    stream->Unref();
  }
}

size_t WatchHub::active_streams() const {
  absl::MutexLock lock(&mutex_);
  return streams_.size();
}

void WatchHub::Unregister(WatchStream* stream) {
  absl::MutexLock lock(&mutex_);
  streams_.erase(stream);
  idle_.erase(stream);
}

void WatchHub::BuildLoop() {
  // Building (and the socket writes gRPC does inline from StartWrite) is
  // background work: on a busy machine the writers' threads go first.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  while (true) {
    WatchStream* stream;
    {
      absl::MutexLock lock(&mutex_);
      while (queue_.empty() && !stopping_) work_ready_.Wait(&mutex_);
      if (queue_.empty()) return;  // Stopping, and nothing left to finish.
      stream = queue_.front();
      queue_.pop_front();
    }
    const int64_t bytes = stream->Build();  // One message: streams take turns.
    stream->Unref();
    Spend(bytes);
  }
}

void WatchHub::Spend(int64_t bytes) {
  const int64_t rate = options_.max_bytes_per_second;
  if (rate <= 0 || bytes <= 0) return;
  absl::Duration wait;
  {
    absl::MutexLock lock(&budget_mutex_);
    const absl::Time now = absl::Now();
    // At most one second of burst.
    budget_bytes_ = std::min<double>(
        rate, budget_bytes_ + absl::ToDoubleSeconds(now - budget_refilled_) *
                                  static_cast<double>(rate));
    budget_refilled_ = now;
    budget_bytes_ -= static_cast<double>(bytes);
    if (budget_bytes_ >= 0) return;
    wait = absl::Seconds(-budget_bytes_ / static_cast<double>(rate));
  }
  // Only this builder waits; the hub thread keeps checking stalls.
  absl::SleepFor(std::min(wait, absl::Seconds(1)));
}

void WatchHub::Run() {
  // Ticks often enough to notice progress and stall deadlines promptly.
  const absl::Duration tick = std::clamp(
      std::min(options_.progress_interval, options_.stall_timeout) / 4,
      absl::Milliseconds(5), absl::Seconds(1));
  enum class Action { kStalled, kCancel };
  std::vector<std::pair<WatchStream*, Action>> actions;
  absl::Time next_scan = absl::Now();
  mutex_.Lock();
  while (!stopping_) {
    if (!commit_pending_) {
      wakeup_.WaitWithTimeout(
          &mutex_, std::max(next_scan - absl::Now(), absl::ZeroDuration()));
    }
    if (stopping_) break;
    if (commit_pending_) {
      commit_pending_ = false;
      for (WatchStream* stream : idle_) EnqueueLocked(stream);
      idle_.clear();
    }
    const absl::Time now = absl::Now();
    if (now < next_scan) continue;
    next_scan = now + tick;
    for (WatchStream* stream : streams_) {
      stream->hub_->mutex_.AssertHeld();
      switch (stream->state_) {
        case WatchStream::State::kWriting:
          if (stream->handed_ &&
              now - stream->write_started_ >= options_.stall_timeout) {
            stream->state_ = WatchStream::State::kFinished;
            stream->stalled_ = true;
            stream->finished_at_ = now;
            stream->Ref();
            actions.emplace_back(stream, Action::kStalled);
          }
          break;
        case WatchStream::State::kFinished:
          // The status waits behind unread data; a client that reads none
          // of it within another stall_timeout is cut off, freeing it.
          if (stream->stalled_ && !stream->cancel_sent_ &&
              now - stream->finished_at_ >= options_.stall_timeout) {
            stream->cancel_sent_ = true;
            stream->Ref();
            actions.emplace_back(stream, Action::kCancel);
          }
          break;
        case WatchStream::State::kIdle:
          if (now - stream->last_sent_ >= options_.progress_interval) {
            idle_.erase(stream);
            EnqueueLocked(stream);
          }
          break;
        default:
          break;
      }
    }
    if (actions.empty()) continue;
    mutex_.Unlock();
    for (auto& [stream, action] : actions) {
      if (action == Action::kStalled) {
        stalled_streams_.fetch_add(1);
        stream->Finish(grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat(
                "watch stream ended: the client left a message unread for "
                "more than ",
                absl::FormatDuration(options_.stall_timeout),
                "; resume with start_revision = the last revision received")));
      } else {
        cancelled_streams_.fetch_add(1);
        stream->Cancel();
      }
      stream->Unref();
    }
    actions.clear();
    mutex_.Lock();
  }
  mutex_.Unlock();
}

}  // namespace reel::catalog
