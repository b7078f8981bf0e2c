#include "common/logging/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace reel {
namespace {

std::atomic<bool> json_format{false};

// Extra fields for the record being formatted on this thread (set by LogRpc
// around a synchronous log call; the loggers here never format elsewhere).
thread_local const nlohmann::json* extra_fields = nullptr;

class JsonFormatter : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string component)
      : component_(std::move(component)) {}

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json record;
    record["ts"] =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(msg.time),
                         absl::UTCTimeZone());
    const auto level = spdlog::level::to_string_view(msg.level);
    record["level"] = std::string(level.data(), level.size());
    record["component"] = component_;
    record["thread"] = msg.thread_id;
    record["msg"] = std::string(msg.payload.data(), msg.payload.size());
    if (extra_fields != nullptr) {
      for (const auto& [key, value] : extra_fields->items()) {
        record[key] = value;
      }
    }
    const std::string line =
        record.dump(-1, ' ', /*ensure_ascii=*/false,
                    nlohmann::json::error_handler_t::replace);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(component_);
  }

 private:
  const std::string component_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter(std::string component) {
  return std::make_unique<JsonFormatter>(std::move(component));
}

namespace {

// Protobuf's own diagnostics (e.g. one line per undecodable request, which
// any client can trigger) go through spdlog at most once a second; the
// next line that passes says how many were dropped.
void LogProtobufMessage(google::protobuf::LogLevel level, const char* filename,
                        int line, const std::string& message) {
  static absl::Mutex mutex(absl::kConstInit);
  static absl::Time next_allowed = absl::InfinitePast();
  static int64_t suppressed = 0;
  int64_t dropped = 0;
  {
    absl::MutexLock lock(&mutex);
    const absl::Time now = absl::Now();
    if (now < next_allowed) {
      ++suppressed;
      return;
    }
    next_allowed = now + absl::Seconds(1);
    dropped = suppressed;
    suppressed = 0;
  }
  const auto spd_level = level >= google::protobuf::LOGLEVEL_ERROR
                             ? spdlog::level::warn
                             : spdlog::level::debug;
  spdlog::log(spd_level, "protobuf: {} ({}:{}){}", message, filename, line,
              dropped > 0 ? absl::StrCat("; ", dropped,
                                         " similar lines dropped in the last "
                                         "second")
                          : "");
}

}  // namespace

absl::Status InitLogging(const LogOptions& options) {
  spdlog::level::level_enum level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off") {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_level: unknown level \"", options.level,
                     "\" (trace, debug, info, warn, error, critical, off)"));
  }
  if (options.format != "text" && options.format != "json") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log_format: unknown format \"", options.format, "\" (text, json)"));
  }
  std::shared_ptr<spdlog::sinks::sink> sink = options.sink;
  if (sink == nullptr) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger =
      std::make_shared<spdlog::logger>(options.component + "-log", sink);
  if (options.format == "json") {
    logger->set_formatter(MakeJsonLogFormatter(options.component));
  } else {
    logger->set_pattern(absl::StrCat("%Y-%m-%dT%H:%M:%S.%e %^%L%$ ",
                                     options.component, " %t] %v"));
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  json_format.store(options.format == "json");
  spdlog::set_default_logger(std::move(logger));
  google::protobuf::SetLogHandler(&LogProtobufMessage);
  return absl::OkStatus();
}

bool RpcLogEnabled(bool quiet) {
  return spdlog::should_log(quiet ? spdlog::level::debug : spdlog::level::info);
}

void LogRpc(const RpcLogRecord& record) {
  const auto level = record.quiet ? spdlog::level::debug : spdlog::level::info;
  if (!spdlog::should_log(level)) return;
  if (json_format.load()) {
    const nlohmann::json fields = {{"method", record.method},
                                   {"code", record.code},
                                   {"duration_ms", record.duration_ms},
                                   {"peer", record.peer},
                                   {"request_id", record.request_id}};
    extra_fields = &fields;
    spdlog::log(level, "rpc");
    extra_fields = nullptr;
  } else {
    spdlog::log(level, "rpc {} {} {:.3f}ms peer={} request_id={}",
                record.method, record.code, record.duration_ms, record.peer,
                record.request_id);
  }
}

}  // namespace reel
