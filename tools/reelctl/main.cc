// reelctl: command-line client of Reel's catalog and search services.
// `reelctl --help` lists the commands; command_line.cc defines them.
#include <grpc/support/log.h>

#include <cstdlib>
#include <variant>

#include "tools/reelctl/admin_command.h"
#include "tools/reelctl/cli_context.h"
#include "tools/reelctl/command_line.h"
#include "tools/reelctl/film_commands.h"
#include "tools/reelctl/import_command.h"
#include "tools/reelctl/search_command.h"
#include "tools/reelctl/watch_command.h"

namespace reel::reelctl {
namespace {

// gRPC's own log lines ("Handshake failed with fatal error ...") repeat
// what the failed call's status says, which reelctl prints with a hint.
// GRPC_VERBOSITY brings them back.
void QuietGrpcLog(gpr_log_func_args*) {}

int Run(int argc, char** argv) {
  if (std::getenv("GRPC_VERBOSITY") == nullptr) {
    gpr_set_log_function(QuietGrpcLog);
  }
  std::variant<CommandLine, int> parsed = ParseCommandLine(argc, argv);
  if (const int* exit = std::get_if<int>(&parsed)) return *exit;
  const CommandLine& line = std::get<CommandLine>(parsed);
  CliContext cli(line.global);
  const std::string& command = line.command.front();
  if (command == "films") return RunFilmsCommand(cli, line);
  if (command == "import") return RunImportCommand(cli, line);
  if (command == "watch") return RunWatchCommand(cli, line);
  if (command == "search") return RunSearchCommand(cli, line);
  if (command == "status") return RunStatusCommand(cli, line);
  if (command == "admin") return RunAdminCommand(cli, line);
  return ReportUsageError(command, "unknown command");
}

}  // namespace
}  // namespace reel::reelctl

int main(int argc, char** argv) { return reel::reelctl::Run(argc, argv); }
