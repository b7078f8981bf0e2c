// The built catalog-service and search-service binaries as an operator meets
// them: --help lists every flag they read (their own and the shared ones),
// --version names the VERSION file's version, and /metrics of a running
// service carries its process metrics (checked against /proc/PID) and the
// build it runs.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/version/version.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/search_process.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/proc_status.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;

constexpr std::chrono::seconds kExitTimeout{30};
constexpr double kMiB = 1 << 20;

std::string BinaryPath(const std::string& name) {
  return name == "catalog-service" ? CatalogServicePath() : SearchServicePath();
}

// The one line of the repository's VERSION file.
std::string VersionFile() {
  std::ifstream file(absl::StrCat(REEL_SOURCE_DIR, "/VERSION"));
  std::string line;
  std::getline(file, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

struct BinaryRun {
  ExitStatus exit{0};
  std::string out;
  std::string err;
};

// Runs `binary` with `args` to its exit.
BinaryRun RunBinary(const std::string& binary,
                    const std::vector<std::string>& args) {
  auto child = ChildProcess::Start(binary, args,
                                   {.stderr_path = "", .capture_stderr = true});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return {};
  auto exit = (*child)->Wait(kExitTimeout);
  EXPECT_TRUE(exit.ok()) << exit.status();
  if (!exit.ok()) return {};
  return {*exit, (*child)->stdout_text(), (*child)->stderr_text()};
}

// The flags a help text lists, by the file it names them under ("Flags from
// FILE:" then "    --name (help); default: ...").
std::map<std::string, std::set<std::string>> FlagsByFile(
    const std::string& help) {
  std::map<std::string, std::set<std::string>> flags;
  const std::regex file_line("^  Flags from (.+):$");
  const std::regex flag_line("^    --([a-z0-9_]+) \\(");
  std::string file;
  const std::vector<std::string> lines = absl::StrSplit(help, '\n');
  for (const std::string& line : lines) {
    std::smatch match;
    if (std::regex_match(line, match, file_line)) {
      file = match[1];
    } else if (std::regex_search(line, match, flag_line)) {
      flags[file].insert(match[1]);
    }
  }
  return flags;
}

std::set<std::string> AllFlags(
    const std::map<std::string, std::set<std::string>>& by_file) {
  std::set<std::string> all;
  for (const auto& [file, flags] : by_file)
    all.insert(flags.begin(), flags.end());
  return all;
}

class ServiceBinaryTest : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Services, ServiceBinaryTest,
                         ::testing::Values("catalog-service", "search-service"),
                         [](const auto& info) {
                           return info.param == "catalog-service" ? "Catalog"
                                                                  : "Search";
                         });

TEST_P(ServiceBinaryTest, HelpListsEveryFlagAndExitsZero) {
  const std::string name = GetParam();
  const BinaryRun help = RunBinary(BinaryPath(name), {"--help"});
  ASSERT_TRUE(help.exit.success()) << help.exit.ToString() << help.err;
  EXPECT_THAT(help.out, HasSubstr(absl::StrCat(name, ": serves Reel's")));
  EXPECT_THAT(help.out, Not(HasSubstr("No flags matched")));
  const auto by_file = FlagsByFile(help.out);
  // The binary's own flags and the shared server flags, under
  // repository-relative file names.
  ASSERT_TRUE(by_file.contains(name + "/main.cc")) << help.out;
  ASSERT_TRUE(by_file.contains("common/server/server_flags.cc")) << help.out;
  EXPECT_THAT(by_file.at(name + "/main.cc"),
              IsSupersetOf({"listen", "data_dir", "tls_dir", "metrics_listen",
                            "drain_timeout", "log_format"}));
  EXPECT_THAT(by_file.at("common/server/server_flags.cc"),
              IsSupersetOf({"max_streams_per_connection", "authz_policy",
                            "reflection", "metrics_max_connections"}));
  if (name == "search-service") {
    EXPECT_THAT(by_file.at(name + "/main.cc"), IsSupersetOf({"catalog"}));
  } else {
    EXPECT_THAT(by_file.at(name + "/main.cc"),
                IsSupersetOf({"backup_dir", "restore_from"}));
  }

  // Every flag the binary has is listed, but Abseil's own (--flagfile, ...),
  // which --helpfull adds.
  const BinaryRun full = RunBinary(BinaryPath(name), {"--helpfull"});
  ASSERT_TRUE(full.exit.success()) << full.exit.ToString() << full.err;
  std::set<std::string> expected;
  for (const auto& [file, flags] : FlagsByFile(full.out)) {
    if (file.find("absl/") == std::string::npos) {
      expected.insert(flags.begin(), flags.end());
    }
  }
  EXPECT_EQ(AllFlags(by_file), expected);
  EXPECT_THAT(AllFlags(FlagsByFile(full.out)), IsSupersetOf({"flagfile"}));
}

TEST_P(ServiceBinaryTest, HelpMatchShowsMatchingFlags) {
  const BinaryRun help = RunBinary(BinaryPath(GetParam()), {"--helpmatch=tls"});
  ASSERT_TRUE(help.exit.success()) << help.exit.ToString() << help.err;
  const std::set<std::string> flags = AllFlags(FlagsByFile(help.out));
  EXPECT_TRUE(flags.contains("tls_dir")) << help.out;
  EXPECT_FALSE(flags.contains("data_dir")) << help.out;
}

TEST_P(ServiceBinaryTest, VersionPrintsTheVersionFileAndCommit) {
  const std::string name = GetParam();
  const BinaryRun run = RunBinary(BinaryPath(name), {"--version"});
  ASSERT_TRUE(run.exit.success()) << run.exit.ToString() << run.err;
  EXPECT_EQ(run.out, version::VersionLine(name) + "\n");
  EXPECT_EQ(run.out, absl::StrCat(name, " ", VersionFile(), " (commit ",
                                  std::string(version::Commit()), ")\n"));
}

TEST_P(ServiceBinaryTest, RejectsArgumentsThatAreNotFlags) {
  const std::string name = GetParam();
  const BinaryRun stray =
      RunBinary(BinaryPath(name), {"--listen=127.0.0.1:0", "x"});
  EXPECT_TRUE(stray.exit.exited() && stray.exit.exit_code() == 2)
      << stray.exit.ToString();
  EXPECT_THAT(stray.err, HasSubstr("unexpected argument 'x'"));
  EXPECT_THAT(stray.out, Not(HasSubstr("listening")));

  const BinaryRun unknown = RunBinary(BinaryPath(name), {"--no_such_flag=1"});
  EXPECT_TRUE(unknown.exit.exited() && unknown.exit.exit_code() != 0)
      << unknown.exit.ToString();
  EXPECT_THAT(unknown.err, HasSubstr("no_such_flag"));
}

// --- /metrics of running services ---

double NowSeconds() {
  return absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
}

// Each sample of exposition text ("name{labels} value"), by its series.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space != absl::string_view::npos &&
        absl::SimpleAtod(line.substr(space + 1), &value)) {
      samples[std::string(line.substr(0, space))] = value;
    }
  }
  return samples;
}

double StatusBytes(int pid, const std::string& name) {
  return testing::ProcStatusBytes(std::to_string(pid), name);
}

int OpenFds(int pid) {
  DIR* dir = opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

// The soft "Max open files" of /proc/PID/limits.
double MaxOpenFiles(int pid) {
  std::ifstream limits(absl::StrCat("/proc/", pid, "/limits"));
  std::string line;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(sizeof("Max open files") - 1));
    std::string soft;
    fields >> soft;
    return soft == "unlimited" ? INFINITY : std::stod(soft);
  }
  return -1;
}

// The port a service printed in its "NAME metrics on port N" line.
int MetricsPort(ChildProcess& process) {
  std::smatch match;
  const std::string& out = process.stdout_text();
  if (!std::regex_search(out, match, std::regex("metrics on port ([0-9]+)"))) {
    ADD_FAILURE() << "no metrics port in: " << out;
    return 0;
  }
  return std::stoi(match[1]);
}

// Checks the process and build metrics of a service serving gRPC on
// `address` that was started between `started_after` and `ready_at`; `work`
// makes it spend CPU time.
void ExpectProcessMetrics(ChildProcess& process, const std::string& service,
                          const std::string& address, double started_after,
                          double ready_at, const std::function<void()>& work) {
  const int pid = process.pid();
  const int port = MetricsPort(process);
  ASSERT_NE(port, 0);
  const std::string text = HttpBody(HttpGet(port, "/metrics"));
  for (const char* type :
       {"process_cpu_seconds_total counter",
        "process_resident_memory_bytes gauge",
        "process_virtual_memory_bytes gauge",
        "process_start_time_seconds gauge", "process_open_fds gauge",
        "process_max_fds gauge", "reel_build_info gauge"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n# TYPE ", type, "\n")));
  }
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        "\nreel_build_info{version=\"", VersionFile(),
                        "\",commit=\"", std::string(version::Commit()),
                        "\",service=\"", service, "\"} 1\n")));

  const std::map<std::string, double> samples = Samples(text);
  auto sample = [&samples](const std::string& name) {
    const auto it = samples.find(name);
    EXPECT_NE(it, samples.end()) << name;
    return it == samples.end() ? -1 : it->second;
  };
  // The service's memory, as the kernel reports it to anyone (it allocates
  // between the two reads, so not to the byte).
  EXPECT_NEAR(sample("process_resident_memory_bytes"),
              StatusBytes(pid, "VmRSS"), 16 * kMiB);
  EXPECT_GT(sample("process_resident_memory_bytes"), kMiB);
  EXPECT_NEAR(sample("process_virtual_memory_bytes"),
              StatusBytes(pid, "VmSize"), 64 * kMiB);
  EXPECT_GE(sample("process_virtual_memory_bytes"),
            sample("process_resident_memory_bytes"));
  EXPECT_EQ(sample("process_max_fds"), MaxOpenFiles(pid));
  const double open_fds = sample("process_open_fds");
  EXPECT_NEAR(open_fds, OpenFds(pid), 4);
  EXPECT_GE(sample("process_start_time_seconds"), started_after - 1.5);
  EXPECT_LE(sample("process_start_time_seconds"), ready_at + 0.5);

  // Each accepted gRPC connection is one more descriptor in the next scrape.
  constexpr int kConnections = 8;
  std::vector<std::shared_ptr<grpc::Channel>> connections;
  for (int i = 0; i < kConnections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    connections.push_back(grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args));
    ASSERT_TRUE(connections.back()->WaitForConnected(
        std::chrono::system_clock::now() + std::chrono::seconds(10)));
  }
  const double more_fds =
      Samples(HttpBody(HttpGet(port, "/metrics")))["process_open_fds"];
  // Less the first scrape's connection, which may have been closed since.
  EXPECT_GE(more_fds, open_fds + kConnections - 1);
  EXPECT_NEAR(more_fds, OpenFds(pid), 4);
  connections.clear();

  // CPU time spent serving calls shows in a later scrape (the kernel counts
  // it in 10 ms ticks).
  const double cpu_before = sample("process_cpu_seconds_total");
  EXPECT_GT(cpu_before, 0);
  double cpu_after = cpu_before;
  for (int round = 0; round < 100 && cpu_after <= cpu_before; ++round) {
    work();
    cpu_after = Samples(
        HttpBody(HttpGet(port, "/metrics")))["process_cpu_seconds_total"];
  }
  EXPECT_GT(cpu_after, cpu_before);
}

TEST(ServiceMetricsTest, BothServicesExportProcessAndBuildMetrics) {
  TempDir temp;
  const double catalog_started_after = NowSeconds();
  ASSERT_OK_AND_ASSIGN(
      auto catalog,
      CatalogProcess::Start({.data_dir = temp.Join("catalog"),
                             .log_path = temp.Join("catalog.log"),
                             .flags = {"--metrics_listen=127.0.0.1:0"}}));
  const double catalog_ready_at = NowSeconds();
  const double search_started_after = NowSeconds();
  ASSERT_OK_AND_ASSIGN(
      auto search,
      SearchProcess::Start({.catalog_address = catalog->address(),
                            .data_dir = temp.Join("search"),
                            .log_path = temp.Join("search.log"),
                            .flags = {"--metrics_listen=127.0.0.1:0"}}));
  const double search_ready_at = NowSeconds();

  {
    auto stub = catalog->NewStub();
    ExpectProcessMetrics(
        catalog->process(), "catalog", catalog->address(),
        catalog_started_after, catalog_ready_at, [&stub] {
          for (int i = 0; i < 100; ++i) {
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() +
                                 std::chrono::seconds(10));
            catalog::v1::ListFilmsResponse response;
            EXPECT_TRUE(stub->ListFilms(&context, {}, &response).ok());
          }
        });
  }
  {
    auto stub = search->NewStub();
    ExpectProcessMetrics(search->process(), "search", search->address(),
                         search_started_after, search_ready_at, [&stub] {
                           for (int i = 0; i < 100; ++i) {
                             EXPECT_OK(GetIndexStatus(*stub).status());
                           }
                         });
  }
  EXPECT_OK(search->Stop());
  EXPECT_OK(catalog->Stop());
}

}  // namespace
}  // namespace reel::testing
