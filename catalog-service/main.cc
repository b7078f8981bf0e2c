// catalog-service: serves reel.catalog.v1.CatalogService from a RocksDB
// database. Flags become option structs here and nowhere else.
#include <spdlog/spdlog.h>

#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "catalog-service/api/catalog_service.h"
#include "catalog-service/store/film_store.h"
#include "catalog-service/watch/watch_hub.h"
#include "common/logging/logging.h"
#include "common/server/grpc_server.h"
#include "common/server/signals.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; port 0 picks a free port");
ABSL_FLAG(std::string, data_dir, ".data/catalog",
          "RocksDB directory (created if missing)");
ABSL_FLAG(bool, sync_writes, true,
          "fsync the WAL before acknowledging writes; false speeds up bulk "
          "loads but a crash may lose acknowledged writes");
ABSL_FLAG(int64_t, change_retention_revisions, 100000,
          "revisions of change history kept for WatchFilms resumption");
ABSL_FLAG(absl::Duration, watch_progress_interval, absl::Seconds(5),
          "how often idle WatchFilms streams get a progress message");
ABSL_FLAG(absl::Duration, watch_stall_timeout, absl::Seconds(30),
          "end a WatchFilms stream whose client leaves a message unread this "
          "long (RESOURCE_EXHAUSTED)");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20),
          "on SIGTERM, how long in-flight calls may finish before they are "
          "cancelled");
ABSL_FLAG(int, max_message_bytes, 64 << 20,
          "largest request or response message");
ABSL_FLAG(std::string, log_level, "info",
          "trace, debug, info, warn, error, critical or off");

namespace {

int Run() {
  using namespace reel;
  using namespace reel::catalog;

  if (absl::Status status = InitLogging(
          {.level = absl::GetFlag(FLAGS_log_level), .component = "catalog"});
      !status.ok()) {
    std::cerr << "catalog-service: " << status.message() << "\n";
    return 2;
  }

  FilmStoreOptions store_options;
  store_options.path = absl::GetFlag(FLAGS_data_dir);
  store_options.sync_writes = absl::GetFlag(FLAGS_sync_writes);
  store_options.change_retention_revisions =
      absl::GetFlag(FLAGS_change_retention_revisions);
  auto store = FilmStore::Open(store_options);
  if (!store.ok()) {
    spdlog::critical("cannot open the catalog: {}", store.status().ToString());
    return 1;
  }

  WatchOptions watch_options;
  watch_options.progress_interval =
      absl::GetFlag(FLAGS_watch_progress_interval);
  watch_options.stall_timeout = absl::GetFlag(FLAGS_watch_stall_timeout);
  WatchHub hub(store->get(), watch_options);
  (*store)->SetCommitListener(
      [&hub](int64_t revision) { hub.OnCommit(revision); });
  CatalogServiceImpl service(store->get(), &hub);

  GrpcServerOptions server_options;
  server_options.listen_address = absl::GetFlag(FLAGS_listen);
  server_options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  server_options.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_message_bytes);
  server_options.max_send_message_bytes =
      absl::GetFlag(FLAGS_max_message_bytes);
  server_options.health_service_names = {"reel.catalog.v1.CatalogService"};
  auto server = GrpcServer::Start(server_options, {&service});
  if (!server.ok()) {
    spdlog::critical("{}", server.status().ToString());
    return 1;
  }
  (*server)->AddBeforeDrainHook([&hub] { hub.Shutdown(); });
  (*server)->SetServing(true);
  // Tests and scripts read this line to learn the port.
  std::cout << "catalog-service listening on port " << (*server)->port()
            << std::endl;
  spdlog::info("serving on {} (port {}), data in {}, revision {}",
               server_options.listen_address, (*server)->port(),
               store_options.path, (*store)->revision());

  const int signal_number = WaitForTerminationSignal();
  spdlog::info("signal {} received", signal_number);
  (*server)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so only WaitForTerminationSignal sees them.
  reel::BlockTerminationSignals();
  absl::SetProgramUsageMessage(
      "Serves the Reel film catalog over gRPC.\n  catalog-service "
      "--listen=127.0.0.1:50051 --data_dir=.data/catalog");
  absl::ParseCommandLine(argc, argv);
  return Run();
}
