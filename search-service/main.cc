// search-service: serves reel.search.v1.SearchService from an index that
// follows the catalog's WatchFilms stream. Flags become option structs here
// and nowhere else.
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "common/logging/logging.h"
#include "common/server/grpc_server.h"
#include "common/server/signals.h"
#include "search-service/api/search_service.h"
#include "search-service/feed/catalog_follower.h"
#include "search-service/feed/index_store.h"
#include "search-service/index/live_index.h"
#include "search-service/text/analyzer.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052",
          "host:port to serve on; port 0 picks a free port");
ABSL_FLAG(std::string, catalog, "127.0.0.1:50051",
          "the catalog service to follow (host:port)");
ABSL_FLAG(std::string, data_dir, ".data/search",
          "directory for the index's on-disk state (created if missing)");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20),
          "on SIGTERM, how long in-flight searches may finish");
ABSL_FLAG(absl::Duration, reconnect_max_backoff, absl::Seconds(5),
          "longest wait between attempts to reach the catalog");
ABSL_FLAG(std::string, log_level, "info",
          "trace, debug, info, warn, error, critical or off");

namespace {

int Run() {
  using namespace reel;
  using namespace reel::search;

  if (absl::Status status = InitLogging(
          {.level = absl::GetFlag(FLAGS_log_level), .component = "search"});
      !status.ok()) {
    std::cerr << "search-service: " << status.message() << "\n";
    return 2;
  }
  auto analyzer = text::Analyzer::Create();
  if (!analyzer.ok()) {
    spdlog::critical("text analysis unavailable: {}",
                     analyzer.status().ToString());
    return 1;
  }
  std::shared_ptr<const text::Analyzer> shared_analyzer = *std::move(analyzer);
  auto store = IndexStore::Open(absl::GetFlag(FLAGS_data_dir));
  if (!store.ok()) {
    spdlog::critical("cannot open the index store: {}",
                     store.status().ToString());
    return 1;
  }
  LiveIndex index(shared_analyzer);

  FollowerOptions follower_options;
  follower_options.catalog_address = absl::GetFlag(FLAGS_catalog);
  follower_options.max_backoff = absl::GetFlag(FLAGS_reconnect_max_backoff);
  GrpcServer* server_for_health = nullptr;
  std::mutex health_mutex;
  bool index_ready = false;
  follower_options.on_ready = [&] {
    std::lock_guard<std::mutex> lock(health_mutex);
    index_ready = true;
    if (server_for_health != nullptr) server_for_health->SetServing(true);
    spdlog::info("index ready at revision {}", index.applied_revision());
  };
  CatalogFollower follower(follower_options, &index, store->get());

  SearchServiceImpl service(
      &index, shared_analyzer,
      [&follower, &store](reel::search::v1::GetIndexStatusResponse* response) {
        const FollowerStatus status = follower.status();
        response->set_catalog_revision(status.catalog_revision_seen);
        response->set_connection_state(status.state);
        response->set_last_error(status.last_error);
        response->set_disk_bytes(static_cast<int64_t>((*store)->DiskBytes()));
        // Unset (rather than the epoch) when there is no such time.
        auto to_proto = [](absl::Time time) {
          return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
              absl::ToUnixNanos(time));
        };
        if (status.last_error_time != absl::InfinitePast()) {
          *response->mutable_last_error_time() =
              to_proto(status.last_error_time);
        }
        if (status.last_applied_time != absl::InfinitePast()) {
          *response->mutable_last_applied_time() =
              to_proto(status.last_applied_time);
        }
      });

  GrpcServerOptions server_options;
  server_options.listen_address = absl::GetFlag(FLAGS_listen);
  server_options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  server_options.health_service_names = {"reel.search.v1.SearchService"};
  auto server = GrpcServer::Start(server_options, {&service});
  if (!server.ok()) {
    spdlog::critical("{}", server.status().ToString());
    return 1;
  }
  // Searches waiting for a revision end at once on shutdown (UNAVAILABLE)
  // rather than holding the drain until their deadline.
  (*server)->AddBeforeDrainHook([&index] { index.CancelWaits(); });
  {
    // Health is NOT_SERVING until the index holds a state.
    std::lock_guard<std::mutex> lock(health_mutex);
    server_for_health = server->get();
    if (index_ready) server_for_health->SetServing(true);
  }
  if (absl::Status status = follower.Start(); !status.ok()) {
    spdlog::critical("cannot start following the catalog: {}",
                     status.ToString());
    return 1;
  }
  // Tests and scripts read this line to learn the port.
  std::cout << "search-service listening on port " << (*server)->port()
            << std::endl;
  spdlog::info("serving on {} (port {}), following catalog {}",
               server_options.listen_address, (*server)->port(),
               follower_options.catalog_address);

  const int signal_number = WaitForTerminationSignal();
  spdlog::info("signal {} received", signal_number);
  (*server)->Shutdown();
  follower.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so only WaitForTerminationSignal sees them.
  reel::BlockTerminationSignals();
  absl::SetProgramUsageMessage(
      "Serves Reel's scene search over gRPC, following the catalog.\n"
      "  search-service --listen=127.0.0.1:50052 --catalog=127.0.0.1:50051");
  absl::ParseCommandLine(argc, argv);
  return Run();
}
