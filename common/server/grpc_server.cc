#include "common/server/grpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/authz/policy_authorizer.h"
#include "common/metrics/rpc_observer.h"
#include "common/server/tls_credentials.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.pb.h"

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

// The full paths of every method the server serves: those of the named
// services (from the generated descriptors linked in), health and reflection.
absl::flat_hash_set<std::string> KnownMethods(
    const std::vector<std::string>& service_names, bool enable_reflection) {
  absl::flat_hash_set<std::string> methods = {
      "/grpc.health.v1.Health/Check",
      "/grpc.health.v1.Health/Watch",
  };
  if (enable_reflection) {
    methods.insert(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  }
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : service_names) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      methods.insert(absl::StrCat("/", name, "/", service->method(i)->name()));
    }
  }
  return methods;
}

// Whether server reflection can describe grpc.health.v1.Health. gRPC C++
// serves health from its own upb-generated code, so nothing puts the health
// service's descriptor into protobuf's generated pool, the only pool gRPC's
// reflection service (ProtoServerReflection) reads. Reflection would then
// list grpc.health.v1.Health but fail to describe it, and every client that
// resolves the services it lists (buf curl --list-methods, grpcurl
// describe) would fail on it. reel_grpc_health_proto compiles Debian's
// grpc/health/v1/health.proto; naming its descriptor here links it into each
// binary, whose static initialiser adds the file to the generated pool.
// (So with Debian 12's gRPC 1.51; a gRPC whose own library registered
// health.proto in that pool would make ours a duplicate, which protobuf
// refuses at start-up, and this would have to go.)
bool ReflectionDescribesHealth() {
  const google::protobuf::FileDescriptor* file =
      grpc::health::v1::HealthCheckRequest::descriptor()->file();
  const google::protobuf::ServiceDescriptor* health =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "grpc.health.v1.Health");
  return health != nullptr && health->file() == file &&
         health->FindMethodByName("Check") != nullptr &&
         health->FindMethodByName("Watch") != nullptr;
}

// Removes the reflection plugin, which InitProtoReflectionServerBuilderPlugin
// registers for every server of the process, from one server.
class WithoutReflection : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    plugins->erase(
        std::remove_if(plugins->begin(), plugins->end(),
                       [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
                         return p->name() == "proto_server_reflection";
                       }),
        plugins->end());
  }
};

// Whether `options` serve mutual TLS (a CA to verify client certificates).
bool ServesMutualTls(const GrpcServerOptions& options) {
  std::error_code error;
  return !options.tls_dir.empty() &&
         std::filesystem::exists(
             std::filesystem::path(options.tls_dir) / "ca.crt", error);
}

// Checks the authorization set-up before anything is bound; says in one
// line when calls will not be authorised.
absl::Status CheckAuthorization(const GrpcServerOptions& options) {
  const bool mutual_tls = ServesMutualTls(options);
  if (options.require_authz &&
      (!mutual_tls || options.authz_policy_file.empty())) {
    return absl::FailedPreconditionError(
        "--require_authz: start refused without mutual TLS (--tls_dir with "
        "ca.crt) and an authorization policy (--authz_policy)");
  }
  if (!options.authz_policy_file.empty() && !mutual_tls) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--authz_policy ", options.authz_policy_file,
        ": authorization matches client certificates, so it needs mutual "
        "TLS (--tls_dir with ca.crt)"));
  }
  if (options.authz_policy_file.empty()) {
    spdlog::warn(
        "authorization: off ({}): every caller that reaches the port may "
        "call every method",
        mutual_tls ? "mutual TLS without --authz_policy" : "no mutual TLS");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, std::vector<grpc::Service*> services) {
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (!options.tls_dir.empty()) {
    auto tls =
        ServerCredentialsFromDir(options.tls_dir, options.tls_refresh_interval);
    if (!tls.ok()) return tls.status();
    credentials = *std::move(tls);
  }
  if (absl::Status authz = CheckAuthorization(options); !authz.ok()) {
    return authz;
  }
  grpc::EnableDefaultHealthCheckService(true);
  if (options.enable_reflection && !ReflectionDescribesHealth()) {
    return absl::InternalError(
        "server reflection: grpc.health.v1.Health is not in the descriptor "
        "pool (grpc/health/v1/health.proto was not linked in)");
  }
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  auto metrics = std::make_unique<MetricsRegistry>();
  // The metrics port first: when it is taken, nothing has been served yet.
  std::unique_ptr<MetricsHttpServer> metrics_http;
  if (!options.metrics_listen_address.empty()) {
    auto http = MetricsHttpServer::Start(options.metrics_listen_address,
                                         metrics.get(), options.metrics_http);
    if (!http.ok()) return http.status();
    metrics_http = *std::move(http);
  }

  const absl::flat_hash_set<std::string> known_methods =
      KnownMethods(options.health_service_names, options.enable_reflection);
  std::shared_ptr<PolicyAuthorizer> authorizer;
  if (!options.authz_policy_file.empty()) {
    auto started = PolicyAuthorizer::Start(options.authz_policy_file,
                                           options.authz_refresh_interval,
                                           metrics.get(), known_methods);
    if (!started.ok()) return started.status();
    authorizer = *std::move(started);
    credentials->SetAuthMetadataProcessor(authorizer);
    spdlog::info("authorization: policy {} (re-read every {} when it changes)",
                 options.authz_policy_file,
                 absl::FormatDuration(options.authz_refresh_interval));
  }

  grpc::ServerBuilder builder;
  if (!options.enable_reflection) {
    builder.SetOption(std::make_unique<WithoutReflection>());
  }
  int port = 0;
  builder.AddListeningPort(options.listen_address, credentials, &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(options.max_send_message_bytes);
  // Own the port: with SO_REUSEPORT a second server would bind it too and
  // the kernel would split connections between the two.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             options.max_concurrent_streams_per_connection);
  grpc::ResourceQuota quota("reel-server");
  quota.SetMaxThreads(options.max_sync_threads);
  quota.Resize(static_cast<size_t>(options.max_memory_bytes));
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             ToArgMilliseconds(options.max_connection_idle));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             ToArgMilliseconds(options.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             ToArgMilliseconds(options.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      ToArgMilliseconds(options.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  if (options.max_connection_age != absl::InfiniteDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               ToArgMilliseconds(options.max_connection_age));
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
        ToArgMilliseconds(options.max_connection_age_grace));
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<RpcObserverFactory>(metrics.get(), known_methods));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (grpc::Service* service : services) builder.RegisterService(service);

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot listen on ", options.listen_address,
        ": the address is in use by another process, or is not an address "
        "of this machine"));
  }
  auto result = std::unique_ptr<GrpcServer>(
      new GrpcServer(options, std::move(metrics), std::move(metrics_http),
                     std::move(server), port));
  result->authorizer_ = std::move(authorizer);
  result->SetServing(false);
  return result;
}

GrpcServer::GrpcServer(GrpcServerOptions options,
                       std::unique_ptr<MetricsRegistry> metrics,
                       std::unique_ptr<MetricsHttpServer> metrics_http,
                       std::unique_ptr<grpc::Server> server, int port)
    : options_(std::move(options)),
      metrics_(std::move(metrics)),
      metrics_http_(std::move(metrics_http)),
      server_(std::move(server)),
      port_(port) {}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::SetServing(bool serving) {
  if (metrics_http_ != nullptr) metrics_http_->SetReady(serving);
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // Every registered name, "" included.
  for (const std::string& name : options_.health_service_names) {
    health->SetServingStatus(name, serving);
  }
}

void GrpcServer::AddBeforeDrainHook(std::function<void()> hook) {
  absl::MutexLock lock(&mutex_);
  before_drain_hooks_.push_back(std::move(hook));
}

void GrpcServer::Shutdown() {
  std::vector<std::function<void()>> hooks;
  {
    absl::MutexLock lock(&mutex_);
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
