// SearchServer: a whole search service in one object — the text analyzer,
// the IndexStore (the index's on-disk state), the LiveIndex, the
// CatalogFollower that keeps both following the catalog's WatchFilms, the
// SearchService edge (with GetIndexStatus) and the gRPC server with the
// search gauges on /metrics. main() runs one; tests start one in-process on
// port 0.
//
// Health is NOT_SERVING until the index holds a state: loaded from the
// IndexStore at Start() (a restart), or the first snapshot from the catalog
// (a fresh data_dir). After that the index is served as it is, also while
// the catalog is unreachable.
//
// Start order: analyzer, store, index, follower (made, not yet started),
// service, server (health NOT_SERVING), gauges and the drain hook, then the
// follower, which may load the store and report SERVING before Start()
// returns. Shutdown order: the server drains (health NOT_SERVING, searches
// waiting for a min_revision end UNAVAILABLE at once, the others get the
// drain timeout), then the follower stops. The destructor shuts down, then
// destroys server, service, follower, index, store and analyzer in that
// order: each part outlives everything that reads it.
#ifndef REEL_SEARCH_SERVICE_SERVER_SEARCH_SERVER_H_
#define REEL_SEARCH_SERVICE_SERVER_SEARCH_SERVER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/server/grpc_server.h"
#include "search-service/api/search_service.h"
#include "search-service/feed/catalog_follower.h"
#include "search-service/feed/index_store.h"
#include "search-service/index/live_index.h"
#include "search-service/text/analyzer.h"

namespace reel::search {

struct SearchServerOptions {
  // The catalog to follow (catalog_address is required), how to reach it
  // (TLS, reconnect backoff, keepalive). An on_ready set here runs after
  // the server has reported SERVING.
  FollowerOptions follower;
  // Directory of the index's on-disk state (created if missing).
  std::string data_dir;
  SearchApiOptions api;
  // The SearchService health name is added to health_service_names.
  GrpcServerOptions server;
};

class SearchServer {
 public:
  // Opens the index store and starts serving and following the catalog.
  // Errors: the analyzer's and IndexStore::Open()'s errors, GrpcServer's
  // (e.g. UNAVAILABLE when the address cannot be bound), and
  // CatalogFollower::Start()'s (e.g. INVALID_ARGUMENT without a catalog
  // address, the store's Load() errors).
  static absl::StatusOr<std::unique_ptr<SearchServer>> Start(
      SearchServerOptions options);

  ~SearchServer();
  SearchServer(const SearchServer&) = delete;
  SearchServer& operator=(const SearchServer&) = delete;

  int port() const { return server_->port(); }
  // The gRPC server: metrics() and metrics_port() for /metrics.
  GrpcServer* server() const { return server_.get(); }
  SearchServiceImpl* service() const { return service_.get(); }
  // Read-only: the follower is the index's and the store's only writer.
  const LiveIndex* index() const { return index_.get(); }
  const IndexStore* store() const { return store_.get(); }
  const CatalogFollower* follower() const { return follower_.get(); }

  // Graceful stop (see the file comment); idempotent. Blocks until the
  // server has stopped and the follower has been joined.
  void Shutdown();

 private:
  SearchServer() = default;

  // The follower's on_ready: health SERVING unless shutting down.
  void OnIndexReady();
  // Fills the GetIndexStatus fields the index does not know.
  void FillStatus(reel::search::v1::GetIndexStatusResponse* response) const;

  // Destroyed in reverse order: server, service, follower, index, store,
  // analyzer.
  std::shared_ptr<const text::Analyzer> analyzer_;
  std::unique_ptr<IndexStore> store_;
  std::unique_ptr<LiveIndex> index_;
  std::unique_ptr<CatalogFollower> follower_;
  std::unique_ptr<SearchServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;

  // Keeps a late on_ready (follower thread) from reporting SERVING once
  // Shutdown() has begun.
  absl::Mutex health_mutex_;
  bool shutting_down_ ABSL_GUARDED_BY(health_mutex_) = false;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_SERVER_SEARCH_SERVER_H_
