// ChildProcess: runs a binary as a child of the test, for end-to-end tests
// that drive the real servers and tools.
//
// The child's stdout is captured through a pipe; its stderr goes to a file,
// to a pipe, or to the test's own stderr. Every wait blocks in poll() on the
// pipes and on a pidfd for the child, with a deadline: no sleeps.
//
//   ASSERT_OK_AND_ASSIGN(auto server, ChildProcess::Start(
//       kServerPath, {"--listen=127.0.0.1:0"},
//       {.stderr_path = temp.Join("server.log")}));
//   ASSERT_OK_AND_ASSIGN(std::vector<std::string> match,
//       server->WaitForLine("listening on port ([0-9]+)", kStartTimeout));
//   int port = std::stoi(match[1]);
//   ...
//   ASSERT_OK(server->Signal(SIGTERM));
//   ASSERT_OK_AND_ASSIGN(ExitStatus exit, server->Wait(kStopTimeout));
//   EXPECT_TRUE(exit.success()) << exit.ToString();
//
// The child is killed (SIGKILL) when the ChildProcess is destroyed while it
// still runs, and also when the thread that started it exits (it is started
// with PR_SET_PDEATHSIG, so a crashed or timed-out test leaves no orphan):
// start children from the test's main thread.
//
// Not thread-safe: one thread drives a ChildProcess.
#ifndef REEL_TESTS_TESTING_CHILD_PROCESS_H_
#define REEL_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace reel::testing {

// How a child ended, from waitpid().
class ExitStatus {
 public:
  explicit ExitStatus(int wait_status) : wait_status_(wait_status) {}

  bool exited() const;      // Returned from main() or called exit().
  int exit_code() const;    // When exited().
  bool signaled() const;    // Ended by a signal.
  int term_signal() const;  // When signaled().
  // Exited with code 0.
  bool success() const { return exited() && exit_code() == 0; }
  // "exit code 0", "killed by signal 9 (Killed)".
  std::string ToString() const;

 private:
  int wait_status_;
};

struct ChildProcessOptions {
  // When set, the child's stderr goes to this file (created or truncated);
  // see StderrTail(). Otherwise it goes to the test's stderr, unless
  // capture_stderr.
  std::string stderr_path;
  // Captures stderr through a pipe (see stderr_text()). The pipe is drained
  // only while WaitForLine() or Wait() runs, so use this for short-lived
  // tools, not for chatty servers (use stderr_path for those).
  bool capture_stderr = false;
};

class ChildProcess {
 public:
  // Starts `binary` with `args` (argv[1...]) and the test's environment.
  // NOT_FOUND when `binary` is not an executable file; INTERNAL when the
  // process cannot be started.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::string& binary, const std::vector<std::string>& args,
      const ChildProcessOptions& options = {});

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills the child with SIGKILL and reaps it if it is still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& binary() const { return binary_; }

  // Reads stdout until a line not returned by an earlier call matches
  // `pattern` (std::regex_search, ECMAScript) and returns the match: [0] the
  // matched text, then the capture groups. DEADLINE_EXCEEDED after
  // `timeout`; FAILED_PRECONDITION when stdout closes (the child exited)
  // first. Error messages include what the child printed.
  absl::StatusOr<std::vector<std::string>> WaitForLine(
      const std::string& pattern, std::chrono::milliseconds timeout);

  // Sends `signal_number` to the child. FAILED_PRECONDITION once it has been
  // reaped.
  absl::Status Signal(int signal_number);
  // Signal(SIGKILL).
  absl::Status Kill();

  // Waits until the child exits, reading its output meanwhile, and returns
  // how it ended (again on later calls). DEADLINE_EXCEEDED after `timeout`,
  // with the child still running.
  absl::StatusOr<ExitStatus> Wait(std::chrono::milliseconds timeout);

  // Graceful stop: SIGTERM, then INTERNAL (naming `name` and quoting
  // `log_tail()`) unless the child exits 0 within `timeout`.
  absl::Status Terminate(absl::string_view name,
                         std::chrono::milliseconds timeout,
                         const std::function<std::string()>& log_tail);
  // Crash: SIGKILL, then INTERNAL unless the child died of it in `timeout`.
  absl::Status Crash(absl::string_view name, std::chrono::milliseconds timeout);

  // True until the child has been seen to exit (does not block).
  bool IsRunning();

  // Everything read from stdout so far.
  const std::string& stdout_text() const { return stdout_; }
  // Everything read from stderr so far (with capture_stderr).
  const std::string& stderr_text() const { return stderr_; }
  // The last `max_bytes` of the child's stderr: from the stderr_path file or
  // the capture; empty when stderr is inherited.
  std::string StderrTail(size_t max_bytes = 8192) const;

 private:
  ChildProcess(std::string binary, pid_t pid, int pidfd, int stdout_fd,
               int stderr_fd, std::string stderr_path, bool stderr_captured);

  // Polls the pipes and the pidfd, collecting output and the exit status,
  // until `done()` holds (OK), the deadline passes (DEADLINE_EXCEEDED) or
  // nothing more can happen (FAILED_PRECONDITION: the child exited and its
  // pipes closed).
  absl::Status Pump(std::chrono::steady_clock::time_point deadline,
                    const std::function<bool()>& done);
  // Reads what is available on *fd into *out; closes it at end of file.
  void ReadAvailable(int* fd, std::string* out);
  // Reaps the child if it has exited, without blocking.
  void TryReap();
  // "stdout: ...; stderr: ..." for error messages.
  std::string OutputForError() const;

  const std::string binary_;
  const pid_t pid_;
  int pidfd_;      // -1 when pidfd_open() is unavailable or after reaping.
  int stdout_fd_;  // -1 once closed.
  int stderr_fd_;  // -1 unless capture_stderr, or once closed.
  const std::string stderr_path_;
  const bool stderr_captured_;
  bool reaped_ = false;
  int wait_status_ = 0;
  std::string stdout_;
  std::string stderr_;
  size_t line_start_ = 0;  // In stdout_: where WaitForLine looks next.
};

}  // namespace reel::testing

#endif  // REEL_TESTS_TESTING_CHILD_PROCESS_H_
