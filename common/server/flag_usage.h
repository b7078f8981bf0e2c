// The command line of a Reel service binary: one parse for both services so
// --help, --version and argument errors behave the same in each.
//
//   int main(int argc, char** argv) {
//     if (std::optional<int> exit_code = reel::ParseServiceCommandLine(
//             argc, argv, {.program = "catalog-service", .about = "..."});
//         exit_code.has_value()) {
//       return *exit_code;
//     }
//     ...
//   }
//
// --help lists every flag defined in the project's own files (the binary's
// main.cc and the shared common/ flags alike), grouped by the file, with
// paths relative to the repository; --helpfull adds Abseil's own flags;
// --helpmatch=S and --help=S those whose name, help or file contains S.
// --version prints reel::version::VersionLine(program). All of them print
// to stdout and exit 0.
#ifndef REEL_COMMON_SERVER_FLAG_USAGE_H_
#define REEL_COMMON_SERVER_FLAG_USAGE_H_

#include <optional>
#include <string>
#include <string_view>

namespace reel {

struct ServiceUsage {
  // The binary's name, e.g. "catalog-service" (what --version prints).
  std::string_view program;
  // What the binary is and how to run it; --help prints
  // "PROGRAM: ABOUT" before the flags.
  std::string_view about;
};

// Sets Abseil's usage configuration for a Reel binary (the help filters,
// repository-relative file names, the version string, the usage message).
// ParseServiceCommandLine() calls it; tests may call it alone.
void ConfigureFlagUsage(const ServiceUsage& usage);

// Whether `normalized_filename` (a flag's file after the normalization
// ConfigureFlagUsage() installs) is one of the project's own files, whose
// flags --help and --helpshort list.
bool IsProjectFlagFile(std::string_view normalized_filename);

// `filename` relative to the repository root when it is inside it (e.g.
// "common/server/server_flags.cc"), else unchanged.
std::string NormalizeFlagFilename(std::string_view filename);

// ConfigureFlagUsage(), then parses argv into the flags. Returns nullopt to
// go on running, or the code main() should return: 0 after --help,
// --helpfull, --helpshort, --helppackage, --help=S, --helpmatch=S, --version
// or --only_check_args were handled; 2 after an argument that is not a flag
// (the services take none; the message names it). Unknown flags and bad
// values end the process with Abseil's message and exit code 1.
std::optional<int> ParseServiceCommandLine(int argc, char** argv,
                                           const ServiceUsage& usage);

}  // namespace reel

#endif  // REEL_COMMON_SERVER_FLAG_USAGE_H_
