#include "common/metrics/rpc_observer.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging/logging.h"

namespace reel {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// Longest client-supplied request id kept; longer ones are cut.
constexpr size_t kMaxRequestIdBytes = 128;

std::string NewRequestId() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrFormat("%016x%016x", random(), random());
}

const char* TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

class RpcObserver : public grpc::experimental::Interceptor {
 public:
  RpcObserver(RpcObserverFactory* factory,
              const RpcObserverFactory::MethodMetrics* metrics,
              ServerRpcInfo* info)
      : factory_(factory),
        metrics_(metrics),
        context_(info->server_context()),
        start_(absl::Now()) {
    metrics_->started->Increment();
    if (metrics_->active_streams != nullptr) metrics_->active_streams->Add(1);
  }

  ~RpcObserver() override {
    // A call that never sent a status (e.g. the server shut down under it).
    if (!finished_) Finish(grpc::StatusCode::CANCELLED);
    if (metrics_->active_streams != nullptr) metrics_->active_streams->Add(-1);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      if (metadata != nullptr) {
        auto it = metadata->find(kRequestIdMetadataKey);
        if (it != metadata->end() && it->second.size() > 0) {
          request_id_.assign(it->second.data(),
                             std::min(it->second.size(), kMaxRequestIdBytes));
        }
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* metadata = methods->GetSendInitialMetadata();
      if (metadata != nullptr) {
        metadata->emplace(kRequestIdMetadataKey, request_id());
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      if (!finished_) Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  const std::string& request_id() {
    if (request_id_.empty()) request_id_ = NewRequestId();
    return request_id_;
  }

  void Finish(grpc::StatusCode code) {
    finished_ = true;
    const absl::Duration elapsed = absl::Now() - start_;
    const std::string code_name =
        absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
    factory_->Handled(*metrics_, code, code_name)->Increment();
    metrics_->latency->Observe(absl::ToDoubleSeconds(elapsed));
    if (!RpcLogEnabled(metrics_->quiet)) return;
    RpcLogRecord record;
    record.method = absl::StrCat("/", metrics_->service, "/", metrics_->method);
    record.code = code_name;
    record.duration_ms = absl::ToDoubleMilliseconds(elapsed);
    if (context_ != nullptr) record.peer = context_->peer();
    record.request_id = request_id();
    record.quiet = metrics_->quiet;
    LogRpc(record);
  }

  RpcObserverFactory* const factory_;
  const RpcObserverFactory::MethodMetrics* const metrics_;
  grpc::ServerContextBase* const context_;
  const absl::Time start_;
  std::string request_id_;
  bool finished_ = false;
};

}  // namespace

RpcObserverFactory::RpcObserverFactory(MetricsRegistry* registry)
    : registry_(registry) {}

grpc::experimental::Interceptor* RpcObserverFactory::CreateServerInterceptor(
    ServerRpcInfo* info) {
  return new RpcObserver(this, ForMethod(info->method(), info->type()), info);
}

RpcObserverFactory::MethodMetrics* RpcObserverFactory::ForMethod(
    const std::string& full_method, ServerRpcInfo::Type type) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = methods_[full_method];
  if (slot != nullptr) return slot.get();
  slot = std::make_unique<MethodMetrics>();
  MethodMetrics& metrics = *slot;
  // "/package.Service/Method"
  absl::string_view name = full_method;
  if (absl::StartsWith(name, "/")) name.remove_prefix(1);
  const size_t slash = name.rfind('/');
  metrics.service = std::string(name.substr(0, slash));
  metrics.method = slash == absl::string_view::npos
                       ? ""
                       : std::string(name.substr(slash + 1));
  metrics.type = TypeName(type);
  metrics.quiet = metrics.service == "grpc.health.v1.Health";
  const MetricLabels labels = {{"grpc_type", metrics.type},
                               {"grpc_service", metrics.service},
                               {"grpc_method", metrics.method}};
  metrics.started = &registry_->GetCounter(
      "grpc_server_started_total", "RPCs started on the server.", labels);
  metrics.latency = &registry_->GetHistogram(
      "grpc_server_handling_seconds",
      "Time from an RPC's arrival to its status, in seconds.", labels);
  if (type != ServerRpcInfo::Type::UNARY) {
    metrics.active_streams = &registry_->GetGauge(
        "reel_grpc_server_active_streams", "Streaming RPCs open now.",
        {{"grpc_service", metrics.service}, {"grpc_method", metrics.method}});
  }
  return slot.get();
}

Counter* RpcObserverFactory::Handled(const MethodMetrics& method,
                                     grpc::StatusCode code,
                                     const std::string& code_name) {
  const size_t slot = static_cast<size_t>(code);
  if (slot < method.handled.size()) {
    if (Counter* cached =
            method.handled[slot].load(std::memory_order_acquire)) {
      return cached;
    }
  }
  Counter* counter =
      &registry_->GetCounter("grpc_server_handled_total",
                             "RPCs completed on the server, by status code.",
                             {{"grpc_type", method.type},
                              {"grpc_service", method.service},
                              {"grpc_method", method.method},
                              {"grpc_code", code_name}});
  // The registry returns the same counter every time: racing stores agree.
  if (slot < method.handled.size()) {
    method.handled[slot].store(counter, std::memory_order_release);
  }
  return counter;
}

}  // namespace reel
