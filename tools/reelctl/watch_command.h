// `reelctl watch [--from REV]`: follows WatchFilms and prints one line per
// event ("REVISION TYPE NAME TITLE") plus "#" lines for progress and the end
// of the initial snapshot, until SIGINT/SIGTERM or a stream error.
#ifndef REEL_TOOLS_REELCTL_WATCH_COMMAND_H_
#define REEL_TOOLS_REELCTL_WATCH_COMMAND_H_

#include "tools/reelctl/cli_context.h"
#include "tools/reelctl/command_line.h"

namespace reel::reelctl {

// `line.command` is {"watch"}. Must run before anything in the process starts
// gRPC (it blocks termination signals for its own waiter thread). Returns
// kExitOk when interrupted, kExitFailure when the stream fails.
int RunWatchCommand(CliContext& cli, const CommandLine& line);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_WATCH_COMMAND_H_
