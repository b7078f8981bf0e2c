// Process-wide logging set-up over spdlog. Call InitLogging once from main();
// library code then logs with spdlog::info(...) etc. Logs go to stderr so
// that stdout stays free for a tool's output.
#ifndef REEL_COMMON_LOGGING_LOGGING_H_
#define REEL_COMMON_LOGGING_LOGGING_H_

#include <string>

#include "absl/status/status.h"

namespace reel {

struct LogOptions {
  // trace, debug, info, warn, error, critical or off.
  std::string level = "info";
  // Name put on every line, e.g. "catalog".
  std::string component = "reel";
};

// INVALID_ARGUMENT for an unknown level.
absl::Status InitLogging(const LogOptions& options);

}  // namespace reel

#endif  // REEL_COMMON_LOGGING_LOGGING_H_
