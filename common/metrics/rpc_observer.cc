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

// Longest client-supplied request id kept; longer ones are replaced.
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
        if (it != metadata->end() &&
            IsValidRequestId(
                absl::string_view(it->second.data(), it->second.size()))) {
          request_id_.assign(it->second.data(), it->second.size());
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
      grpc::Status status = methods->GetSendStatus();
      if (metrics_->known &&
          status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          status.error_message().empty()) {
        // gRPC's own answer when the request bytes do not decode.
        status = grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("request: the message could not be decoded as this "
                         "method's request type (/",
                         metrics_->service, "/", metrics_->method, ")"));
        methods->ModifySendStatus(status);
      }
      if (!finished_) Finish(status.error_code());
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

bool IsValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (const char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                         c == ':' || c == '/' || c == '+' || c == '@' ||
                         c == '-';
    if (!allowed) return false;
  }
  return true;
}

RpcObserverFactory::RpcObserverFactory(
    MetricsRegistry* registry, absl::flat_hash_set<std::string> known_methods)
    : registry_(registry), known_methods_(std::move(known_methods)) {}

grpc::experimental::Interceptor* RpcObserverFactory::CreateServerInterceptor(
    ServerRpcInfo* info) {
  return new RpcObserver(this, ForMethod(info->method(), info->type()), info);
}

RpcObserverFactory::MethodMetrics* RpcObserverFactory::ForMethod(
    const std::string& full_method, ServerRpcInfo::Type type) {
  absl::MutexLock lock(&mutex_);
  if (!known_methods_.contains(full_method)) {
    if (unknown_ == nullptr) {
      unknown_ = NewMethodMetrics("unknown", "unknown", "unknown", false);
    }
    return unknown_.get();
  }
  auto& slot = methods_[full_method];
  if (slot != nullptr) return slot.get();
  // "/package.Service/Method"
  absl::string_view name = full_method;
  if (absl::StartsWith(name, "/")) name.remove_prefix(1);
  const size_t slash = name.rfind('/');
  const absl::string_view service = name.substr(0, slash);
  const absl::string_view method =
      slash == absl::string_view::npos ? "" : name.substr(slash + 1);
  slot = NewMethodMetrics(service, method, TypeName(type), true);
  return slot.get();
}

std::unique_ptr<RpcObserverFactory::MethodMetrics>
RpcObserverFactory::NewMethodMetrics(absl::string_view service,
                                     absl::string_view method,
                                     absl::string_view type, bool known) {
  auto metrics = std::make_unique<MethodMetrics>();
  metrics->service = std::string(service);
  metrics->method = std::string(method);
  metrics->type = std::string(type);
  metrics->known = known;
  metrics->quiet = metrics->service == "grpc.health.v1.Health";
  const MetricLabels labels = {{"grpc_type", metrics->type},
                               {"grpc_service", metrics->service},
                               {"grpc_method", metrics->method}};
  metrics->started = &registry_->GetCounter(
      "grpc_server_started_total", "RPCs started on the server.", labels);
  metrics->latency = &registry_->GetHistogram(
      "grpc_server_handling_seconds",
      "Time from an RPC's arrival to its status, in seconds.", labels);
  if (type != "unary") {
    metrics->active_streams = &registry_->GetGauge(
        "reel_grpc_server_active_streams", "Streaming RPCs open now.",
        {{"grpc_service", metrics->service}, {"grpc_method", metrics->method}});
  }
  return metrics;
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
