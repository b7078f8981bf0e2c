// search-service: serves reel.search.v1.SearchService from an index that
// follows the catalog's WatchFilms stream. Flags become option structs here
// and nowhere else.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <iostream>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "common/logging/logging.h"
#include "common/metrics/process_metrics.h"
#include "common/server/flag_usage.h"
#include "common/server/mutex_mode.h"
#include "common/server/server_flags.h"
#include "common/server/signals.h"
#include "search-service/server/search_server.h"

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
ABSL_FLAG(std::string, log_format, "text",
          "text, or json for one JSON object per line");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port serving Prometheus metrics at GET /metrics (e.g. "
          "127.0.0.1:9091); empty serves none");
ABSL_FLAG(std::string, tls_dir, "",
          "directory with tls.crt and tls.key to serve TLS (plus ca.crt to "
          "require client certificates); empty serves plaintext");
ABSL_FLAG(std::string, catalog_tls_dir, "",
          "directory with ca.crt to verify the catalog over TLS (plus tls.crt "
          "and tls.key to send a client certificate); empty: plaintext");
ABSL_FLAG(absl::Duration, max_connection_age, absl::ZeroDuration(),
          "send clients GOAWAY once a connection is this old so they "
          "reconnect and spread over new replicas (calls in flight get "
          "--drain_timeout to finish); 0 never does");
ABSL_FLAG(absl::Duration, search_stall_timeout, absl::Seconds(30),
          "end a SearchScenes stream whose client leaves a message unread "
          "this long (RESOURCE_EXHAUSTED); one that does not read up to that "
          "status within as long again is cancelled");

ABSL_FLAG(std::string, page_token_key_file, "",
          "file whose bytes (at least 32) sign SearchScenes page tokens; "
          "replicas behind one address need the same file so a page token "
          "from one works on another; empty: a random key per process");

namespace {

int Run() {
  using namespace reel;
  using namespace reel::search;

  if (absl::Status status =
          InitLogging({.level = absl::GetFlag(FLAGS_log_level),
                       .component = "search",
                       .format = absl::GetFlag(FLAGS_log_format)});
      !status.ok()) {
    std::cerr << "search-service: " << status.message() << "\n";
    return 2;
  }

  SearchServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.follower.catalog_address = absl::GetFlag(FLAGS_catalog);
  options.follower.catalog_tls_dir = absl::GetFlag(FLAGS_catalog_tls_dir);
  options.follower.max_backoff = absl::GetFlag(FLAGS_reconnect_max_backoff);
  options.api.stall_timeout = absl::GetFlag(FLAGS_search_stall_timeout);
  if (const std::string key_file = absl::GetFlag(FLAGS_page_token_key_file);
      !key_file.empty()) {
    absl::StatusOr<CursorSigner> signer = CursorSigner::FromKeyFile(key_file);
    if (!signer.ok()) {
      spdlog::critical("--page_token_key_file: {}", signer.status().ToString());
      return 2;
    }
    options.api.page_tokens =
        std::make_shared<const CursorSigner>(*std::move(signer));
  }
  options.server.listen_address = absl::GetFlag(FLAGS_listen);
  options.server.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  options.server.metrics_listen_address = absl::GetFlag(FLAGS_metrics_listen);
  options.server.tls_dir = absl::GetFlag(FLAGS_tls_dir);
  ApplyServerLimitFlags(&options.server);
  if (const absl::Duration age = absl::GetFlag(FLAGS_max_connection_age);
      age > absl::ZeroDuration()) {
    options.server.max_connection_age = age;
    options.server.max_connection_age_grace = options.server.drain_timeout;
  }
  auto search = SearchServer::Start(options);
  if (!search.ok()) {
    spdlog::critical("cannot start the search service: {}",
                     search.status().ToString());
    return 1;
  }
  AddProcessMetrics((*search)->server()->metrics());
  AddBuildInfo((*search)->server()->metrics(), "search");
  // Tests and scripts read these lines to learn the ports.
  if (const int port = (*search)->server()->metrics_port(); port != 0) {
    std::cout << "search-service metrics on port " << port << "\n";
  }
  std::cout << "search-service listening on port " << (*search)->port()
            << std::endl;
  spdlog::info("serving on {} (port {}), following catalog {}",
               options.server.listen_address, (*search)->port(),
               options.follower.catalog_address);
  if (const int port = (*search)->server()->metrics_port(); port != 0) {
    spdlog::info("metrics on {} (port {})",
                 options.server.metrics_listen_address, port);
  }

  const int signal_number = WaitForTerminationSignal();
  spdlog::info("signal {} received", signal_number);
  (*search)->Shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  umask(077);  // The index's data dir and files: owner only.
  // Before any thread starts, so only WaitForTerminationSignal sees them.
  reel::BlockTerminationSignals();
  reel::DisableMutexDeadlockDetection();
  if (const std::optional<int> exit_code = reel::ParseServiceCommandLine(
          argc, argv,
          {.program = "search-service",
           .about =
               "serves Reel's scene search over gRPC "
               "(reel.search.v1.SearchService, grpc.health.v1.Health) from a "
               "full-text index that follows the catalog's WatchFilms stream "
               "(--catalog) and keeps its state in --data_dir.\n\n"
               "  search-service --listen=127.0.0.1:50052 "
               "--catalog=127.0.0.1:50051 --data_dir=.data/search "
               "[--metrics_listen=127.0.0.1:9091]"});
      exit_code.has_value()) {
    return *exit_code;
  }
  return Run();
}
