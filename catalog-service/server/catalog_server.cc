#include "catalog-service/server/catalog_server.h"

#include "common/status/status_macros.h"

namespace reel::catalog {

absl::StatusOr<std::unique_ptr<CatalogServer>> CatalogServer::Start(
    CatalogServerOptions options) {
  std::unique_ptr<CatalogServer> catalog(new CatalogServer());
  REEL_ASSIGN_OR_RETURN(catalog->store_, FilmStore::Open(options.store));
  catalog->hub_ =
      std::make_unique<WatchHub>(catalog->store_.get(), options.watch);
  WatchHub* hub = catalog->hub_.get();
  catalog->store_->SetCommitListener(
      [hub](int64_t revision) { hub->OnCommit(revision); });
  catalog->service_ = std::make_unique<CatalogServiceImpl>(
      catalog->store_.get(), hub, options.api);
  options.server.health_service_names.push_back(
      "reel.catalog.v1.CatalogService");
  REEL_ASSIGN_OR_RETURN(
      catalog->server_,
      GrpcServer::Start(options.server, {catalog->service_.get()}));
  catalog->server_->AddBeforeDrainHook([hub] { hub->Shutdown(); });
  catalog->server_->SetServing(true);  // The store is open.
  return catalog;
}

CatalogServer::~CatalogServer() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace reel::catalog
