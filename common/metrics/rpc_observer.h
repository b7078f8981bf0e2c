// RpcObserverFactory: a gRPC server interceptor that, for every call,
//  - counts it when it starts (grpc_server_started_total) and when it ends,
//    by status code (grpc_server_handled_total{grpc_code="NOT_FOUND"}),
//  - times it into grpc_server_handling_seconds (latency histogram),
//  - keeps reel_grpc_server_active_streams for streaming methods,
//  - takes the request id from the client's `x-request-id` metadata (or
//    generates one), echoes it in the initial metadata, and
//  - writes one access-log record (LogRpc) with method, code, duration, peer
//    and request id; health checks log at debug.
// Labels follow go-grpc-prometheus: grpc_type, grpc_service, grpc_method.
//
// GrpcServer installs it; the registry must outlive the server. Thread-safe.
#ifndef REEL_COMMON_METRICS_RPC_OBSERVER_H_
#define REEL_COMMON_METRICS_RPC_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/metrics/metrics.h"

namespace reel {

// The metadata key carrying the request id, both ways.
inline constexpr char kRequestIdMetadataKey[] = "x-request-id";

class RpcObserverFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcObserverFactory(MetricsRegistry* registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // The series of one method, looked up once per method.
  struct MethodMetrics {
    std::string type;  // unary, client_stream, server_stream, bidi_stream
    std::string service;
    std::string method;
    bool quiet = false;  // Health checks: access log at debug.
    Counter* started = nullptr;
    Histogram* latency = nullptr;
    Gauge* active_streams = nullptr;  // Null for unary methods.
    // grpc_server_handled_total by status code, filled on first use (the
    // registry look-up builds four label strings under a lock).
    mutable std::array<std::atomic<Counter*>, 17> handled{};
  };
  // Counter for (method, code), created on first use and then cached.
  Counter* Handled(const MethodMetrics& method, grpc::StatusCode code,
                   const std::string& code_name);

 private:
  MethodMetrics* ForMethod(const std::string& full_method,
                           grpc::experimental::ServerRpcInfo::Type type);

  MetricsRegistry* const registry_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<MethodMetrics>>
      methods_;  // GUARDED_BY(mutex_)
};

}  // namespace reel

#endif  // REEL_COMMON_METRICS_RPC_OBSERVER_H_
