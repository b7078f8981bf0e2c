#include "catalog-service/server/catalog_server.h"

#include "common/status/status_macros.h"

namespace reel::catalog {
namespace {

// Catalog figures for /metrics, read at each scrape. The GrpcServer holding
// the registry is destroyed before the store and hub (see the header).
void AddCatalogMetrics(MetricsRegistry* metrics, const FilmStore* store,
                       const WatchHub* hub, const CatalogServiceImpl* service) {
  metrics->AddCallbackGauge(
      "reel_catalog_imports_active",
      "ImportFilms calls open now (at most --max_concurrent_imports).", {},
      [service] { return static_cast<double>(service->active_imports()); });
  metrics->AddCallbackGauge(
      "reel_catalog_revision", "Newest committed catalog revision.", {},
      [store] { return static_cast<double>(store->revision()); });
  metrics->AddCallbackGauge(
      "reel_catalog_compacted_through_revision",
      "Newest revision removed from the change log.", {},
      [store] { return static_cast<double>(store->compacted_through()); });
  metrics->AddCallbackCounter(
      "reel_catalog_commit_groups_total",
      "Group commits: one RocksDB WriteBatch and one WAL fsync each.", {},
      [store] { return static_cast<double>(store->commit_stats().groups); });
  metrics->AddCallbackCounter(
      "reel_catalog_commit_writes_total",
      "Write calls committed; divided by reel_catalog_commit_groups_total, "
      "the mean group size.",
      {},
      [store] { return static_cast<double>(store->commit_stats().writes); });
  metrics->AddCallbackGauge(
      "reel_catalog_watch_streams_active", "WatchFilms streams open now.", {},
      [hub] { return static_cast<double>(hub->active_streams()); });
  metrics->AddCallbackCounter(
      "reel_catalog_watch_streams_stalled_total",
      "WatchFilms streams ended because the client stopped reading.", {},
      [hub] { return static_cast<double>(hub->stalled_streams()); });
  metrics->AddCallbackGauge(
      "reel_catalog_rocksdb_pending_compaction_bytes",
      "RocksDB estimate of bytes compaction must rewrite.", {}, [store] {
        return static_cast<double>(store->AggregatedIntProperty(
            "rocksdb.estimate-pending-compaction-bytes"));
      });
  metrics->AddCallbackGauge(
      "reel_catalog_rocksdb_memtable_bytes",
      "RocksDB memtable bytes (active, unflushed and pinned).", {}, [store] {
        return static_cast<double>(
            store->AggregatedIntProperty("rocksdb.cur-size-all-mem-tables"));
      });
  metrics->AddCallbackGauge(
      "reel_catalog_rocksdb_live_sst_bytes",
      "RocksDB live SST file bytes on disk.", {},
      [store] { return static_cast<double>(store->ApproximateDiskBytes()); });
}

}  // namespace

absl::StatusOr<std::unique_ptr<CatalogServer>> CatalogServer::Start(
    CatalogServerOptions options) {
  std::unique_ptr<CatalogServer> catalog(new CatalogServer());
  REEL_ASSIGN_OR_RETURN(catalog->store_, FilmStore::Open(options.store));
  catalog->hub_ =
      std::make_unique<WatchHub>(catalog->store_.get(), options.watch);
  WatchHub* hub = catalog->hub_.get();
  catalog->store_->SetCommitListener(
      [hub](int64_t revision) { hub->OnCommit(revision); });
  if (!options.backup_dir.empty()) {
    REEL_ASSIGN_OR_RETURN(catalog->backups_,
                          CatalogBackups::Open(options.backup_dir));
  }
  catalog->service_ = std::make_unique<CatalogServiceImpl>(
      catalog->store_.get(), hub, options.api);
  catalog->admin_ = std::make_unique<AdminServiceImpl>(catalog->store_.get(),
                                                       catalog->backups_.get());
  options.server.health_service_names.push_back(
      "reel.catalog.v1.CatalogService");
  options.server.health_service_names.push_back("reel.admin.v1.AdminService");
  REEL_ASSIGN_OR_RETURN(
      catalog->server_,
      GrpcServer::Start(options.server,
                        {catalog->service_.get(), catalog->admin_.get()}));
  AddCatalogMetrics(catalog->server_->metrics(), catalog->store_.get(), hub,
                    catalog->service_.get());
  catalog->server_->AddBeforeDrainHook([hub] { hub->Shutdown(); });
  catalog->server_->SetServing(true);  // The store is open.
  return catalog;
}

CatalogServer::~CatalogServer() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace reel::catalog
