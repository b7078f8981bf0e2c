// AdminServiceImpl: the reel.admin.v1.AdminService edge — online backups of
// the catalog's store, listed and verified, on the sync API (a backup holds
// its handler thread while it copies; backups are rare and one at a time).
//
// Without a backup folder (`backups` null) every method is
// FAILED_PRECONDITION naming the --backup_dir flag. Who may call it is the
// authorization policy's business (the admin role, docs/security.md).
#ifndef REEL_CATALOG_SERVICE_API_ADMIN_SERVICE_H_
#define REEL_CATALOG_SERVICE_API_ADMIN_SERVICE_H_

#include "catalog-service/backup/catalog_backups.h"
#include "catalog-service/store/film_store.h"
#include "reel/admin/v1/admin.grpc.pb.h"

namespace reel::catalog {

class AdminServiceImpl final : public reel::admin::v1::AdminService::Service {
 public:
  // `store` and `backups` (may be null) must outlive the service.
  AdminServiceImpl(const FilmStore* store, CatalogBackups* backups)
      : store_(store), backups_(backups) {}

  grpc::Status CreateBackup(
      grpc::ServerContext* context,
      const reel::admin::v1::CreateBackupRequest* request,
      reel::admin::v1::CreateBackupResponse* response) override;
  grpc::Status ListBackups(
      grpc::ServerContext* context,
      const reel::admin::v1::ListBackupsRequest* request,
      reel::admin::v1::ListBackupsResponse* response) override;
  grpc::Status VerifyBackup(
      grpc::ServerContext* context,
      const reel::admin::v1::VerifyBackupRequest* request,
      reel::admin::v1::VerifyBackupResponse* response) override;

 private:
  const FilmStore* const store_;
  CatalogBackups* const backups_;
};

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_API_ADMIN_SERVICE_H_
