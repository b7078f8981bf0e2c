// CatalogServer: a whole catalog service in one object — the FilmStore, the
// WatchHub fed by its commits, the CatalogService edge, the AdminService
// (backups, when a backup folder is set) and the gRPC server
// with health (SERVING once the store is open) and a drain that first ends
// the watch streams. main() runs one; tests start one in-process on port 0.
//
// The destructor shuts down gracefully and closes the store.
#ifndef REEL_CATALOG_SERVICE_SERVER_CATALOG_SERVER_H_
#define REEL_CATALOG_SERVICE_SERVER_CATALOG_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "catalog-service/api/admin_service.h"
#include "catalog-service/api/catalog_service.h"
#include "catalog-service/backup/catalog_backups.h"
#include "catalog-service/store/film_store.h"
#include "catalog-service/watch/watch_hub.h"
#include "common/server/grpc_server.h"

namespace reel::catalog {

struct CatalogServerOptions {
  FilmStoreOptions store;
  WatchOptions watch;
  CatalogApiOptions api;
  GrpcServerOptions server;
  // Folder for AdminService backups (RocksDB BackupEngine); "" turns
  // backups off (the admin methods answer FAILED_PRECONDITION).
  std::string backup_dir;
};

class CatalogServer {
 public:
  // Opens the store and starts serving. Errors: the store's Open() errors,
  // UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<CatalogServer>> Start(
      CatalogServerOptions options);

  ~CatalogServer();
  CatalogServer(const CatalogServer&) = delete;
  CatalogServer& operator=(const CatalogServer&) = delete;

  int port() const { return server_->port(); }
  FilmStore* store() const { return store_.get(); }
  WatchHub* hub() const { return hub_.get(); }
  GrpcServer* server() const { return server_.get(); }
  CatalogServiceImpl* service() const { return service_.get(); }
  CatalogBackups* backups() const { return backups_.get(); }

  // Graceful stop (see GrpcServer::Shutdown); idempotent.
  void Shutdown() { server_->Shutdown(); }

 private:
  CatalogServer() = default;

  // Destroyed in reverse order: server, services, backups, hub, store.
  std::unique_ptr<FilmStore> store_;
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<CatalogBackups> backups_;
  std::unique_ptr<CatalogServiceImpl> service_;
  std::unique_ptr<AdminServiceImpl> admin_;
  std::unique_ptr<GrpcServer> server_;
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_SERVER_CATALOG_SERVER_H_
