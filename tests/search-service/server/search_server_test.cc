// SearchServer in-process on loopback port 0, following a real in-process
// CatalogServer (RocksDB in a temp dir): health before and after the first
// snapshot, every gauge on /metrics, every GetIndexStatus field,
// read-your-writes through the real follower, and the shutdown of searches
// waiting for a revision. Waits poll with a deadline; no fixed sleeps.
#include "search-service/server/search_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "catalog-service/server/catalog_server.h"
#include "common/server/mutex_mode.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "reel/search/v1/search.grpc.pb.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/catalog_test_util.h"
#include "tests/testing/corpus.h"
#include "tests/testing/http_client.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::DeleteFilmRequest;
using ::reel::catalog::v1::DeleteFilmResponse;
using ::reel::catalog::v1::Film;
using ::reel::search::v1::GetIndexStatusRequest;
using ::reel::search::v1::GetIndexStatusResponse;
using ::reel::search::v1::SearchScenesRequest;
using ::reel::search::v1::SearchScenesResponse;
using ::reel::search::v1::SearchService;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using namespace std::chrono_literals;

constexpr char kSearchHealthName[] = "reel.search.v1.SearchService";
// grpc.health.v1 ServingStatus.
constexpr int kServing = 1;
constexpr int kNotServing = 2;

// Polls `condition` every few milliseconds until it holds or `timeout` ends.
bool WaitFor(const std::function<bool()>& condition,
             absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A loopback port nothing listens on (bound, then released).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool bound =
      fd >= 0 &&
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  if (fd >= 0) close(fd);
  return bound ? ntohs(address.sin_port) : 0;
}

// The value of every unlabelled series in a /metrics body, by name.
std::map<std::string, double> ParseMetrics(const std::string& body) {
  std::map<std::string, double> values;
  static const std::regex kLine("^([a-z_]+) ([-+0-9.eE]+)$");
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, kLine)) {
      values[match[1]] = std::stod(match[2]);
    }
  }
  return values;
}

// The gauges the search service adds to /metrics; a new one belongs here.
const std::vector<std::string>& SearchGauges() {
  static const auto* gauges = new std::vector<std::string>{
      "reel_search_applied_revision",    "reel_search_catalog_revision_seen",
      "reel_search_watch_lag_revisions", "reel_search_index_films",
      "reel_search_index_scenes",        "reel_search_index_terms",
      "reel_search_index_memory_bytes",  "reel_search_index_disk_bytes",
  };
  return *gauges;
}

class SearchServerTest : public ::testing::Test {
 protected:
  // As main() does: Abseil's lock-order graph is a debugging aid that the
  // binaries turn off (and whose global spin lock TSan cannot see).
  static void SetUpTestSuite() { DisableMutexDeadlockDetection(); }

  void TearDown() override {
    search_stub_.reset();
    search_channel_.reset();
    search_.reset();
    StopCatalog();
  }

  // --- The catalog ---
  void StartCatalog(int port = 0) {
    catalog::CatalogServerOptions options;
    options.store.path = dir_.Join("catalog");
    options.store.sync_writes = false;
    options.store.maintenance_interval = absl::ZeroDuration();
    options.watch.progress_interval = absl::Milliseconds(50);
    options.server.listen_address = absl::StrCat("127.0.0.1:", port);
    options.server.drain_timeout = absl::Seconds(1);
    auto server = catalog::CatalogServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    catalog_ = *std::move(server);
    catalog_port_ = catalog_->port();
    catalog_stub_ = CatalogService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", catalog_port_),
                            grpc::InsecureChannelCredentials()));
  }

  void StopCatalog() {
    catalog_stub_.reset();
    catalog_.reset();
  }

  // Creates films/`id` with `scenes` scenes; its revision.
  int64_t CreateFilm(const std::string& id, int scenes) {
    Film stored;
    const grpc::Status status = testing::CreateFilm(
        *catalog_stub_, id, testing::TestFilm(id, scenes), &stored);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return stored.revision();
  }

  int64_t DeleteFilm(const std::string& id) {
    DeleteFilmRequest request;
    request.set_name("films/" + id);
    DeleteFilmResponse response;
    grpc::ClientContext context;
    testing::SetDeadline(&context);
    const grpc::Status status =
        catalog_stub_->DeleteFilm(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.revision();
  }

  // The seed page and the small corpus: 201 films, 841 scenes. The head
  // revision after the import.
  int64_t ImportCorpus() {
    std::vector<Film> films =
        testing::LoadSharedFilms("corpus/films-small.jsonl");
    for (Film& film : testing::LoadSharedFilms("seed/the-red-shoes.txt")) {
      films.push_back(film);
    }
    auto imported = testing::ImportFilms(*catalog_stub_, films);
    EXPECT_TRUE(imported.ok()) << imported.status();
    return catalog_->store()->revision();
  }

  // --- The search service ---
  void StartSearch(int catalog_port) {
    SearchServerOptions options;
    options.data_dir = dir_.Join("search");
    options.follower.catalog_address = absl::StrCat("127.0.0.1:", catalog_port);
    options.follower.initial_backoff = absl::Milliseconds(20);
    options.follower.max_backoff = absl::Milliseconds(200);
    options.server.listen_address = "127.0.0.1:0";
    options.server.metrics_listen_address = "127.0.0.1:0";
    // Long enough that only the drain hook can end a revision wait quickly.
    options.server.drain_timeout = absl::Seconds(20);
    auto search = SearchServer::Start(options);
    ASSERT_TRUE(search.ok()) << search.status();
    search_ = *std::move(search);
    search_channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", search_->port()),
                            grpc::InsecureChannelCredentials());
    search_stub_ = SearchService::NewStub(search_channel_);
  }

  // grpc.health.v1 status of `service` ("" = the whole server).
  int Health(const std::string& service = "") {
    absl::StatusOr<int> status =
        testing::CheckHealth(search_channel_, service, 5s);
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *status : -1;
  }

  GetIndexStatusResponse IndexStatus() {
    GetIndexStatusResponse response;
    grpc::ClientContext context;
    testing::SetDeadline(&context);
    const grpc::Status status = search_stub_->GetIndexStatus(
        &context, GetIndexStatusRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  bool WaitApplied(int64_t revision) {
    return WaitFor(
        [&] { return search_->index()->applied_revision() >= revision; });
  }

  std::map<std::string, double> Scrape() {
    const std::string response =
        testing::HttpGet(search_->server()->metrics_port(), "/metrics");
    EXPECT_THAT(response, StartsWith("HTTP/1.1 200"));
    return ParseMetrics(testing::HttpBody(response));
  }

  struct Stream {
    std::vector<SearchScenesResponse> messages;
    grpc::Status status;
    size_t hits() const {
      size_t count = 0;
      for (const auto& message : messages) count += message.hits_size();
      return count;
    }
  };

  Stream Search(const SearchScenesRequest& request,
                std::chrono::milliseconds timeout = 20s) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    auto reader = search_stub_->SearchScenes(&context, request);
    Stream stream;
    SearchScenesResponse message;
    while (reader->Read(&message)) stream.messages.push_back(message);
    stream.status = reader->Finish();
    return stream;
  }

  testing::TempDir dir_;
  std::unique_ptr<catalog::CatalogServer> catalog_;
  std::unique_ptr<CatalogService::Stub> catalog_stub_;
  int catalog_port_ = 0;
  std::unique_ptr<SearchServer> search_;
  std::shared_ptr<grpc::Channel> search_channel_;
  std::unique_ptr<SearchService::Stub> search_stub_;
};

// Started before its catalog can be reached, the service answers but is
// not ready: health NOT_SERVING (also /readyz), searches UNAVAILABLE, the
// failure in GetIndexStatus. The first snapshot makes it SERVING.
TEST_F(SearchServerTest, NotServingBeforeTheFirstSnapshotServingAfter) {
  const int catalog_port = UnusedPort();
  ASSERT_NE(catalog_port, 0);
  StartSearch(catalog_port);

  EXPECT_EQ(Health(), kNotServing);
  EXPECT_EQ(Health(kSearchHealthName), kNotServing);
  EXPECT_THAT(testing::HttpGet(search_->server()->metrics_port(), "/readyz"),
              StartsWith("HTTP/1.1 503"));
  SearchScenesRequest request;
  request.set_query("dancer ");
  Stream stream = Search(request);
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(stream.status.error_message(), HasSubstr("first snapshot"));
  // The follower has tried and failed at least once.
  ASSERT_TRUE(WaitFor([&] { return !IndexStatus().last_error().empty(); }));
  GetIndexStatusResponse waiting = IndexStatus();
  EXPECT_FALSE(waiting.ready());
  EXPECT_EQ(waiting.applied_revision(), 0);
  EXPECT_EQ(waiting.film_count(), 0);
  EXPECT_EQ(waiting.catalog_history_id(), "");
  EXPECT_TRUE(waiting.has_last_error_time());
  EXPECT_FALSE(waiting.has_last_applied_time());
  EXPECT_NE(waiting.connection_state(), v1::CONNECTION_STATE_FOLLOWING);
  EXPECT_EQ(Health(), kNotServing);

  StartCatalog(catalog_port);
  const int64_t head = CreateFilm("red-shoes", 3);
  ASSERT_TRUE(WaitFor([&] { return Health() == kServing; }));
  EXPECT_EQ(Health(kSearchHealthName), kServing);
  EXPECT_THAT(testing::HttpGet(search_->server()->metrics_port(), "/readyz"),
              StartsWith("HTTP/1.1 200"));
  request.set_min_revision(head);
  stream = Search(request);
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  EXPECT_EQ(stream.hits(), 3u);
}

// A restart finds the index on disk: SERVING as Start() returns, before
// (and without) reaching the catalog.
TEST_F(SearchServerTest, ServingAtOnceWhenTheIndexIsOnDisk) {
  StartCatalog();
  StartSearch(catalog_port_);
  const int64_t head = CreateFilm("red-shoes", 2);
  ASSERT_TRUE(WaitApplied(head));
  search_stub_.reset();
  search_channel_.reset();
  search_.reset();
  StopCatalog();

  StartSearch(UnusedPort());
  EXPECT_EQ(Health(), kServing);
  EXPECT_EQ(Health(kSearchHealthName), kServing);
  EXPECT_EQ(search_->index()->applied_revision(), head);
  EXPECT_EQ(search_->follower()->status().resumed_from_revision, head);
  SearchScenesRequest request;
  request.set_query("dancer ");
  Stream stream = Search(request);
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  EXPECT_EQ(stream.hits(), 2u);
}

// Every reel_search_* gauge is on /metrics with the value the index and
// the catalog say it should have, and follows changes.
TEST_F(SearchServerTest, EveryGaugeMatchesTheIndex) {
  StartCatalog();
  StartSearch(catalog_port_);
  const int64_t head = ImportCorpus();
  ASSERT_TRUE(WaitApplied(head));
  // Progress messages bring the seen revision up to the head.
  ASSERT_TRUE(WaitFor([&] {
    return search_->follower()->status().catalog_revision_seen == head;
  }));

  const std::string body = testing::HttpBody(
      testing::HttpGet(search_->server()->metrics_port(), "/metrics"));
  std::map<std::string, double> metrics = ParseMetrics(body);
  for (const std::string& gauge : SearchGauges()) {
    EXPECT_THAT(body, HasSubstr(absl::StrCat("# TYPE ", gauge, " gauge\n")));
    EXPECT_EQ(metrics.count(gauge), 1u) << gauge;
  }
  for (const auto& [name, value] : metrics) {
    if (name.rfind("reel_search_", 0) != 0) continue;
    EXPECT_THAT(SearchGauges(), ::testing::Contains(name))
        << name << " is not checked here";
  }
  const IndexStats stats = search_->index()->stats();
  EXPECT_EQ(metrics["reel_search_applied_revision"], head);
  EXPECT_EQ(metrics["reel_search_catalog_revision_seen"], head);
  EXPECT_EQ(metrics["reel_search_watch_lag_revisions"], 0);
  EXPECT_EQ(metrics["reel_search_index_films"], 201);
  EXPECT_EQ(metrics["reel_search_index_scenes"], 841);
  EXPECT_EQ(metrics["reel_search_index_terms"], stats.terms);
  EXPECT_GT(stats.terms, 5000);
  EXPECT_EQ(metrics["reel_search_index_memory_bytes"], stats.memory_bytes);
  EXPECT_GT(stats.memory_bytes, 0);
  // RocksDB's estimate moves with flushes: positive, and of the order of the
  // films' size (the corpus is a few MB).
  EXPECT_GT(metrics["reel_search_index_disk_bytes"], 100 << 10);
  EXPECT_LT(metrics["reel_search_index_disk_bytes"], 1 << 30);

  // A deletion and a new film: the index gauges follow (they are read at
  // most once a second, so poll).
  DeleteFilm("the-red-shoes");
  const int64_t next = CreateFilm("new-film", 4);
  ASSERT_TRUE(WaitApplied(next));
  ASSERT_TRUE(WaitFor([&] {
    metrics = Scrape();
    return metrics["reel_search_index_scenes"] != 841;
  }));
  EXPECT_EQ(metrics["reel_search_applied_revision"], next);
  EXPECT_EQ(metrics["reel_search_index_films"], 201);
  const int red_shoes_scenes = static_cast<int>(
      testing::LoadSharedFilms("seed/the-red-shoes.txt").at(0).scenes_size());
  EXPECT_EQ(metrics["reel_search_index_scenes"], 841 - red_shoes_scenes + 4);
  ASSERT_TRUE(WaitFor([&] {
    metrics = Scrape();
    return metrics["reel_search_catalog_revision_seen"] == next;
  }));
  EXPECT_EQ(metrics["reel_search_watch_lag_revisions"], 0);
}

// Every field of GetIndexStatus, following and then with the catalog gone.
TEST_F(SearchServerTest, GetIndexStatusReportsEveryField) {
  StartCatalog();
  const absl::Time started = absl::Now();
  StartSearch(catalog_port_);
  CreateFilm("red-shoes", 3);
  const int64_t head = CreateFilm("black-narcissus", 2);
  ASSERT_TRUE(WaitApplied(head));
  ASSERT_TRUE(
      WaitFor([&] { return IndexStatus().catalog_revision() == head; }));

  GetIndexStatusResponse status = IndexStatus();
  const IndexStats stats = search_->index()->stats();
  EXPECT_EQ(status.applied_revision(), head);
  EXPECT_EQ(status.catalog_revision(), head);
  EXPECT_EQ(status.film_count(), 2);
  EXPECT_EQ(status.scene_count(), 5);
  EXPECT_EQ(status.term_count(), stats.terms);
  EXPECT_GT(status.term_count(), 0);
  EXPECT_GT(status.disk_bytes(), 0);
  EXPECT_EQ(status.memory_bytes(), stats.memory_bytes);
  EXPECT_GT(status.memory_bytes(), 0);
  EXPECT_EQ(status.connection_state(), v1::CONNECTION_STATE_FOLLOWING);
  EXPECT_EQ(status.last_error(), "");
  EXPECT_FALSE(status.has_last_error_time());
  ASSERT_TRUE(status.has_last_applied_time());
  const absl::Time applied =
      absl::FromUnixSeconds(status.last_applied_time().seconds()) +
      absl::Nanoseconds(status.last_applied_time().nanos());
  EXPECT_GE(applied, started);
  EXPECT_LE(applied, absl::Now());
  EXPECT_TRUE(status.ready());
  EXPECT_EQ(status.catalog_history_id(), catalog_->store()->history_id());
  EXPECT_FALSE(status.catalog_history_id().empty());

  // The catalog goes away: the index is still served, the status says why
  // it no longer follows.
  const absl::Time stopped = absl::Now();
  StopCatalog();
  ASSERT_TRUE(WaitFor([&] {
    return IndexStatus().connection_state() ==
           v1::CONNECTION_STATE_DISCONNECTED;
  }));
  status = IndexStatus();
  EXPECT_TRUE(status.ready());
  EXPECT_EQ(status.applied_revision(), head);
  EXPECT_EQ(status.catalog_revision(), head);
  EXPECT_EQ(status.film_count(), 2);
  EXPECT_FALSE(status.last_error().empty());
  ASSERT_TRUE(status.has_last_error_time());
  const absl::Time failed =
      absl::FromUnixSeconds(status.last_error_time().seconds()) +
      absl::Nanoseconds(status.last_error_time().nanos());
  EXPECT_GE(failed, stopped);
  EXPECT_LE(failed, absl::Now());
  EXPECT_EQ(Health(), kServing);
}

// Read-your-writes through the follower: a search waiting for a revision
// answers once the write is applied, and while it streams a large result
// to a client that reads slowly, the follower goes on applying changes.
TEST_F(SearchServerTest, AWaitedSearchDoesNotHoldTheFollower) {
  StartCatalog();
  StartSearch(catalog_port_);
  const int64_t head = ImportCorpus();
  ASSERT_TRUE(WaitApplied(head));

  SearchScenesRequest request;
  request.set_query("the ");
  request.set_max_results(1000);
  request.set_min_revision(head + 1);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  auto reader = search_stub_->SearchScenes(&context, request);
  ASSERT_TRUE(WaitFor([&] { return search_->index()->pending_waits() == 1; }));
  const int64_t released = CreateFilm("the-new-one", 2);
  ASSERT_EQ(released, head + 1);
  SearchScenesResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.hits_size(), 5);
  // The rest of the result is unread; the follower applies more changes.
  const int64_t later = CreateFilm("and-another", 2);
  EXPECT_TRUE(WaitApplied(later));
  size_t hits = first.hits_size();
  SearchScenesResponse message;
  std::optional<v1::SearchSummary> summary;
  while (reader->Read(&message)) {
    hits += message.hits_size();
    if (message.has_summary()) summary = message.summary();
  }
  const grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(hits, summary->returned_count());
  EXPECT_GT(hits, 500u);
  EXPECT_GE(summary->index_revision(), released);
}

// Shutdown ends a search waiting for a revision the catalog has not
// reached with UNAVAILABLE at once: neither a hang until its deadline nor
// DEADLINE_EXCEEDED, and the drain (20 s) does not wait for it.
TEST_F(SearchServerTest, ShutdownEndsWaitingSearchesWithUnavailable) {
  StartCatalog();
  StartSearch(catalog_port_);
  const int64_t head = CreateFilm("red-shoes", 2);
  ASSERT_TRUE(WaitApplied(head));

  SearchScenesRequest request;
  request.set_query("dancer ");
  request.set_min_revision(head + 1000);
  Stream stream;
  absl::Time ended;
  std::thread searcher([&] {
    stream = Search(request, /*timeout=*/60s);
    ended = absl::Now();
  });
  ASSERT_TRUE(WaitFor([&] { return search_->index()->pending_waits() == 1; }));
  const absl::Time shutdown = absl::Now();
  search_->Shutdown();
  const absl::Time stopped = absl::Now();
  searcher.join();
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << stream.status.error_message();
  EXPECT_THAT(stream.status.error_message(),
              HasSubstr(absl::StrCat("shutting down while waiting for "
                                     "min_revision ",
                                     head + 1000)));
  EXPECT_TRUE(stream.messages.empty());
  EXPECT_LT(ended - shutdown, absl::Seconds(5));
  EXPECT_LT(stopped - shutdown, absl::Seconds(10));
  EXPECT_EQ(search_->index()->pending_waits(), 0u);
  search_->Shutdown();  // Idempotent.
}

}  // namespace
}  // namespace reel::search
