// Process-wide logging set-up over spdlog. Call InitLogging once from main();
// library code then logs with spdlog::info(...) etc. Logs go to stderr so
// that stdout stays free for a tool's output.
//
// With format "json" every record is one JSON object on one line:
//   {"ts":"2026-11-26T00:40:00.123Z","level":"info","component":"catalog",
//    "thread":123,"msg":"..."}
// built with nlohmann::json, so quotes, newlines or invalid UTF-8 in a
// message cannot break the line (invalid bytes become U+FFFD). LogRpc adds
// the access-log fields to that object.
//
// InitLogging also routes protobuf's own diagnostics through the logger,
// at most one line a second (a client can trigger one per bad request).
#ifndef REEL_COMMON_LOGGING_LOGGING_H_
#define REEL_COMMON_LOGGING_LOGGING_H_

#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>

#include "absl/status/status.h"

namespace reel {

struct LogOptions {
  // trace, debug, info, warn, error, critical or off.
  std::string level = "info";
  // Name put on every line, e.g. "catalog".
  std::string component = "reel";
  // "text" (human-readable) or "json" (one object per line).
  std::string format = "text";
  // Where records go; null means stderr. Tests pass a capturing sink.
  std::shared_ptr<spdlog::sinks::sink> sink = nullptr;
};

// INVALID_ARGUMENT for an unknown level or format. May be called again (e.g.
// by tests); the new logger replaces the default one.
absl::Status InitLogging(const LogOptions& options);

// The formatter InitLogging installs for format "json".
std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter(std::string component);

// One access-log record per finished RPC.
struct RpcLogRecord {
  std::string method;      // e.g. "/reel.catalog.v1.CatalogService/GetFilm"
  std::string code;        // e.g. "NOT_FOUND"
  double duration_ms = 0;  // From the call's arrival to its status.
  std::string peer;        // e.g. "ipv4:127.0.0.1:53412"
  std::string request_id;  // From x-request-id, or generated.
  bool quiet = false;      // Logged at debug rather than info (health).
};

// Logs `record` through the default logger: as extra JSON fields (method,
// code, duration_ms, peer, request_id) in json format, as text otherwise.
void LogRpc(const RpcLogRecord& record);
// Whether LogRpc would write a record with this `quiet`: callers skip
// building one (strings, the peer address) when it would not.
bool RpcLogEnabled(bool quiet);

}  // namespace reel

#endif  // REEL_COMMON_LOGGING_LOGGING_H_
