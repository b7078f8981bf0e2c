// reelctl's command line, parsed with CLI11: the commands, their options and
// their help.
//
// Global options (--catalog, --search, --tls_dir, --timeout) go before or
// after the command. Multi-word option names take dashes or underscores
// (--page-size, --page_size). "--" ends the options. After `search`, only
// the options search knows are options: any other word, "-swan" too, is part
// of the query.
#ifndef REEL_TOOLS_REELCTL_COMMAND_LINE_H_
#define REEL_TOOLS_REELCTL_COMMAND_LINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace reel::reelctl {

// Process exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // An RPC, a file or a film failed.
inline constexpr int kExitUsage = 2;    // The command line is wrong.

inline constexpr char kDefaultCatalogAddress[] = "localhost:50051";
inline constexpr char kDefaultSearchAddress[] = "localhost:50052";

struct GlobalOptions {
  std::string catalog = kDefaultCatalogAddress;  // host:port, checked.
  std::string search = kDefaultSearchAddress;    // host:port, checked.
  std::string tls_dir;                           // Empty: plaintext.
  absl::Duration timeout = absl::Seconds(10);
  bool timeout_given = false;  // --timeout was on the command line.
};

struct FilmsOptions {
  std::string name;  // NAME of get, update and delete.
  std::optional<std::string> id;
  std::optional<std::string> json;
  std::optional<std::string> file;
  std::string mask;
  std::string etag;
  int32_t page_size = 0;
  std::string page_token;
  bool all = false;
  std::string output = "-";
};

struct ImportOptions {
  std::vector<std::string> files;  // "-" is stdin.
  int32_t batch = 500;
  bool replace = false;
  bool progress = false;
  absl::Duration progress_every = absl::Seconds(1);
};

struct SearchOptions {
  std::vector<std::string> words;  // The query, word by word.
  int32_t max = 0;
  int32_t year_min = 0;
  int32_t year_max = 0;
  std::vector<std::string> genres;
  std::vector<std::string> directors;
  std::vector<std::string> films;
  int64_t min_revision = 0;
  int32_t snippet_length = 0;
  bool explain = false;
  std::string sort = "relevance";
  std::string match = "any";  // "any" or "all" words.
  int32_t max_per_film = 0;
  int32_t facets = 0;
  std::string page;
};

struct WatchOptions {
  int64_t from = 0;
};

struct AdminOptions {
  int32_t keep_latest = 0;
  std::optional<int64_t> backup_id;  // verify: --backup-id or ID.
};

struct CommandLine {
  // The command and subcommand: {"search"}, {"films", "get"}, ...
  std::vector<std::string> command;
  GlobalOptions global;
  FilmsOptions films;
  ImportOptions import;
  SearchOptions search;
  WatchOptions watch;
  AdminOptions admin;
};

// Parses argv. A CommandLine to run, or the exit code of a run that parsing
// finished: kExitOk after printing help or the version on stdout, kExitUsage
// after printing "error: INVALID_ARGUMENT: ..." and where to find help on
// stderr.
std::variant<CommandLine, int> ParseCommandLine(int argc, char** argv);

// A duration with its unit: "500ms", "10s", "2m", "1h30m". INVALID_ARGUMENT
// ("write a unit: 5s, 500ms, 2m" for a bare number) otherwise, and for a
// negative one.
absl::StatusOr<absl::Duration> ParseDurationArg(absl::string_view text);

// OK for "host:port", "[::1]:port" and gRPC's own targets ("dns:///host:port",
// "unix:/path"). INVALID_ARGUMENT for a URL ("give host:port, not a URL (drop
// http://)") and for an address without a port.
absl::Status CheckAddress(absl::string_view address);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_COMMAND_LINE_H_
