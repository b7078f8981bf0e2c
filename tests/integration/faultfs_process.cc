#include "tests/integration/faultfs_process.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace reel::testing {
namespace {

constexpr std::chrono::seconds kMountTimeout{10};
constexpr std::chrono::seconds kUnmountTimeout{10};

}  // namespace

absl::StatusOr<std::unique_ptr<FaultFsProcess>> FaultFsProcess::Start(
    const FaultFsOptions& options) {
  const std::string binary = FAULTFS_PATH;
  if (binary.empty()) {
    return absl::FailedPreconditionError(
        "this build has no faultfs (install libfuse3-dev and fuse3)");
  }
  if (access("/dev/fuse", R_OK | W_OK) != 0) {
    return absl::FailedPreconditionError("/dev/fuse is not usable here");
  }
  std::error_code error;
  std::filesystem::create_directories(options.backing_dir, error);
  std::filesystem::create_directories(options.mountpoint, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create faultfs dirs: ", error.message()));
  }
  std::vector<std::string> args = {options.backing_dir, options.mountpoint};
  if (options.quota_bytes > 0) {
    args.push_back(absl::StrCat("--quota_bytes=", options.quota_bytes));
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Start(binary, args, {.stderr_path = options.log_path});
  if (!process.ok()) return process.status();
  absl::StatusOr<std::vector<std::string>> mounted =
      (*process)->WaitForLine("^faultfs mounted at ", kMountTimeout);
  if (!mounted.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "faultfs could not mount ", options.mountpoint, ": ",
        mounted.status().message(), " ", (*process)->StderrTail(2000)));
  }
  return std::unique_ptr<FaultFsProcess>(
      new FaultFsProcess(options, *std::move(process)));
}

FaultFsProcess::~FaultFsProcess() {
  if (process_->IsRunning()) (void)Unmount();
}

std::string FaultFsProcess::ControlPath() const {
  return (std::filesystem::path(options_.mountpoint) / ".faultfs").string();
}

absl::Status FaultFsProcess::Command(const std::string& command) {
  const int fd = open(ControlPath().c_str(), O_WRONLY);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open faultfs control: ", std::strerror(errno)));
  }
  const ssize_t n = write(fd, command.data(), command.size());
  const int write_errno = errno;
  close(fd);
  if (n != static_cast<ssize_t>(command.size())) {
    return absl::InternalError(absl::StrCat(
        "faultfs refused \"", command, "\": ", std::strerror(write_errno)));
  }
  return absl::OkStatus();
}

absl::Status FaultFsProcess::SetQuota(int64_t bytes) {
  return Command(absl::StrCat("quota ", bytes));
}

absl::StatusOr<std::string> FaultFsProcess::Counters() const {
  const int fd = open(ControlPath().c_str(), O_RDONLY);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open faultfs control: ", std::strerror(errno)));
  }
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  close(fd);
  if (n < 0) return absl::InternalError("cannot read faultfs counters");
  return text;
}

absl::StatusOr<int64_t> FaultFsProcess::Counter(const std::string& name) const {
  absl::StatusOr<std::string> text = Counters();
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(line, ' ');
    int64_t value = 0;
    if (parts.first == name && absl::SimpleAtoi(parts.second, &value)) {
      return value;
    }
  }
  return absl::NotFoundError(absl::StrCat("no faultfs counter ", name));
}

absl::Status FaultFsProcess::Unmount() {
  return process_->Terminate("faultfs", kUnmountTimeout,
                             [this] { return process_->StderrTail(2000); });
}

}  // namespace reel::testing
