// WatchStream: the server side of one WatchFilms call (a callback-API write
// reactor). It first sends a snapshot when asked for one, then the change log
// from its cursor. At most one message exists at a time: a hub builder thread
// builds it when the stream is queued (at start, after each completed write,
// after a commit or a progress tick when idle), and it is freed when its
// write completes.
//
// Scheduling state is guarded by the hub's mutex; the cursor, snapshot and
// message belong to whoever has the stream in kBuilding (one builder) and,
// for the message, to the write in flight. The stream is reference counted:
// gRPC's reference ends at OnDone, the hub's when a queued build or a tick
// action is done with it.
#ifndef REEL_CATALOG_SERVICE_WATCH_WATCH_STREAM_H_
#define REEL_CATALOG_SERVICE_WATCH_WATCH_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "catalog-service/store/film_store.h"
#include "catalog-service/watch/watch_hub.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

class WatchStream
    : public grpc::ServerWriteReactor<reel::catalog::v1::WatchFilmsResponse> {
 public:
  WatchStream(WatchHub* hub, grpc::CallbackServerContext* context,
              int64_t start_revision);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  friend class WatchHub;

  enum class State {
    kQueued,    // Waiting for a builder.
    kBuilding,  // A builder owns the cursor and the message.
    kWriting,   // The message is (being) handed to gRPC.
    kIdle,      // Caught up; in the hub's idle set until a commit or tick.
    kFinished,  // Finish was called (or is about to be, by its decider).
  };

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Builder thread: builds the next message and starts its write, or goes
  // idle, or finishes. The caller holds a reference.
  // Returns the bytes handed to gRPC (0 when nothing was written).
  int64_t Build();
  // Fills next_ with the next message; false when there is nothing to send.
  absl::StatusOr<bool> BuildNext(bool progress_due);
  // Ends the stream with `status` (once; later calls do nothing).
  void End(const grpc::Status& status);
  // Cancels the call if it has not ended (frees a stalled client's buffers).
  void Cancel();

  WatchHub* const hub_;
  grpc::CallbackServerContext* const context_;
  std::atomic<int> refs_{1};  // gRPC's, until OnDone.

  State state_ ABSL_GUARDED_BY(hub_->mutex_) = State::kQueued;
  // The message in flight has been handed to gRPC (StartWrite returned).
  bool handed_ ABSL_GUARDED_BY(hub_->mutex_) = false;
  uint64_t writes_ ABSL_GUARDED_BY(hub_->mutex_) = 0;  // Writes started.
  // Status to finish with once the build or hand-off in progress ends.
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(hub_->mutex_);
  bool stalled_ ABSL_GUARDED_BY(hub_->mutex_) = false;
  bool cancel_sent_ ABSL_GUARDED_BY(hub_->mutex_) = false;
  absl::Time write_started_ ABSL_GUARDED_BY(hub_->mutex_);
  absl::Time last_sent_ ABSL_GUARDED_BY(hub_->mutex_);
  absl::Time finished_at_ ABSL_GUARDED_BY(hub_->mutex_);
  int64_t in_flight_bytes_ ABSL_GUARDED_BY(hub_->mutex_) = 0;

  // Owned by the builder (kBuilding); next_ then by the write in flight.
  int64_t cursor_;  // Last revision sent.
  std::unique_ptr<FilmSnapshot> snapshot_;
  std::string snapshot_after_id_;
  std::unique_ptr<reel::catalog::v1::WatchFilmsResponse> next_;

  // context_ may be used until OnDone.
  absl::Mutex context_mutex_;
  bool context_alive_ ABSL_GUARDED_BY(context_mutex_) = true;
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_WATCH_WATCH_STREAM_H_
