#include "catalog-service/watch/watch_hub.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catalog-service/watch/watch_stream.h"

namespace reel::catalog {

using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;

WatchHub::WatchHub(FilmStore* store, WatchOptions options)
    : store_(store), options_(options), thread_([this] { Run(); }) {
  pthread_setname_np(thread_.native_handle(), "watch-hub");
}

WatchHub::~WatchHub() {
  Shutdown();
  if (thread_.joinable()) thread_.join();
}

grpc::ServerWriteReactor<WatchFilmsResponse>* WatchHub::Watch(
    grpc::CallbackServerContext* context, const WatchFilmsRequest* request) {
  if (request->start_revision() < 0) {
    auto* stream = new WatchStream(this, -1);
    stream->End(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("start_revision: ", request->start_revision(),
                                  " is negative; use 0 for a snapshot")));
    return stream;
  }
  auto* stream = new WatchStream(this, request->start_revision());
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    stream->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "catalog is shutting down; reconnect and resume"));
    return stream;
  }
  streams_.insert(stream);
  // Pumped under mutex_ so that OnDone (which unregisters) cannot free the
  // stream meanwhile.
  stream->Pump(absl::Now());
  return stream;
}

void WatchHub::OnCommit(int64_t revision) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    commit_pending_ = true;
  }
  wakeup_.notify_one();
}

void WatchHub::Shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  stopping_ = true;
  for (WatchStream* stream : streams_) {
    stream->End(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        "catalog is shutting down; reconnect and resume from the last "
        "revision received"));
  }
  wakeup_.notify_one();
}

size_t WatchHub::active_streams() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return streams_.size();
}

void WatchHub::Unregister(WatchStream* stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  streams_.erase(stream);
}

void WatchHub::Run() {
  // Ticks often enough to notice progress and stall deadlines promptly.
  const absl::Duration tick = std::clamp(
      std::min(options_.progress_interval, options_.stall_timeout) / 4,
      absl::Milliseconds(5), absl::Seconds(1));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wakeup_.wait_for(lock, absl::ToChronoMilliseconds(tick),
                     [this] { return commit_pending_ || stopping_; });
    if (stopping_) break;
    commit_pending_ = false;
    const absl::Time now = absl::Now();
    for (WatchStream* stream : streams_) stream->Pump(now);
  }
}

}  // namespace reel::catalog
