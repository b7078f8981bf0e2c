#include "tests/testing/child_process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <utility>

#include "absl/strings/str_cat.h"

namespace reel::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string ErrnoText(int error) { return std::strerror(error); }

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// The last `max_bytes` of `text`, marked when cut.
std::string Tail(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  return absl::StrCat("...", text.substr(text.size() - max_bytes));
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

bool ExitStatus::exited() const { return WIFEXITED(wait_status_); }
int ExitStatus::exit_code() const { return WEXITSTATUS(wait_status_); }
bool ExitStatus::signaled() const { return WIFSIGNALED(wait_status_); }
int ExitStatus::term_signal() const { return WTERMSIG(wait_status_); }

std::string ExitStatus::ToString() const {
  if (exited()) return absl::StrCat("exit code ", exit_code());
  if (signaled()) {
    return absl::StrCat("killed by signal ", term_signal(), " (",
                        strsignal(term_signal()), ")");
  }
  return absl::StrCat("wait status ", wait_status_);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::string& binary, const std::vector<std::string>& args,
    const ChildProcessOptions& options) {
  if (binary.empty() || access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot run \"", binary,
                                            "\": not an executable file (",
                                            ErrnoText(errno), ")"));
  }
  // Everything the child needs is prepared before fork(): between fork() and
  // exec() it may only make async-signal-safe calls (the test has threads).
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // All descriptors are close-on-exec so that children started concurrently
  // do not inherit each other's pipes (which would hide end of file).
  int stdout_pipe[2] = {-1, -1};
  int stderr_pipe[2] = {-1, -1};
  int exec_error_pipe[2] = {-1, -1};
  int stderr_file = -1;
  auto close_all = [&] {
    for (int* fd :
         {&stdout_pipe[0], &stdout_pipe[1], &stderr_pipe[0], &stderr_pipe[1],
          &exec_error_pipe[0], &exec_error_pipe[1], &stderr_file}) {
      CloseFd(fd);
    }
  };
  if (pipe2(stdout_pipe, O_CLOEXEC) != 0 ||
      pipe2(exec_error_pipe, O_CLOEXEC) != 0 ||
      (options.capture_stderr && pipe2(stderr_pipe, O_CLOEXEC) != 0)) {
    const int error = errno;
    close_all();
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(error)));
  }
  if (!options.stderr_path.empty()) {
    stderr_file =
        open(options.stderr_path.c_str(),
             O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (stderr_file < 0) {
      const int error = errno;
      close_all();
      return absl::InternalError(absl::StrCat(
          "cannot open ", options.stderr_path, ": ", ErrnoText(error)));
    }
  }
  const int child_stderr = stderr_file >= 0
                               ? stderr_file
                               : (options.capture_stderr ? stderr_pipe[1] : -1);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close_all();
    return absl::InternalError(absl::StrCat("fork: ", ErrnoText(error)));
  }
  if (pid == 0) {
    // The child. Dies with the thread that started it, so that a test killed
    // by its timeout leaves no server behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (dup2(stdout_pipe[1], STDOUT_FILENO) < 0) _exit(127);
    if (child_stderr >= 0 && dup2(child_stderr, STDERR_FILENO) < 0) _exit(127);
    // Start from default signal handling whatever the test runner set.
    struct sigaction default_action;
    std::memset(&default_action, 0, sizeof(default_action));
    default_action.sa_handler = SIG_DFL;
    for (int signal_number : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
      sigaction(signal_number, &default_action, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Descriptors the test opened without O_CLOEXEC (its sockets, say) must
    // not keep connections alive in the child.
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execv(argv[0], argv.data());
    const int error = errno;
    ssize_t ignored = write(exec_error_pipe[1], &error, sizeof(error));
    (void)ignored;
    _exit(127);
  }

  // The parent.
  CloseFd(&stdout_pipe[1]);
  CloseFd(&stderr_pipe[1]);
  CloseFd(&exec_error_pipe[1]);
  CloseFd(&stderr_file);
  // End of file means exec() succeeded; an int is the errno of a failure.
  int exec_error = 0;
  ssize_t got = 0;
  do {
    got = read(exec_error_pipe[0], &exec_error, sizeof(exec_error));
  } while (got < 0 && errno == EINTR);
  CloseFd(&exec_error_pipe[0]);
  if (got > 0) {
    int ignored_status = 0;
    while (waitpid(pid, &ignored_status, 0) < 0 && errno == EINTR) {
    }
    close_all();
    return absl::InternalError(
        absl::StrCat("exec ", binary, ": ", ErrnoText(exec_error)));
  }
  // Nothing else waits for our children, so the pid cannot be reused before
  // we reap it: pidfd_open() after fork() is race-free.
  const int pidfd = PidfdOpen(pid);
  for (int fd : {stdout_pipe[0], stderr_pipe[0]}) {
    if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(binary, pid, pidfd, stdout_pipe[0], stderr_pipe[0],
                       options.stderr_path, options.capture_stderr));
}

ChildProcess::ChildProcess(std::string binary, pid_t pid, int pidfd,
                           int stdout_fd, int stderr_fd,
                           std::string stderr_path, bool stderr_captured)
    : binary_(std::move(binary)),
      pid_(pid),
      pidfd_(pidfd),
      stdout_fd_(stdout_fd),
      stderr_fd_(stderr_fd),
      stderr_path_(std::move(stderr_path)),
      stderr_captured_(stderr_captured) {}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    Kill().IgnoreError();
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  CloseFd(&pidfd_);
  CloseFd(&stdout_fd_);
  CloseFd(&stderr_fd_);
}

absl::Status ChildProcess::Signal(int signal_number) {
  if (reaped_) {
    return absl::FailedPreconditionError(
        absl::StrCat(binary_, " (pid ", pid_, ") has already exited"));
  }
  int result = -1;
#ifdef SYS_pidfd_send_signal
  if (pidfd_ >= 0) {
    result = static_cast<int>(
        syscall(SYS_pidfd_send_signal, pidfd_, signal_number, nullptr, 0));
  } else {
    result = kill(pid_, signal_number);
  }
#else
  result = kill(pid_, signal_number);
#endif
  if (result != 0) {
    return absl::InternalError(absl::StrCat("signal ", signal_number, " to ",
                                            pid_, ": ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::Status ChildProcess::Kill() { return Signal(SIGKILL); }

bool ChildProcess::IsRunning() {
  TryReap();
  return !reaped_;
}

void ChildProcess::TryReap() {
  if (reaped_) return;
  int status = 0;
  pid_t result;
  do {
    result = waitpid(pid_, &status, WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) {
    reaped_ = true;
    wait_status_ = status;
    CloseFd(&pidfd_);
  }
}

void ChildProcess::ReadAvailable(int* fd, std::string* out) {
  char buffer[1 << 16];
  while (*fd >= 0) {
    const ssize_t got = read(*fd, buffer, sizeof(buffer));
    if (got > 0) {
      out->append(buffer, static_cast<size_t>(got));
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      CloseFd(fd);  // End of file, or an error we cannot recover from.
    }
  }
}

absl::Status ChildProcess::Pump(Clock::time_point deadline,
                                const std::function<bool()>& done) {
  while (true) {
    if (done()) return absl::OkStatus();
    if (reaped_ && stdout_fd_ < 0 && stderr_fd_ < 0) {
      return absl::FailedPreconditionError("the child exited");
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return absl::DeadlineExceededError("timed out");

    pollfd fds[3];
    int count = 0;
    int stdout_index = -1, stderr_index = -1, pid_index = -1;
    if (stdout_fd_ >= 0) {
      stdout_index = count;
      fds[count++] = {stdout_fd_, POLLIN, 0};
    }
    if (stderr_fd_ >= 0) {
      stderr_index = count;
      fds[count++] = {stderr_fd_, POLLIN, 0};
    }
    if (!reaped_ && pidfd_ >= 0) {
      pid_index = count;
      fds[count++] = {pidfd_, POLLIN, 0};
    }
    // Round up so that we never spin on a sub-millisecond remainder.
    int64_t timeout_ms =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    if (!reaped_ && pidfd_ < 0) {
      // Without a pidfd the exit is only seen by asking: ask every 10 ms.
      timeout_ms = std::min<int64_t>(timeout_ms, 10);
    }
    const int ready = poll(fds, count, static_cast<int>(timeout_ms));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("poll: ", ErrnoText(errno)));
    }
    if (stdout_index >= 0 && fds[stdout_index].revents != 0) {
      ReadAvailable(&stdout_fd_, &stdout_);
    }
    if (stderr_index >= 0 && fds[stderr_index].revents != 0) {
      ReadAvailable(&stderr_fd_, &stderr_);
    }
    if ((pid_index >= 0 && fds[pid_index].revents != 0) ||
        (!reaped_ && pidfd_ < 0)) {
      TryReap();
    }
  }
}

absl::StatusOr<std::vector<std::string>> ChildProcess::WaitForLine(
    const std::string& pattern, std::chrono::milliseconds timeout) {
  std::regex regex;
  try {
    regex = std::regex(pattern);
  } catch (const std::regex_error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad pattern /", pattern, "/: ", error.what()));
  }
  std::vector<std::string> match;
  auto found = [&] {
    while (line_start_ < stdout_.size()) {
      size_t end = stdout_.find('\n', line_start_);
      if (end == std::string::npos) {
        if (stdout_fd_ >= 0) return false;  // Wait for the rest of the line.
        end = stdout_.size();               // A last line without '\n'.
      }
      const std::string line = stdout_.substr(line_start_, end - line_start_);
      line_start_ = std::min(end + 1, stdout_.size());
      std::smatch groups;
      if (std::regex_search(line, groups, regex)) {
        for (const auto& group : groups) match.push_back(group.str());
        return true;
      }
    }
    return false;
  };
  const absl::Status status = Pump(Clock::now() + timeout, found);
  if (status.ok()) return match;
  if (absl::IsDeadlineExceeded(status)) {
    return absl::DeadlineExceededError(
        absl::StrCat(binary_, " printed no line matching /", pattern,
                     "/ within ", timeout.count(), " ms; ", OutputForError()));
  }
  if (absl::IsFailedPrecondition(status)) {
    return absl::FailedPreconditionError(
        absl::StrCat(binary_, " ended (", ExitStatus(wait_status_).ToString(),
                     ") without printing a line matching /", pattern, "/; ",
                     OutputForError()));
  }
  return status;
}

absl::StatusOr<ExitStatus> ChildProcess::Wait(
    std::chrono::milliseconds timeout) {
  const absl::Status status =
      Pump(Clock::now() + timeout, [this] { return reaped_; });
  if (absl::IsDeadlineExceeded(status)) {
    return absl::DeadlineExceededError(
        absl::StrCat(binary_, " (pid ", pid_, ") still runs after ",
                     timeout.count(), " ms; ", OutputForError()));
  }
  if (!status.ok()) return status;
  // The child is gone, so whatever it wrote is already in the pipes.
  ReadAvailable(&stdout_fd_, &stdout_);
  ReadAvailable(&stderr_fd_, &stderr_);
  return ExitStatus(wait_status_);
}

std::string ChildProcess::StderrTail(size_t max_bytes) const {
  if (stderr_path_.empty()) return Tail(stderr_, max_bytes);
  std::ifstream file(stderr_path_, std::ios::binary | std::ios::ate);
  if (!file) return "";
  const std::streamoff size = file.tellg();
  const std::streamoff start =
      size > static_cast<std::streamoff>(max_bytes) ? size - max_bytes : 0;
  file.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  return start > 0 ? absl::StrCat("...", text) : text;
}

std::string ChildProcess::OutputForError() const {
  const bool inherited = stderr_path_.empty() && !stderr_captured_;
  return absl::StrCat("stdout: \"", Tail(stdout_, 2000), "\"; stderr: ",
                      inherited ? "(the test's stderr)"
                                : absl::StrCat("\"", StderrTail(2000), "\""));
}

absl::Status ChildProcess::Terminate(
    absl::string_view name, std::chrono::milliseconds timeout,
    const std::function<std::string()>& log_tail) {
  if (absl::Status status = Signal(SIGTERM); !status.ok()) return status;
  absl::StatusOr<ExitStatus> exit = Wait(timeout);
  if (!exit.ok()) return exit.status();
  if (!exit->success()) {
    return absl::InternalError(
        absl::StrCat(name, " ended with ", exit->ToString(),
                     " after SIGTERM; log: ", log_tail()));
  }
  return absl::OkStatus();
}

absl::Status ChildProcess::Crash(absl::string_view name,
                                 std::chrono::milliseconds timeout) {
  if (absl::Status status = Kill(); !status.ok()) return status;
  absl::StatusOr<ExitStatus> exit = Wait(timeout);
  if (!exit.ok()) return exit.status();
  if (!exit->signaled() || exit->term_signal() != SIGKILL) {
    return absl::InternalError(absl::StrCat(
        name, " ended with ", exit->ToString(), ", not by SIGKILL"));
  }
  return absl::OkStatus();
}

}  // namespace reel::testing
