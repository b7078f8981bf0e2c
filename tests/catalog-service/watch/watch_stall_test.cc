// WatchFilms streams whose clients never read, through a real catalog server
// on loopback and real gRPC clients that open streams and never call Read:
// writers keep being acknowledged, every stalled stream ends (on the server,
// not only when the client finally reads) and each holds one bounded message.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
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
using ::reel::catalog::v1::CreateFilmRequest;
using ::reel::catalog::v1::CreateFilmResponse;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;

constexpr int kFilms = 600;
constexpr size_t kFilmBytes = 8 << 10;

Film MakeFilm(int i) {
  Film film;
  film.set_title(absl::StrCat("Film ", i));
  film.set_year(1950);
  film.add_directors("Somebody");
  for (int s = 1; s <= 4; ++s) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", s));
    scene->set_title(absl::StrCat("scene ", s));
    scene->set_description(std::string(kFilmBytes / 4, 'a' + s));
  }
  return film;
}

// Polls `done` until it holds or `timeout` passes; true when it held.
bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// A client that opens watch streams and never reads them.
struct StalledWatcher {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<WatchFilmsResponse>> reader;
};

class WatchStallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CatalogServerOptions options;
    options.store.path = dir_.Join("catalog");
    options.store.maintenance_interval = absl::ZeroDuration();
    options.store.sync_writes = false;
    options.watch.progress_interval = absl::Milliseconds(200);
    options.watch.stall_timeout = kStall;
    options.server.drain_timeout = absl::Seconds(2);
    auto catalog = CatalogServer::Start(options);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    std::vector<ImportItem> items;
    for (int i = 0; i < kFilms; ++i) {
      items.push_back({absl::StrCat("film-", 10000 + i), MakeFilm(i)});
    }
    ASSERT_TRUE(catalog_->store()->Import(std::move(items), false).ok());
    writer_ = NewStub(/*connection=*/-1, /*small_window=*/false);
  }

  void TearDown() override {
    for (StalledWatcher& watcher : watchers_) watcher.context->TryCancel();
    watchers_.clear();
    catalog_.reset();
  }

  // Distinct connection numbers give distinct connections. A small window
  // (no BDP probing, small lookahead) makes a non-reading client stall the
  // server's writes early, as a real one does once its buffers fill.
  std::unique_ptr<CatalogService::Stub> NewStub(int connection,
                                                bool small_window) {
    grpc::ChannelArguments args;
    args.SetInt("reel.test.connection", connection);
    if (small_window) {
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 10);
    }
    return CatalogService::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", catalog_->port()),
                                  grpc::InsecureChannelCredentials(), args));
  }

  // Opens `count` snapshot watchers (start_revision 0) over a few
  // connections; none of them is ever read.
  void OpenStalledWatchers(int count) {
    for (int c = 0; c < 4; ++c) stubs_.push_back(NewStub(c, true));
    for (int i = 0; i < count; ++i) {
      StalledWatcher watcher;
      watcher.context = std::make_unique<grpc::ClientContext>();
      watcher.context->set_deadline(std::chrono::system_clock::now() +
                                    std::chrono::seconds(120));
      WatchFilmsRequest request;
      request.set_start_revision(0);
      watcher.reader =
          stubs_[i % stubs_.size()]->WatchFilms(watcher.context.get(), request);
      watchers_.push_back(std::move(watcher));
    }
  }

  grpc::Status CreateOne(int i) {
    CreateFilmRequest request;
    request.set_film_id(absl::StrCat("new-", i));
    *request.mutable_film() = MakeFilm(i);
    CreateFilmResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    return writer_->CreateFilm(&context, request, &response);
  }

  static constexpr absl::Duration kStall = absl::Seconds(1);
  static constexpr int kWatchers = 60;

  testing::TempDir dir_;
  std::unique_ptr<CatalogServer> catalog_;
  std::unique_ptr<CatalogService::Stub> writer_;
  std::vector<std::unique_ptr<CatalogService::Stub>> stubs_;
  std::vector<StalledWatcher> watchers_;
};

TEST_F(WatchStallTest, WritesAreAcknowledgedWhileWatchersNeverRead) {
  OpenStalledWatchers(kWatchers);
  ASSERT_TRUE(
      WaitFor([&] { return catalog_->hub()->active_streams() == kWatchers; },
              absl::Seconds(20)));
  // Writes run while the snapshots are being built and while the streams
  // sit stalled; each is acknowledged promptly (the bound is generous: a
  // write alone takes milliseconds here).
  const absl::Time start = absl::Now();
  absl::Duration slowest;
  for (int i = 0; i < 100; ++i) {
    const absl::Time before = absl::Now();
    grpc::Status status = CreateOne(i);
    ASSERT_TRUE(status.ok()) << status.error_message();
    slowest = std::max(slowest, absl::Now() - before);
  }
  EXPECT_LT(slowest, absl::Seconds(1));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(WatchStallTest, EveryStalledStreamEndsWithResourceExhausted) {
  OpenStalledWatchers(kWatchers);
  // Every stream stalls (its client reads nothing) and is finished by the
  // hub within the stall timeout plus a tick.
  ASSERT_TRUE(
      WaitFor([&] { return catalog_->hub()->stalled_streams() == kWatchers; },
              kStall * 10))
      << catalog_->hub()->stalled_streams() << " of " << kWatchers;
  // A client that reads now gets what was sent, then RESOURCE_EXHAUSTED.
  for (StalledWatcher& watcher : watchers_) {
    WatchFilmsResponse response;
    while (watcher.reader->Read(&response)) {
    }
    grpc::Status status = watcher.reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << status.error_message();
    EXPECT_NE(status.error_message().find("unread"), std::string::npos)
        << status.error_message();
  }
}

TEST_F(WatchStallTest, StreamsThatNeverReadAreReleasedByTheServer) {
  OpenStalledWatchers(kWatchers);
  ASSERT_TRUE(
      WaitFor([&] { return catalog_->hub()->active_streams() == kWatchers; },
              absl::Seconds(20)));
  // The clients never read, so the status cannot reach them; the server
  // still lets go of every call (and its buffers) after twice the timeout.
  EXPECT_TRUE(WaitFor([&] { return catalog_->hub()->active_streams() == 0; },
                      kStall * 15))
      << catalog_->hub()->active_streams() << " streams still open";
  EXPECT_EQ(catalog_->hub()->stalled_streams(), kWatchers);
  for (StalledWatcher& watcher : watchers_) {
    WatchFilmsResponse response;
    while (watcher.reader->Read(&response)) {
    }
    EXPECT_FALSE(watcher.reader->Finish().ok());
  }
}

TEST_F(WatchStallTest, EachStalledStreamHoldsOneBoundedMessage) {
  const int64_t rss_before = ResidentBytes();
  OpenStalledWatchers(kWatchers);
  // Wait until every stream has a message stuck with gRPC.
  ASSERT_TRUE(WaitFor(
      [&] {
        return catalog_->hub()->active_streams() == kWatchers &&
               catalog_->hub()->buffered_bytes() > 0;
      },
      absl::Seconds(20)));
  // Let the builders run until the windows are full: nothing more moves.
  int64_t last = -1;
  ASSERT_TRUE(WaitFor(
      [&] {
        const int64_t now = catalog_->hub()->buffered_bytes();
        const bool steady = now == last;
        last = now;
        if (!steady) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return steady;
      },
      absl::Seconds(20)));
  const WatchOptions defaults;
  const int64_t per_stream_bound =
      static_cast<int64_t>(defaults.max_bytes_per_message) + kFilmBytes * 2;
  EXPECT_LE(catalog_->hub()->buffered_bytes(), kWatchers * per_stream_bound);
  // The whole process (server and these clients, whose windows are small)
  // grows by a few messages per stream, not by the snapshot.
  const int64_t growth = ResidentBytes() - rss_before;
  EXPECT_LT(growth, kWatchers * 4 * per_stream_bound)
      << "resident growth " << growth << " bytes";
}

}  // namespace
}  // namespace reel::catalog
