// End-to-end tests of the catalog: the real catalog-service (and reelctl)
// binaries as child processes on loopback, driven through gRPC stubs.
#include <gmock/gmock.h>
#include <google/protobuf/field_mask.pb.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
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
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::catalog::v1::WatchFilmsResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

constexpr auto kWaitTimeout = 30s;  // For anything that should be quick.

std::string CorpusPath(const std::string& name) {
  return SharedDataDir() + "/corpus/" + name;
}

class CatalogE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(catalog_, StartCatalog());
    stub_ = catalog_->NewStub();
  }

  void TearDown() override {
    if (HasFailure() && catalog_ != nullptr) {
      std::cerr << "--- end of the catalog-service log ---\n"
                << catalog_->LogTail() << "\n---\n";
    }
  }

  absl::StatusOr<std::unique_ptr<CatalogProcess>> StartCatalog(
      std::vector<std::string> flags = {}) {
    // Short progress interval so idle watch streams report quickly.
    flags.insert(flags.begin(), "--watch_progress_interval=200ms");
    return CatalogProcess::Start(
        {.data_dir = temp_.Join("data"),
         .log_path = temp_.Join(absl::StrCat("catalog-", ++starts_, ".log")),
         .flags = std::move(flags)});
  }

  // False while the build has no reelctl (its tests then skip).
  bool HaveReelctl() const { return !ReelctlPath().empty(); }

  TempDir temp_;  // Declared first: outlives the process using it.
  int starts_ = 0;
  std::unique_ptr<CatalogProcess> catalog_;
  std::unique_ptr<CatalogService::Stub> stub_;
};

// --- Health -------------------------------------------------------------

TEST_F(CatalogE2eTest, HealthIsServingAfterStart) {
  EXPECT_THAT(CheckHealth(catalog_->channel(), "", 10s), IsOkAndHolds(1));
  EXPECT_THAT(
      CheckHealth(catalog_->channel(), "reel.catalog.v1.CatalogService", 10s),
      IsOkAndHolds(1));
  EXPECT_THAT(CheckHealth(catalog_->channel(), "no.such.Service", 10s),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

// --- Data dir -------------------------------------------------------------

TEST_F(CatalogE2eTest, DataDirAndItsFilesAreForTheOwnerOnly) {
  // The test runs with whatever umask it was given (typically 022); the
  // catalog must not depend on it.
  Film stored;
  grpc::Status created =
      CreateFilm(*stub_, "private", TestFilm("Private"), &stored);
  ASSERT_TRUE(created.ok()) << created.error_message();
  stub_.reset();
  ASSERT_OK(catalog_->Stop());
  namespace fs = std::filesystem;
  const fs::path data = temp_.Join("data");
  EXPECT_EQ(fs::status(data).permissions() & fs::perms::all,
            fs::perms::owner_all);
  int files = 0;
  for (const fs::directory_entry& entry :
       fs::recursive_directory_iterator(data)) {
    const fs::perms perms = entry.status().permissions();
    const fs::perms shared =
        perms & (fs::perms::group_all | fs::perms::others_all);
    EXPECT_EQ(shared, fs::perms::none)
        << entry.path() << " is readable or writable by others";
    ++files;
  }
  EXPECT_GT(files, 3);  // CURRENT, LOCK, a WAL, a MANIFEST, ...
}

TEST_F(CatalogE2eTest, SecondCatalogOnTheSameDataDirSaysItIsInUse) {
  const std::string data = temp_.Join("data");
  ASSERT_OK_AND_ASSIGN(
      auto second,
      ChildProcess::Start(CatalogServicePath(),
                          {"--listen=127.0.0.1:0", "--data_dir=" + data},
                          {.capture_stderr = true}));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, second->Wait(kWaitTimeout));
  EXPECT_TRUE(exit.exited() && exit.exit_code() == 1) << exit.ToString();
  const std::string expected =
      absl::StrCat("data dir ", data, " is in use by another process (lock ",
                   "file ", data, "/LOCK)");
  EXPECT_THAT(second->stderr_text(), HasSubstr(expected));
  EXPECT_THAT(second->stderr_text(), Not(HasSubstr("IO error")));
  // The first catalog still serves.
  EXPECT_THAT(CheckHealth(catalog_->channel(), "", 10s), IsOkAndHolds(1));
}

// --- Import limits ----------------------------------------------------------

int ThreadCount(pid_t pid) {
  int threads = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", pid, "/task"))) {
    ++threads;
  }
  return threads;
}

TEST_F(CatalogE2eTest, IdleImportsHoldNoThreadsAndAreEndedByTheLimits) {
  constexpr int kImports = 20;
  stub_.reset();
  catalog_.reset();
  ASSERT_OK_AND_ASSIGN(
      catalog_,
      StartCatalog({absl::StrCat("--max_concurrent_imports=", kImports),
                    "--import_idle_timeout=3s",
                    "--metrics_listen=127.0.0.1:0"}));
  stub_ = catalog_->NewStub();
  ASSERT_TRUE(CreateFilm(*stub_, "warm-up", TestFilm("Warm up"), nullptr).ok());
  const int threads_before = ThreadCount(catalog_->process().pid());

  struct Import {
    grpc::ClientContext context;
    catalog::v1::ImportFilmsResponse response;
    std::unique_ptr<grpc::ClientWriter<catalog::v1::ImportFilmsRequest>> writer;
  };
  std::vector<std::unique_ptr<Import>> imports;
  for (int i = 0; i < kImports; ++i) {
    auto import = std::make_unique<Import>();
    SetDeadline(&import->context);
    import->writer = stub_->ImportFilms(&import->context, &import->response);
    catalog::v1::ImportFilmsRequest request;
    Film* film = request.add_films();
    *film = TestFilm(absl::StrCat("Idle ", i));
    film->set_name(absl::StrCat("films/idle-", i));
    // Written and acknowledged by the transport; the server reads it and
    // then waits for more that never comes.
    ASSERT_TRUE(import->writer->Write(request));
    imports.push_back(std::move(import));
  }
  // The transport accepting a message does not mean the server has started
  // the call: wait until it counts all of them open, or the extra import
  // below can take a slot first.
  {
    const std::regex pattern("metrics on [^ ]+ \\(port ([0-9]+)\\)");
    std::smatch match;
    const std::string log = catalog_->LogTail(1 << 16);
    ASSERT_TRUE(std::regex_search(log, match, pattern)) << log;
    const int metrics_port = std::stoi(match[1]);
    const std::string open_line =
        absl::StrCat("\nreel_catalog_imports_active ", kImports, "\n");
    std::string metrics;
    for (int i = 0; i < 200 && metrics.find(open_line) == std::string::npos;
         ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(25));
      metrics = HttpGet(metrics_port, "/metrics");
    }
    ASSERT_NE(metrics.find(open_line), std::string::npos) << metrics;
  }
  // One past the limit is refused at once, while the others are still open
  // (they are ended only after 3 s without a message).
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    catalog::v1::ImportFilmsResponse response;
    auto extra = stub_->ImportFilms(&context, &response);
    extra->WritesDone();
    const grpc::Status status = extra->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("--max_concurrent_imports"));
  }
  const int threads_during = ThreadCount(catalog_->process().pid());
  std::cerr << "catalog threads: " << threads_before << " before, "
            << threads_during << " with " << kImports << " idle imports\n";
  // The sync API held one thread per open import (25 -> 45 for 20).
  EXPECT_LT(threads_during - threads_before, kImports / 2);

  for (int i = 0; i < kImports; ++i) {
    const grpc::Status status = imports[i]->writer->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("import idle"));
    EXPECT_THAT(status.error_message(), HasSubstr("1 films were imported"));
    EXPECT_OK(GetFilm(*stub_, absl::StrCat("films/idle-", i)).status());
  }
}

// --- Import with reelctl --------------------------------------------------

TEST_F(CatalogE2eTest, ReelctlImportsSmallCorpus) {
  if (!HaveReelctl()) GTEST_SKIP() << "this build has no reelctl target";
  const std::string corpus = CorpusPath("films-small.jsonl");
  ASSERT_TRUE(std::filesystem::exists(corpus)) << corpus;

  ASSERT_OK_AND_ASSIGN(
      ToolRun import,
      RunReelctl({"--catalog=" + catalog_->address(), "import", corpus}));
  ASSERT_TRUE(import.exit.success()) << import.Describe();

  // An odd page size so that pages do not line up with anything.
  ASSERT_OK_AND_ASSIGN(std::vector<Film> films, ListAllFilms(*stub_, 37));
  ASSERT_EQ(films.size(), 200u);
  size_t scenes = 0;
  std::set<int64_t> revisions;
  for (size_t i = 0; i < films.size(); ++i) {
    scenes += films[i].scenes_size();
    revisions.insert(films[i].revision());
    if (i > 0) {
      EXPECT_LT(films[i - 1].name(), films[i].name()) << "not in id order";
    }
  }
  EXPECT_EQ(scenes, 832u);
  // One revision per film on a fresh catalog: 1..200.
  EXPECT_EQ(revisions.size(), 200u);
  EXPECT_EQ(*revisions.begin(), 1);
  EXPECT_EQ(*revisions.rbegin(), 200);
  EXPECT_THAT(HeadRevision(*stub_), IsOkAndHolds(200));

  ASSERT_OK_AND_ASSIGN(Film film,
                       GetFilm(*stub_, "films/wp:Condemned_to_Death"));
  EXPECT_EQ(film.title(), "Condemned to Death");
  EXPECT_EQ(film.year(), 1932);
  EXPECT_THAT(film.directors(), ElementsAre("Walter Forde"));
  EXPECT_EQ(film.scenes_size(), 1);
  EXPECT_EQ(film.source_url(),
            "https://en.wikipedia.org/wiki/Condemned_to_Death");

  // reelctl reads it back.
  ASSERT_OK_AND_ASSIGN(ToolRun get,
                       RunReelctl({"--catalog=" + catalog_->address(), "films",
                                   "get", "wp:Condemned_to_Death"}));
  ASSERT_TRUE(get.exit.success()) << get.Describe();
  EXPECT_THAT(get.out, HasSubstr("Condemned to Death"));
  ASSERT_OK_AND_ASSIGN(ToolRun missing,
                       RunReelctl({"--catalog=" + catalog_->address(), "films",
                                   "get", "no-such-film"}));
  EXPECT_FALSE(missing.exit.success()) << missing.Describe();
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND")) << missing.Describe();
}

TEST_F(CatalogE2eTest, ReelctlReimportConflictsUnlessReplace) {
  if (!HaveReelctl()) GTEST_SKIP() << "this build has no reelctl target";
  const std::string corpus = CorpusPath("films-small.jsonl");
  const std::string catalog_flag = "--catalog=" + catalog_->address();
  ASSERT_OK_AND_ASSIGN(ToolRun first,
                       RunReelctl({catalog_flag, "import", corpus}));
  ASSERT_TRUE(first.exit.success()) << first.Describe();

  // Every film exists already: each one fails, so the run fails, and the
  // catalog does not change.
  ASSERT_OK_AND_ASSIGN(ToolRun again,
                       RunReelctl({catalog_flag, "import", corpus}));
  EXPECT_FALSE(again.exit.success()) << again.Describe();
  EXPECT_THAT(HeadRevision(*stub_), IsOkAndHolds(200));

  ASSERT_OK_AND_ASSIGN(ToolRun replace, RunReelctl({catalog_flag, "import",
                                                    corpus, "--replace"}));
  ASSERT_TRUE(replace.exit.success()) << replace.Describe();
  ASSERT_OK_AND_ASSIGN(std::vector<Film> films, ListAllFilms(*stub_, 100));
  EXPECT_EQ(films.size(), 200u);
  for (const Film& film : films) {
    EXPECT_GT(film.revision(), 200) << film.name() << " was not replaced";
  }
  EXPECT_THAT(HeadRevision(*stub_), IsOkAndHolds(400));
}

TEST_F(CatalogE2eTest, ReelctlImportsSeedPage) {
  if (!HaveReelctl()) GTEST_SKIP() << "this build has no reelctl target";
  const std::string page = SharedDataDir() + "/seed/the-red-shoes.txt";
  ASSERT_TRUE(std::filesystem::exists(page)) << page;
  ASSERT_OK_AND_ASSIGN(
      ToolRun import,
      RunReelctl({"--catalog=" + catalog_->address(), "import", page}));
  ASSERT_TRUE(import.exit.success()) << import.Describe();

  ASSERT_OK_AND_ASSIGN(Film film, GetFilm(*stub_, "films/the-red-shoes"));
  EXPECT_EQ(film.title(), "The Red Shoes");
  ASSERT_EQ(film.scenes_size(), 9);
  EXPECT_EQ(film.scenes(0).title(), "The Audition");
  EXPECT_EQ(film.scenes(8).title(), "The Final Decision");
  EXPECT_THAT(film.scenes(0).context(), HasSubstr("catalyst"));
  ASSERT_EQ(film.soundtracks_size(), 2);
  EXPECT_EQ(film.soundtracks(0).title(), "The Red Shoes Ballet");
  EXPECT_EQ(film.soundtracks(1).title(), "Entr'acte");
  EXPECT_EQ(film.soundtracks(1).artist(), "Walter Goehr");
}

// --- WatchFilms -------------------------------------------------------------

// The position of the snapshot_complete message, or -1.
int SnapshotEnd(const std::vector<WatchFilmsResponse>& messages) {
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].snapshot_complete()) return static_cast<int>(i);
  }
  return -1;
}

TEST_F(CatalogE2eTest, WatchFromZeroSendsSnapshotThenLiveChanges) {
  std::map<std::string, int64_t> written;  // name -> revision
  for (int i = 0; i < 30; ++i) {
    Film stored;
    const std::string id = absl::StrFormat("film-%02d", i);
    ASSERT_OK(FromGrpcStatus(CreateFilm(*stub_, id, TestFilm(id), &stored)));
    written[stored.name()] = stored.revision();
  }
  ASSERT_OK_AND_ASSIGN(const int64_t head, HeadRevision(*stub_));
  ASSERT_EQ(head, 30);

  WatchClient watch(catalog_->channel(), 0);
  ASSERT_TRUE(watch.WaitForSnapshot(kWaitTimeout)) << watch.Describe();
  std::vector<WatchFilmsResponse> messages = watch.messages();
  const int end = SnapshotEnd(messages);
  ASSERT_GE(end, 0);
  EXPECT_EQ(messages[end].revision(), head);
  std::map<std::string, int64_t> snapshot;
  for (int i = 0; i <= end; ++i) {
    if (i < end) {
      EXPECT_EQ(messages[i].revision(), 0) << "mid-snapshot";
    }
    for (const FilmEvent& event : messages[i].events()) {
      EXPECT_EQ(event.type(), FilmEvent::EVENT_TYPE_SNAPSHOT) << event.name();
      EXPECT_EQ(event.film().name(), event.name());
      EXPECT_EQ(event.film().revision(), event.revision());
      EXPECT_TRUE(snapshot.emplace(event.name(), event.revision()).second)
          << "duplicate " << event.name();
    }
  }
  EXPECT_EQ(snapshot, written);

  // A live change arrives next, exactly once, with the next revision.
  Film live;
  ASSERT_OK(
      FromGrpcStatus(CreateFilm(*stub_, "live", TestFilm("Live"), &live)));
  ASSERT_EQ(live.revision(), head + 1);
  ASSERT_TRUE(watch.WaitForRevision(live.revision(), kWaitTimeout))
      << watch.Describe();
  messages = watch.messages();
  std::vector<FilmEvent> after;
  for (size_t i = end + 1; i < messages.size(); ++i) {
    after.insert(after.end(), messages[i].events().begin(),
                 messages[i].events().end());
  }
  ASSERT_EQ(after.size(), 1u) << watch.Describe();
  EXPECT_EQ(after[0].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(after[0].name(), "films/live");
  EXPECT_EQ(after[0].revision(), head + 1);
  EXPECT_EQ(after[0].film().title(), "Live");
}

TEST_F(CatalogE2eTest, WatchFromZeroWhileWritingHasNoGapOrDuplicate) {
  // More films than fit one watch message, so the snapshot spans several.
  std::vector<Film> preload;
  for (int i = 0; i < 600; ++i) {
    Film film = TestFilm(absl::StrCat("Preloaded ", i), 1, 50);
    film.set_name(absl::StrFormat("films/pre-%04d", i));
    preload.push_back(std::move(film));
  }
  ASSERT_OK_AND_ASSIGN(auto imported, ImportFilms(*stub_, preload, 200));
  ASSERT_EQ(imported.imported_count(), 600);

  std::mutex mutex;
  std::condition_variable acked_changed;
  std::map<int64_t, std::string> by_revision;  // Every acknowledged write.
  int acked = 0;
  std::vector<std::string> failures;
  ASSERT_OK_AND_ASSIGN(std::vector<Film> films, ListAllFilms(*stub_, 1000));
  for (const Film& film : films) by_revision[film.revision()] = film.name();
  ASSERT_EQ(by_revision.size(), 600u);

  constexpr int kWriters = 2;
  constexpr int kPerWriter = 150;
  auto write = [&](int writer) {
    auto stub = catalog_->NewStub();
    for (int i = 0; i < kPerWriter; ++i) {
      const std::string id = absl::StrFormat("live-%d-%03d", writer, i);
      Film stored;
      grpc::Status status = CreateFilm(*stub, id, TestFilm(id, 1, 50), &stored);
      std::lock_guard<std::mutex> lock(mutex);
      if (!status.ok()) {
        failures.push_back(absl::StrCat(id, ": ", status.error_message()));
        break;
      }
      by_revision[stored.revision()] = stored.name();
      ++acked;
      acked_changed.notify_all();
    }
  };
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back(write, w);

  // Start watching once the writers are going.
  int acked_before_watch = 0;
  {
    std::unique_lock<std::mutex> lock(mutex);
    acked_changed.wait_for(lock, kWaitTimeout,
                           [&] { return acked >= 20 || !failures.empty(); });
    acked_before_watch = acked;
  }
  WatchClient watch(catalog_->channel(), 0);
  for (std::thread& writer : writers) writer.join();
  ASSERT_THAT(failures, ::testing::IsEmpty());
  ASSERT_GE(acked_before_watch, 20);
  const int64_t head = 600 + kWriters * kPerWriter;
  ASSERT_EQ(by_revision.rbegin()->first, head);
  ASSERT_TRUE(watch.WaitForRevision(head, kWaitTimeout)) << watch.Describe();

  const std::vector<WatchFilmsResponse> messages = watch.messages();
  const int end = SnapshotEnd(messages);
  // (With the server's 256 events per message, the snapshot spans several
  // messages.)
  ASSERT_GE(end, 0) << watch.Describe();
  const int64_t snapshot_revision = messages[end].revision();
  // Writes acknowledged before the call started are in the snapshot.
  EXPECT_GE(snapshot_revision, 600 + acked_before_watch);

  std::map<std::string, int> seen;  // name -> times seen
  std::set<std::string> snapshot_names;
  for (int i = 0; i <= end; ++i) {
    for (const FilmEvent& event : messages[i].events()) {
      EXPECT_EQ(event.type(), FilmEvent::EVENT_TYPE_SNAPSHOT);
      EXPECT_LE(event.revision(), snapshot_revision) << event.name();
      EXPECT_EQ(by_revision[event.revision()], event.name());
      ++seen[event.name()];
      snapshot_names.insert(event.name());
    }
  }
  // The snapshot is exactly the films written up to its revision.
  std::set<std::string> expected_snapshot;
  for (const auto& [revision, name] : by_revision) {
    if (revision <= snapshot_revision) expected_snapshot.insert(name);
  }
  EXPECT_EQ(snapshot_names, expected_snapshot);

  // Then every later write, once, in revision order with no gap.
  int64_t next = snapshot_revision + 1;
  int64_t position = snapshot_revision;
  for (size_t i = end + 1; i < messages.size(); ++i) {
    for (const FilmEvent& event : messages[i].events()) {
      EXPECT_EQ(event.type(), FilmEvent::EVENT_TYPE_CREATED);
      EXPECT_EQ(event.revision(), next) << "gap or duplicate";
      EXPECT_EQ(event.name(), by_revision[event.revision()]);
      ++seen[event.name()];
      next = event.revision() + 1;
    }
    EXPECT_GE(messages[i].revision(), position) << "revision went back";
    position = messages[i].revision();
    if (messages[i].events_size() > 0) {
      EXPECT_EQ(messages[i].revision(),
                messages[i].events(messages[i].events_size() - 1).revision());
    }
  }
  EXPECT_EQ(next, head + 1);
  EXPECT_EQ(seen.size(), by_revision.size());
  for (const auto& [name, times] : seen) {
    EXPECT_EQ(times, 1) << name;
  }
}

TEST_F(CatalogE2eTest, WatchFromMiddleRevisionSendsExactlyTheLaterChanges) {
  struct Write {
    FilmEvent::EventType type;
    std::string name;
    int64_t revision;
  };
  std::vector<Write> writes;
  auto create = [&](const std::string& id) {
    Film stored;
    ASSERT_OK(FromGrpcStatus(CreateFilm(*stub_, id, TestFilm(id), &stored)));
    writes.push_back(
        {FilmEvent::EVENT_TYPE_CREATED, stored.name(), stored.revision()});
  };
  for (int i = 0; i < 10; ++i) create(absl::StrCat("film-", i));
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    reel::catalog::v1::UpdateFilmRequest request;
    request.mutable_film()->set_name("films/film-3");
    request.mutable_film()->set_title("Film Three, restored");
    request.mutable_update_mask()->add_paths("title");
    reel::catalog::v1::UpdateFilmResponse response;
    ASSERT_OK(FromGrpcStatus(stub_->UpdateFilm(&context, request, &response)));
    writes.push_back({FilmEvent::EVENT_TYPE_UPDATED, "films/film-3",
                      response.film().revision()});
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    reel::catalog::v1::DeleteFilmRequest request;
    request.set_name("films/film-5");
    reel::catalog::v1::DeleteFilmResponse response;
    ASSERT_OK(FromGrpcStatus(stub_->DeleteFilm(&context, request, &response)));
    writes.push_back(
        {FilmEvent::EVENT_TYPE_DELETED, "films/film-5", response.revision()});
  }
  for (int i = 10; i < 15; ++i) create(absl::StrCat("film-", i));
  for (size_t i = 0; i < writes.size(); ++i) {
    ASSERT_EQ(writes[i].revision, static_cast<int64_t>(i) + 1);
  }
  const int64_t head = writes.back().revision;

  for (const int64_t start : {int64_t{6}, int64_t{10}, head - 1}) {
    SCOPED_TRACE(absl::StrCat("start_revision ", start));
    WatchClient watch(catalog_->channel(), start);
    ASSERT_TRUE(watch.WaitForRevision(head, kWaitTimeout)) << watch.Describe();
    const std::vector<FilmEvent> events = watch.Events();
    ASSERT_EQ(events.size(), static_cast<size_t>(head - start))
        << watch.Describe();
    for (size_t i = 0; i < events.size(); ++i) {
      const Write& write = writes[start + i];
      EXPECT_EQ(events[i].type(), write.type);
      EXPECT_EQ(events[i].name(), write.name);
      EXPECT_EQ(events[i].revision(), write.revision);
      EXPECT_EQ(events[i].has_film(),
                write.type != FilmEvent::EVENT_TYPE_DELETED);
    }
    for (const WatchFilmsResponse& message : watch.messages()) {
      EXPECT_FALSE(message.snapshot_complete());
    }
  }

  // From the head: progress messages at the head, then the next change.
  WatchClient watch(catalog_->channel(), head);
  ASSERT_TRUE(watch.WaitUntil(
      [](const WatchClient::Messages& messages) { return !messages.empty(); },
      kWaitTimeout))
      << watch.Describe();
  EXPECT_EQ(watch.messages()[0].revision(), head);
  EXPECT_EQ(watch.messages()[0].events_size(), 0);
  create("film-after");
  ASSERT_TRUE(watch.WaitForRevision(head + 1, kWaitTimeout))
      << watch.Describe();
  const std::vector<FilmEvent> events = watch.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name(), "films/film-after");
  EXPECT_EQ(events[0].revision(), head + 1);
}

TEST_F(CatalogE2eTest, WatchRejectsBadStartRevisions) {
  Film stored;
  ASSERT_OK(
      FromGrpcStatus(CreateFilm(*stub_, "one", TestFilm("One"), &stored)));
  {
    WatchClient watch(catalog_->channel(),
                      5);  // Ahead of the catalog (revision 1).
    std::optional<grpc::Status> status = watch.WaitForEnd(kWaitTimeout);
    ASSERT_TRUE(status.has_value()) << watch.Describe();
    EXPECT_EQ(status->error_code(), grpc::StatusCode::OUT_OF_RANGE)
        << status->error_message();
  }
  {
    WatchClient watch(catalog_->channel(), -1);
    std::optional<grpc::Status> status = watch.WaitForEnd(kWaitTimeout);
    ASSERT_TRUE(status.has_value()) << watch.Describe();
    EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status->error_message();
  }
}

// --- Shutdown ---------------------------------------------------------------

TEST_F(CatalogE2eTest, SigtermEndsWatchStreamsWithUnavailableAndExitsZero) {
  // Restart with a long drain timeout: streams must end well before it.
  catalog_.reset();
  ASSERT_OK_AND_ASSIGN(catalog_, StartCatalog({"--drain_timeout=20s"}));
  stub_ = catalog_->NewStub();
  for (int i = 0; i < 3; ++i) {
    const std::string id = absl::StrCat("film-", i);
    ASSERT_OK(FromGrpcStatus(CreateFilm(*stub_, id, TestFilm(id), nullptr)));
  }
  auto from_zero = std::make_unique<WatchClient>(catalog_->channel(), 0);
  auto from_head = std::make_unique<WatchClient>(catalog_->channel(), 3);
  ASSERT_TRUE(from_zero->WaitForSnapshot(kWaitTimeout))
      << from_zero->Describe();
  // The idle stream is registered once it has sent its first progress
  // message.
  ASSERT_TRUE(from_head->WaitForRevision(3, kWaitTimeout))
      << from_head->Describe();
  // Only the watch calls hold the connection now (see ReleaseChannel()).
  stub_.reset();
  catalog_->ReleaseChannel();

  const auto signalled = std::chrono::steady_clock::now();
  ASSERT_OK(catalog_->process().Signal(SIGTERM));
  for (WatchClient* watch : {from_zero.get(), from_head.get()}) {
    std::optional<grpc::Status> status = watch->WaitForEnd(10s);
    ASSERT_TRUE(status.has_value()) << watch->Describe();
    EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE)
        << status->error_message();
    // Ended by the service's shutdown, not by a dropped connection.
    EXPECT_THAT(status->error_message(), HasSubstr("shutting down"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 2s)
      << "watch streams were not ended before the drain";
  // The ended calls released the channel, so the client closes its
  // connection and the drain has nothing left to wait for.
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, catalog_->process().Wait(25s));
  EXPECT_TRUE(exit.success()) << exit.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 4s)
      << "shutdown took about as long as the drain timeout";
}

}  // namespace
}  // namespace reel::testing
