// The process's own resource use and the build it runs, in the names every
// Prometheus client library exports
// (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics),
// so standard dashboards and alerts work unchanged:
//
//   process_cpu_seconds_total      user + system CPU time      /proc/self/stat
//   process_resident_memory_bytes  resident set size           /proc/self/stat
//   process_virtual_memory_bytes   virtual memory size         /proc/self/stat
//   process_start_time_seconds     start, since the Unix epoch /proc/self/stat
//                                                              + btime of
//                                                              /proc/stat
//   process_open_fds               open file descriptors       /proc/self/fd
//   process_max_fds                their soft limit            RLIMIT_NOFILE
//
// and reel_build_info{version,commit,service} 1 (reel::version). Every value
// is read when /metrics is scraped; one that cannot be read renders NaN.
// Linux only.
#ifndef REEL_COMMON_METRICS_PROCESS_METRICS_H_
#define REEL_COMMON_METRICS_PROCESS_METRICS_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace reel {

// One reading of /proc/self/stat (proc(5)), in Prometheus' units.
struct ProcessStat {
  double cpu_seconds = 0;            // utime + stime
  double resident_memory_bytes = 0;  // rss pages * page size
  double virtual_memory_bytes = 0;   // vsize
  double start_time_seconds = 0;     // boot time + starttime
};

// Reads /proc/self/stat (and the boot time from /proc/stat).
absl::StatusOr<ProcessStat> ReadProcessStat();

// Entries of /proc/self/fd, less the one this call opens to list them.
absl::StatusOr<int> CountOpenFds();

// The soft limit on open file descriptors (RLIMIT_NOFILE; +Inf when
// unlimited).
absl::StatusOr<double> MaxFds();

// Adds the process_* metrics above to `registry`.
void AddProcessMetrics(MetricsRegistry* registry);

// Adds reel_build_info{version=...,commit=...,service=`service`} 1.
void AddBuildInfo(MetricsRegistry* registry, std::string_view service);

}  // namespace reel

#endif  // REEL_COMMON_METRICS_PROCESS_METRICS_H_
