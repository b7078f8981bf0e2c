// Backup, restore and the catalog history id, end to end: catalog-service
// and search-service as child processes, backups through the admin service,
// restore with the one command the runbook gives.
//
// The hard case (issue "authorization and recovery"): search has applied
// revision 200; the catalog is restored to a backup taken at 150 and takes
// 60 new writes (head 210) before search reconnects. Revision numbers
// 151-200 now name other changes, so resuming from 200 would keep 50 films
// the restored catalog never had. Search must notice the new history and
// take a fresh snapshot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "reel/admin/v1/admin.grpc.pb.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "reel/search/v1/search.grpc.pb.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/catalog_test_util.h"
#include "tests/integration/search_process.h"
#include "tests/testing/child_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::reel::admin::v1::AdminService;
using ::reel::admin::v1::CreateBackupRequest;
using ::reel::admin::v1::CreateBackupResponse;
using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::ListFilmsRequest;
using ::reel::catalog::v1::ListFilmsResponse;
using ::reel::search::v1::GetIndexStatusResponse;
using ::reel::search::v1::SearchService;
using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

constexpr auto kFollowTimeout = 60s;

// `count` films whose every scene holds `word`, ids "<word>-N": one revision
// each when imported.
std::vector<Film> FilmsWithWord(const std::string& word, int count) {
  std::vector<Film> films;
  for (int i = 1; i <= count; ++i) {
    Film film = TestFilm(absl::StrCat(word, " film ", i));
    film.set_name(absl::StrCat("films/", word, "-", i));
    for (auto& scene : *film.mutable_scenes()) {
      scene.set_description(
          absl::StrCat(scene.description(), " The ", word, " moment."));
    }
    films.push_back(std::move(film));
  }
  return films;
}

absl::StatusOr<std::string> HistoryId(CatalogService::Stub& stub) {
  grpc::ClientContext context;
  SetDeadline(&context);
  ListFilmsRequest request;
  request.set_page_size(1);
  ListFilmsResponse response;
  grpc::Status status = stub.ListFilms(&context, request, &response);
  if (!status.ok()) return absl::UnknownError(status.error_message());
  return response.history_id();
}

// The film names of every hit for `word` (up to 1,000 hits).
std::set<std::string> FilmsMatching(SearchService::Stub& stub,
                                    const std::string& word) {
  SearchRun run = Search(stub, word, /*max_results=*/1000);
  EXPECT_TRUE(run.status.ok()) << run.Describe();
  std::set<std::string> films;
  for (const auto& hit : run.hits) films.insert(hit.film());
  return films;
}

class RestoreE2eTest : public ::testing::Test {
 protected:
  // Starts the catalog on `data_dir` (and, when port > 0, on that port, so
  // a running search finds it again), with backups in backups_.
  void StartCatalog(const std::string& data_dir, int port = 0) {
    std::vector<std::string> flags = {"--backup_dir=" + backups_};
    if (port > 0) flags.push_back(absl::StrCat("--listen=127.0.0.1:", port));
    ASSERT_OK_AND_ASSIGN(
        catalog_, CatalogProcess::Start({.data_dir = data_dir,
                                         .log_path = temp_.Join("catalog.log"),
                                         .flags = flags}));
    catalog_stub_ = catalog_->NewStub();
  }

  void StopCatalog() {
    catalog_stub_.reset();
    ASSERT_OK(catalog_->Stop());
    catalog_.reset();
  }

  void StartSearch() {
    ASSERT_OK_AND_ASSIGN(
        search_,
        SearchProcess::Start({.catalog_address = catalog_->address(),
                              .data_dir = temp_.Join("search"),
                              .log_path = temp_.Join("search.log"),
                              .flags = {"--reconnect_max_backoff=200ms"}}));
    search_stub_ = search_->NewStub();
  }

  void Import(const std::vector<Film>& films, int64_t expected_head) {
    ASSERT_OK_AND_ASSIGN(auto imported, ImportFilms(*catalog_stub_, films));
    ASSERT_EQ(imported.failed_count(), 0) << imported.DebugString();
    ASSERT_OK_AND_ASSIGN(int64_t head, HeadRevision(*catalog_stub_));
    ASSERT_EQ(head, expected_head);
  }

  CreateBackupResponse Backup() {
    auto admin = AdminService::NewStub(catalog_->channel());
    grpc::ClientContext context;
    SetDeadline(&context);
    CreateBackupResponse response;
    grpc::Status status =
        admin->CreateBackup(&context, CreateBackupRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // The runbook's restore command, into a new data dir; returns its path.
  std::string Restore(const std::string& name) {
    const std::string data_dir = temp_.Join(name);
    auto restore = ChildProcess::Start(
        CatalogServicePath(),
        {"--data_dir=" + data_dir, "--restore_from=" + backups_},
        {.stderr_path = temp_.Join("restore.log")});
    EXPECT_OK(restore.status());
    if (!restore.ok()) return data_dir;
    auto exit = (*restore)->Wait(60s);
    EXPECT_OK(exit.status());
    if (exit.ok()) {
      EXPECT_TRUE(exit->success()) << exit->ToString() << "\n"
                                   << (*restore)->StderrTail();
    }
    EXPECT_THAT((*restore)->stdout_text(),
                HasSubstr("restored backup 1 (revision 150, 150 films)"));
    return data_dir;
  }

  TempDir temp_;
  const std::string backups_ = temp_.Join("backups");
  std::unique_ptr<CatalogProcess> catalog_;
  std::unique_ptr<CatalogService::Stub> catalog_stub_;
  std::unique_ptr<SearchProcess> search_;
  std::unique_ptr<SearchService::Stub> search_stub_;
};

TEST_F(RestoreE2eTest, SearchTakesANewSnapshotWhenTheRestoredCatalogGrewPast) {
  ASSERT_NO_FATAL_FAILURE(StartCatalog(temp_.Join("catalog")));
  ASSERT_NO_FATAL_FAILURE(Import(FilmsWithWord("early", 150), 150));
  const CreateBackupResponse backup = Backup();
  ASSERT_EQ(backup.backup().revision(), 150);
  ASSERT_EQ(backup.backup().film_count(), 150);
  ASSERT_OK_AND_ASSIGN(const std::string old_history,
                       HistoryId(*catalog_stub_));
  ASSERT_EQ(backup.backup().history_id(), old_history);
  ASSERT_NO_FATAL_FAILURE(Import(FilmsWithWord("late", 50), 200));

  ASSERT_NO_FATAL_FAILURE(StartSearch());
  ASSERT_OK(WaitForRevision(*search_stub_, 200, kFollowTimeout));
  ASSERT_EQ(FilmsMatching(*search_stub_, "late").size(), 50u);
  ASSERT_OK_AND_ASSIGN(GetIndexStatusResponse before,
                       GetIndexStatus(*search_stub_));
  EXPECT_EQ(before.catalog_history_id(), old_history);

  // Search goes away (its index stays at 200); the catalog is restored to
  // the backup at 150 and grows to 210 before search comes back.
  search_stub_.reset();
  ASSERT_OK(search_->Stop());
  ASSERT_NO_FATAL_FAILURE(StopCatalog());
  ASSERT_NO_FATAL_FAILURE(StartCatalog(Restore("restored")));
  ASSERT_OK_AND_ASSIGN(const std::string new_history,
                       HistoryId(*catalog_stub_));
  ASSERT_NE(new_history, old_history);
  ASSERT_OK_AND_ASSIGN(int64_t head, HeadRevision(*catalog_stub_));
  ASSERT_EQ(head, 150);
  ASSERT_NO_FATAL_FAILURE(Import(FilmsWithWord("after", 60), 210));

  ASSERT_NO_FATAL_FAILURE(StartSearch());
  ASSERT_OK_AND_ASSIGN(GetIndexStatusResponse after,
                       WaitForIndexStatus(
                           *search_stub_,
                           [&](const GetIndexStatusResponse& status) {
                             return status.catalog_history_id() ==
                                        new_history &&
                                    status.applied_revision() == 210;
                           },
                           kFollowTimeout));
  EXPECT_EQ(after.catalog_revision(), 210);
  EXPECT_EQ(after.film_count(), 210);

  // Nothing of the old history's 151-200 survives; every hit is a film of
  // the restored catalog.
  EXPECT_TRUE(FilmsMatching(*search_stub_, "late").empty());
  EXPECT_EQ(FilmsMatching(*search_stub_, "after").size(), 60u);
  ASSERT_OK_AND_ASSIGN(std::vector<Film> catalog_films,
                       ListAllFilms(*catalog_stub_));
  std::set<std::string> names;
  for (const Film& film : catalog_films) names.insert(film.name());
  for (const std::string& word : {"early", "after", "film", "moment"}) {
    for (const std::string& film : FilmsMatching(*search_stub_, word)) {
      EXPECT_TRUE(names.count(film)) << film << " is not in the catalog";
    }
  }
  EXPECT_THAT(search_->LogTail(), HasSubstr("taking a new snapshot"));
  std::cout << "history-id test: search resumed at revision 200 of history "
            << old_history << "; the catalog, restored to backup 1 (revision "
            << "150) and grown to 210, is history " << new_history
            << "; search took a new snapshot: applied_revision "
            << after.applied_revision() << ", catalog_revision "
            << after.catalog_revision() << ", " << after.film_count()
            << " films; hits for \"late\": 0, for \"after\": 60" << std::endl;
}

TEST_F(RestoreE2eTest,
       RunningSearchFollowsTheCatalogBackToTheRestoredRevision) {
  ASSERT_NO_FATAL_FAILURE(StartCatalog(temp_.Join("catalog")));
  ASSERT_NO_FATAL_FAILURE(Import(FilmsWithWord("early", 150), 150));
  ASSERT_EQ(Backup().backup().revision(), 150);
  ASSERT_NO_FATAL_FAILURE(Import(FilmsWithWord("late", 50), 200));
  ASSERT_NO_FATAL_FAILURE(StartSearch());
  ASSERT_OK(WaitForRevision(*search_stub_, 200, kFollowTimeout));

  // Restored on the same port while search keeps running and reconnecting.
  const int port = catalog_->port();
  ASSERT_NO_FATAL_FAILURE(StopCatalog());
  const std::string restored = Restore("restored");
  ASSERT_NO_FATAL_FAILURE(StartCatalog(restored, port));
  ASSERT_OK_AND_ASSIGN(const std::string new_history,
                       HistoryId(*catalog_stub_));

  ASSERT_OK_AND_ASSIGN(GetIndexStatusResponse status,
                       WaitForIndexStatus(
                           *search_stub_,
                           [&](const GetIndexStatusResponse& status) {
                             return status.catalog_history_id() == new_history;
                           },
                           kFollowTimeout));
  // The catalog went back, and so does what search reports of it: no lag
  // of 50 revisions that do not exist.
  EXPECT_EQ(status.applied_revision(), 150);
  EXPECT_EQ(status.catalog_revision(), 150);
  EXPECT_EQ(status.film_count(), 150);
  EXPECT_TRUE(FilmsMatching(*search_stub_, "late").empty());
}

TEST_F(RestoreE2eTest, WatchNamingAnotherHistoryFailsAndResponsesCarryIt) {
  ASSERT_NO_FATAL_FAILURE(StartCatalog(temp_.Join("catalog")));
  ASSERT_NO_FATAL_FAILURE(Import(FilmsWithWord("early", 3), 3));
  ASSERT_OK_AND_ASSIGN(const std::string history, HistoryId(*catalog_stub_));
  EXPECT_EQ(history.size(), 32u);

  auto watch = [&](const std::string& history_id,
                   reel::catalog::v1::WatchFilmsResponse* first) {
    grpc::ClientContext context;
    SetDeadline(&context, 10s);
    reel::catalog::v1::WatchFilmsRequest request;
    request.set_start_revision(2);
    request.set_history_id(history_id);
    auto reader = catalog_stub_->WatchFilms(&context, request);
    if (reader->Read(first)) {
      context.TryCancel();
      reader->Finish();
      return grpc::Status::OK;
    }
    return reader->Finish();
  };
  reel::catalog::v1::WatchFilmsResponse first;
  ASSERT_TRUE(watch(history, &first).ok());
  EXPECT_EQ(first.history_id(), history);
  EXPECT_EQ(first.revision(), 3);

  grpc::Status other = watch("0123456789abcdef0123456789abcdef", &first);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(other.error_message(), HasSubstr("history_id"));
  EXPECT_THAT(other.error_message(), HasSubstr(history));

  grpc::Status too_long = watch(std::string(65, 'a'), &first);
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_long.error_message(), HasSubstr("history_id"));

  // The id survives a restart: it belongs to the database, not the process.
  ASSERT_NO_FATAL_FAILURE(StopCatalog());
  ASSERT_NO_FATAL_FAILURE(StartCatalog(temp_.Join("catalog")));
  EXPECT_THAT(HistoryId(*catalog_stub_), IsOkAndHolds(history));
}

}  // namespace
}  // namespace reel::testing
