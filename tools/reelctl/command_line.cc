#include "tools/reelctl/command_line.h"

#include <algorithm>
#include <string>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace reel::reelctl {
namespace {

// Flags every command accepts.
constexpr absl::string_view kGlobalFlags[] = {"catalog", "tls_dir", "timeout"};

absl::Status UsageError(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

}  // namespace

std::string FlagDisplayName(absl::string_view name) {
  return absl::StrCat("--", absl::StrReplaceAll(name, {{"_", "-"}}));
}

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv) {
  CommandLine line;
  bool flags_ended = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (flags_ended || arg == "-" || !absl::StartsWith(arg, "-")) {
      line.args.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      line.help = true;
      continue;
    }
    absl::ConsumePrefix(&arg, "-");
    absl::ConsumePrefix(&arg, "-");
    const size_t equals = arg.find('=');
    std::string name = absl::StrReplaceAll(arg.substr(0, equals), {{"-", "_"}});
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    bool negated = false;  // "--noall" is "--all=false".
    if (flag == nullptr && equals == arg.npos && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* positive =
          absl::FindCommandLineFlag(name.substr(2));
      if (positive != nullptr && positive->IsOfType<bool>()) {
        flag = positive;
        negated = true;
        name = name.substr(2);
      }
    }
    if (flag == nullptr) {
      return UsageError(absl::StrCat("unknown flag ", argv[i]));
    }

    std::string value;
    if (equals != arg.npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (flag->IsOfType<bool>()) {
      value = negated ? "false" : "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return UsageError(
          absl::StrCat("flag ", FlagDisplayName(name), " needs a value"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return UsageError(
          absl::StrCat("bad value for ", FlagDisplayName(name), ": ", error));
    }
    line.flags.insert(name);
  }
  return line;
}

absl::Status CheckFlags(const CommandLine& line, absl::string_view command,
                        absl::Span<const absl::string_view> allowed) {
  for (const std::string& name : line.flags) {
    const auto is_name = [&](absl::string_view other) { return other == name; };
    if (std::any_of(std::begin(kGlobalFlags), std::end(kGlobalFlags),
                    is_name) ||
        std::any_of(allowed.begin(), allowed.end(), is_name)) {
      continue;
    }
    return UsageError(
        absl::StrCat("'", command, "' does not take ", FlagDisplayName(name)));
  }
  return absl::OkStatus();
}

}  // namespace reel::reelctl
