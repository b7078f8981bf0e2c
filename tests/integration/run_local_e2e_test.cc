// scripts/run-local.sh, the README's first command, run for real on free
// ports with the binaries of this build (REEL_SKIP_INSTALL, REEL_SKIP_BUILD):
// it starts both services with the flags passed through to each, imports the
// seed page, shows The Red Shoes' scenes for "red shoes dance", and on
// Ctrl-C (SIGINT) drains both services and exits 0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// The port in the script's "  NAME  127.0.0.1:PORT   data: ..." line.
int PortOf(const std::string& out, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(out, match,
                         std::regex(name + " +127\\.0\\.0\\.1:([0-9]+) "))) {
    ADD_FAILURE() << "no address for " << name << " in:\n" << out;
    return 0;
  }
  return std::stoi(match[1]);
}

TEST(RunLocalTest, StartsImportsSearchesAndStopsOnCtrlC) {
  TempDir temp;
  const std::string data_dir = temp.Join("data");
  const std::string seed = SharedDataDir() + "/seed/the-red-shoes.txt";
  ASSERT_TRUE(std::filesystem::exists(seed)) << seed;
  ASSERT_OK_AND_ASSIGN(
      auto script,
      ChildProcess::Start(
          "/usr/bin/env",
          {"REEL_SKIP_INSTALL=1", "REEL_SKIP_BUILD=1",
           absl::StrCat("REEL_BUILD_DIR=", REEL_BINARY_DIR), "bash",
           absl::StrCat(REEL_SOURCE_DIR, "/scripts/run-local.sh"), "--seed",
           seed, "--data-dir", data_dir, "--catalog-port", "0", "--search-port",
           "0", "--catalog-flag=--metrics_listen=127.0.0.1:0", "--search-flag",
           "--log_format=json"},
          {.stderr_path = temp.Join("run-local.err")}));
  // Whatever fails below, the script stops its services before it goes.
  absl::Cleanup stop = [&script] {
    if (script->IsRunning()) {
      (void)script->Signal(SIGTERM);
      (void)script->Wait(60s);
    }
  };

  ASSERT_OK(script->WaitForLine("^Reel is running", 120s).status())
      << script->StderrTail();
  const std::string out = script->stdout_text();
  EXPECT_THAT(out, HasSubstr("imported: 1"));
  // The first search lists The Red Shoes' scenes, best first.
  const std::regex hit(
      "\n +[0-9]+\\. +[0-9.]+ +The Red Shoes — [^\n]*\\[films/the-red-shoes "
      "s[0-9]+\\]");
  const auto hits =
      std::distance(std::sregex_iterator(out.begin(), out.end(), hit),
                    std::sregex_iterator());
  EXPECT_GE(hits, 3) << out;
  EXPECT_THAT(out, HasSubstr("matching scenes, index at revision 1"));

  const int catalog_port = PortOf(out, "catalog-service");
  const int search_port = PortOf(out, "search-service");
  ASSERT_NE(catalog_port, 0);
  ASSERT_NE(search_port, 0);
  for (const int port : {catalog_port, search_port}) {
    const int fd = ConnectLoopback(port);
    EXPECT_GE(fd, 0) << port;
    if (fd >= 0) close(fd);
  }
  // Each service got its own extra flags: the catalog serves /metrics, the
  // search service logs JSON.
  std::smatch match;
  const std::string catalog_out = ReadFile(data_dir + "/logs/catalog.out");
  ASSERT_TRUE(std::regex_search(catalog_out, match,
                                std::regex("metrics on port ([0-9]+)")))
      << catalog_out;
  EXPECT_THAT(HttpBody(HttpGet(std::stoi(match[1]), "/metrics")),
              HasSubstr("reel_build_info{"));
  EXPECT_THAT(ReadFile(data_dir + "/logs/search.log"), StartsWith("{\""));
  EXPECT_THAT(ReadFile(data_dir + "/logs/catalog.log"),
              ::testing::Not(StartsWith("{\"")));

  // Ctrl-C: both services drain and stop, then the script exits 0.
  ASSERT_OK(script->Signal(SIGINT));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, script->Wait(60s));
  EXPECT_TRUE(exit.success()) << exit.ToString() << script->StderrTail();
  EXPECT_THAT(ReadFile(data_dir + "/logs/catalog.log"),
              HasSubstr("server stopped"));
  EXPECT_THAT(ReadFile(data_dir + "/logs/search.log"),
              HasSubstr("server stopped"));
  for (const int port : {catalog_port, search_port}) {
    const int fd = ConnectLoopback(port);
    EXPECT_LT(fd, 0) << "port " << port << " still accepts connections";
    if (fd >= 0) close(fd);
  }
}

}  // namespace
}  // namespace reel::testing
