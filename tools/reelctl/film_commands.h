// `reelctl films create|get|list|update|delete`: one unary CatalogService
// call each, printing the result as JSON on stdout. `reelctl films export`:
// every film as JSON Lines (Film in protobuf's JSON mapping, one per line),
// the format `reelctl import` reads back.
#ifndef REEL_TOOLS_REELCTL_FILM_COMMANDS_H_
#define REEL_TOOLS_REELCTL_FILM_COMMANDS_H_

#include "tools/reelctl/cli_context.h"
#include "tools/reelctl/command_line.h"

namespace reel::reelctl {

// `line.args` starts with "films". Returns the process exit code.
int RunFilmsCommand(CliContext& cli, const CommandLine& line);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_FILM_COMMANDS_H_
