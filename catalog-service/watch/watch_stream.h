// WatchStream: the server side of one WatchFilms call (a callback-API write
// reactor). It first sends a snapshot when asked for one, then the change log
// from its cursor. At most one message is in flight: the next is built only
// when the previous write completes (or, when idle, when the hub pumps it
// after a commit or a progress tick).
#ifndef REEL_CATALOG_SERVICE_WATCH_WATCH_STREAM_H_
#define REEL_CATALOG_SERVICE_WATCH_WATCH_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "catalog-service/store/film_store.h"
#include "catalog-service/watch/watch_hub.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

class WatchStream
    : public grpc::ServerWriteReactor<reel::catalog::v1::WatchFilmsResponse> {
 public:
  WatchStream(WatchHub* hub, int64_t start_revision);

  // Sends what is due: changes after the cursor, or a progress message when
  // idle for the progress interval; ends a stalled stream. Called by the hub.
  void Pump(absl::Time now);
  // Ends the stream with `status` (once; later calls do nothing).
  void End(const grpc::Status& status);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // What Pump decided to do, carried out without mutex_ held.
  enum class Action { kNone, kWrite, kFinish };
  Action Decide(absl::Time now, grpc::Status* finish_status);
  // Fills next_ with the next message; false when there is nothing to send.
  absl::StatusOr<bool> BuildNext(absl::Time now);

  WatchHub* const hub_;

  std::mutex mutex_;
  bool writing_ = false;   // GUARDED_BY(mutex_): next_ is in flight.
  bool finished_ = false;  // GUARDED_BY(mutex_): Finish was decided.
  // GUARDED_BY(mutex_): status to finish with once the write in flight ends.
  std::optional<grpc::Status> deferred_finish_;
  absl::Time write_started_;  // GUARDED_BY(mutex_)
  absl::Time last_sent_;      // GUARDED_BY(mutex_)
  int64_t cursor_;            // GUARDED_BY(mutex_): last revision sent.
  std::unique_ptr<FilmSnapshot> snapshot_;      // GUARDED_BY(mutex_)
  std::string snapshot_after_id_;               // GUARDED_BY(mutex_)
  reel::catalog::v1::WatchFilmsResponse next_;  // GUARDED_BY(mutex_)
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_WATCH_WATCH_STREAM_H_
