#include "catalog-service/api/admin_service.h"

#include <google/protobuf/util/time_util.h>

#include "common/status/grpc_status.h"

namespace reel::catalog {
namespace {

using ::reel::admin::v1::Backup;

void ToProto(const BackupRecord& record, Backup* backup) {
  backup->set_backup_id(record.backup_id);
  backup->set_revision(record.revision);
  backup->set_history_id(record.history_id);
  *backup->mutable_create_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(
          absl::ToUnixSeconds(record.create_time));
  backup->set_size_bytes(record.size_bytes);
  backup->set_file_count(record.file_count);
  backup->set_film_count(record.film_count);
}

grpc::Status NoBackupFolder() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "backups are off: catalog-service was started without "
                      "--backup_dir");
}

}  // namespace

grpc::Status AdminServiceImpl::CreateBackup(
    grpc::ServerContext* /*context*/,
    const reel::admin::v1::CreateBackupRequest* request,
    reel::admin::v1::CreateBackupResponse* response) {
  if (backups_ == nullptr) return NoBackupFolder();
  int deleted = 0;
  absl::StatusOr<BackupRecord> record =
      backups_->Create(*store_, request->keep_latest(), &deleted);
  if (!record.ok()) return ToGrpcStatus(record.status());
  ToProto(*record, response->mutable_backup());
  response->set_deleted_count(deleted);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListBackups(
    grpc::ServerContext* /*context*/,
    const reel::admin::v1::ListBackupsRequest* /*request*/,
    reel::admin::v1::ListBackupsResponse* response) {
  if (backups_ == nullptr) return NoBackupFolder();
  absl::StatusOr<std::vector<BackupRecord>> records = backups_->List();
  if (!records.ok()) return ToGrpcStatus(records.status());
  for (const BackupRecord& record : *records) {
    ToProto(record, response->add_backups());
  }
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::VerifyBackup(
    grpc::ServerContext* /*context*/,
    const reel::admin::v1::VerifyBackupRequest* request,
    reel::admin::v1::VerifyBackupResponse* response) {
  if (backups_ == nullptr) return NoBackupFolder();
  absl::StatusOr<BackupRecord> record = backups_->Verify(request->backup_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  ToProto(*record, response->mutable_backup());
  return grpc::Status::OK;
}

}  // namespace reel::catalog
