// WatchHub: serves WatchFilms streams from the FilmStore's change log.
//
// Each stream keeps a cursor (the last revision it sent, or the last film id
// of its snapshot) and at most one message: the next is built only when the
// previous write has completed. Messages are built by the hub's own builder
// threads, one message per task and streams served in turn, never on gRPC's
// threads nor under a lock a writer needs, so a slow or stalled client costs
// one message of memory and never blocks writers or other watchers.
//
// A stream whose message has been with gRPC unread for `stall_timeout` is
// finished with RESOURCE_EXHAUSTED (the status follows the unread data); if
// the client still has not read up to it after another `stall_timeout`, the
// call is cancelled so its buffers are freed. The client resumes from the
// last revision it received.
//
// One hub thread wakes idle streams after commits, sends progress messages
// and enforces the stall timeout. Thread-safe.
#ifndef REEL_CATALOG_SERVICE_WATCH_WATCH_HUB_H_
#define REEL_CATALOG_SERVICE_WATCH_WATCH_HUB_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "catalog-service/store/film_store.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

struct WatchOptions {
  // An idle stream gets a progress message (no events) this often.
  absl::Duration progress_interval = absl::Seconds(5);
  // A stream whose client leaves a message unread this long is ended with
  // RESOURCE_EXHAUSTED (and cancelled after as long again).
  absl::Duration stall_timeout = absl::Seconds(30);
  // Most events and (roughly) bytes of events in one message. The bytes
  // bound what one stream holds: about twice this (the message and its
  // encoding), however slow the client.
  size_t max_events_per_message = 256;
  size_t max_bytes_per_message = 64 << 10;
  // Threads that build messages (read RocksDB, encode).
  int build_threads = 1;
  // Bytes of watch messages handed to gRPC per second, over all streams
  // (0: no cap). Clients that never read but keep widening their receive
  // windows (HTTP/2 BDP probing) would otherwise turn snapshot encoding and
  // sending into a CPU load that starves writers; past the cap, streams wait
  // their turn and a snapshot simply takes longer.
  int64_t max_bytes_per_second = int64_t{64} << 20;
};

class WatchStream;

class WatchHub {
 public:
  WatchHub(FilmStore* store, WatchOptions options);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // The reactor for a new WatchFilms call.
  grpc::ServerWriteReactor<reel::catalog::v1::WatchFilmsResponse>* Watch(
      grpc::CallbackServerContext* context,
      const reel::catalog::v1::WatchFilmsRequest* request);

  // FilmStore commit listener: wakes streams waiting for new changes. Takes
  // one short lock and never waits for message building.
  void OnCommit(int64_t revision);

  // Ends every stream with UNAVAILABLE and refuses new ones. Idempotent.
  void Shutdown();

  // Streams whose calls have not ended yet (including finished ones whose
  // client has not taken the status).
  size_t active_streams() const;
  // Streams ended because their client stopped reading (a health signal).
  uint64_t stalled_streams() const { return stalled_streams_.load(); }
  // Of those, cancelled because the client did not read up to the status.
  uint64_t cancelled_stalled_streams() const {
    return cancelled_streams_.load();
  }
  // Bytes of messages built and not yet written (one per stream at most).
  int64_t buffered_bytes() const { return buffered_bytes_.load(); }

 private:
  friend class WatchStream;

  // How streams end when the hub shuts down.
  static grpc::Status ShuttingDownStatus();
  // Queues `stream` for its next message. Takes a reference. Never called
  // once stopping_ is set: builders may have left (see OnWriteDone).
  void EnqueueLocked(WatchStream* stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Unregister(WatchStream* stream);
  void Run();
  void BuildLoop();
  // Charges `bytes` to the send budget, sleeping while it is overdrawn.
  void Spend(int64_t bytes);

  FilmStore* const store_;
  const WatchOptions options_;

  mutable absl::Mutex mutex_;
  absl::CondVar wakeup_;      // commit_pending_ or stopping_.
  absl::CondVar work_ready_;  // queue_ not empty or stopping_.
  absl::flat_hash_set<WatchStream*> streams_ ABSL_GUARDED_BY(mutex_);
  // Streams that sent everything up to the head, waiting for a commit.
  absl::flat_hash_set<WatchStream*> idle_ ABSL_GUARDED_BY(mutex_);
  // Streams due a message, in turn; each holds a reference.
  std::deque<WatchStream*> queue_ ABSL_GUARDED_BY(mutex_);
  bool commit_pending_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::atomic<uint64_t> stalled_streams_{0};
  std::atomic<uint64_t> cancelled_streams_{0};
  std::atomic<int64_t> buffered_bytes_{0};
  std::vector<std::thread> builders_;
  // Token bucket for max_bytes_per_second, shared by the builders.
  absl::Mutex budget_mutex_;
  double budget_bytes_ ABSL_GUARDED_BY(budget_mutex_) = 0;
  absl::Time budget_refilled_ ABSL_GUARDED_BY(budget_mutex_) = absl::Now();
  std::thread thread_;
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_WATCH_WATCH_HUB_H_
