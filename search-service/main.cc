// search-service: serves reel.search.v1.SearchService from an index that
// follows the catalog's WatchFilms stream. Flags become option structs here
// and nowhere else.
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging/logging.h"
#include "common/server/grpc_server.h"
#include "common/server/mutex_mode.h"
#include "common/server/server_flags.h"
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

namespace {

// Search figures for /metrics, read at each scrape. The server holding the
// registry is destroyed before the index, follower and store it reads.
void AddSearchMetrics(reel::MetricsRegistry* metrics,
                      const reel::search::LiveIndex* index,
                      const reel::search::CatalogFollower* follower,
                      const reel::search::IndexStore* store) {
  metrics->AddCallbackGauge(
      "reel_search_applied_revision", "Catalog revision the index reflects.",
      {}, [index] { return static_cast<double>(index->applied_revision()); });
  metrics->AddCallbackGauge(
      "reel_search_catalog_revision_seen",
      "Newest catalog revision seen on the watch stream.", {}, [follower] {
        return static_cast<double>(follower->status().catalog_revision_seen);
      });
  metrics->AddCallbackGauge(
      "reel_search_watch_lag_revisions",
      "Catalog revisions seen but not yet applied to the index.", {},
      [index, follower] {
        return static_cast<double>(
            std::max<int64_t>(0, follower->status().catalog_revision_seen -
                                     index->applied_revision()));
      });
  // One stats() walk per scrape serves the four index gauges.
  struct StatsCache {
    absl::Mutex mutex;
    absl::Time taken ABSL_GUARDED_BY(mutex) = absl::InfinitePast();
    reel::search::IndexStats stats ABSL_GUARDED_BY(mutex);
  };
  auto cache = std::make_shared<StatsCache>();
  auto stat = [index, cache](int64_t reel::search::IndexStats::*field) {
    return [index, cache, field] {
      absl::MutexLock lock(&cache->mutex);
      if (absl::Now() - cache->taken > absl::Seconds(1)) {
        cache->stats = index->stats();
        cache->taken = absl::Now();
      }
      return static_cast<double>(cache->stats.*field);
    };
  };
  metrics->AddCallbackGauge("reel_search_index_films", "Films indexed.", {},
                            stat(&reel::search::IndexStats::films));
  metrics->AddCallbackGauge("reel_search_index_scenes", "Scenes indexed.", {},
                            stat(&reel::search::IndexStats::scenes));
  metrics->AddCallbackGauge("reel_search_index_terms",
                            "Distinct terms in the index.", {},
                            stat(&reel::search::IndexStats::terms));
  metrics->AddCallbackGauge("reel_search_index_memory_bytes",
                            "Approximate index memory in bytes.", {},
                            stat(&reel::search::IndexStats::memory_bytes));
  metrics->AddCallbackGauge(
      "reel_search_index_disk_bytes", "Index state on disk in bytes.", {},
      [store] { return static_cast<double>(store->DiskBytes()); });
}

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
  follower_options.catalog_tls_dir = absl::GetFlag(FLAGS_catalog_tls_dir);
  follower_options.max_backoff = absl::GetFlag(FLAGS_reconnect_max_backoff);
  GrpcServer* server_for_health = nullptr;
  absl::Mutex health_mutex;  // Guards index_ready and server_for_health.
  bool index_ready = false;
  follower_options.on_ready = [&] {
    absl::MutexLock lock(&health_mutex);
    index_ready = true;
    if (server_for_health != nullptr) server_for_health->SetServing(true);
    spdlog::info("index ready at revision {}", index.applied_revision());
  };
  CatalogFollower follower(follower_options, &index, store->get());

  SearchApiOptions api_options;
  api_options.stall_timeout = absl::GetFlag(FLAGS_search_stall_timeout);
  SearchServiceImpl service(
      &index, shared_analyzer,
      [&follower, &store](reel::search::v1::GetIndexStatusResponse* response) {
        const FollowerStatus status = follower.status();
        response->set_catalog_revision(status.catalog_revision_seen);
        response->set_catalog_history_id(status.catalog_history_id);
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
      },
      api_options);

  GrpcServerOptions server_options;
  server_options.listen_address = absl::GetFlag(FLAGS_listen);
  server_options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  server_options.health_service_names = {"reel.search.v1.SearchService"};
  server_options.metrics_listen_address = absl::GetFlag(FLAGS_metrics_listen);
  server_options.tls_dir = absl::GetFlag(FLAGS_tls_dir);
  ApplyServerLimitFlags(&server_options);
  if (const absl::Duration age = absl::GetFlag(FLAGS_max_connection_age);
      age > absl::ZeroDuration()) {
    server_options.max_connection_age = age;
    server_options.max_connection_age_grace = server_options.drain_timeout;
  }
  auto server = GrpcServer::Start(server_options, {&service});
  if (!server.ok()) {
    spdlog::critical("{}", server.status().ToString());
    return 1;
  }
  AddSearchMetrics((*server)->metrics(), &index, &follower, store->get());
  // Searches waiting for a revision end at once on shutdown (UNAVAILABLE)
  // rather than holding the drain until their deadline.
  (*server)->AddBeforeDrainHook([&index] { index.CancelWaits(); });
  {
    // Health is NOT_SERVING until the index holds a state.
    absl::MutexLock lock(&health_mutex);
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
  if (const int port = (*server)->metrics_port(); port != 0) {
    spdlog::info("metrics on {} (port {})",
                 server_options.metrics_listen_address, port);
  }

  const int signal_number = WaitForTerminationSignal();
  spdlog::info("signal {} received", signal_number);
  (*server)->Shutdown();
  follower.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  umask(077);  // The index's data dir and files: owner only.
  // Before any thread starts, so only WaitForTerminationSignal sees them.
  reel::BlockTerminationSignals();
  reel::DisableMutexDeadlockDetection();
  absl::SetProgramUsageMessage(
      "Serves Reel's scene search over gRPC, following the catalog.\n"
      "  search-service --listen=127.0.0.1:50052 --catalog=127.0.0.1:50051");
  absl::ParseCommandLine(argc, argv);
  return Run();
}
