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
// Only the methods the server registers get series of their own; a call to
// any other path is counted under grpc_service="unknown",
// grpc_method="unknown", so callers cannot grow /metrics without bound.
//
// A registered method whose request message cannot be decoded ends, in gRPC
// itself, as UNIMPLEMENTED with an empty message; the observer turns that
// into INVALID_ARGUMENT saying so, since the method does exist.
//
// A client's x-request-id is kept only when it is 1-128 bytes of
// [A-Za-z0-9._:/+@-]; anything else (spaces, quotes, control bytes that could
// forge access-log fields) is replaced by a generated id, which is echoed.
//
// GrpcServer installs it; the registry must outlive the server. Thread-safe.
#ifndef REEL_COMMON_METRICS_RPC_OBSERVER_H_
#define REEL_COMMON_METRICS_RPC_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics/metrics.h"

namespace reel {

// The metadata key carrying the request id, both ways.
inline constexpr char kRequestIdMetadataKey[] = "x-request-id";

class RpcObserverFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `known_methods`: the full paths ("/package.Service/Method") the server
  // serves; every other path shares the "unknown" series.
  RpcObserverFactory(MetricsRegistry* registry,
                     absl::flat_hash_set<std::string> known_methods);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // The series of one method, looked up once per method.
  struct MethodMetrics {
    std::string type;  // unary, client_stream, server_stream, bidi_stream
    std::string service;
    std::string method;
    bool quiet = false;  // Health checks: access log at debug.
    bool known = false;  // A registered method (not the "unknown" bucket).
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

  std::unique_ptr<MethodMetrics> NewMethodMetrics(absl::string_view service,
                                                  absl::string_view method,
                                                  absl::string_view type,
                                                  bool known);

  MetricsRegistry* const registry_;
  const absl::flat_hash_set<std::string> known_methods_;
  absl::Mutex mutex_;
  std::map<std::string, std::unique_ptr<MethodMetrics>> methods_
      ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<MethodMetrics> unknown_ ABSL_GUARDED_BY(mutex_);
};

// Whether `id` may be used as a request id as the client sent it.
bool IsValidRequestId(absl::string_view id);

}  // namespace reel

#endif  // REEL_COMMON_METRICS_RPC_OBSERVER_H_
