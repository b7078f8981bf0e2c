// A graceful shutdown ends every WatchFilms stream promptly with UNAVAILABLE,
// whatever the stream is doing at that instant: through a real catalog server
// on loopback whose idle streams send a progress message every few
// milliseconds, so shutdown keeps landing between a write's completion and
// the next message (the window where a stream could be queued for builders
// that have already left, and the drain would wait for it to its timeout).
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catalog-service/server/catalog_server.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;
using ::testing::HasSubstr;

constexpr int kStreams = 96;
constexpr int kRounds = 10;
// Far longer than the streams may take: a stream left behind shows up as a
// shutdown that lasts this long and a status that is not the hub's.
constexpr absl::Duration kDrainTimeout = absl::Seconds(20);
constexpr auto kPromptly = std::chrono::seconds(5);

// One idle watch stream from the head, read on its own thread.
class Watcher {
 public:
  Watcher(CatalogService::Stub* stub, int64_t revision) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(60));
    WatchFilmsRequest request;
    request.set_start_revision(revision);
    reader_ = stub->WatchFilms(&context_, request);
    thread_ = std::thread([this] {
      WatchFilmsResponse response;
      while (reader_->Read(&response)) messages_.fetch_add(1);
      status_ = reader_->Finish();
      ended_at_ = std::chrono::steady_clock::now();
      ended_.store(true);
    });
  }
  ~Watcher() {
    context_.TryCancel();
    thread_.join();
  }

  int messages() const { return messages_.load(); }
  bool ended() const { return ended_.load(); }
  // Valid once ended().
  const grpc::Status& status() const { return status_; }
  std::chrono::steady_clock::time_point ended_at() const { return ended_at_; }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<WatchFilmsResponse>> reader_;
  std::atomic<int> messages_{0};
  std::atomic<bool> ended_{false};
  grpc::Status status_;
  std::chrono::steady_clock::time_point ended_at_;
  std::thread thread_;
};

bool WaitUntil(const std::function<bool()>& done,
               std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(WatchShutdownTest, StreamsBetweenProgressMessagesEndPromptly) {
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    testing::TempDir dir;
    CatalogServerOptions options;
    options.store.path = dir.Join("catalog");
    options.store.maintenance_interval = absl::ZeroDuration();
    options.store.sync_writes = false;
    // The hub clamps its tick to 5 ms: a progress write every tick or two.
    options.watch.progress_interval = absl::Milliseconds(1);
    options.server.drain_timeout = kDrainTimeout;
    auto started = CatalogServer::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    std::unique_ptr<CatalogServer> catalog = *std::move(started);
    auto stub = CatalogService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", catalog->port()),
                            grpc::InsecureChannelCredentials()));

    std::vector<std::unique_ptr<Watcher>> watchers;
    for (int i = 0; i < kStreams; ++i) {
      watchers.push_back(std::make_unique<Watcher>(stub.get(), 0));
    }
    // Every stream is registered and cycling through progress writes.
    for (const auto& watcher : watchers) {
      ASSERT_TRUE(WaitUntil([&] { return watcher->messages() >= 3; },
                            std::chrono::seconds(20)))
          << "a stream got " << watcher->messages() << " progress messages";
    }

    const auto signalled = std::chrono::steady_clock::now();
    std::thread shutdown([&] { catalog->Shutdown(); });
    for (const auto& watcher : watchers) {
      ASSERT_TRUE(WaitUntil([&] { return watcher->ended(); }, kPromptly))
          << "a watch stream outlived the shutdown by " << kPromptly.count()
          << " s";
      EXPECT_EQ(watcher->status().error_code(), grpc::StatusCode::UNAVAILABLE)
          << watcher->status().error_message();
      EXPECT_THAT(watcher->status().error_message(),
                  HasSubstr("shutting down"));
      EXPECT_LT(watcher->ended_at() - signalled, kPromptly);
    }
    watchers.clear();
    stub.reset();
    shutdown.join();
    EXPECT_LT(std::chrono::steady_clock::now() - signalled,
              std::chrono::seconds(10))
        << "the drain waited for a call the hub never ended";
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace reel::catalog
