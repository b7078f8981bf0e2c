// MetricsHttpServer: serves a MetricsRegistry at GET /metrics over plain HTTP
// (GNU libmicrohttpd), on its own port apart from gRPC, for Prometheus, and
// the probes a kubelet can use whatever the gRPC port's TLS set-up:
//   GET /healthz  200 "ok" while the process serves HTTP at all (liveness);
//   GET /readyz   200 "ready" once SetReady(true), else 503 (readiness).
//
// Start() binds `listen_address` ("host:port"; port 0 picks a free one, see
// port()) and serves until the object is destroyed. Other paths answer 404,
// methods other than GET/HEAD 405.
//
// Hostile clients cannot block a scrape: connections are multiplexed by one
// epoll loop per worker thread (an idle or half-open connection holds no
// thread), each connection is closed after `idle_timeout` without progress,
// and the number of connections is bounded in total and per client address.
// A connection beyond a bound is closed at once and counted.
//
// The registry must outlive the server. Thread-safe.
#ifndef REEL_COMMON_METRICS_METRICS_HTTP_SERVER_H_
#define REEL_COMMON_METRICS_METRICS_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"

struct MHD_Daemon;

namespace reel {

struct MetricsHttpOptions {
  // Worker threads, each running its own event loop.
  int threads = 2;
  // Open connections, in total and from one client address.
  int max_connections = 256;
  int max_connections_per_address = 32;
  // A connection that sends or accepts nothing for this long is closed.
  absl::Duration idle_timeout = absl::Seconds(10);
};

class MetricsHttpServer {
 public:
  // FAILED_PRECONDITION when the address is in use (message names it);
  // UNAVAILABLE when it cannot be bound otherwise; INVALID_ARGUMENT when it
  // is not host:port.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& listen_address, const MetricsRegistry* registry,
      const MetricsHttpOptions& options = {});

  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port actually bound.
  int port() const { return port_; }

  // What /readyz answers (false until called).
  void SetReady(bool ready) { ready_.store(ready); }
  bool ready() const { return ready_.load(); }
  const MetricsRegistry* registry() const { return registry_; }

 private:
  MetricsHttpServer() = default;

  std::atomic<bool> ready_{false};
  const MetricsRegistry* registry_ = nullptr;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

}  // namespace reel

#endif  // REEL_COMMON_METRICS_METRICS_HTTP_SERVER_H_
