#include "common/server/grpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace reel {

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, std::vector<grpc::Service*> services) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address,
                           grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  for (grpc::Service* service : services) builder.RegisterService(service);

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address,
                     " (address in use, or not an address of this machine?)"));
  }
  auto result = std::unique_ptr<GrpcServer>(
      new GrpcServer(options, std::move(server), port));
  result->SetServing(false);
  return result;
}

GrpcServer::GrpcServer(GrpcServerOptions options,
                       std::unique_ptr<grpc::Server> server, int port)
    : options_(std::move(options)), server_(std::move(server)), port_(port) {}

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
