// CatalogFollower against a real in-process catalog (a CatalogServer on a
// loopback port) and a real IndexStore:
// snapshot, live changes, restart without re-snapshot, catalog outage and
// return, compacted history. Waits poll with a deadline; no fixed sleeps.
#include "search-service/feed/catalog_follower.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catalog-service/server/catalog_server.h"
#include "search-service/feed/index_store.h"
#include "search-service/index/live_index.h"
#include "search-service/text/analyzer.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::search {
namespace {

using ::reel::catalog::FilmStore;
using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::CreateFilmRequest;
using ::reel::catalog::v1::CreateFilmResponse;
using ::reel::catalog::v1::DeleteFilmRequest;
using ::reel::catalog::v1::DeleteFilmResponse;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::UpdateFilmRequest;
using ::reel::catalog::v1::UpdateFilmResponse;
using ::reel::search::v1::CONNECTION_STATE_DISCONNECTED;
using ::reel::search::v1::CONNECTION_STATE_FOLLOWING;
using ::reel::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Film MakeFilm(const std::string& title, int scenes) {
  Film film;
  film.set_title(title);
  film.set_year(1948);
  for (int i = 1; i <= scenes; ++i) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", i));
    scene->set_title(absl::StrCat(title, " scene ", i));
    scene->set_description("a ballet dancer crosses the stage");
  }
  return film;
}

// Polls `condition` every few milliseconds until it holds or `timeout` ends.
bool WaitFor(const std::function<bool()>& condition,
             absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class CatalogFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto analyzer = text::Analyzer::Create();
    ASSERT_TRUE(analyzer.ok()) << analyzer.status();
    analyzer_ = std::shared_ptr<const text::Analyzer>(*std::move(analyzer));
    StartCatalog(/*port=*/0, /*retention=*/100000);
  }

  void TearDown() override {
    StopFollower();
    StopCatalog();
  }

  // --- The catalog ---
  void StartCatalog(int port, int64_t retention) {
    catalog::CatalogServerOptions options;
    options.store.path = dir_.Join("catalog");
    options.store.sync_writes = false;
    options.store.maintenance_interval = absl::ZeroDuration();
    options.store.change_retention_revisions = retention;
    options.watch.progress_interval = absl::Milliseconds(50);
    options.server.listen_address = absl::StrCat("127.0.0.1:", port);
    options.server.drain_timeout = absl::Seconds(1);
    auto server = catalog::CatalogServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    catalog_server_ = *std::move(server);
    catalog_ = catalog_server_->store();
    port_ = catalog_server_->port();
    stub_ = CatalogService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }

  void StopCatalog() {
    stub_.reset();
    catalog_ = nullptr;
    catalog_server_.reset();
  }

  int64_t Create(const std::string& id, int scenes) {
    CreateFilmRequest request;
    request.set_film_id(id);
    *request.mutable_film() = MakeFilm(id, scenes);
    CreateFilmResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->CreateFilm(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.film().revision();
  }

  int64_t SetScenes(const std::string& id, int scenes) {
    UpdateFilmRequest request;
    *request.mutable_film() = MakeFilm(id, scenes);
    request.mutable_film()->set_name("films/" + id);
    request.mutable_update_mask()->add_paths("scenes");
    UpdateFilmResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->UpdateFilm(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.film().revision();
  }

  int64_t Delete(const std::string& id) {
    DeleteFilmRequest request;
    request.set_name("films/" + id);
    DeleteFilmResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->DeleteFilm(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.revision();
  }

  // --- The follower ---
  void StartFollower() {
    index_ = std::make_unique<LiveIndex>(analyzer_);
    auto store = IndexStore::Open(dir_.Join("index"));
    ASSERT_TRUE(store.ok()) << store.status();
    index_store_ = *std::move(store);
    FollowerOptions options;
    options.catalog_address = absl::StrCat("127.0.0.1:", port_);
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(200);
    options.on_ready = [this] { ready_calls_.fetch_add(1); };
    ready_calls_ = 0;
    follower_ = std::make_unique<CatalogFollower>(options, index_.get(),
                                                  index_store_.get());
    ASSERT_OK(follower_->Start());
  }

  void StopFollower() {
    follower_.reset();
    index_store_.reset();
    index_.reset();
  }

  // Waits until the index has applied `revision`.
  bool WaitApplied(int64_t revision) {
    return WaitFor([&] { return index_->applied_revision() >= revision; });
  }

  // The film names the IndexStore holds, read after stopping the follower.
  std::vector<std::string> StoredFilmNames() {
    std::vector<std::string> names;
    auto state = index_store_->Load();
    EXPECT_TRUE(state.ok()) << state.status();
    if (!state.ok()) return names;
    for (const Film& film : state->films) names.push_back(film.name());
    return names;
  }

  testing::TempDir dir_;
  std::shared_ptr<const text::Analyzer> analyzer_;
  // Catalog.
  std::unique_ptr<catalog::CatalogServer> catalog_server_;
  FilmStore* catalog_ = nullptr;  // Owned by catalog_server_.
  std::unique_ptr<CatalogService::Stub> stub_;
  int port_ = 0;
  // Search side.
  std::unique_ptr<LiveIndex> index_;
  std::unique_ptr<IndexStore> index_store_;
  std::unique_ptr<CatalogFollower> follower_;
  std::atomic<int> ready_calls_{0};
};

TEST_F(CatalogFollowerTest, SnapshotThenLiveChanges) {
  Create("red-shoes", 2);
  Create("black-narcissus", 2);
  const int64_t snapshot_revision = Create("peeping-tom", 2);

  StartFollower();
  ASSERT_TRUE(WaitApplied(snapshot_revision));
  ASSERT_TRUE(
      WaitFor([&] { return follower_->status().snapshots_loaded > 0; }));
  EXPECT_TRUE(index_->ready());
  // on_ready runs just after the index becomes ready.
  ASSERT_TRUE(WaitFor([&] { return ready_calls_.load() > 0; }));
  EXPECT_EQ(ready_calls_.load(), 1);
  EXPECT_EQ(index_->stats().films, 3);
  EXPECT_EQ(index_->stats().scenes, 6);
  FollowerStatus status = follower_->status();
  EXPECT_EQ(status.snapshots_loaded, 1);
  EXPECT_EQ(status.resumed_from_revision, 0);
  EXPECT_EQ(status.state, CONNECTION_STATE_FOLLOWING);
  EXPECT_GE(status.catalog_revision_seen, snapshot_revision);
  EXPECT_NE(status.last_applied_time, absl::InfinitePast());
  EXPECT_THAT(status.last_error, IsEmpty());

  Create("tales-of-hoffmann", 3);                  // +1 film, +3 scenes
  SetScenes("red-shoes", 5);                       // 2 -> 5 scenes
  const int64_t last = Delete("black-narcissus");  // -1 film, -2 scenes
  ASSERT_TRUE(WaitApplied(last));
  EXPECT_EQ(index_->applied_revision(), last);
  EXPECT_EQ(index_->stats().films, 3);
  EXPECT_EQ(index_->stats().scenes, 5 + 2 + 3);
  EXPECT_EQ(follower_->status().snapshots_loaded, 1);
  EXPECT_EQ(ready_calls_.load(), 1);

  // The store holds the same films at the same revision.
  follower_->Stop();
  auto state = index_store_->Load();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->revision, last);
  EXPECT_THAT(StoredFilmNames(),
              ElementsAre("films/peeping-tom", "films/red-shoes",
                          "films/tales-of-hoffmann"));
}

TEST_F(CatalogFollowerTest, RestartResumesFromStoredRevision) {
  Create("red-shoes", 2);
  const int64_t first = Create("black-narcissus", 2);
  StartFollower();
  ASSERT_TRUE(WaitApplied(first));
  StopFollower();

  // Changes while the search service is down.
  Delete("red-shoes");
  const int64_t latest = Create("peeping-tom", 4);

  StartFollower();
  // Ready from disk before hearing from the catalog.
  EXPECT_TRUE(index_->ready());
  EXPECT_EQ(ready_calls_.load(), 1);
  EXPECT_GE(index_->applied_revision(), first);
  ASSERT_TRUE(WaitApplied(latest));
  EXPECT_EQ(index_->stats().films, 2);
  EXPECT_EQ(index_->stats().scenes, 2 + 4);
  FollowerStatus status = follower_->status();
  EXPECT_EQ(status.snapshots_loaded, 0);
  EXPECT_EQ(status.resumed_from_revision, first);
  EXPECT_EQ(ready_calls_.load(), 1);

  follower_->Stop();
  EXPECT_THAT(StoredFilmNames(),
              ElementsAre("films/black-narcissus", "films/peeping-tom"));
}

TEST_F(CatalogFollowerTest, CatalogOutageKeepsServingThenCatchesUp) {
  Create("red-shoes", 2);
  const int64_t first = Create("black-narcissus", 3);
  StartFollower();
  ASSERT_TRUE(WaitApplied(first));
  ASSERT_TRUE(WaitFor(
      [&] { return follower_->status().state == CONNECTION_STATE_FOLLOWING; }));

  const int port = port_;
  StopCatalog();
  ASSERT_TRUE(WaitFor([&] {
    return follower_->status().state == CONNECTION_STATE_DISCONNECTED;
  }));
  FollowerStatus down = follower_->status();
  // UNAVAILABLE from the shutdown, or from a reconnect refused after it (a
  // reconnect racing the server's drain may see CANCELLED).
  EXPECT_THAT(down.last_error, Not(IsEmpty()));
  EXPECT_NE(down.last_error_time, absl::InfinitePast());
  // The index still answers, unchanged.
  EXPECT_TRUE(index_->ready());
  EXPECT_EQ(index_->applied_revision(), first);
  EXPECT_EQ(index_->stats().films, 2);
  EXPECT_EQ(index_->stats().scenes, 5);

  // Same port, same data: the follower reconnects and resumes.
  StartCatalog(port, /*retention=*/100000);
  ASSERT_EQ(port_, port);
  const int64_t latest = Create("peeping-tom", 1);
  ASSERT_TRUE(WaitApplied(latest));
  EXPECT_EQ(index_->stats().films, 3);
  EXPECT_EQ(index_->stats().scenes, 6);
  ASSERT_TRUE(WaitFor(
      [&] { return follower_->status().state == CONNECTION_STATE_FOLLOWING; }));
  EXPECT_EQ(follower_->status().snapshots_loaded, 1);  // Resumed, no snapshot.
}

TEST_F(CatalogFollowerTest, CompactedHistoryTriggersResnapshot) {
  StopCatalog();
  StartCatalog(/*port=*/0, /*retention=*/2);
  Create("red-shoes", 2);
  Create("black-narcissus", 2);
  const int64_t first = Create("peeping-tom", 2);
  StartFollower();
  ASSERT_TRUE(WaitApplied(first));
  StopFollower();

  Delete("red-shoes");
  Create("tales-of-hoffmann", 3);
  Create("the-small-back-room", 1);
  const int64_t latest = Create("gone-to-earth", 1);
  ASSERT_OK(catalog_->RunMaintenance());
  ASSERT_GT(catalog_->compacted_through(), first);

  StartFollower();
  ASSERT_TRUE(WaitApplied(latest));
  EXPECT_EQ(index_->applied_revision(), latest);
  // The status is updated just after the index.
  ASSERT_TRUE(
      WaitFor([&] { return follower_->status().snapshots_loaded > 0; }));
  FollowerStatus status = follower_->status();
  EXPECT_EQ(status.resumed_from_revision, first);
  EXPECT_EQ(status.snapshots_loaded, 1);
  EXPECT_THAT(status.last_error, HasSubstr("OUT_OF_RANGE"));
  EXPECT_EQ(index_->stats().films, 5);
  EXPECT_EQ(index_->stats().scenes, 2 + 2 + 3 + 1 + 1);

  follower_->Stop();
  EXPECT_THAT(StoredFilmNames(),
              ElementsAre("films/black-narcissus", "films/gone-to-earth",
                          "films/peeping-tom", "films/tales-of-hoffmann",
                          "films/the-small-back-room"));
}

TEST_F(CatalogFollowerTest, EmptyCatalogIsReadyAndStopIsPromptWhenDown) {
  StartFollower();
  ASSERT_TRUE(WaitFor([&] { return ready_calls_.load() > 0; }));
  EXPECT_TRUE(index_->ready());
  EXPECT_EQ(index_->stats().films, 0);
  EXPECT_EQ(ready_calls_.load(), 1);

  EXPECT_THAT(follower_->Start(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already started")));

  StopCatalog();
  ASSERT_TRUE(WaitFor([&] {
    return follower_->status().state == CONNECTION_STATE_DISCONNECTED;
  }));
  const absl::Time before = absl::Now();
  follower_->Stop();
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
}

TEST(CatalogFollowerOptionsTest, StartRequiresAddress) {
  testing::TempDir dir;
  auto analyzer = text::Analyzer::Create();
  ASSERT_TRUE(analyzer.ok()) << analyzer.status();
  LiveIndex index(std::shared_ptr<const text::Analyzer>(*std::move(analyzer)));
  auto store = IndexStore::Open(dir.Join("index"));
  ASSERT_TRUE(store.ok()) << store.status();
  CatalogFollower follower(FollowerOptions(), &index, store->get());
  EXPECT_THAT(follower.Start(), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("catalog_address")));
}

}  // namespace
}  // namespace reel::search
