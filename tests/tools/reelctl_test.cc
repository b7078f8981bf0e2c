#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/child_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel {
namespace {

using ::reel::testing::ChildProcess;
using ::reel::testing::ExitStatus;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::chrono::seconds kTimeout(30);

struct Result {
  ExitStatus exit{0};
  std::string out;
  std::string err;
};

Result RunReelctl(const std::vector<std::string>& args) {
  Result result;
  reel::testing::ChildProcessOptions options;
  options.capture_stderr = true;
  auto child = ChildProcess::Start(REELCTL_PATH, args, options);
  EXPECT_OK(child.status());
  if (!child.ok()) return result;
  auto exit = (*child)->Wait(kTimeout);
  EXPECT_OK(exit.status());
  if (exit.ok()) result.exit = *exit;
  result.out = (*child)->stdout_text();
  result.err = (*child)->stderr_text();
  return result;
}

// A loopback address that refuses connections: a port bound but never
// listened on, held for the test so nothing else takes it.
class ClosedPort {
 public:
  ClosedPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size),
              0);
    address_ = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  }
  ~ClosedPort() { close(fd_); }

  std::string flag() const { return "--catalog=" + address_; }

 private:
  int fd_;
  std::string address_;
};

TEST(ReelctlTest, HelpPrintsUsage) {
  const Result result = RunReelctl({"help"});
  EXPECT_TRUE(result.exit.success()) << result.exit.ToString();
  EXPECT_THAT(result.out, HasSubstr("usage: reelctl"));
  EXPECT_THAT(result.out, HasSubstr("import FILE..."));
}

TEST(ReelctlTest, UsageErrorsExitWithTwo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"bogus"},
                                             {"films", "get"},
                                             {"films", "get", "x", "--batch=3"},
                                             {"import", "--batch=0", "f.jsonl"},
                                             {"watch", "--from=soon"}}) {
    const Result result = RunReelctl(args);
    EXPECT_TRUE(result.exit.exited() && result.exit.exit_code() == 2)
        << args[0] << ": " << result.exit.ToString();
    EXPECT_THAT(result.err, HasSubstr("error: INVALID_ARGUMENT: "));
  }
}

TEST(ReelctlTest, ImportToAnUnreachableCatalogFailsWithUnavailable) {
  ClosedPort port;
  const Result result =
      RunReelctl({"import", port.flag(),
                  reel::testing::SharedDataDir() + "/seed/the-red-shoes.txt"});
  EXPECT_TRUE(result.exit.exited() && result.exit.exit_code() == 1)
      << result.exit.ToString();
  EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
  EXPECT_THAT(result.out, Not(HasSubstr("imported:")));
}

TEST(ReelctlTest, ImportReportsUnparsableRecordsByFileAndLine) {
  ClosedPort port;
  reel::testing::TempDir dir;
  const std::string path = dir.Join("films.jsonl");
  std::ofstream(path) << R"({"id": "a", "title": "A"})"
                      << "\n"
                      << R"({"id": "b"})"
                      << "\n";
  const Result result = RunReelctl({"import", port.flag(), path});
  EXPECT_THAT(result.err, HasSubstr(path + ":2: title: missing"));
  EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
  EXPECT_EQ(result.exit.exit_code(), 1);
}

TEST(ReelctlTest, ImportOfAMissingFileFailsBeforeConnecting) {
  const Result result =
      RunReelctl({"import", "--catalog=127.0.0.1:1", "nope.jsonl"});
  EXPECT_EQ(result.exit.exit_code(), 1);
  EXPECT_THAT(result.err, HasSubstr("error: NOT_FOUND: nope.jsonl"));
  EXPECT_THAT(result.err, Not(HasSubstr("UNAVAILABLE")));
}

TEST(ReelctlTest, UnaryCallToAnUnreachableCatalogFailsWithUnavailable) {
  ClosedPort port;
  const Result result = RunReelctl({"films", "get", "films/x", port.flag()});
  EXPECT_EQ(result.exit.exit_code(), 1);
  EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
}

}  // namespace
}  // namespace reel
