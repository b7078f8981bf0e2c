// FaultFsProcess: the faultfs FUSE filesystem (tests/faultfs) mounted for a
// test as a child process, with its control commands.
//
//   ASSERT_OK_AND_ASSIGN(auto fs, FaultFsProcess::Start(
//       {.backing_dir = temp.Join("backing"), .mountpoint =
//       temp.Join("mnt")}));
//   ... run the catalog with --data_dir under fs->mountpoint() ...
//   ASSERT_OK(fs->PowerCut());   // unsynced data and entries are gone
//   ASSERT_OK(fs->Unmount());    // then restart on fs->backing_dir()
//
// Start() returns FAILED_PRECONDITION when this machine cannot mount FUSE
// filesystems (no /dev/fuse, no permission) or the build has no faultfs:
// tests skip then, printing why.
#ifndef REEL_TESTS_INTEGRATION_FAULTFS_PROCESS_H_
#define REEL_TESTS_INTEGRATION_FAULTFS_PROCESS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/testing/child_process.h"

namespace reel::testing {

struct FaultFsOptions {
  std::string backing_dir;  // Created if missing.
  std::string mountpoint;   // Created if missing.
  std::string log_path;     // faultfs's stderr; empty: the test's stderr.
  int64_t quota_bytes = 0;  // 0: no quota.
};

class FaultFsProcess {
 public:
  static absl::StatusOr<std::unique_ptr<FaultFsProcess>> Start(
      const FaultFsOptions& options);
  // Unmounts if still mounted.
  ~FaultFsProcess();

  const std::string& mountpoint() const { return options_.mountpoint; }
  const std::string& backing_dir() const { return options_.backing_dir; }

  // Drops everything not yet fsync'ed; later operations on the mount fail.
  absl::Status PowerCut() { return Command("power-cut"); }
  // Writes past `bytes` in total fail with ENOSPC; 0 lifts the quota.
  absl::Status SetQuota(int64_t bytes);
  // The counters faultfs reports ("used_bytes N\n...").
  absl::StatusOr<std::string> Counters() const;
  // One counter, e.g. "used_bytes".
  absl::StatusOr<int64_t> Counter(const std::string& name) const;
  // SIGTERM and wait: the mount is gone once this returns OK.
  absl::Status Unmount();

 private:
  FaultFsProcess(FaultFsOptions options, std::unique_ptr<ChildProcess> process)
      : options_(std::move(options)), process_(std::move(process)) {}
  absl::Status Command(const std::string& command);
  std::string ControlPath() const;

  FaultFsOptions options_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace reel::testing

#endif  // REEL_TESTS_INTEGRATION_FAULTFS_PROCESS_H_
