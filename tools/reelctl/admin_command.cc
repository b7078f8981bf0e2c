#include "tools/reelctl/admin_command.h"

#include <cstdint>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reel/admin/v1/admin.grpc.pb.h"

namespace reel::reelctl {
namespace {

namespace v1 = ::reel::admin::v1;

// A backup copies the whole database the first time: far longer than a
// unary call's usual deadline unless --timeout says otherwise.
constexpr absl::Duration kBackupTimeout = absl::Minutes(30);

void SetDeadline(const CliContext& cli, absl::Duration default_timeout,
                 grpc::ClientContext* context) {
  if (cli.options().timeout_given) {
    cli.SetDeadline(context);
  } else {
    context->set_deadline(absl::ToChronoTime(absl::Now() + default_timeout));
  }
}

int PrintBackup(const v1::Backup& backup) {
  absl::Status printed = PrintJson(backup);
  return printed.ok() ? kExitOk : ReportError(printed);
}

}  // namespace

int RunAdminCommand(CliContext& cli, const CommandLine& line) {
  const std::string& sub = line.command.at(1);
  auto stub = v1::AdminService::NewStub(cli.CatalogChannel());
  grpc::ClientContext context;
  if (sub == "backup") {
    v1::CreateBackupRequest request;
    request.set_keep_latest(line.admin.keep_latest);
    v1::CreateBackupResponse response;
    SetDeadline(cli, kBackupTimeout, &context);
    const absl::Time started = absl::Now();
    grpc::Status status = stub->CreateBackup(&context, request, &response);
    if (!status.ok()) return cli.ReportCatalogError(status);
    std::cerr << "backup " << response.backup().backup_id() << " taken in "
              << absl::FormatDuration(absl::Now() - started) << " (revision "
              << response.backup().revision() << ", "
              << response.backup().film_count() << " films)";
    if (response.deleted_count() > 0) {
      std::cerr << "; deleted " << response.deleted_count() << " older backups";
    }
    std::cerr << std::endl;
    return PrintBackup(response.backup());
  }
  if (sub == "list") {
    v1::ListBackupsResponse response;
    cli.SetDeadline(&context);
    grpc::Status status =
        stub->ListBackups(&context, v1::ListBackupsRequest(), &response);
    if (!status.ok()) return cli.ReportCatalogError(status);
    for (const v1::Backup& backup : response.backups()) {
      if (int exit = PrintBackup(backup); exit != kExitOk) return exit;
    }
    std::cerr << response.backups_size() << " backups" << std::endl;
    return kExitOk;
  }
  if (sub == "verify") {
    const int64_t backup_id = line.admin.backup_id.value_or(0);
    if (backup_id <= 0) {
      return ReportUsageError("admin verify", "give one backup id (1 or more)");
    }
    v1::VerifyBackupRequest request;
    request.set_backup_id(backup_id);
    v1::VerifyBackupResponse response;
    SetDeadline(cli, kBackupTimeout, &context);
    grpc::Status status = stub->VerifyBackup(&context, request, &response);
    if (!status.ok()) return cli.ReportCatalogError(status);
    std::cerr << "backup " << backup_id << ": every file present, sizes and "
              << "checksums match" << std::endl;
    return PrintBackup(response.backup());
  }
  return ReportUsageError("admin", absl::StrCat("unknown command '", sub,
                                                "' (backup, list or verify)"));
}

}  // namespace reel::reelctl
