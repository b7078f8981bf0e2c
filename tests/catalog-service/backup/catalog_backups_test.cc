// CatalogBackups and RestoreBackup through a real FilmStore, BackupEngine
// and restore, all in temp dirs.
#include "catalog-service/backup/catalog_backups.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "catalog-service/store/film_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::testing::StatusIs;
using ::testing::HasSubstr;

Film Titled(const std::string& title) {
  Film film;
  film.set_title(title);
  auto* scene = film.add_scenes();
  scene->set_scene_id("s1");
  scene->set_title("A scene");
  scene->set_description(absl::StrCat("What happens in ", title, "."));
  return film;
}

class CatalogBackupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FilmStoreOptions options;
    options.path = dir_.Join("catalog");
    options.maintenance_interval = absl::ZeroDuration();
    options.sync_writes = false;
    ASSERT_OK_AND_ASSIGN(store_, FilmStore::Open(options));
    ASSERT_OK_AND_ASSIGN(backups_, CatalogBackups::Open(dir_.Join("backups")));
  }

  void CreateFilms(int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_OK(store_
                    ->Create(absl::StrCat("film-", i),
                             Titled(absl::StrCat("Film ", i)), "")
                    .status());
    }
  }

  BackupRecord MustBackUp(int keep_latest = 0, int* deleted = nullptr) {
    int ignored = 0;
    absl::StatusOr<BackupRecord> record = backups_->Create(
        *store_, keep_latest, deleted != nullptr ? deleted : &ignored);
    EXPECT_OK(record.status());
    return record.ok() ? *record : BackupRecord();
  }

  reel::testing::TempDir dir_;
  std::unique_ptr<FilmStore> store_;
  std::unique_ptr<CatalogBackups> backups_;
};

TEST_F(CatalogBackupsTest, BackupTakenWhileWritingHoldsExactlyItsRevision) {
  ASSERT_NO_FATAL_FAILURE(CreateFilms(0, 50));
  std::atomic<bool> stop{false};
  std::atomic<int> written{50};
  std::thread writer([&] {
    for (int i = 50; !stop.load(); ++i) {
      if (!store_->Create(absl::StrCat("film-", i), Titled("Busy"), "").ok()) {
        return;
      }
      written.store(i + 1);
    }
  });
  std::vector<BackupRecord> taken;
  for (int i = 0; i < 3; ++i) {
    taken.push_back(MustBackUp());
    // Let writes land between backups.
    const int seen = written.load();
    while (written.load() < seen + 20) std::this_thread::yield();
  }
  stop.store(true);
  writer.join();

  for (const BackupRecord& record : taken) {
    SCOPED_TRACE(absl::StrCat("backup ", record.backup_id));
    EXPECT_GE(record.revision, 50);
    EXPECT_EQ(record.history_id, store_->history_id());
    EXPECT_EQ(record.film_count, record.revision);  // One film per write.
    EXPECT_GT(record.size_bytes, 0);
    EXPECT_GT(record.file_count, 0);
    const std::string restored = dir_.Join(absl::StrCat("r", record.backup_id));
    ASSERT_OK_AND_ASSIGN(
        BackupRecord result,
        RestoreBackup(backups_->backup_dir(), record.backup_id, restored));
    EXPECT_EQ(result.revision, record.revision);
    EXPECT_NE(result.history_id, store_->history_id());

    FilmStoreOptions options;
    options.path = restored;
    options.maintenance_interval = absl::ZeroDuration();
    ASSERT_OK_AND_ASSIGN(auto copy, FilmStore::Open(options));
    EXPECT_EQ(copy->revision(), record.revision);
    EXPECT_EQ(copy->history_id(), result.history_id);
    ASSERT_OK_AND_ASSIGN(FilmStore::ListPage page, copy->List("", 1'000'000));
    EXPECT_EQ(static_cast<int64_t>(page.films.size()), record.revision);
    for (const Film& film : page.films) {
      EXPECT_LE(film.revision(), record.revision) << film.name();
      EXPECT_THAT(store_->Get(film.name().substr(6)), reel::testing::IsOk());
    }
    // The change log comes along: a follower of the copy can resume.
    std::vector<reel::catalog::v1::FilmEvent> events;
    ASSERT_OK(copy->ReadChanges(record.revision - 5, 100, 1 << 20, &events));
    EXPECT_EQ(events.size(), 5u);
  }
  ASSERT_OK_AND_ASSIGN(std::vector<BackupRecord> listed, backups_->List());
  ASSERT_EQ(listed.size(), 3u);
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(listed[i].backup_id, taken[i].backup_id);
    EXPECT_EQ(listed[i].revision, taken[i].revision);
  }
}

TEST_F(CatalogBackupsTest, RestoreWantsAnEmptyFolderAndAnExistingBackup) {
  EXPECT_THAT(RestoreBackup(backups_->backup_dir(), 0, dir_.Join("r")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no backup")));
  ASSERT_NO_FATAL_FAILURE(CreateFilms(0, 3));
  MustBackUp();
  EXPECT_THAT(RestoreBackup(backups_->backup_dir(), 7, dir_.Join("r")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("backup 7")));
  EXPECT_THAT(RestoreBackup(dir_.Join("nowhere"), 0, dir_.Join("r")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nowhere")));
  // The live catalog's folder is not empty: nothing is touched.
  EXPECT_THAT(RestoreBackup(backups_->backup_dir(), 0, store_->path()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not empty")));
  EXPECT_EQ(store_->revision(), 3);
  // An empty existing folder is fine.
  std::filesystem::create_directories(dir_.Join("empty"));
  ASSERT_OK_AND_ASSIGN(
      BackupRecord restored,
      RestoreBackup(backups_->backup_dir(), 0, dir_.Join("empty")));
  EXPECT_EQ(restored.revision, 3);
}

TEST_F(CatalogBackupsTest, VerifyAndRestoreFindADamagedFile) {
  ASSERT_NO_FATAL_FAILURE(CreateFilms(0, 20));
  const BackupRecord record = MustBackUp();
  ASSERT_OK(backups_->Verify(record.backup_id).status());
  EXPECT_THAT(backups_->Verify(99),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("99")));
  EXPECT_THAT(backups_->Verify(0), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("backup_id")));

  // Flip one byte of the largest table file the backup holds.
  std::filesystem::path largest;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           dir_.Join("backups/shared_checksum"))) {
    if (entry.is_regular_file() &&
        (largest.empty() ||
         entry.file_size() > std::filesystem::file_size(largest))) {
      largest = entry.path();
    }
  }
  ASSERT_FALSE(largest.empty());
  {
    std::fstream file(largest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    char byte = 0;
    file.seekg(100);
    file.get(byte);
    file.seekp(100);
    file.put(static_cast<char>(byte ^ 0x5a));
  }
  // Reopened, as a later process would see it.
  ASSERT_OK_AND_ASSIGN(auto reopened,
                       CatalogBackups::Open(backups_->backup_dir()));
  EXPECT_THAT(reopened->Verify(record.backup_id),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));
  EXPECT_THAT(
      RestoreBackup(backups_->backup_dir(), record.backup_id, dir_.Join("r")),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));
}

TEST_F(CatalogBackupsTest, KeepLatestDeletesTheOldestAndBackupsAreIncremental) {
  ASSERT_NO_FATAL_FAILURE(CreateFilms(0, 200));
  const BackupRecord first = MustBackUp();
  ASSERT_NO_FATAL_FAILURE(CreateFilms(200, 205));
  MustBackUp();
  ASSERT_NO_FATAL_FAILURE(CreateFilms(205, 210));
  int deleted = 0;
  const BackupRecord third = MustBackUp(/*keep_latest=*/2, &deleted);
  EXPECT_EQ(deleted, 1);
  ASSERT_OK_AND_ASSIGN(std::vector<BackupRecord> listed, backups_->List());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed.back().backup_id, third.backup_id);
  EXPECT_NE(listed.front().backup_id, first.backup_id);

  // Two backups of nearly the same data share their files: the folder
  // holds much less than two full copies.
  uint64_t folder_bytes = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(backups_->backup_dir())) {
    if (entry.is_regular_file()) folder_bytes += entry.file_size();
  }
  EXPECT_LT(folder_bytes,
            static_cast<uint64_t>(listed[0].size_bytes + listed[1].size_bytes));

  int ignored = 0;
  EXPECT_THAT(
      backups_->Create(*store_, -1, &ignored),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keep_latest")));
}

TEST_F(CatalogBackupsTest, ACheckpointLeftByACrashIsCleanedUp) {
  ASSERT_NO_FATAL_FAILURE(CreateFilms(0, 3));
  const std::filesystem::path leftover =
      std::filesystem::path(store_->path()) / "backup-checkpoint";
  std::filesystem::create_directories(leftover);
  std::ofstream(leftover / "CURRENT") << "garbage";
  EXPECT_EQ(MustBackUp().revision, 3);
  EXPECT_FALSE(std::filesystem::exists(leftover));
}

}  // namespace
}  // namespace reel::catalog
