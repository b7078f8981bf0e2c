#include "catalog-service/watch/watch_stream.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/grpc_status.h"

namespace reel::catalog {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;

WatchStream::WatchStream(WatchHub* hub, int64_t start_revision)
    : hub_(hub), cursor_(start_revision) {
  if (start_revision == 0) {
    snapshot_ = hub_->store_->TakeSnapshot();
  }
}

void WatchStream::Pump(absl::Time now) {
  grpc::Status finish_status;
  switch (Decide(now, &finish_status)) {
    case Action::kWrite:
      StartWrite(&next_);
      break;
    case Action::kFinish:
      Finish(finish_status);
      break;
    case Action::kNone:
      break;
  }
}

void WatchStream::End(const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
    snapshot_.reset();
    if (writing_) {
      // A write is (about to be) in flight: finish once it completes, so
      // Finish never races ahead of StartWrite.
      deferred_finish_ = status;
      return;
    }
  }
  Finish(status);
}

WatchStream::Action WatchStream::Decide(absl::Time now,
                                        grpc::Status* finish_status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return Action::kNone;
  if (writing_) {
    if (now - write_started_ < hub_->options_.stall_timeout) {
      return Action::kNone;
    }
    finished_ = true;
    hub_->stalled_streams_.fetch_add(1);
    *finish_status = grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat("watch stream ended: the client left a message unread "
                     "for more than ",
                     absl::FormatDuration(hub_->options_.stall_timeout),
                     "; resume with start_revision = the last revision "
                     "received"));
    snapshot_.reset();
    return Action::kFinish;
  }
  absl::StatusOr<bool> has_message = BuildNext(now);
  if (!has_message.ok()) {
    finished_ = true;
    snapshot_.reset();
    *finish_status = ToGrpcStatus(has_message.status());
    return Action::kFinish;
  }
  if (!*has_message) return Action::kNone;
  writing_ = true;
  write_started_ = now;
  last_sent_ = now;
  return Action::kWrite;
}

absl::StatusOr<bool> WatchStream::BuildNext(absl::Time now) {
  const WatchOptions& options = hub_->options_;
  next_.Clear();
  if (snapshot_ != nullptr) {
    std::vector<Film> films;
    bool done = false;
    absl::Status status =
        snapshot_->ReadFilms(snapshot_after_id_, options.max_events_per_message,
                             options.max_bytes_per_message, &films, &done);
    if (!status.ok()) return status;
    for (Film& film : films) {
      FilmEvent* event = next_.add_events();
      event->set_type(FilmEvent::EVENT_TYPE_SNAPSHOT);
      event->set_revision(film.revision());
      event->set_name(film.name());
      *event->mutable_film() = std::move(film);
    }
    if (!films.empty()) {
      snapshot_after_id_ = next_.events().rbegin()->name().substr(6);
    }
    if (done) {
      cursor_ = snapshot_->revision();
      next_.set_revision(cursor_);
      next_.set_snapshot_complete(true);
      snapshot_.reset();
    }
    return true;
  }
  std::vector<FilmEvent> events;
  absl::Status status =
      hub_->store_->ReadChanges(cursor_, options.max_events_per_message,
                                options.max_bytes_per_message, &events);
  if (!status.ok()) return status;
  if (events.empty()) {
    if (now - last_sent_ < options.progress_interval) return false;
    next_.set_revision(cursor_);  // Progress: nothing after cursor_ yet.
    return true;
  }
  cursor_ = events.back().revision();
  for (FilmEvent& event : events) *next_.add_events() = std::move(event);
  next_.set_revision(cursor_);
  return true;
}

void WatchStream::OnWriteDone(bool ok) {
  std::optional<grpc::Status> deferred;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    deferred.swap(deferred_finish_);
  }
  if (deferred.has_value()) {
    Finish(*deferred);
    return;
  }
  if (!ok) {
    // The client went away; Finish must still be called, exactly once.
    End(grpc::Status(grpc::StatusCode::CANCELLED, "watch client went away"));
    return;
  }
  Pump(absl::Now());
}

void WatchStream::OnCancel() {
  End(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
}

void WatchStream::OnDone() {
  hub_->Unregister(this);
  delete this;
}

}  // namespace reel::catalog
