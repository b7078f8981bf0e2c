#include "common/metrics/process_metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/version/version.h"

namespace reel {
namespace {

absl::Status ErrnoError(absl::string_view what, int error) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(error)));
}

// The whole of a /proc file (whose size stat() reports as 0).
absl::StatusOr<std::string> ReadProcFile(const char* path) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, errno);
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return ErrnoError(path, error);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

// The "btime" of /proc/stat: when the machine booted, in seconds since the
// epoch. Read once: the kernel recomputes it from the current clocks at
// every read, so it can move by a second, and the start time must not.
absl::StatusOr<double> BootTimeSeconds() {
  static const absl::StatusOr<double> boot_time =
      []() -> absl::StatusOr<double> {
    absl::StatusOr<std::string> stat = ReadProcFile("/proc/stat");
    if (!stat.ok()) return stat.status();
    for (absl::string_view line : absl::StrSplit(*stat, '\n')) {
      if (!absl::ConsumePrefix(&line, "btime ")) continue;
      double seconds = 0;
      if (!absl::SimpleAtod(line, &seconds)) break;
      return seconds;
    }
    return absl::InternalError("/proc/stat has no btime line");
  }();
  return boot_time;
}

// A field of /proc/self/stat as a number; NaN marks a parse failure.
double Field(const std::vector<absl::string_view>& fields, size_t index) {
  double value = 0;
  if (index >= fields.size() || !absl::SimpleAtod(fields[index], &value)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return value;
}

// The value, or NaN when it could not be read.
template <typename T>
double OrNaN(const absl::StatusOr<T>& value) {
  return value.ok() ? static_cast<double>(*value)
                    : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

absl::StatusOr<ProcessStat> ReadProcessStat() {
  absl::StatusOr<std::string> text = ReadProcFile("/proc/self/stat");
  if (!text.ok()) return text.status();
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields start after the last ')'.
  const size_t comm_end = text->rfind(')');
  if (comm_end == std::string::npos) {
    return absl::InternalError("/proc/self/stat: no ')' after comm");
  }
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*text).substr(comm_end + 1), ' ',
                     absl::SkipWhitespace());
  // proc(5) numbers the fields from 1 (pid); fields[0] is field 3 (state).
  auto field = [&](size_t number) { return Field(fields, number - 3); };
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessStat stat;
  stat.cpu_seconds = (field(14) + field(15)) / ticks_per_second;
  stat.start_time_seconds =
      OrNaN(BootTimeSeconds()) + field(22) / ticks_per_second;
  stat.virtual_memory_bytes = field(23);
  stat.resident_memory_bytes = field(24) * page_size;
  if (std::isnan(stat.cpu_seconds) || std::isnan(stat.virtual_memory_bytes) ||
      std::isnan(stat.resident_memory_bytes)) {
    return absl::InternalError(
        absl::StrCat("/proc/self/stat: cannot parse \"", *text, "\""));
  }
  return stat;
}

absl::StatusOr<int> CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return ErrnoError("/proc/self/fd", errno);
  int count = 0;
  errno = 0;
  while (const dirent* entry = readdir(dir)) {
    if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
      ++count;
    }
  }
  const int error = errno;
  closedir(dir);
  if (error != 0) return ErrnoError("/proc/self/fd", error);
  // The directory's own descriptor was listed too.
  return count - 1;
}

absl::StatusOr<double> MaxFds() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return ErrnoError("getrlimit(RLIMIT_NOFILE)", errno);
  }
  if (limit.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<double>::infinity();
  }
  return static_cast<double>(limit.rlim_cur);
}

void AddProcessMetrics(MetricsRegistry* registry) {
  // Each reads /proc when rendered; a failed read renders NaN.
  auto stat_field = [](double ProcessStat::*member) {
    return [member] {
      absl::StatusOr<ProcessStat> stat = ReadProcessStat();
      return stat.ok() ? (*stat).*member
                       : std::numeric_limits<double>::quiet_NaN();
    };
  };
  registry->AddCallbackCounter(
      "process_cpu_seconds_total",
      "Total user and system CPU time spent in seconds.", {},
      stat_field(&ProcessStat::cpu_seconds));
  registry->AddCallbackGauge("process_resident_memory_bytes",
                             "Resident memory size in bytes.", {},
                             stat_field(&ProcessStat::resident_memory_bytes));
  registry->AddCallbackGauge("process_virtual_memory_bytes",
                             "Virtual memory size in bytes.", {},
                             stat_field(&ProcessStat::virtual_memory_bytes));
  registry->AddCallbackGauge(
      "process_start_time_seconds",
      "Start time of the process since unix epoch in seconds.", {},
      stat_field(&ProcessStat::start_time_seconds));
  registry->AddCallbackGauge("process_open_fds",
                             "Number of open file descriptors.", {},
                             [] { return OrNaN(CountOpenFds()); });
  registry->AddCallbackGauge("process_max_fds",
                             "Maximum number of open file descriptors.", {},
                             [] { return OrNaN(MaxFds()); });
}

void AddBuildInfo(MetricsRegistry* registry, std::string_view service) {
  registry
      ->GetGauge("reel_build_info",
                 "The version, commit and service of this build; always 1.",
                 {{"version", std::string(version::Version())},
                  {"commit", std::string(version::Commit())},
                  {"service", std::string(service)}})
      .Set(1);
}

}  // namespace reel
