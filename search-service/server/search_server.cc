#include "search-service/server/search_server.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status/status_macros.h"

namespace reel::search {
namespace {

// Search figures for /metrics, read at each scrape. The GrpcServer holding
// the registry is destroyed before the index, follower and store it reads
// (see the header).
void AddSearchMetrics(MetricsRegistry* metrics, const LiveIndex* index,
                      const CatalogFollower* follower,
                      const IndexStore* store) {
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
    IndexStats stats ABSL_GUARDED_BY(mutex);
  };
  auto cache = std::make_shared<StatsCache>();
  auto stat = [index, cache](int64_t IndexStats::*field) {
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
                            stat(&IndexStats::films));
  metrics->AddCallbackGauge("reel_search_index_scenes", "Scenes indexed.", {},
                            stat(&IndexStats::scenes));
  metrics->AddCallbackGauge("reel_search_index_terms",
                            "Distinct terms in the index.", {},
                            stat(&IndexStats::terms));
  metrics->AddCallbackGauge("reel_search_index_memory_bytes",
                            "Approximate index memory in bytes.", {},
                            stat(&IndexStats::memory_bytes));
  metrics->AddCallbackGauge(
      "reel_search_index_disk_bytes", "Index state on disk in bytes.", {},
      [store] { return static_cast<double>(store->DiskBytes()); });
}

}  // namespace

absl::StatusOr<std::unique_ptr<SearchServer>> SearchServer::Start(
    SearchServerOptions options) {
  std::unique_ptr<SearchServer> search(new SearchServer());
  REEL_ASSIGN_OR_RETURN(search->analyzer_, text::Analyzer::Create());
  REEL_ASSIGN_OR_RETURN(search->store_, IndexStore::Open(options.data_dir));
  search->index_ = std::make_unique<LiveIndex>(search->analyzer_);

  SearchServer* self = search.get();
  options.follower.on_ready = [self,
                               then = std::move(options.follower.on_ready)] {
    self->OnIndexReady();
    if (then) then();
  };
  search->follower_ = std::make_unique<CatalogFollower>(
      options.follower, search->index_.get(), search->store_.get());

  search->service_ = std::make_unique<SearchServiceImpl>(
      search->index_.get(), search->analyzer_,
      [self](v1::GetIndexStatusResponse* response) {
        self->FillStatus(response);
      },
      options.api);
  options.server.health_service_names.push_back("reel.search.v1.SearchService");
  REEL_ASSIGN_OR_RETURN(
      search->server_,
      GrpcServer::Start(options.server, {search->service_.get()}));
  AddSearchMetrics(search->server_->metrics(), search->index_.get(),
                   search->follower_.get(), search->store_.get());
  // Searches waiting for a revision end at once on shutdown (UNAVAILABLE)
  // rather than holding the drain until their deadline.
  LiveIndex* index = search->index_.get();
  search->server_->AddBeforeDrainHook([index] { index->CancelWaits(); });

  // Health stays NOT_SERVING until the index holds a state: OnIndexReady,
  // here (loaded from disk) or on the follower thread (first snapshot).
  REEL_RETURN_IF_ERROR(search->follower_->Start());
  return search;
}

SearchServer::~SearchServer() { Shutdown(); }

void SearchServer::Shutdown() {
  {
    absl::MutexLock lock(&health_mutex_);
    shutting_down_ = true;
  }
  if (server_ != nullptr) server_->Shutdown();
  if (follower_ != nullptr) follower_->Stop();
}

void SearchServer::OnIndexReady() {
  {
    absl::MutexLock lock(&health_mutex_);
    if (!shutting_down_) server_->SetServing(true);
  }
  spdlog::info("index ready at revision {}", index_->applied_revision());
}

void SearchServer::FillStatus(v1::GetIndexStatusResponse* response) const {
  const FollowerStatus status = follower_->status();
  response->set_catalog_revision(status.catalog_revision_seen);
  response->set_catalog_history_id(status.catalog_history_id);
  response->set_connection_state(status.state);
  response->set_last_error(status.last_error);
  response->set_disk_bytes(static_cast<int64_t>(store_->DiskBytes()));
  // Unset (rather than the epoch) when there is no such time.
  auto to_proto = [](absl::Time time) {
    return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
        absl::ToUnixNanos(time));
  };
  if (status.last_error_time != absl::InfinitePast()) {
    *response->mutable_last_error_time() = to_proto(status.last_error_time);
  }
  if (status.last_applied_time != absl::InfinitePast()) {
    *response->mutable_last_applied_time() = to_proto(status.last_applied_time);
  }
}

}  // namespace reel::search
