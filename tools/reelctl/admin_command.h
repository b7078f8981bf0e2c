// `reelctl admin backup|list|verify`: the catalog's reel.admin.v1 service,
// reached at the catalog address (--catalog) with the same --tls_dir (an
// admin certificate where the policy asks for one).
#ifndef REEL_TOOLS_REELCTL_ADMIN_COMMAND_H_
#define REEL_TOOLS_REELCTL_ADMIN_COMMAND_H_

#include "tools/reelctl/cli_context.h"
#include "tools/reelctl/command_line.h"

namespace reel::reelctl {

// `line.command` is {"admin", SUBCOMMAND}. Prints each backup as one line
// of JSON on stdout. Returns kExitOk, kExitFailure when the call fails, or
// kExitUsage.
int RunAdminCommand(CliContext& cli, const CommandLine& line);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_ADMIN_COMMAND_H_
