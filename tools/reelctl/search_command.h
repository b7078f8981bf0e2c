// reelctl search QUERY... and reelctl status: the search service's client
// commands. Hits print as they stream in, with matched words marked.
#ifndef REEL_TOOLS_REELCTL_SEARCH_COMMAND_H_
#define REEL_TOOLS_REELCTL_SEARCH_COMMAND_H_

#include "tools/reelctl/cli_context.h"
#include "tools/reelctl/command_line.h"

namespace reel::reelctl {

int RunSearchCommand(CliContext& cli, const CommandLine& line);
int RunStatusCommand(CliContext& cli, const CommandLine& line);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_SEARCH_COMMAND_H_
