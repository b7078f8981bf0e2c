// `reelctl import FILE|-... [--batch N] [--replace] [--progress]`: streams
// the films of each file or stdin (film pages, corpus JSON Lines, or films as
// `films export` writes them; see ImportFileReader in film_input.h) through
// one ImportFilms call and prints a summary on stdout. Every input is opened
// and checked first; one that is neither JSON Lines nor a film page fails
// the command before anything is sent. Records that do not parse locally
// are reported on stderr and skipped.
#ifndef REEL_TOOLS_REELCTL_IMPORT_COMMAND_H_
#define REEL_TOOLS_REELCTL_IMPORT_COMMAND_H_

#include "tools/reelctl/cli_context.h"
#include "tools/reelctl/command_line.h"

namespace reel::reelctl {

// `line.command` is {"import"}. Returns kExitOk only when every film of
// every file was imported; kExitFailure when a file, a film or the RPC
// failed; kExitUsage for a bad command line.
int RunImportCommand(CliContext& cli, const CommandLine& line);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_IMPORT_COMMAND_H_
