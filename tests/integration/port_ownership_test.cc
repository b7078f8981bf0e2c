// Each service owns its ports: the real binaries, started a second time on a
// port in use (gRPC or metrics), exit at once with one line naming the
// address, and the first keeps answering every call.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/search_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::reel::catalog::v1::ListFilmsRequest;
using ::reel::catalog::v1::ListFilmsResponse;
using ::testing::HasSubstr;

constexpr std::chrono::seconds kExitTimeout{30};

// Runs `binary` with `args` to its exit; returns its stderr.
std::string RunToFailure(const std::string& binary,
                         const std::vector<std::string>& args) {
  auto child = ChildProcess::Start(binary, args, {.capture_stderr = true});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return "";
  auto exit = (*child)->Wait(kExitTimeout);
  EXPECT_TRUE(exit.ok()) << exit.status();
  if (exit.ok()) {
    EXPECT_TRUE(exit->exited() && exit->exit_code() != 0) << exit->ToString();
  }
  return (*child)->stderr_text();
}

// The number of log lines at critical level (the one start-up failure).
int CriticalLines(const std::string& log) {
  int count = 0;
  for (size_t at = log.find(" C "); at != std::string::npos;
       at = log.find(" C ", at + 1)) {
    ++count;
  }
  return count;
}

class PortOwnershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        catalog_,
        CatalogProcess::Start({.data_dir = temp_.Join("catalog"),
                               .log_path = temp_.Join("catalog.log"),
                               .flags = {"--metrics_listen=127.0.0.1:0"}}));
  }

  void TearDown() override {
    if (catalog_ != nullptr) EXPECT_OK(catalog_->Stop());
  }

  // The first catalog still serves: the second never took connections.
  void ExpectFirstStillServes() {
    auto stub = catalog_->NewStub();
    for (int i = 0; i < 8; ++i) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(5));
      ListFilmsResponse response;
      EXPECT_TRUE(
          stub->ListFilms(&context, ListFilmsRequest(), &response).ok());
    }
  }

  TempDir temp_;
  std::unique_ptr<CatalogProcess> catalog_;
};

TEST_F(PortOwnershipTest, SecondCatalogOnTheSamePortExitsWithOneLine) {
  const std::string log = RunToFailure(
      CatalogServicePath(), {absl::StrCat("--listen=", catalog_->address()),
                             absl::StrCat("--data_dir=", temp_.Join("other"))});
  EXPECT_THAT(
      log, HasSubstr(absl::StrCat("cannot listen on ", catalog_->address())));
  EXPECT_THAT(log, HasSubstr("in use"));
  EXPECT_EQ(CriticalLines(log), 1) << log;
  ExpectFirstStillServes();
}

TEST_F(PortOwnershipTest, SecondSearchOnTheCatalogPortExitsWithOneLine) {
  const std::string log = RunToFailure(
      SearchServicePath(), {absl::StrCat("--listen=", catalog_->address()),
                            absl::StrCat("--catalog=", catalog_->address()),
                            absl::StrCat("--data_dir=", temp_.Join("search"))});
  EXPECT_THAT(
      log, HasSubstr(absl::StrCat("cannot listen on ", catalog_->address())));
  EXPECT_EQ(CriticalLines(log), 1) << log;
  ExpectFirstStillServes();
}

TEST_F(PortOwnershipTest, MetricsPortInUseExitsBeforeServing) {
  // Learn the first catalog's metrics port from its log.
  std::string metrics_port;
  const std::regex pattern("metrics on [^ ]+ \\(port ([0-9]+)\\)");
  for (int i = 0; i < 100 && metrics_port.empty(); ++i) {
    std::smatch match;
    const std::string log = catalog_->process().StderrTail(1 << 16);
    if (std::regex_search(log, match, pattern)) metrics_port = match[1];
    if (metrics_port.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_FALSE(metrics_port.empty()) << catalog_->process().StderrTail();
  const std::string log =
      RunToFailure(CatalogServicePath(),
                   {"--listen=127.0.0.1:0",
                    absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port),
                    absl::StrCat("--data_dir=", temp_.Join("other"))});
  EXPECT_THAT(log, HasSubstr(absl::StrCat("metrics address 127.0.0.1:",
                                          metrics_port, " is already in use")));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("listening on port")));
  EXPECT_EQ(CriticalLines(log), 1) << log;
  ExpectFirstStillServes();
}

}  // namespace
}  // namespace reel::testing
