#include "common/server/grpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/metrics/rpc_observer.h"
#include "common/server/tls_credentials.h"

namespace reel {
namespace {

// A duration as a gRPC channel-argument milliseconds value (INT_MAX = never).
int ToArgMilliseconds(absl::Duration duration) {
  const int64_t ms = absl::ToInt64Milliseconds(duration);
  if (duration == absl::InfiniteDuration() ||
      ms > std::numeric_limits<int>::max()) {
    return std::numeric_limits<int>::max();
  }
  return static_cast<int>(std::max<int64_t>(ms, 0));
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, std::vector<grpc::Service*> services) {
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (!options.tls_dir.empty()) {
    auto tls = ServerCredentialsFromDir(options.tls_dir);
    if (!tls.ok()) return tls.status();
    credentials = *std::move(tls);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address, credentials, &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  if (options.max_connection_age != absl::InfiniteDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               ToArgMilliseconds(options.max_connection_age));
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
        ToArgMilliseconds(options.max_connection_age_grace));
  }
  auto metrics = std::make_unique<MetricsRegistry>();
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<RpcObserverFactory>(metrics.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (grpc::Service* service : services) builder.RegisterService(service);

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address,
                     " (address in use, or not an address of this machine?)"));
  }
  auto result = std::unique_ptr<GrpcServer>(
      new GrpcServer(options, std::move(metrics), std::move(server), port));
  result->SetServing(false);
  if (!options.metrics_listen_address.empty()) {
    auto http = MetricsHttpServer::Start(options.metrics_listen_address,
                                         result->metrics());
    if (!http.ok()) return http.status();  // ~GrpcServer stops the server.
    result->metrics_http_ = *std::move(http);
  }
  return result;
}

GrpcServer::GrpcServer(GrpcServerOptions options,
                       std::unique_ptr<MetricsRegistry> metrics,
                       std::unique_ptr<grpc::Server> server, int port)
    : options_(std::move(options)),
      metrics_(std::move(metrics)),
      server_(std::move(server)),
      port_(port) {}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // Every registered name, "" included.
  for (const std::string& name : options_.health_service_names) {
    health->SetServingStatus(name, serving);
  }
}

void GrpcServer::AddBeforeDrainHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mutex_);
  before_drain_hooks_.push_back(std::move(hook));
}

void GrpcServer::Shutdown() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    hooks.swap(before_drain_hooks_);
  }
  spdlog::info("shutting down: draining calls for up to {} ms",
               absl::ToInt64Milliseconds(options_.drain_timeout));
  SetServing(false);
  for (auto& hook : hooks) hook();
  const auto deadline = std::chrono::system_clock::now() +
                        std::chrono::milliseconds(
                            absl::ToInt64Milliseconds(options_.drain_timeout));
  server_->Shutdown(deadline);
  server_->Wait();
  spdlog::info("server stopped");
}

void GrpcServer::Wait() { server_->Wait(); }

}  // namespace reel
