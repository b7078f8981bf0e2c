// The process_* metrics read this very process: memory it touches, files it
// opens, CPU it burns and when it started, checked against what the kernel
// reports elsewhere (/proc/self/status, /proc/self/limits, clock_gettime),
// and reel_build_info names this build.
#include "common/metrics/process_metrics.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/version/version.h"
#include "tests/testing/proc_status.h"
#include "tests/testing/status_matchers.h"

namespace reel {
namespace {

using ::reel::testing::IsOkAndHolds;
using ::testing::HasSubstr;

constexpr double kMiB = 1 << 20;

// When this test binary was loaded (static initialisation, just after exec).
const double kLoadedAt = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());

double StatusBytes(const std::string& name) {
  return testing::ProcStatusBytes("self", name);
}

// The soft "Max open files" of /proc/self/limits.
double LimitsMaxOpenFiles() {
  std::ifstream limits("/proc/self/limits");
  std::string line;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(strlen("Max open files")));
    std::string soft;
    fields >> soft;
    if (soft == "unlimited") return INFINITY;
    return std::stod(soft);
  }
  ADD_FAILURE() << "no Max open files in /proc/self/limits";
  return 0;
}

double ProcessCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

// Keeps the compiler from dropping writes to `p` nobody reads.
void Escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }

// Each sample line of exposition text ("name{labels} value"), by its series.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(space + 1), &value)) << line;
    samples[std::string(line.substr(0, space))] = value;
  }
  return samples;
}

TEST(ProcessMetricsTest, ResidentMemoryIsTheKernelsAndGrowsWithTouchedPages) {
  ASSERT_OK_AND_ASSIGN(ProcessStat before, ReadProcessStat());
  EXPECT_GT(before.resident_memory_bytes, 0);
  EXPECT_NEAR(before.resident_memory_bytes, StatusBytes("VmRSS"), 2 * kMiB);

  constexpr size_t kBytes = 64 << 20;
  std::unique_ptr<char[]> block(new char[kBytes]);
  memset(block.get(), 1, kBytes);
  Escape(block.get());
  ASSERT_OK_AND_ASSIGN(ProcessStat after, ReadProcessStat());
  EXPECT_GE(after.resident_memory_bytes - before.resident_memory_bytes,
            kBytes - 4 * kMiB);
  EXPECT_NEAR(after.resident_memory_bytes, StatusBytes("VmRSS"), 2 * kMiB);
}

TEST(ProcessMetricsTest, VirtualMemoryCountsMappingsNotYetTouched) {
  ASSERT_OK_AND_ASSIGN(ProcessStat before, ReadProcessStat());
  EXPECT_NEAR(before.virtual_memory_bytes, StatusBytes("VmSize"), 2 * kMiB);

  constexpr size_t kBytes = size_t{256} << 20;
  void* mapping = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapping, MAP_FAILED) << strerror(errno);
  ASSERT_OK_AND_ASSIGN(ProcessStat mapped, ReadProcessStat());
  EXPECT_GE(mapped.virtual_memory_bytes - before.virtual_memory_bytes, kBytes);
  // Mapped but untouched: not resident.
  EXPECT_LT(mapped.resident_memory_bytes - before.resident_memory_bytes,
            16 * kMiB);
  munmap(mapping, kBytes);
  ASSERT_OK_AND_ASSIGN(ProcessStat unmapped, ReadProcessStat());
  EXPECT_LT(unmapped.virtual_memory_bytes,
            mapped.virtual_memory_bytes - kBytes + kMiB);
}

TEST(ProcessMetricsTest, OpenFdsFollowsOpenAndClose) {
  ASSERT_OK_AND_ASSIGN(const int before, CountOpenFds());
  EXPECT_GE(before, 3);  // stdin, stdout, stderr at least.
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) {
    fds.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_GE(fds.back(), 0) << strerror(errno);
  }
  EXPECT_THAT(CountOpenFds(), IsOkAndHolds(before + 10));
  for (const int fd : fds) close(fd);
  EXPECT_THAT(CountOpenFds(), IsOkAndHolds(before));
}

TEST(ProcessMetricsTest, MaxFdsIsTheSoftLimit) {
  EXPECT_THAT(MaxFds(), IsOkAndHolds(LimitsMaxOpenFiles()));

  rlimit original;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &original), 0);
  rlimit lower = original;
  lower.rlim_cur = 200;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lower), 0) << strerror(errno);
  EXPECT_THAT(MaxFds(), IsOkAndHolds(200));
  EXPECT_EQ(LimitsMaxOpenFiles(), 200);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &original), 0);
}

TEST(ProcessMetricsTest, CpuSecondsGrowWithWork) {
  ASSERT_OK_AND_ASSIGN(ProcessStat before, ReadProcessStat());
  const double clock_before = ProcessCpuSeconds();
  EXPECT_LE(before.cpu_seconds, clock_before + 0.05);
  // Busy work until the CPU clock says 0.3 s went into it.
  volatile uint64_t sink = 0;
  while (ProcessCpuSeconds() - clock_before < 0.3) {
    for (int i = 0; i < 100000; ++i) sink = sink + i;
  }
  ASSERT_OK_AND_ASSIGN(ProcessStat after, ReadProcessStat());
  EXPECT_GE(after.cpu_seconds - before.cpu_seconds, 0.2);
  EXPECT_LE(after.cpu_seconds, ProcessCpuSeconds() + 0.05);
}

TEST(ProcessMetricsTest, StartTimeIsWhenThisProcessStarted) {
  ASSERT_OK_AND_ASSIGN(ProcessStat stat, ReadProcessStat());
  // The kernel's boot time has whole seconds, so up to 1 s early; exec came
  // just before this binary's static initialisation.
  EXPECT_GE(stat.start_time_seconds, kLoadedAt - 2) << absl::StrCat(
      "start ", stat.start_time_seconds, ", loaded ", kLoadedAt);
  EXPECT_LE(stat.start_time_seconds, kLoadedAt + 0.1) << absl::StrCat(
      "start ", stat.start_time_seconds, ", loaded ", kLoadedAt);
  // Constant across reads.
  ASSERT_OK_AND_ASSIGN(ProcessStat again, ReadProcessStat());
  EXPECT_EQ(again.start_time_seconds, stat.start_time_seconds);
}

TEST(ProcessMetricsTest, RenderedWithStandardNamesAndTypesAtScrapeTime) {
  MetricsRegistry registry;
  AddProcessMetrics(&registry);
  AddBuildInfo(&registry, "catalog");
  const std::string text = registry.Render();
  for (const char* line : {
           "# TYPE process_cpu_seconds_total counter\n",
           "# TYPE process_resident_memory_bytes gauge\n",
           "# TYPE process_virtual_memory_bytes gauge\n",
           "# TYPE process_start_time_seconds gauge\n",
           "# TYPE process_open_fds gauge\n",
           "# TYPE process_max_fds gauge\n",
           "# TYPE reel_build_info gauge\n",
           "# HELP process_open_fds Number of open file descriptors.\n",
       }) {
    EXPECT_THAT(text, HasSubstr(line));
  }
  EXPECT_THAT(
      text, HasSubstr(absl::StrCat(
                "\nreel_build_info{version=\"", std::string(version::Version()),
                "\",commit=\"", std::string(version::Commit()),
                "\",service=\"catalog\"} 1\n")));
  std::map<std::string, double> samples = Samples(text);
  ASSERT_OK_AND_ASSIGN(const int open_fds, CountOpenFds());
  EXPECT_EQ(samples["process_open_fds"], open_fds);
  EXPECT_EQ(samples["process_max_fds"], LimitsMaxOpenFiles());
  EXPECT_NEAR(samples["process_resident_memory_bytes"], StatusBytes("VmRSS"),
              2 * kMiB);
  EXPECT_NEAR(samples["process_virtual_memory_bytes"], StatusBytes("VmSize"),
              2 * kMiB);
  EXPECT_GT(samples["process_cpu_seconds_total"], 0);
  EXPECT_NEAR(samples["process_start_time_seconds"], kLoadedAt, 2);

  // Read again at the next scrape, not when registered.
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(open("/dev/null", O_RDONLY));
  samples = Samples(registry.Render());
  EXPECT_EQ(samples["process_open_fds"], open_fds + 5);
  for (const int fd : fds) close(fd);
}

}  // namespace
}  // namespace reel
