// CatalogFollower: keeps the LiveIndex and its IndexStore following the
// catalog's WatchFilms stream, on a thread of its own.
//
// Start() first loads the IndexStore into the LiveIndex when it holds a
// revision (> 0): the service is ready at once and resumes the stream from
// that revision, without a new snapshot. The thread then loops:
//   * connect WatchFilms(start_revision = applied revision, or 0 when there
//     is none yet or a re-snapshot is due);
//   * snapshot (start 0): collect films until snapshot_complete, then
//     IndexStore::Replace and LiveIndex::Replace (a full replacement, so
//     films deleted while we were away vanish);
//   * live messages: IndexStore::Apply then LiveIndex::Apply, one each per
//     message (the store first, so the index is never ahead of the disk);
//     every message's revision updates catalog_revision_seen;
//   * OUT_OF_RANGE (history compacted, or we are ahead of the catalog) or
//     FAILED_PRECONDITION (the catalog's history id is not the one the index
//     followed: it was restored from a backup, so its revision numbers name
//     other changes): log, and re-snapshot at once. A resume names the
//     stored history id, and every live message's history id is checked too;
//     the index only ever replaces its whole contents on a new history;
//   * any other failure (catalog down, UNAVAILABLE on its shutdown,
//     RESOURCE_EXHAUSTED, a storage error): state DISCONNECTED, record
//     last_error, keep serving the index as it is, and reconnect after an
//     exponential backoff with full jitter. A stream that delivered at least
//     one message resets the backoff.
// The stream has no deadline; channel keepalive pings notice a dead catalog.
//
// Thread-safe: status() may be called from any thread.
#ifndef REEL_SEARCH_SERVICE_FEED_CATALOG_FOLLOWER_H_
#define REEL_SEARCH_SERVICE_FEED_CATALOG_FOLLOWER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "reel/search/v1/search.pb.h"
#include "search-service/feed/index_store.h"
#include "search-service/index/live_index.h"

namespace reel::search {

struct FollowerOptions {
  // The catalog's host:port. Required.
  std::string catalog_address;
  // Directory with the TLS material to reach the catalog: ca.crt verifies it,
  // tls.crt and tls.key (when present) are sent as the client certificate
  // (see common/server/tls_credentials.h). "" connects in plaintext.
  std::string catalog_tls_dir;
  // Reconnect backoff: the n-th consecutive failure waits a uniformly random
  // time in [0, min(max_backoff, initial_backoff * 2^(n-1))] ("full
  // jitter"). The channel's own reconnect backoff uses the same bounds.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // Keepalive pings on the open stream notice a dead catalog (or network)
  // although the stream has no deadline: a ping every `keepalive_time`, the
  // connection dropped when its ack takes longer than `keepalive_timeout`.
  // Keep keepalive_time above the catalog's progress interval (5 s by
  // default): a gRPC server tolerates frequent pings only while it sends
  // data, and otherwise ends the connection with "too_many_pings".
  absl::Duration keepalive_time = absl::Seconds(10);
  absl::Duration keepalive_timeout = absl::Seconds(5);
  // Largest WatchFilms message accepted (the catalog may send up to 64 MiB).
  int max_receive_message_bytes = 64 << 20;
  // Runs once, the first time the index holds a state (loaded from disk in
  // Start(), on the caller's thread, or from the first snapshot, on the
  // follower thread). E.g. flip health to SERVING. Optional.
  std::function<void()> on_ready;
};

struct FollowerStatus {
  reel::search::v1::ConnectionState state =
      reel::search::v1::CONNECTION_STATE_CONNECTING;
  // The newest catalog revision seen in any message (or loaded from disk)
  // since the last snapshot: a snapshot of a restored catalog lowers it.
  int64_t catalog_revision_seen = 0;
  // The history id of the catalog the index follows ("" before the first
  // snapshot, or for an index stored before history ids).
  std::string catalog_history_id;
  // The last failure talking to the catalog or writing the store; kept after
  // a successful reconnect (last_error_time tells how old it is). Empty and
  // InfinitePast() when there was none.
  std::string last_error;
  absl::Time last_error_time = absl::InfinitePast();
  // When the index last applied a change or snapshot; InfinitePast() if never.
  absl::Time last_applied_time = absl::InfinitePast();
  // Snapshots received from the catalog and applied since Start().
  int64_t snapshots_loaded = 0;
  // The revision Start() loaded from the IndexStore (0 when it had none).
  int64_t resumed_from_revision = 0;
};

class CatalogFollower {
 public:
  // `index` and `store` must outlive the follower; the follower is their
  // only writer.
  CatalogFollower(FollowerOptions options, LiveIndex* index, IndexStore* store);
  ~CatalogFollower();  // Calls Stop().
  CatalogFollower(const CatalogFollower&) = delete;
  CatalogFollower& operator=(const CatalogFollower&) = delete;

  // Loads the IndexStore into the index (when it has a revision) and starts
  // the follower thread. Errors: INVALID_ARGUMENT (no catalog_address),
  // FAILED_PRECONDITION (already started, or catalog_tls_dir lacks a file),
  // the store's Load() errors.
  absl::Status Start();

  // Cancels the stream, interrupts a backoff wait and joins the thread.
  // Idempotent; returns promptly (a write to the store in progress
  // finishes first).
  void Stop();

  FollowerStatus status() const;

 private:
  // The follower thread.
  void Run();
  // One WatchFilms call from `start_revision` until it ends. Returns its
  // final status (OK only when Stop() interrupted it); *received tells
  // whether any message arrived.
  absl::Status Follow(int64_t start_revision, bool* received);
  // Handles one message; an error ends the stream.
  absl::Status OnMessage(reel::catalog::v1::WatchFilmsResponse& message,
                         bool* snapshotting);
  absl::Status FinishSnapshot(int64_t revision);
  void SetState(reel::search::v1::ConnectionState state);
  void RecordError(const absl::Status& status);
  void MarkReady();
  // Waits `duration` or until Stop(); false when stopping.
  bool SleepUnlessStopped(absl::Duration duration);
  bool stopping() const;

  const FollowerOptions options_;
  LiveIndex* const index_;
  IndexStore* const store_;
  std::shared_ptr<grpc::Channel> channel_;
  absl::Status channel_status_;  // Why channel_ could not be made.
  std::unique_ptr<reel::catalog::v1::CatalogService::Stub> stub_;

  // Follower-thread state.
  int64_t applied_revision_ = 0;     // Equal in store_ and index_.
  std::string history_id_;           // The history applied_revision_ is in.
  std::string snapshot_history_id_;  // Of the snapshot being received.
  bool must_snapshot_ = true;        // Next stream starts at 0.
  std::vector<reel::catalog::v1::Film> snapshot_films_;
  bool ready_fired_ = false;
  absl::BitGen random_;

  mutable absl::Mutex mutex_;
  FollowerStatus status_ ABSL_GUARDED_BY(mutex_);
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mutex_) = nullptr;
  bool started_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_FEED_CATALOG_FOLLOWER_H_
