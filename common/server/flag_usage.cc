#include "common/server/flag_usage.h"

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/internal/parse.h"
#include "absl/flags/internal/usage.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "common/version/version.h"

namespace reel {
namespace {

// This file's path inside the repository; what precedes it in __FILE__ is
// where the repository was compiled from.
constexpr std::string_view kThisFile = "common/server/flag_usage.cc";

// The repository root as the compiler saw it ("" when it compiled relative
// paths), from this file's own __FILE__.
std::string_view SourceRoot() {
  constexpr std::string_view file = __FILE__;
  if (!file.ends_with(kThisFile)) return "";
  return file.substr(0, file.size() - kThisFile.size());
}

}  // namespace

std::string NormalizeFlagFilename(std::string_view filename) {
  const std::string_view root = SourceRoot();
  if (!root.empty() && filename.starts_with(root)) {
    filename.remove_prefix(root.size());
  }
  return std::string(filename);
}

bool IsProjectFlagFile(std::string_view normalized_filename) {
  for (const std::string_view folder :
       {"catalog-service/", "search-service/", "common/", "tools/"}) {
    if (normalized_filename.starts_with(folder)) return true;
  }
  return false;
}

void ConfigureFlagUsage(const ServiceUsage& usage) {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view file) {
    return IsProjectFlagFile(std::string_view(file.data(), file.size()));
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.contains_helppackage_flags = config.contains_help_flags;
  config.normalize_filename = [](absl::string_view file) {
    return NormalizeFlagFilename(std::string_view(file.data(), file.size()));
  };
  config.version_string = [program = std::string(usage.program)] {
    return version::VersionLine(program) + "\n";
  };
  absl::SetFlagsUsageConfig(std::move(config));
  absl::SetProgramUsageMessage(
      absl::StrCat(absl::string_view(usage.about.data(), usage.about.size()),
                   "\n\n--version prints the version and the commit it was "
                   "built from."));
}

std::optional<int> ParseServiceCommandLine(int argc, char** argv,
                                           const ServiceUsage& usage) {
  ConfigureFlagUsage(usage);
  // Abseil 20220623 (Debian 12) exits with code 1 after printing --help, as
  // if asking for help were an error; later versions exit 0. So parse with
  // usage handling off and handle the usage flags here.
  using namespace absl::flags_internal;
  const std::vector<char*> positional = ParseCommandLineImpl(
      argc, argv, ArgvListAction::kRemoveParsedArgs,
      UsageFlagsAction::kIgnoreUsage, OnUndefinedFlag::kAbortIfUndefined);
  if (HandleUsageFlags(std::cout, absl::ProgramUsageMessage()) != -1) {
    std::cout.flush();
    return 0;
  }
  // positional[0] is the program itself.
  if (positional.size() > 1) {
    std::cerr << usage.program << ": unexpected argument '" << positional[1]
              << "': flags are written --name=value (see --help)\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace reel
