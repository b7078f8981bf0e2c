// catalog-service: serves reel.catalog.v1.CatalogService from a RocksDB
// database. Flags become option structs here and nowhere else.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <iostream>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "catalog-service/server/catalog_server.h"
#include "common/logging/logging.h"
#include "common/metrics/process_metrics.h"
#include "common/server/flag_usage.h"
#include "common/server/mutex_mode.h"
#include "common/server/server_flags.h"
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
          "long (RESOURCE_EXHAUSTED); one that does not read up to that "
          "status within as long again is cancelled");
ABSL_FLAG(int64_t, watch_max_message_bytes, 64 << 10,
          "most bytes of events in one WatchFilms message (at least one "
          "event); a stream holds about twice this however slow its client");
ABSL_FLAG(int64_t, watch_max_bytes_per_second, int64_t{64} << 20,
          "Bytes of WatchFilms messages sent per second over all streams (0: "
          "no cap), so streams that never read cannot turn snapshot sending "
          "into a load that starves writers.");
ABSL_FLAG(int, watch_build_threads, 1,
          "threads that build WatchFilms messages (never gRPC's or the "
          "writers' threads)");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20),
          "on SIGTERM, how long in-flight calls may finish before they are "
          "cancelled");
ABSL_FLAG(int, max_concurrent_imports, 16,
          "most ImportFilms calls open at once; more get RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, import_idle_timeout, absl::Seconds(60),
          "end an ImportFilms call whose client sends nothing this long "
          "(RESOURCE_EXHAUSTED; films committed so far stay committed)");
ABSL_FLAG(int, max_message_bytes, 64 << 20,
          "largest request or response message");
ABSL_FLAG(std::string, log_level, "info",
          "trace, debug, info, warn, error, critical or off");
ABSL_FLAG(std::string, log_format, "text",
          "text, or json for one JSON object per line");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port serving Prometheus metrics at GET /metrics (e.g. "
          "127.0.0.1:9090); empty serves none");
ABSL_FLAG(std::string, backup_dir, "",
          "folder for backups taken by reel.admin.v1.AdminService/"
          "CreateBackup (RocksDB BackupEngine; created if missing); empty "
          "turns backups off");
ABSL_FLAG(std::string, restore_from, "",
          "restore mode: copy a backup from this backup folder into "
          "--data_dir (which must be empty), give it a new history id, and "
          "exit without serving");
ABSL_FLAG(int64_t, restore_backup_id, 0,
          "with --restore_from: the backup to restore (0: the newest)");
ABSL_FLAG(std::string, tls_dir, "",
          "directory with tls.crt and tls.key to serve TLS (plus ca.crt to "
          "require client certificates); empty serves plaintext");

namespace {

int Run() {
  using namespace reel;
  using namespace reel::catalog;

  if (absl::Status status =
          InitLogging({.level = absl::GetFlag(FLAGS_log_level),
                       .component = "catalog",
                       .format = absl::GetFlag(FLAGS_log_format)});
      !status.ok()) {
    std::cerr << "catalog-service: " << status.message() << "\n";
    return 2;
  }

  if (const std::string backup_dir = absl::GetFlag(FLAGS_restore_from);
      !backup_dir.empty()) {
    absl::StatusOr<BackupRecord> restored =
        RestoreBackup(backup_dir, absl::GetFlag(FLAGS_restore_backup_id),
                      absl::GetFlag(FLAGS_data_dir));
    if (!restored.ok()) {
      spdlog::error("restore failed: {}", restored.status().ToString());
      return 1;
    }
    std::cout << "restored backup " << restored->backup_id << " (revision "
              << restored->revision << ", " << restored->film_count
              << " films) into " << absl::GetFlag(FLAGS_data_dir)
              << "; new history id " << restored->history_id << std::endl;
    return 0;
  }

  CatalogServerOptions options;
  options.store.path = absl::GetFlag(FLAGS_data_dir);
  options.store.sync_writes = absl::GetFlag(FLAGS_sync_writes);
  options.store.change_retention_revisions =
      absl::GetFlag(FLAGS_change_retention_revisions);
  options.watch.progress_interval =
      absl::GetFlag(FLAGS_watch_progress_interval);
  options.watch.stall_timeout = absl::GetFlag(FLAGS_watch_stall_timeout);
  options.watch.max_bytes_per_message =
      static_cast<size_t>(absl::GetFlag(FLAGS_watch_max_message_bytes));
  options.watch.build_threads = absl::GetFlag(FLAGS_watch_build_threads);
  options.watch.max_bytes_per_second =
      absl::GetFlag(FLAGS_watch_max_bytes_per_second);
  options.api.max_concurrent_imports =
      absl::GetFlag(FLAGS_max_concurrent_imports);
  options.api.import_idle_timeout = absl::GetFlag(FLAGS_import_idle_timeout);
  options.server.listen_address = absl::GetFlag(FLAGS_listen);
  options.server.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  options.server.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_message_bytes);
  options.server.max_send_message_bytes =
      absl::GetFlag(FLAGS_max_message_bytes);
  options.server.metrics_listen_address = absl::GetFlag(FLAGS_metrics_listen);
  options.server.tls_dir = absl::GetFlag(FLAGS_tls_dir);
  options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  ApplyServerLimitFlags(&options.server);
  auto catalog = CatalogServer::Start(options);
  if (!catalog.ok()) {
    spdlog::critical("cannot start the catalog: {}",
                     catalog.status().ToString());
    return 1;
  }
  AddProcessMetrics((*catalog)->server()->metrics());
  AddBuildInfo((*catalog)->server()->metrics(), "catalog");
  // Tests and scripts read these lines to learn the ports.
  if (const int port = (*catalog)->server()->metrics_port(); port != 0) {
    std::cout << "catalog-service metrics on port " << port << "\n";
  }
  std::cout << "catalog-service listening on port " << (*catalog)->port()
            << std::endl;
  spdlog::info("serving on {} (port {}), data in {}, revision {}",
               options.server.listen_address, (*catalog)->port(),
               options.store.path, (*catalog)->store()->revision());
  if (const int port = (*catalog)->server()->metrics_port(); port != 0) {
    spdlog::info("metrics on {} (port {})",
                 options.server.metrics_listen_address, port);
  }

  const int signal_number = WaitForTerminationSignal();
  spdlog::info("signal {} received", signal_number);
  (*catalog)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The catalog's files (database, logs) are for its own user alone.
  umask(077);
  // Before any thread starts, so only WaitForTerminationSignal sees them.
  reel::BlockTerminationSignals();
  reel::DisableMutexDeadlockDetection();
  if (const std::optional<int> exit_code = reel::ParseServiceCommandLine(
          argc, argv,
          {.program = "catalog-service",
           .about =
               "serves Reel's film catalog over gRPC "
               "(reel.catalog.v1.CatalogService, reel.admin.v1.AdminService, "
               "grpc.health.v1.Health) from a RocksDB database in --data_dir; "
               "every write is fsync'ed before it is acknowledged and "
               "WatchFilms streams the changes.\n\n"
               "  catalog-service --listen=127.0.0.1:50051 "
               "--data_dir=.data/catalog [--metrics_listen=127.0.0.1:9090]\n"
               "  catalog-service --restore_from=BACKUP_DIR "
               "--data_dir=EMPTY_DIR   (restore a backup, then exit)"});
      exit_code.has_value()) {
    return *exit_code;
  }
  return Run();
}
