// SearchProcess: the real search-service binary as a child of the test, on a
// free loopback port, following a catalog, with a SearchService stub to it.
//
//   TempDir temp;
//   ASSERT_OK_AND_ASSIGN(auto search, SearchProcess::Start(
//       {.catalog_address = catalog->address(),
//        .data_dir = temp.Join("search"),
//        .log_path = temp.Join("search.log")}));
//   auto stub = search->NewStub();
//   ASSERT_OK(WaitForRevision(*stub, head, kTimeout));
//   ASSERT_OK_AND_ASSIGN(SearchRun run, Search(*stub, request));
//   ...
//   ASSERT_OK(search->Stop());  // SIGTERM; OK when it exits with code 0.
//
// The path of the built binary comes from CMake (SEARCH_SERVICE_PATH).
#ifndef REEL_TESTS_INTEGRATION_SEARCH_PROCESS_H_
#define REEL_TESTS_INTEGRATION_SEARCH_PROCESS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reel/search/v1/search.grpc.pb.h"
#include "tests/testing/child_process.h"

namespace reel::testing {

// The search-service binary of this build.
std::string SearchServicePath();

// How long a search service may take to start (open its store, load the
// index from it, bind) and to stop.
inline constexpr std::chrono::seconds kSearchStartTimeout{30};
inline constexpr std::chrono::seconds kSearchStopTimeout{30};

struct SearchProcessOptions {
  // The catalog to follow (--catalog), host:port. Required.
  std::string catalog_address;
  // The index's on-disk state (--data_dir). Required.
  std::string data_dir;
  // Where the service's stderr (its log) goes; empty: the test's stderr.
  std::string log_path;
  // More flags, e.g. "--reconnect_max_backoff=300ms".
  std::vector<std::string> flags;
};

class SearchProcess {
 public:
  // Starts search-service with --listen=127.0.0.1:0 and waits for its
  // "search-service listening on port N" line.
  static absl::StatusOr<std::unique_ptr<SearchProcess>> Start(
      const SearchProcessOptions& options);

  int port() const { return port_; }
  // "127.0.0.1:PORT".
  std::string address() const;
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  std::unique_ptr<reel::search::v1::SearchService::Stub> NewStub() const;
  ChildProcess& process() { return *process_; }

  // Drops this object's channel (see CatalogProcess::ReleaseChannel: drop
  // every stub too before stopping the server, or its drain waits for them).
  void ReleaseChannel() { channel_.reset(); }

  // ReleaseChannel(), SIGTERM, then waits for the exit. OK only for exit
  // code 0.
  absl::Status Stop(std::chrono::milliseconds timeout = kSearchStopTimeout);
  // SIGKILL, then waits for the exit. OK when SIGKILL ended it.
  absl::Status Crash();
  // The end of the service's log (with a log_path).
  std::string LogTail(size_t max_bytes = 8192) const {
    return process_->StderrTail(max_bytes);
  }

 private:
  SearchProcess(std::unique_ptr<ChildProcess> process, int port);

  std::unique_ptr<ChildProcess> process_;
  int port_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Everything one SearchScenes call returned.
struct SearchRun {
  grpc::Status status;
  std::vector<reel::search::v1::SearchScenesResponse> messages;
  // The hits of every message, in order.
  std::vector<reel::search::v1::SceneHit> hits;
  // The last message's summary (when it carried one).
  reel::search::v1::SearchSummary summary;
  bool has_summary = false;

  // "OK: 9 hits [films/x s1, ...], summary {...}" for failure messages.
  std::string Describe() const;
};

// Runs SearchScenes(request) to its end with a `timeout` deadline and
// collects what it sent. The call's own failure is in SearchRun::status.
SearchRun Search(reel::search::v1::SearchService::Stub& stub,
                 const reel::search::v1::SearchScenesRequest& request,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Search(stub, {query, max_results, min_revision}).
SearchRun Search(reel::search::v1::SearchService::Stub& stub,
                 const std::string& query, int max_results = 0,
                 int64_t min_revision = 0,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

// GetIndexStatus with a deadline.
absl::StatusOr<reel::search::v1::GetIndexStatusResponse> GetIndexStatus(
    reel::search::v1::SearchService::Stub& stub,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Polls GetIndexStatus (every few milliseconds) until `done(status)` holds
// and returns that status. DEADLINE_EXCEEDED after `timeout`, describing the
// last status seen.
absl::StatusOr<reel::search::v1::GetIndexStatusResponse> WaitForIndexStatus(
    reel::search::v1::SearchService::Stub& stub,
    const std::function<bool(const reel::search::v1::GetIndexStatusResponse&)>&
        done,
    std::chrono::milliseconds timeout);

// Waits until the index has applied `revision`, without polling: one
// read-your-writes SearchScenes with min_revision = revision (retried while
// the index is UNAVAILABLE, i.e. has no first snapshot yet).
absl::Status WaitForRevision(reel::search::v1::SearchService::Stub& stub,
                             int64_t revision,
                             std::chrono::milliseconds timeout);

}  // namespace reel::testing

#endif  // REEL_TESTS_INTEGRATION_SEARCH_PROCESS_H_
