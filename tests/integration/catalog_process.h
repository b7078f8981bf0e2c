// CatalogProcess: the real catalog-service binary as a child of the test, on
// a free loopback port, with gRPC stubs to it.
//
//   TempDir temp;
//   ASSERT_OK_AND_ASSIGN(auto catalog, CatalogProcess::Start(
//       {.data_dir = temp.Join("data"), .log_path =
//       temp.Join("catalog.log")}));
//   auto stub = catalog->NewStub();
//   ...
//   ASSERT_OK(catalog->Stop());  // SIGTERM; OK when it exits with code 0.
//
// The paths of the built binaries come from CMake (CATALOG_SERVICE_PATH,
// REELCTL_PATH).
#ifndef REEL_TESTS_INTEGRATION_CATALOG_PROCESS_H_
#define REEL_TESTS_INTEGRATION_CATALOG_PROCESS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "tests/testing/child_process.h"

namespace reel::testing {

// The catalog-service binary of this build.
std::string CatalogServicePath();
// The reelctl binary of this build; empty when the build has no reelctl.
std::string ReelctlPath();

// Output of a finished reelctl run.
struct ToolRun {
  ExitStatus exit{0};
  std::string out;
  std::string err;
  std::string Describe() const;
};

// Runs the built reelctl with `args` and waits (2 minutes at most).
absl::StatusOr<ToolRun> RunReelctl(const std::vector<std::string>& args);

// How long a catalog may take to start (open RocksDB, bind) and to stop.
inline constexpr std::chrono::seconds kCatalogStartTimeout{30};
inline constexpr std::chrono::seconds kCatalogStopTimeout{30};

struct CatalogProcessOptions {
  // RocksDB directory (--data_dir). Required.
  std::string data_dir;
  // Where the service's stderr (its log) goes; empty: the test's stderr.
  std::string log_path;
  // More flags, e.g. "--watch_progress_interval=100ms".
  std::vector<std::string> flags;
};

class CatalogProcess {
 public:
  // Starts catalog-service with --listen=127.0.0.1:0 and waits for its
  // "catalog-service listening on port N" line.
  static absl::StatusOr<std::unique_ptr<CatalogProcess>> Start(
      const CatalogProcessOptions& options);

  int port() const { return port_; }
  // "127.0.0.1:PORT".
  std::string address() const;
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  std::unique_ptr<reel::catalog::v1::CatalogService::Stub> NewStub() const;
  ChildProcess& process() { return *process_; }

  // Drops this object's channel; channel() is null afterwards. A draining
  // server waits until its clients close their connections, and an idle
  // synchronous gRPC client notices the server's GOAWAY only at its next
  // backup poll (5 s): to stop quickly, drop every stub and then the channel.
  void ReleaseChannel() { channel_.reset(); }

  // ReleaseChannel(), SIGTERM, then waits for the exit. OK only for exit
  // code 0.
  absl::Status Stop(std::chrono::milliseconds timeout = kCatalogStopTimeout);
  // SIGKILL, then waits for the exit. OK when SIGKILL ended it.
  absl::Status Crash();
  // The end of the service's log (with a log_path).
  std::string LogTail(size_t max_bytes = 8192) const {
    return process_->StderrTail(max_bytes);
  }

 private:
  CatalogProcess(std::unique_ptr<ChildProcess> process, int port);

  std::unique_ptr<ChildProcess> process_;
  int port_;
  std::shared_ptr<grpc::Channel> channel_;
};

// grpc.health.v1.Health/Check for `service` ("" = the whole server), through
// the generic stub since Debian ships no generated health stubs. Returns the
// ServingStatus number: 1 SERVING, 2 NOT_SERVING; or the call's error (e.g.
// NOT_FOUND for an unknown service).
absl::StatusOr<int> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& service,
                                std::chrono::milliseconds timeout);

}  // namespace reel::testing

#endif  // REEL_TESTS_INTEGRATION_CATALOG_PROCESS_H_
