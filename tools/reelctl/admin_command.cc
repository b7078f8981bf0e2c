#include "tools/reelctl/admin_command.h"

#include <cstdint>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "reel/admin/v1/admin.grpc.pb.h"

ABSL_FLAG(int32_t, keep_latest, 0,
          "admin backup: afterwards keep only this many backups (0: all)");
ABSL_FLAG(int64_t, backup_id, 0, "admin verify: the backup to verify");

namespace reel::reelctl {
namespace {

namespace v1 = ::reel::admin::v1;

// A backup copies the whole database the first time: far longer than a
// unary call's usual deadline unless --timeout says otherwise.
constexpr absl::Duration kBackupTimeout = absl::Minutes(30);

void SetDeadline(const CliContext& cli, const CommandLine& line,
                 absl::Duration default_timeout, grpc::ClientContext* context) {
  if (line.flags.count("timeout") > 0) {
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
  if (line.args.size() < 2) {
    return ReportUsageError("admin: say backup, list or verify");
  }
  const std::string& sub = line.args[1];
  auto stub = v1::AdminService::NewStub(
      grpc::CreateChannel(cli.address(), ChannelCredentials()));
  grpc::ClientContext context;
  if (sub == "backup") {
    if (absl::Status flags = CheckFlags(line, "admin backup", {"keep_latest"});
        !flags.ok()) {
      return ReportUsageError(flags.message());
    }
    if (line.args.size() != 2) {
      return ReportUsageError("admin backup: takes no arguments");
    }
    v1::CreateBackupRequest request;
    request.set_keep_latest(absl::GetFlag(FLAGS_keep_latest));
    v1::CreateBackupResponse response;
    SetDeadline(cli, line, kBackupTimeout, &context);
    const absl::Time started = absl::Now();
    grpc::Status status = stub->CreateBackup(&context, request, &response);
    if (!status.ok()) return ReportError(status);
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
    if (absl::Status flags = CheckFlags(line, "admin list", {}); !flags.ok()) {
      return ReportUsageError(flags.message());
    }
    v1::ListBackupsResponse response;
    cli.SetDeadline(&context);
    grpc::Status status =
        stub->ListBackups(&context, v1::ListBackupsRequest(), &response);
    if (!status.ok()) return ReportError(status);
    for (const v1::Backup& backup : response.backups()) {
      if (int exit = PrintBackup(backup); exit != kExitOk) return exit;
    }
    std::cerr << response.backups_size() << " backups" << std::endl;
    return kExitOk;
  }
  if (sub == "verify") {
    if (absl::Status flags = CheckFlags(line, "admin verify", {"backup_id"});
        !flags.ok()) {
      return ReportUsageError(flags.message());
    }
    int64_t backup_id = absl::GetFlag(FLAGS_backup_id);
    if (line.args.size() == 3 && !absl::SimpleAtoi(line.args[2], &backup_id)) {
      return ReportUsageError(absl::StrCat("admin verify: backup id '",
                                           line.args[2], "' is not a number"));
    }
    if (line.args.size() > 3 || backup_id <= 0) {
      return ReportUsageError("admin verify: give one backup id (1 or more)");
    }
    v1::VerifyBackupRequest request;
    request.set_backup_id(backup_id);
    v1::VerifyBackupResponse response;
    SetDeadline(cli, line, kBackupTimeout, &context);
    grpc::Status status = stub->VerifyBackup(&context, request, &response);
    if (!status.ok()) return ReportError(status);
    std::cerr << "backup " << backup_id << ": every file present, sizes and "
              << "checksums match" << std::endl;
    return PrintBackup(response.backup());
  }
  return ReportUsageError(absl::StrCat("admin: unknown subcommand '", sub,
                                       "' (backup, list or verify)"));
}

}  // namespace reel::reelctl
