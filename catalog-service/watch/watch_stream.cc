#include "catalog-service/watch/watch_stream.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/grpc_status.h"

namespace reel::catalog {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::catalog::v1::WatchFilmsResponse;

WatchStream::WatchStream(WatchHub* hub, grpc::CallbackServerContext* context,
                         int64_t start_revision)
    : hub_(hub), context_(context), cursor_(start_revision) {
  // A RocksDB snapshot is a sequence number: it pins no memtable or block
  // (each batch reads through a short-lived iterator), only keeps
  // overwritten versions from being compacted away while the stream lives,
  // which the stall timeout bounds.
  if (start_revision == 0) snapshot_ = hub_->store_->TakeSnapshot();
  absl::MutexLock lock(&hub_->mutex_);
  last_sent_ = absl::Now();
}

int64_t WatchStream::Build() {
  std::optional<grpc::Status> finish;
  bool progress_due = false;
  {
    absl::MutexLock lock(&hub_->mutex_);
    if (state_ != State::kQueued) return 0;  // Finished while queued.
    if (pending_finish_.has_value()) {
      state_ = State::kFinished;
      finish = std::move(pending_finish_);
    } else {
      state_ = State::kBuilding;
      progress_due =
          absl::Now() - last_sent_ >= hub_->options_.progress_interval;
    }
  }
  if (finish.has_value()) {
    Finish(*finish);
    return 0;
  }
  absl::StatusOr<bool> has_message = BuildNext(progress_due);
  bool write = false;
  uint64_t write_number = 0;
  int64_t bytes = 0;
  {
    absl::MutexLock lock(&hub_->mutex_);
    if (pending_finish_.has_value()) {
      state_ = State::kFinished;
      finish = std::move(pending_finish_);
    } else if (!has_message.ok()) {
      state_ = State::kFinished;
      finish = ToGrpcStatus(has_message.status());
    } else if (!*has_message) {
      next_.reset();
      if (hub_->stopping_) {
        state_ = State::kFinished;
        finish = WatchHub::ShuttingDownStatus();
      } else if (hub_->store_->revision() > cursor_) {
        hub_->EnqueueLocked(this);  // A commit landed while we read.
      } else {
        state_ = State::kIdle;
        hub_->idle_.insert(this);
      }
    } else {
      state_ = State::kWriting;
      handed_ = false;
      last_sent_ = absl::Now();
      in_flight_bytes_ = static_cast<int64_t>(next_->ByteSizeLong());
      bytes = in_flight_bytes_;
      hub_->buffered_bytes_.fetch_add(in_flight_bytes_);
      write_number = ++writes_;
      write = true;
    }
  }
  if (finish.has_value()) {
    Finish(*finish);
    return 0;
  }
  if (!write) return 0;
  StartWrite(next_.get());
  {
    absl::MutexLock lock(&hub_->mutex_);
    // The write may have completed already (then state_ moved on, maybe to
    // a later write).
    if (state_ != State::kWriting || writes_ != write_number) return bytes;
    handed_ = true;
    // The stall clock starts when gRPC has the message, not when we began
    // building it.
    write_started_ = absl::Now();
    if (!pending_finish_.has_value()) return bytes;
    state_ = State::kFinished;
    finished_at_ = write_started_;
    finish = std::move(pending_finish_);
  }
  Finish(*finish);  // Follows the write in flight.
  return bytes;
}

absl::StatusOr<bool> WatchStream::BuildNext(bool progress_due) {
  const WatchOptions& options = hub_->options_;
  auto message = std::make_unique<WatchFilmsResponse>();
  message->set_history_id(hub_->store_->history_id());
  if (snapshot_ != nullptr) {
    std::vector<Film> films;
    bool done = false;
    absl::Status status =
        snapshot_->ReadFilms(snapshot_after_id_, options.max_events_per_message,
                             options.max_bytes_per_message, &films, &done);
    if (!status.ok()) return status;
    for (Film& film : films) {
      FilmEvent* event = message->add_events();
      event->set_type(FilmEvent::EVENT_TYPE_SNAPSHOT);
      event->set_revision(film.revision());
      event->set_name(film.name());
      *event->mutable_film() = std::move(film);
    }
    if (!films.empty()) {
      snapshot_after_id_ = message->events().rbegin()->name().substr(6);
    }
    if (done) {
      cursor_ = snapshot_->revision();
      message->set_revision(cursor_);
      message->set_snapshot_complete(true);
      snapshot_.reset();
    }
    next_ = std::move(message);
    return true;
  }
  std::vector<FilmEvent> events;
  absl::Status status =
      hub_->store_->ReadChanges(cursor_, options.max_events_per_message,
                                options.max_bytes_per_message, &events);
  if (!status.ok()) return status;
  if (events.empty()) {
    if (!progress_due) return false;
    message->set_revision(cursor_);  // Progress: nothing after cursor_ yet.
    next_ = std::move(message);
    return true;
  }
  cursor_ = events.back().revision();
  for (FilmEvent& event : events) *message->add_events() = std::move(event);
  message->set_revision(cursor_);
  next_ = std::move(message);
  return true;
}

void WatchStream::End(const grpc::Status& status) {
  {
    absl::MutexLock lock(&hub_->mutex_);
    if (state_ == State::kFinished || pending_finish_.has_value()) return;
    switch (state_) {
      case State::kQueued:
      case State::kBuilding:
        pending_finish_ = status;  // The builder finishes.
        return;
      case State::kWriting:
        if (!handed_) {
          pending_finish_ = status;  // Finish must not overtake StartWrite.
          return;
        }
        break;  // Finish now; the status follows the write in flight.
      case State::kIdle:
        hub_->idle_.erase(this);
        break;
      case State::kFinished:
        return;
    }
    state_ = State::kFinished;
    finished_at_ = absl::Now();
  }
  Finish(status);
}

void WatchStream::Cancel() {
  absl::MutexLock lock(&context_mutex_);
  if (context_alive_) context_->TryCancel();
}

void WatchStream::OnWriteDone(bool ok) {
  std::optional<grpc::Status> finish;
  std::unique_ptr<WatchFilmsResponse> written;
  {
    absl::MutexLock lock(&hub_->mutex_);
    hub_->buffered_bytes_.fetch_sub(in_flight_bytes_);
    in_flight_bytes_ = 0;
    written = std::move(next_);             // Freed outside the lock.
    if (state_ != State::kWriting) return;  // Already finished.
    if (pending_finish_.has_value()) {
      finish = std::move(pending_finish_);
    } else if (!ok) {
      // The client went away; Finish must still be called, exactly once.
      finish =
          grpc::Status(grpc::StatusCode::CANCELLED, "watch client went away");
    } else if (hub_->stopping_) {
      // Shutdown may have let the builders go already: a stream queued now
      // would never be finished, and the server's drain would wait for it.
      finish = WatchHub::ShuttingDownStatus();
    } else {
      hub_->EnqueueLocked(this);
      return;
    }
    state_ = State::kFinished;
    finished_at_ = absl::Now();
  }
  Finish(*finish);
}

void WatchStream::OnCancel() {
  End(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
}

void WatchStream::OnDone() {
  // No builder runs now: builds start only from kQueued, never after Finish.
  // The snapshot goes first, before Unregister releases the hub's mutex, so
  // its last use of the store happens before ~WatchHub (which takes that
  // mutex) and so before the store is closed.
  snapshot_.reset();
  hub_->Unregister(this);
  {
    absl::MutexLock lock(&context_mutex_);
    context_alive_ = false;
  }
  Unref();
}

}  // namespace reel::catalog
