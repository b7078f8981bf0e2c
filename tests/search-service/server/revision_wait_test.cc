// The read-your-writes hand-off of SearchServiceImpl over real gRPC: a
// search waiting for min_revision is released by the thread that applies
// the catalog change (in the service, the catalog follower's), and that
// thread must only hand the search over, not run it, so the next change is
// not held up behind a search. Measured as the CPU time the applying thread
// spends in LiveIndex::Apply, against that of the search itself, on an index
// large enough that a search costs milliseconds (an Apply of one film,
// tens of microseconds).
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/server/grpc_server.h"
#include "common/server/mutex_mode.h"
#include "search-service/api/search_request.h"
#include "search-service/api/search_service.h"
#include "search-service/index/live_index.h"
#include "search-service/text/analyzer.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::search::v1::SearchScenesRequest;
using ::reel::search::v1::SearchScenesResponse;
using ::reel::search::v1::SearchService;

// CPU time this thread has used: unaffected by other threads and by this one
// being descheduled.
absl::Duration ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

FilmEvent Created(const std::string& id) {
  FilmEvent event;
  event.set_type(FilmEvent::EVENT_TYPE_CREATED);
  event.set_name("films/" + id);
  Film* film = event.mutable_film();
  film->set_name("films/" + id);
  film->set_title(id);
  auto* scene = film->add_scenes();
  scene->set_scene_id("s1");
  scene->set_title("A short scene");
  scene->set_description("The dancer waits in the wings.");
  return event;
}

class RevisionWaitTest : public ::testing::Test {
 protected:
  // The corpus and the seed page this many times over (about 34,000 scenes).
  static constexpr int kCopies = 40;

  // As main() does: Abseil's lock-order graph is a debugging aid that the
  // binaries turn off (and whose global spin lock TSan cannot see).
  static void SetUpTestSuite() { DisableMutexDeadlockDetection(); }

  void SetUp() override {
    std::shared_ptr<const text::Analyzer> analyzer =
        text::Analyzer::Create().value();
    analyzer_ = analyzer;
    index_ = std::make_unique<LiveIndex>(analyzer);
    service_ = std::make_unique<SearchServiceImpl>(
        index_.get(), analyzer, [](v1::GetIndexStatusResponse*) {});
    auto server = GrpcServer::Start({}, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->AddBeforeDrainHook([this] { index_->CancelWaits(); });
    stub_ = SearchService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials()));

    std::vector<Film> corpus =
        testing::LoadSharedFilms("corpus/films-small.jsonl");
    for (Film& film : testing::LoadSharedFilms("seed/the-red-shoes.txt")) {
      corpus.push_back(film);
    }
    std::vector<Film> films;
    films.reserve(corpus.size() * kCopies);
    for (int copy = 0; copy < kCopies; ++copy) {
      for (const Film& film : corpus) {
        films.push_back(film);
        films.back().set_name(absl::StrCat(film.name(), "-", copy));
      }
    }
    index_->Replace(films, 1);
  }

  void TearDown() override {
    stub_.reset();
    server_.reset();
  }

  std::shared_ptr<const text::Analyzer> analyzer_;
  std::unique_ptr<LiveIndex> index_;
  std::unique_ptr<SearchServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<SearchService::Stub> stub_;
};

TEST_F(RevisionWaitTest, TheApplyingThreadHandsTheSearchOverAndGoesOn) {
  SearchScenesRequest request;
  request.set_query("dance night love red shoes man woman house room door ");
  request.set_max_results(1000);

  // What the search costs when this thread runs it.
  absl::StatusOr<ValidatedSearch> search =
      ValidateSearchRequest(request, *analyzer_, 20, 1000);
  ASSERT_TRUE(search.ok()) << search.status();
  absl::Duration search_cpu = absl::InfiniteDuration();
  for (int i = 0; i < 3; ++i) {
    const absl::Duration before = ThreadCpuTime();
    SearchResult result = index_->Search(search->query, search->options);
    search_cpu = std::min(search_cpu, ThreadCpuTime() - before);
    ASSERT_EQ(result.hits.size(), 1000u);
  }
  ASSERT_GE(search_cpu, absl::Milliseconds(1))
      << "the index is too small to tell a search from an Apply";

  // What applying a change costs when nothing waits for it (after the
  // first Apply since the Replace, which costs more).
  index_->Apply({Created("first")}, 2);
  absl::Duration before = ThreadCpuTime();
  index_->Apply({Created("second")}, 3);
  const absl::Duration plain_apply_cpu = ThreadCpuTime() - before;

  // A search waits for revision 4; this thread applies it.
  request.set_min_revision(4);
  grpc::Status status;
  size_t hits = 0;
  int64_t index_revision = 0;
  std::thread client([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
    auto reader = stub_->SearchScenes(&context, request);
    SearchScenesResponse message;
    while (reader->Read(&message)) {
      hits += message.hits_size();
      if (message.has_summary()) {
        index_revision = message.summary().index_revision();
      }
    }
    status = reader->Finish();
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (index_->pending_waits() == 0 && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(index_->pending_waits(), 1u);
  before = ThreadCpuTime();
  index_->Apply({Created("third")}, 4);
  const absl::Duration releasing_apply_cpu = ThreadCpuTime() - before;
  client.join();

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(hits, 1000u);
  EXPECT_EQ(index_revision, 4);
  EXPECT_LT(releasing_apply_cpu, plain_apply_cpu + search_cpu / 2)
      << "the Apply that released the search took "
      << absl::FormatDuration(releasing_apply_cpu) << " of CPU (without a "
      << "waiting search: " << absl::FormatDuration(plain_apply_cpu)
      << "); the search alone takes " << absl::FormatDuration(search_cpu);
}

}  // namespace
}  // namespace reel::search
