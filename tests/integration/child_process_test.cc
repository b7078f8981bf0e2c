// Tests of the test launcher (tests/testing/child_process.h), with /bin/sh as
// the child.
#include "tests/testing/child_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using namespace std::chrono_literals;

constexpr char kShell[] = "/bin/sh";

absl::StatusOr<std::unique_ptr<ChildProcess>> Shell(
    const std::string& script, const ChildProcessOptions& options = {}) {
  return ChildProcess::Start(kShell, {"-c", script}, options);
}

TEST(ChildProcessTest, WaitsForMatchingLinesInOrder) {
  ASSERT_OK_AND_ASSIGN(
      auto child,
      Shell("echo starting; echo 'listening on port 4242'; echo done; "
            "printf 'no newline'"));
  EXPECT_THAT(child->WaitForLine("port ([0-9]+)$", 10s),
              IsOkAndHolds(ElementsAre("port 4242", "4242")));
  // Lines already returned are not matched again.
  EXPECT_THAT(child->WaitForLine("^(starting|done)$", 10s),
              IsOkAndHolds(ElementsAre("done", "done")));
  // The last line counts at end of file even without '\n'.
  EXPECT_THAT(child->WaitForLine("newline", 10s), IsOk());
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, child->Wait(10s));
  EXPECT_TRUE(exit.success()) << exit.ToString();
  EXPECT_EQ(child->stdout_text(),
            "starting\nlistening on port 4242\ndone\nno newline");
}

TEST(ChildProcessTest, ReportsExitBeforeTheLine) {
  ASSERT_OK_AND_ASSIGN(auto child, Shell("echo oops; exit 3"));
  EXPECT_THAT(child->WaitForLine("listening", 10s),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("exit code 3"), HasSubstr("oops"))));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, child->Wait(10s));
  EXPECT_TRUE(exit.exited());
  EXPECT_EQ(exit.exit_code(), 3);
  EXPECT_FALSE(child->IsRunning());
  EXPECT_THAT(child->Signal(SIGTERM),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already exited")));
}

TEST(ChildProcessTest, TimesOutThenKills) {
  ASSERT_OK_AND_ASSIGN(auto child, Shell("echo hello; exec sleep 60"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(
      child->WaitForLine("never", 200ms),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("hello")));
  EXPECT_THAT(child->Wait(100ms), StatusIs(absl::StatusCode::kDeadlineExceeded,
                                           HasSubstr("still runs")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(child->IsRunning());
  ASSERT_OK(child->Kill());
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, child->Wait(10s));
  EXPECT_TRUE(exit.signaled());
  EXPECT_EQ(exit.term_signal(), SIGKILL);
  EXPECT_THAT(exit.ToString(), HasSubstr("signal 9"));
}

TEST(ChildProcessTest, DeliversSignals) {
  ASSERT_OK_AND_ASSIGN(auto child,
                       Shell("trap 'echo got TERM; exit 7' TERM; echo ready; "
                             "while :; do sleep 0.05; done"));
  ASSERT_OK(child->WaitForLine("^ready$", 10s).status());
  ASSERT_OK(child->Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, child->Wait(10s));
  EXPECT_EQ(exit.exit_code(), 7) << exit.ToString();
  EXPECT_THAT(child->stdout_text(), HasSubstr("got TERM"));
}

TEST(ChildProcessTest, CapturesStderr) {
  ChildProcessOptions options;
  options.capture_stderr = true;
  ASSERT_OK_AND_ASSIGN(auto child, Shell("echo out; echo err >&2", options));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, child->Wait(10s));
  EXPECT_TRUE(exit.success());
  EXPECT_EQ(child->stdout_text(), "out\n");
  EXPECT_EQ(child->stderr_text(), "err\n");
  EXPECT_EQ(child->StderrTail(2), "...r\n");
}

TEST(ChildProcessTest, SendsStderrToAFile) {
  TempDir temp;
  ASSERT_OK_AND_ASSIGN(auto child, Shell("echo first >&2; echo second >&2",
                                         {.stderr_path = temp.Join("log")}));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, child->Wait(10s));
  EXPECT_TRUE(exit.success());
  EXPECT_EQ(child->StderrTail(), "first\nsecond\n");
  EXPECT_EQ(child->StderrTail(7), "...second\n");
}

TEST(ChildProcessTest, LargeOutputDoesNotBlockTheChild) {
  // Far more than a pipe holds: Wait() must keep reading.
  ASSERT_OK_AND_ASSIGN(auto child,
                       Shell("i=0; while [ $i -lt 20000 ]; do "
                             "echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; "
                             "i=$((i+1)); done"));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, child->Wait(60s));
  EXPECT_TRUE(exit.success());
  EXPECT_THAT(child->stdout_text(), HasSubstr("line-19999-"));
}

TEST(ChildProcessTest, DestructorKillsARunningChild) {
  pid_t pid = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto child, Shell("exec sleep 60"));
    pid = child->pid();
    ASSERT_EQ(kill(pid, 0), 0);
  }
  // Killed and reaped: the pid is gone.
  EXPECT_EQ(kill(pid, 0), -1);
}

TEST(ChildProcessTest, RejectsMissingBinary) {
  EXPECT_THAT(
      ChildProcess::Start("/nonexistent/binary", {}),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/binary")));
}

}  // namespace
}  // namespace reel::testing
