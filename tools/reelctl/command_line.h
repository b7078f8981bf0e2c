// reelctl's argument parsing. Flags are ordinary ABSL_FLAGs, set through
// Abseil's flag reflection so that each command can say which flags it takes
// and a mistake is a usage error (exit code 2) rather than an abort.
//
// Accepted forms: --name=value, --name value, --bool_flag, --nobool_flag;
// dashes and underscores in names are interchangeable (--page-size); "--"
// ends the flags.
#ifndef REEL_TOOLS_REELCTL_COMMAND_LINE_H_
#define REEL_TOOLS_REELCTL_COMMAND_LINE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace reel::reelctl {

struct CommandLine {
  std::vector<std::string> args;  // Positional arguments, in order.
  std::set<std::string> flags;    // Flags given, by name with underscores.
  bool help = false;              // --help or -h was given.
};

// OK: every flag in argv[1..] was known and its value parsed (the flag now
// holds it). INVALID_ARGUMENT: an unknown flag, a missing or bad value.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv);

// OK when every flag given is a global flag or one of `allowed` (names with
// underscores); otherwise INVALID_ARGUMENT naming the first flag that is not.
absl::Status CheckFlags(const CommandLine& line, absl::string_view command,
                        absl::Span<const absl::string_view> allowed);

// "--page-size" for "page_size": how users write the name.
std::string FlagDisplayName(absl::string_view name);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_COMMAND_LINE_H_
