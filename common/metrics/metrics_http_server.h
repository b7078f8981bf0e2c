// MetricsHttpServer: serves a MetricsRegistry at GET /metrics over plain HTTP
// (civetweb), on its own port apart from gRPC, for Prometheus to scrape.
//
// Start() binds `listen_address` ("host:port"; port 0 picks a free one, see
// port()) and serves until the object is destroyed. Other paths answer 404,
// other methods 405. The registry must outlive the server. Thread-safe.
#ifndef REEL_COMMON_METRICS_METRICS_HTTP_SERVER_H_
#define REEL_COMMON_METRICS_METRICS_HTTP_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

class CivetServer;

namespace reel {

class MetricsHttpServer {
 public:
  // UNAVAILABLE when the address cannot be bound; INVALID_ARGUMENT when it is
  // not host:port.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& listen_address, const MetricsRegistry* registry);

  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port actually bound.
  int port() const { return port_; }

 private:
  class Handler;
  MetricsHttpServer() = default;

  std::unique_ptr<Handler> handler_;
  std::unique_ptr<CivetServer> server_;  // Stopped before handler_ goes.
  int port_ = 0;
  std::string wake_host_;  // Where ~MetricsHttpServer connects to wake it.
};

}  // namespace reel

#endif  // REEL_COMMON_METRICS_METRICS_HTTP_SERVER_H_
