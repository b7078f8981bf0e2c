// GrpcServer: the start-up and shutdown sequence both Reel services share.
//
// Start() builds a gRPC server on `listen_address` (port 0 picks a free
// port) with the standard health service (grpc.health.v1) and, unless turned
// off, server reflection, registers the given services and starts serving.
// Health starts NOT_SERVING: the caller marks it SERVING once its state is
// ready (e.g. RocksDB open, first snapshot applied).
//
// Shutdown() is the graceful stop: health goes NOT_SERVING so balancers stop
// routing, the `before_drain` hooks run (services end their long-lived
// streams there, with UNAVAILABLE so clients resume elsewhere), new calls are
// refused, and in-flight calls get until `drain_timeout` to finish before the
// rest are cancelled.
//
// The listening port is owned: SO_REUSEPORT is off, so a second server on the
// same address fails at Start() instead of splitting connections with the
// first. The metrics port is bound before the gRPC port, so a metrics port in
// use fails Start() before any call is served.
//
// Limits (see GrpcServerOptions): streams per connection, handler threads
// and memory for all connections (a gRPC resource quota), idle connections
// closed, keepalive pings sent to find dead peers, and clients that ping more
// often than allowed sent GOAWAY (ENHANCE_YOUR_CALM "too_many_pings").
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
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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
  // Full name of each registered service (e.g. "reel.catalog.v1.
  // CatalogService"): reported by the health service besides the server-wide
  // "" entry, and the services whose methods get per-method metrics (other
  // paths share the "unknown" series). Health and reflection are added.
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
  // Most concurrent streams (calls) on one client connection; further calls
  // wait in the client until one ends.
  int max_concurrent_streams_per_connection = 100;
  // Most threads serving synchronous-API calls (server reflection) at once;
  // beyond it such calls end RESOURCE_EXHAUSTED.
  int max_sync_threads = 64;
  // Memory gRPC may use for all connections' buffers; beyond it new streams
  // and reads are refused or slowed (gRPC resource quota).
  int64_t max_memory_bytes = int64_t{1} << 30;
  // A connection with no call open for this long is closed (GOAWAY).
  absl::Duration max_connection_idle = absl::Minutes(30);
  // The server pings a connection after this long without traffic and closes
  // it when the ping is not answered within keepalive_timeout: dead peers
  // (a vanished pod, a cut network) free their streams.
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Clients may ping no more often than this (with or without calls open);
  // more often, twice, and the connection is closed with GOAWAY
  // ENHANCE_YOUR_CALM ("too_many_pings").
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  // Serve gRPC server reflection (grpc.reflection.v1alpha), which lists every
  // method and message to any caller that reaches the port.
  bool enable_reflection = true;
  // Options for the /metrics HTTP server.
  MetricsHttpOptions metrics_http;
  // An authorization policy (JSON, see common/authz/authz_policy.h and
  // docs/security.md) matching the mutual-TLS client identity and the method
  // path; re-read every authz_refresh_interval when it changes (a broken
  // edit is logged and the last good policy kept). Needs mutual TLS (tls_dir
  // with ca.crt): Start() fails with FAILED_PRECONDITION otherwise, and when
  // the file is missing or not a valid policy. "": no authorization (every
  // caller may call every method; logged at start).
  std::string authz_policy_file;
  absl::Duration authz_refresh_interval = absl::Seconds(5);
  // Refuse to start (FAILED_PRECONDITION) without mutual TLS and a policy.
  bool require_authz = false;
  // Directory holding tls.crt and tls.key (and, to require client
  // certificates, ca.crt); see common/server/tls_credentials.h. "" serves
  // plaintext. Missing or unreadable files: Start() fails with
  // FAILED_PRECONDITION naming the file.
  std::string tls_dir;
  // How often the files in tls_dir are checked for a rotated certificate.
  absl::Duration tls_refresh_interval = absl::Minutes(1);
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

  // Reports SERVING or NOT_SERVING for "" and every health_service_names, and
  // the same on the metrics port's /readyz.
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
             std::unique_ptr<MetricsHttpServer> metrics_http,
             std::unique_ptr<grpc::Server> server, int port);

  const GrpcServerOptions options_;
  // Declared first: outlives the server's interceptors and the HTTP server.
  const std::unique_ptr<MetricsRegistry> metrics_;
  // Declared before server_, so destroyed after it: scrapes still work
  // while draining.
  const std::unique_ptr<MetricsHttpServer> metrics_http_;
  const std::unique_ptr<grpc::Server> server_;
  const int port_;
  // Kept for the credentials' lifetime (gRPC holds it too).
  std::shared_ptr<grpc::AuthMetadataProcessor> authorizer_;

  absl::Mutex mutex_;
  std::vector<std::function<void()>> before_drain_hooks_
      ABSL_GUARDED_BY(mutex_);
  bool shut_down_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace reel

#endif  // REEL_COMMON_SERVER_GRPC_SERVER_H_
