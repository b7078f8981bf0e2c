// WatchHub: serves WatchFilms streams from the FilmStore's change log.
//
// Each stream keeps a cursor (the last revision it sent) and reads the next
// batch of changes from RocksDB only when its previous message has been
// written, so a slow client costs one in-flight message and never blocks
// writers or other watchers. A stream whose pending message is not read
// within `stall_timeout` is ended with RESOURCE_EXHAUSTED; the client resumes
// from the last revision it received.
//
// One hub thread wakes streams after commits and sends progress messages to
// idle ones. Thread-safe.
#ifndef REEL_CATALOG_SERVICE_WATCH_WATCH_HUB_H_
#define REEL_CATALOG_SERVICE_WATCH_WATCH_HUB_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "catalog-service/store/film_store.h"
#include "reel/catalog/v1/catalog.pb.h"

namespace reel::catalog {

struct WatchOptions {
  // An idle stream gets a progress message (no events) this often.
  absl::Duration progress_interval = absl::Seconds(5);
  // A stream whose client leaves a message unread this long is ended with
  // RESOURCE_EXHAUSTED.
  absl::Duration stall_timeout = absl::Seconds(30);
  // Most events and (roughly) bytes of events in one message.
  size_t max_events_per_message = 256;
  size_t max_bytes_per_message = 1 << 20;
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

  // FilmStore commit listener: wakes streams waiting for new changes. Cheap.
  void OnCommit(int64_t revision);

  // Ends every stream with UNAVAILABLE and refuses new ones. Idempotent.
  void Shutdown();

  size_t active_streams() const;
  // Streams ended because their client stopped reading (a health signal).
  uint64_t stalled_streams() const { return stalled_streams_.load(); }

 private:
  friend class WatchStream;
  void Unregister(WatchStream* stream);
  void Run();

  FilmStore* const store_;
  const WatchOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wakeup_;
  absl::flat_hash_set<WatchStream*> streams_;  // GUARDED_BY(mutex_)
  bool commit_pending_ = false;                // GUARDED_BY(mutex_)
  bool stopping_ = false;                      // GUARDED_BY(mutex_)
  std::atomic<uint64_t> stalled_streams_{0};
  std::thread thread_;
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_WATCH_WATCH_HUB_H_
