// GrpcServer: the start-up and shutdown sequence both Reel services share.
//
// Start() builds a gRPC server on `listen_address` (port 0 picks a free
// port) with the standard health service (grpc.health.v1) and server
// reflection, registers the given services and starts serving. Health starts
// NOT_SERVING: the caller marks it SERVING once its state is ready (e.g.
// RocksDB open, first snapshot applied).
//
// Shutdown() is the graceful stop: health goes NOT_SERVING so balancers stop
// routing, the `before_drain` hooks run (services end their long-lived
// streams there, with UNAVAILABLE so clients resume elsewhere), new calls are
// refused, and in-flight calls get until `drain_timeout` to finish before the
// rest are cancelled.
//
// Every call passes through an RpcObserver (common/metrics/rpc_observer.h):
// request counts by code, latency histograms, stream gauges into metrics(),
// an access-log record, and the x-request-id echo. With a non-empty
// metrics_listen_address, metrics() is also served at GET /metrics over HTTP
// until the GrpcServer is destroyed (so scrapes still work while draining).
//
// With a non-empty tls_dir the port serves TLS only (mutual TLS when the
// directory holds ca.crt).
//
// Thread-safe. Shutdown() is idempotent and also runs from the destructor.
#ifndef REEL_COMMON_SERVER_GRPC_SERVER_H_
#define REEL_COMMON_SERVER_GRPC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/metrics/metrics_http_server.h"

namespace reel {

struct GrpcServerOptions {
  // host:port to listen on; port 0 picks a free one (see GrpcServer::port()).
  std::string listen_address = "127.0.0.1:0";
  // How long Shutdown() lets in-flight calls finish before cancelling them.
  absl::Duration drain_timeout = absl::Seconds(20);
  // Largest request message accepted (RESOURCE_EXHAUSTED beyond it).
  int max_receive_message_bytes = 64 << 20;
  // Largest response message sent.
  int max_send_message_bytes = 64 << 20;
  // Name reported by the health service for each registered service, besides
  // the server-wide "" entry.
  std::vector<std::string> health_service_names;
  // host:port for the Prometheus /metrics endpoint; "" serves none. Port 0
  // picks a free one (see GrpcServer::metrics_port()).
  std::string metrics_listen_address;
  // Clients are sent GOAWAY once a connection is this old, so they reconnect
  // and a balancer can spread them over new replicas. Infinite: never.
  absl::Duration max_connection_age = absl::InfiniteDuration();
  // After that GOAWAY, how long calls on the old connection may finish before
  // it is closed.
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  // Directory holding tls.crt and tls.key (and, to require client
  // certificates, ca.crt); see common/server/tls_credentials.h. "" serves
  // plaintext. Missing or unreadable files: Start() fails with
  // FAILED_PRECONDITION naming the file.
  std::string tls_dir;
};

class GrpcServer {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, std::vector<grpc::Service*> services);

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;
  ~GrpcServer();

  // The port actually bound.
  int port() const { return port_; }
  // The metrics HTTP port, or 0 when metrics are not served.
  int metrics_port() const {
    return metrics_http_ != nullptr ? metrics_http_->port() : 0;
  }
  // The registry served at /metrics; services add their own gauges here.
  MetricsRegistry* metrics() const { return metrics_.get(); }

  // Reports SERVING or NOT_SERVING for "" and every health_service_names.
  void SetServing(bool serving);

  // Registers a hook that Shutdown() runs after health goes NOT_SERVING and
  // before it waits for calls to drain. Call before Shutdown().
  void AddBeforeDrainHook(std::function<void()> hook);

  // Graceful stop; see the file comment. Blocks until the server has stopped.
  void Shutdown();

  // Blocks until Shutdown() has completed (from another thread).
  void Wait();

 private:
  GrpcServer(GrpcServerOptions options,
             std::unique_ptr<MetricsRegistry> metrics,
             std::unique_ptr<grpc::Server> server, int port);

  const GrpcServerOptions options_;
  // Declared first: outlives the server's interceptors and the HTTP server.
  const std::unique_ptr<MetricsRegistry> metrics_;
  const std::unique_ptr<grpc::Server> server_;
  const int port_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;  // Set once by Start().

  std::mutex mutex_;
  std::vector<std::function<void()>> before_drain_hooks_;  // GUARDED_BY(mutex_)
  bool shut_down_ = false;                                 // GUARDED_BY(mutex_)
};

}  // namespace reel

#endif  // REEL_COMMON_SERVER_GRPC_SERVER_H_
