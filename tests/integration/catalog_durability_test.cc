// Durability end-to-end tests: the real catalog-service is stopped (SIGTERM)
// or killed (SIGKILL) in the middle of work and restarted on the same data
// directory; what it acknowledged must still be there, and nothing may be
// half-written.
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/grpc_status.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/catalog_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::testing::HasSubstr;

using namespace std::chrono_literals;

constexpr auto kWaitTimeout = 30s;

class CatalogDurabilityTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      for (int i = 1; i <= starts_; ++i) {
        std::cerr << "--- end of catalog-service log " << i << " ---\n"
                  << ReadTail(LogPath(i)) << "\n---\n";
      }
    }
  }

  // (Re)starts the catalog on the test's data directory.
  absl::Status StartCatalog() {
    absl::StatusOr<std::unique_ptr<CatalogProcess>> catalog =
        CatalogProcess::Start({.data_dir = temp_.Join("data"),
                               .log_path = LogPath(++starts_),
                               .flags = {"--sync_writes=true",
                                         "--watch_progress_interval=200ms"}});
    if (!catalog.ok()) return catalog.status();
    catalog_ = *std::move(catalog);
    stub_ = catalog_->NewStub();
    return absl::OkStatus();
  }

  // SIGTERM; OK when the catalog exits with code 0. Drops the test's stub
  // first so that no idle connection holds up the drain.
  absl::Status StopCatalog() {
    stub_.reset();
    return catalog_->Stop();
  }

  std::string LogPath(int start) const {
    return temp_.Join(absl::StrCat("catalog-", start, ".log"));
  }
  static std::string ReadTail(const std::string& path) {
    std::ifstream file(path);
    std::string text((std::istreambuf_iterator<char>(file)),
                     std::istreambuf_iterator<char>());
    return text.size() > 6000 ? "..." + text.substr(text.size() - 6000) : text;
  }

  // Checks that the change log holds exactly revisions 2..head with the
  // given films' creations (by revision), by watching from revision 1.
  void ExpectChangeLogIsContiguous(
      int64_t head, const std::map<int64_t, std::string>& names) {
    if (head < 2) return;
    WatchClient watch(catalog_->channel(), 1);
    ASSERT_TRUE(watch.WaitForRevision(head, kWaitTimeout)) << watch.Describe();
    const std::vector<FilmEvent> events = watch.Events();
    ASSERT_EQ(events.size(), static_cast<size_t>(head - 1)) << watch.Describe();
    for (size_t i = 0; i < events.size(); ++i) {
      const int64_t revision = static_cast<int64_t>(i) + 2;
      ASSERT_EQ(events[i].revision(), revision);
      EXPECT_EQ(events[i].type(), FilmEvent::EVENT_TYPE_CREATED);
      auto it = names.find(revision);
      EXPECT_TRUE(it != names.end() && it->second == events[i].name())
          << "change " << revision << " is for " << events[i].name()
          << " but no present film has that revision";
    }
  }

  TempDir temp_;  // Declared first: outlives the processes using it.
  int starts_ = 0;
  std::unique_ptr<CatalogProcess> catalog_;
  std::unique_ptr<CatalogService::Stub> stub_;
};

TEST_F(CatalogDurabilityTest, RestartKeepsFilmsRevisionAndChangeLog) {
  ASSERT_OK(StartCatalog());
  for (int i = 0; i < 20; ++i) {
    const std::string id = absl::StrFormat("film-%02d", i);
    ASSERT_OK(FromGrpcStatus(CreateFilm(*stub_, id, TestFilm(id), nullptr)));
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    reel::catalog::v1::UpdateFilmRequest request;
    request.mutable_film()->set_name("films/film-07");
    request.mutable_film()->set_year(1951);
    request.mutable_update_mask()->add_paths("year");
    reel::catalog::v1::UpdateFilmResponse response;
    ASSERT_OK(FromGrpcStatus(stub_->UpdateFilm(&context, request, &response)));
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    reel::catalog::v1::DeleteFilmRequest request;
    request.set_name("films/film-11");
    reel::catalog::v1::DeleteFilmResponse response;
    ASSERT_OK(FromGrpcStatus(stub_->DeleteFilm(&context, request, &response)));
  }
  constexpr int64_t kHead = 22;
  ASSERT_THAT(HeadRevision(*stub_), IsOkAndHolds(kHead));
  ASSERT_OK_AND_ASSIGN(const std::vector<Film> before, ListAllFilms(*stub_));

  // A follower, caught up when the catalog stops.
  auto follower = std::make_unique<WatchClient>(catalog_->channel(), 0);
  ASSERT_TRUE(follower->WaitForRevision(kHead, kWaitTimeout))
      << follower->Describe();
  ASSERT_OK(StopCatalog());
  std::optional<grpc::Status> ended = follower->WaitForEnd(kWaitTimeout);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAVAILABLE);
  const int64_t resume_from = follower->last_revision();
  EXPECT_EQ(resume_from, kHead);
  follower.reset();

  ASSERT_OK(StartCatalog());
  EXPECT_THAT(HeadRevision(*stub_), IsOkAndHolds(kHead));
  ASSERT_OK_AND_ASSIGN(const std::vector<Film> after, ListAllFilms(*stub_));
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(after[i], before[i]))
        << "before: " << before[i].ShortDebugString()
        << "\nafter: " << after[i].ShortDebugString();
  }
  Film film07;
  ASSERT_OK_AND_ASSIGN(film07, GetFilm(*stub_, "films/film-07"));
  EXPECT_EQ(film07.year(), 1951);
  EXPECT_THAT(GetFilm(*stub_, "films/film-11"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("film-11")));

  // Writing goes on from the old head.
  Film next;
  ASSERT_OK(FromGrpcStatus(
      CreateFilm(*stub_, "after-restart", TestFilm("After"), &next)));
  EXPECT_EQ(next.revision(), kHead + 1);

  // The follower resumes where it was: exactly the change made since.
  {
    WatchClient resumed(catalog_->channel(), resume_from);
    ASSERT_TRUE(resumed.WaitForRevision(kHead + 1, kWaitTimeout))
        << resumed.Describe();
    const std::vector<FilmEvent> events = resumed.Events();
    ASSERT_EQ(events.size(), 1u) << resumed.Describe();
    EXPECT_EQ(events[0].type(), FilmEvent::EVENT_TYPE_CREATED);
    EXPECT_EQ(events[0].name(), "films/after-restart");
    EXPECT_EQ(events[0].revision(), kHead + 1);
  }
  // The whole change log survived: 20 creates, the update, the delete, the
  // new create.
  {
    WatchClient history(catalog_->channel(), 1);
    ASSERT_TRUE(history.WaitForRevision(kHead + 1, kWaitTimeout))
        << history.Describe();
    const std::vector<FilmEvent> events = history.Events();
    ASSERT_EQ(events.size(), static_cast<size_t>(kHead)) << history.Describe();
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].revision(), static_cast<int64_t>(i) + 2);
    }
    EXPECT_EQ(events[19].type(), FilmEvent::EVENT_TYPE_UPDATED);
    EXPECT_EQ(events[19].name(), "films/film-07");
    EXPECT_EQ(events[20].type(), FilmEvent::EVENT_TYPE_DELETED);
    EXPECT_EQ(events[20].name(), "films/film-11");
  }
  ASSERT_OK(StopCatalog());
}

// Several clients create films as fast as they can; the server is killed
// with SIGKILL after 300 acknowledged creates, while calls are in flight.
TEST_F(CatalogDurabilityTest, KillDuringCreatesKeepsEveryAcknowledgedWrite) {
  ASSERT_OK(StartCatalog());
  constexpr int kThreads = 4;
  constexpr int kAckedBeforeKill = 300;

  struct Acked {
    int64_t revision;
    std::string title;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, Acked> acked;       // GUARDED_BY(mutex), by name
  std::set<std::string> unknown;            // GUARDED_BY(mutex): call failed
  std::vector<std::string> early_failures;  // GUARDED_BY(mutex)
  std::atomic<bool> killed{false};

  auto write = [&](int thread) {
    auto stub = catalog_->NewStub();
    for (int i = 0;; ++i) {
      const std::string id = absl::StrFormat("t%d-%05d", thread, i);
      const Film film = TestFilm(absl::StrCat("Film ", id), 3, 400);
      Film stored;
      const grpc::Status status = CreateFilm(*stub, id, film, &stored);
      std::lock_guard<std::mutex> lock(mutex);
      if (status.ok()) {
        acked["films/" + id] = {stored.revision(), film.title()};
        changed.notify_all();
        continue;
      }
      // Its outcome is unknown: it may or may not have been committed.
      unknown.insert("films/" + id);
      if (!killed.load()) {
        early_failures.push_back(absl::StrCat(id, ": ",
                                              GrpcCodeName(status.error_code()),
                                              ": ", status.error_message()));
        changed.notify_all();
      }
      return;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(write, t);
  {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait_for(lock, 60s, [&] {
      return acked.size() >= static_cast<size_t>(kAckedBeforeKill) ||
             !early_failures.empty();
    });
  }
  killed.store(true);
  ASSERT_OK(catalog_->Crash());
  for (std::thread& thread : threads) thread.join();
  ASSERT_THAT(early_failures, ::testing::IsEmpty());
  ASSERT_GE(acked.size(), static_cast<size_t>(kAckedBeforeKill));
  std::cerr << acked.size() << " creates acknowledged, " << unknown.size()
            << " in flight at the kill\n";

  ASSERT_OK(StartCatalog());
  // Every acknowledged film is there, as acknowledged.
  for (const auto& [name, write] : acked) {
    absl::StatusOr<Film> film = GetFilm(*stub_, name);
    ASSERT_OK(film.status()) << name;
    EXPECT_EQ(film->revision(), write.revision) << name;
    EXPECT_EQ(film->title(), write.title) << name;
    EXPECT_EQ(film->scenes_size(), 3) << name;
  }
  // Nothing else is there but films whose call failed, each one whole; the
  // films' revisions are exactly 1..head.
  ASSERT_OK_AND_ASSIGN(const int64_t head, HeadRevision(*stub_));
  ASSERT_OK_AND_ASSIGN(const std::vector<Film> films,
                       ListAllFilms(*stub_, 1000));
  std::map<int64_t, std::string> by_revision;
  for (const Film& film : films) {
    EXPECT_TRUE(acked.count(film.name()) > 0 || unknown.count(film.name()) > 0)
        << film.name() << " was never written";
    EXPECT_EQ(film.title(), "Film " + film.name().substr(6)) << film.name();
    EXPECT_EQ(film.scenes_size(), 3) << film.name();
    EXPECT_TRUE(by_revision.emplace(film.revision(), film.name()).second)
        << "two films with revision " << film.revision();
  }
  ASSERT_EQ(films.size(), static_cast<size_t>(head))
      << "the revision counter does not match the films";
  EXPECT_EQ(by_revision.begin()->first, 1);
  EXPECT_EQ(by_revision.rbegin()->first, head);
  ExpectChangeLogIsContiguous(head, by_revision);

  // A snapshot agrees.
  {
    WatchClient watch(catalog_->channel(), 0);
    ASSERT_TRUE(watch.WaitForSnapshot(kWaitTimeout)) << watch.Describe();
    EXPECT_EQ(watch.messages().back().revision(), head);
    EXPECT_EQ(watch.Events().size(), films.size());
  }
  // And the catalog takes writes again, from the recovered head.
  Film next;
  ASSERT_OK(FromGrpcStatus(
      CreateFilm(*stub_, "after-crash", TestFilm("After"), &next)));
  EXPECT_EQ(next.revision(), head + 1);
  ASSERT_OK(StopCatalog());
}

// An ImportFilms stream is cut by SIGKILL after its first batches were
// committed. The import commits in atomic batches, in stream order: after
// the restart the catalog holds a prefix of the stream made of whole
// batches, with one revision per film.
TEST_F(CatalogDurabilityTest, KillDuringImportLeavesWholeBatchesInOrder) {
  ASSERT_OK(StartCatalog());
  constexpr int kFilms = 20'000;
  // CatalogApiOptions::import_batch_films: these films are far below the
  // batch byte limit, so every batch holds this many.
  constexpr int kBatchFilms = 1000;
  auto stream_film = [](int index) {
    Film film = TestFilm(absl::StrCat("Imported ", index), 2, 300);
    film.set_name(absl::StrFormat("films/imp-%05d", index));
    return film;
  };

  // Commits show up on a watch stream: kill once one is seen.
  auto watch = std::make_unique<WatchClient>(catalog_->channel(), 0);
  ASSERT_TRUE(watch->WaitForSnapshot(kWaitTimeout)) << watch->Describe();

  std::atomic<bool> import_ok{false};
  std::string import_status;
  std::thread importer([&] {
    auto stub = catalog_->NewStub();
    grpc::ClientContext context;
    SetDeadline(&context, 120s);
    reel::catalog::v1::ImportFilmsResponse response;
    auto writer = stub->ImportFilms(&context, &response);
    for (int start = 0; start < kFilms; start += 100) {
      reel::catalog::v1::ImportFilmsRequest request;
      for (int i = start; i < start + 100; ++i) {
        *request.add_films() = stream_film(i);
      }
      if (!writer->Write(request)) break;
    }
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    import_ok.store(status.ok());
    import_status = absl::StrCat(GrpcCodeName(status.error_code()), ": ",
                                 status.error_message());
  });
  const bool committed = watch->WaitForRevision(1, 60s);
  ASSERT_OK(catalog_->Crash());
  importer.join();
  ASSERT_TRUE(committed) << watch->Describe();
  const int64_t seen_committed = watch->last_revision();
  watch.reset();  // Before its stub goes with the restart.
  ASSERT_FALSE(import_ok.load())
      << "the import finished before the kill; nothing was tested";
  std::cerr << "import ended with " << import_status << "; " << seen_committed
            << " films seen committed before the kill\n";

  ASSERT_OK(StartCatalog());
  ASSERT_OK_AND_ASSIGN(const int64_t head, HeadRevision(*stub_));
  ASSERT_OK_AND_ASSIGN(const std::vector<Film> films,
                       ListAllFilms(*stub_, 1000));
  EXPECT_GE(static_cast<int64_t>(films.size()), seen_committed)
      << "films whose commit was published are gone";
  ASSERT_EQ(films.size(), static_cast<size_t>(head))
      << "the revision counter does not match the films";
  EXPECT_LT(films.size(), static_cast<size_t>(kFilms));
  EXPECT_EQ(films.size() % kBatchFilms, 0u)
      << films.size() << " films: a batch was partly committed";
  // Ids sort in stream order, so film i is the stream's film i, written
  // whole with revision i + 1.
  std::map<int64_t, std::string> by_revision;
  for (size_t i = 0; i < films.size(); ++i) {
    const Film expected = stream_film(static_cast<int>(i));
    ASSERT_EQ(films[i].name(), expected.name()) << "not a prefix of the stream";
    EXPECT_EQ(films[i].revision(), static_cast<int64_t>(i) + 1);
    EXPECT_EQ(films[i].title(), expected.title());
    ASSERT_EQ(films[i].scenes_size(), 2);
    EXPECT_EQ(films[i].scenes(1).description(),
              expected.scenes(1).description());
    by_revision[films[i].revision()] = films[i].name();
  }
  ExpectChangeLogIsContiguous(head, by_revision);

  Film next;
  ASSERT_OK(FromGrpcStatus(
      CreateFilm(*stub_, "after-crash", TestFilm("After"), &next)));
  EXPECT_EQ(next.revision(), head + 1);
  ASSERT_OK(StopCatalog());
}

}  // namespace
}  // namespace reel::testing
