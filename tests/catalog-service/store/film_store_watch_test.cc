// What WatchFilms is built on: FilmStore::ReadChanges (the change log, its
// limits and compaction) and FilmSnapshot (consistent point-in-time views).
#include <gmock/gmock.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "catalog-service/model/film_update.h"
#include "catalog-service/store/film_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

MATCHER_P(EqualsProto, expected, "equals " + expected.ShortDebugString()) {
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(expected, arg)) return true;
  *result_listener << "differs: " << diff;
  return false;
}

Film Titled(const std::string& title) {
  Film film;
  film.set_title(title);
  return film;
}

FilmFields TitleOnly() {
  google::protobuf::FieldMask mask;
  mask.add_paths("title");
  return *ResolveUpdateMask(mask);
}

std::vector<int64_t> Revisions(const std::vector<FilmEvent>& events) {
  std::vector<int64_t> revisions;
  for (const FilmEvent& event : events) revisions.push_back(event.revision());
  return revisions;
}

std::vector<std::string> Names(const std::vector<Film>& films) {
  std::vector<std::string> names;
  for (const Film& film : films) names.push_back(film.name());
  return names;
}

class FilmStoreWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenWith(Options())); }

  FilmStoreOptions Options() const {
    FilmStoreOptions options;
    options.path = dir_.Join("db");
    options.maintenance_interval = absl::ZeroDuration();
    options.block_cache_bytes = 1 << 20;
    options.sync_writes = false;
    return options;
  }

  void OpenWith(const FilmStoreOptions& options) {
    store_.reset();
    absl::StatusOr<std::unique_ptr<FilmStore>> store = FilmStore::Open(options);
    ASSERT_OK(store.status());
    store_ = *std::move(store);
  }

  WriteResult Create(const std::string& id, const std::string& title) {
    absl::StatusOr<WriteResult> result = store_->Create(id, Titled(title), "");
    EXPECT_OK(result.status()) << id;
    return result.ok() ? *std::move(result) : WriteResult();
  }
  WriteResult Retitle(const std::string& id, const std::string& title) {
    absl::StatusOr<WriteResult> result =
        store_->Update(id, Titled(title), TitleOnly(), "");
    EXPECT_OK(result.status()) << id;
    return result.ok() ? *std::move(result) : WriteResult();
  }

  std::vector<FilmEvent> Read(int64_t after_revision,
                              size_t max_events = 1'000'000,
                              size_t max_bytes = kNoLimit) {
    std::vector<FilmEvent> events;
    EXPECT_OK(
        store_->ReadChanges(after_revision, max_events, max_bytes, &events));
    return events;
  }

  // Creates "f1".."f{count}" (revisions 1..count on an empty store).
  void CreateMany(int count) {
    for (int i = 1; i <= count; ++i) {
      Create("f" + std::to_string(i), "Film " + std::to_string(i));
    }
  }

  reel::testing::TempDir dir_;
  std::unique_ptr<FilmStore> store_;
};

// --- ReadChanges ---

TEST_F(FilmStoreWatchTest, EventsComeInRevisionOrderWithTypesAndFilms) {
  const WriteResult a = Create("a", "A");
  const WriteResult b = Create("b", "B");
  const WriteResult a2 = Retitle("a", "A2");
  ASSERT_OK_AND_ASSIGN(WriteResult deleted, store_->Delete("b", ""));

  std::vector<FilmEvent> events = Read(0);

  ASSERT_EQ(events.size(), 4u);
  EXPECT_THAT(Revisions(events), ElementsAre(1, 2, 3, 4));

  EXPECT_EQ(events[0].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(events[0].name(), "films/a");
  EXPECT_THAT(events[0].film(), EqualsProto(a.film));

  EXPECT_EQ(events[1].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(events[1].name(), "films/b");
  EXPECT_THAT(events[1].film(), EqualsProto(b.film));

  EXPECT_EQ(events[2].type(), FilmEvent::EVENT_TYPE_UPDATED);
  EXPECT_EQ(events[2].name(), "films/a");
  EXPECT_THAT(events[2].film(), EqualsProto(a2.film));
  EXPECT_EQ(events[2].film().title(), "A2");

  EXPECT_EQ(events[3].type(), FilmEvent::EVENT_TYPE_DELETED);
  EXPECT_EQ(events[3].name(), "films/b");
  EXPECT_EQ(events[3].revision(), deleted.revision);
  EXPECT_FALSE(events[3].has_film());
}

TEST_F(FilmStoreWatchTest, ReadsOnlyChangesAfterTheGivenRevision) {
  CreateMany(5);
  EXPECT_THAT(Revisions(Read(2)), ElementsAre(3, 4, 5));
  EXPECT_THAT(Revisions(Read(4)), ElementsAre(5));
}

TEST_F(FilmStoreWatchTest, AppendsToTheCallersVector) {
  CreateMany(2);
  std::vector<FilmEvent> events(1);
  events[0].set_revision(-7);
  ASSERT_OK(store_->ReadChanges(0, 10, kNoLimit, &events));
  EXPECT_THAT(Revisions(events), ElementsAre(-7, 1, 2));
}

TEST_F(FilmStoreWatchTest, MaxEventsLimitsABatch) {
  CreateMany(5);
  EXPECT_THAT(Revisions(Read(0, 2)), ElementsAre(1, 2));
  EXPECT_THAT(Revisions(Read(2, 2)), ElementsAre(3, 4));
  EXPECT_THAT(Revisions(Read(4, 2)), ElementsAre(5));
  EXPECT_THAT(Revisions(Read(0, 1)), ElementsAre(1));
}

TEST_F(FilmStoreWatchTest, MaxBytesLimitsABatchButReturnsAtLeastOneEvent) {
  CreateMany(5);
  const std::vector<FilmEvent> all = Read(0);
  ASSERT_EQ(all.size(), 5u);
  const size_t first = all[0].ByteSizeLong();
  const size_t second = all[1].ByteSizeLong();

  // Too small for even one event: one anyway.
  EXPECT_THAT(Revisions(Read(0, 100, 1)), ElementsAre(1));
  // Stops once max_bytes are collected.
  EXPECT_THAT(Revisions(Read(0, 100, first)), ElementsAre(1));
  EXPECT_THAT(Revisions(Read(0, 100, first + 1)), ElementsAre(1, 2));
  EXPECT_THAT(Revisions(Read(0, 100, first + second)), ElementsAre(1, 2));
  EXPECT_THAT(Revisions(Read(0, 100, first + second + 1)),
              ElementsAre(1, 2, 3));
  // max_events still applies.
  EXPECT_THAT(Revisions(Read(0, 2, kNoLimit)), ElementsAre(1, 2));
}

TEST_F(FilmStoreWatchTest, ReadingAtTheHeadReturnsNothing) {
  std::vector<FilmEvent> events;
  ASSERT_OK(store_->ReadChanges(0, 10, kNoLimit, &events));  // Empty store.
  EXPECT_THAT(events, IsEmpty());

  CreateMany(3);
  ASSERT_OK(store_->ReadChanges(3, 10, kNoLimit, &events));
  EXPECT_THAT(events, IsEmpty());
}

TEST_F(FilmStoreWatchTest, ReadingAheadOfTheHeadIsOutOfRange) {
  std::vector<FilmEvent> events;
  EXPECT_THAT(store_->ReadChanges(1, 10, kNoLimit, &events),
              StatusIs(absl::StatusCode::kOutOfRange,
                       AllOf(HasSubstr("start_revision 1"), HasSubstr("ahead"),
                             HasSubstr("newest revision 0"))));
  CreateMany(3);
  EXPECT_THAT(store_->ReadChanges(4, 10, kNoLimit, &events),
              StatusIs(absl::StatusCode::kOutOfRange,
                       AllOf(HasSubstr("start_revision 4"), HasSubstr("ahead"),
                             HasSubstr("newest revision 3"))));
  EXPECT_THAT(store_->ReadChanges(1'000'000, 10, kNoLimit, &events),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("start_revision 1000000")));
  EXPECT_THAT(events, IsEmpty());
}

TEST_F(FilmStoreWatchTest, ChangesFollowNewWrites) {
  CreateMany(2);
  EXPECT_THAT(Read(2), IsEmpty());
  Retitle("f1", "again");
  std::vector<FilmEvent> events = Read(2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].revision(), 3);
  EXPECT_EQ(events[0].type(), FilmEvent::EVENT_TYPE_UPDATED);
  EXPECT_EQ(events[0].film().title(), "again");
}

// --- Compaction ---

class FilmStoreCompactionTest : public FilmStoreWatchTest {
 protected:
  void SetUp() override {
    FilmStoreOptions options = Options();
    options.change_retention_revisions = 3;
    ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  }
};

TEST_F(FilmStoreCompactionTest, MaintenanceRemovesHistoryBeyondRetention) {
  CreateMany(10);
  EXPECT_EQ(store_->compacted_through(), 0);

  ASSERT_OK(store_->RunMaintenance());

  EXPECT_EQ(store_->compacted_through(), 7);
  EXPECT_EQ(store_->revision(), 10);
  std::vector<FilmEvent> events;
  EXPECT_THAT(
      store_->ReadChanges(6, 10, kNoLimit, &events),
      StatusIs(absl::StatusCode::kOutOfRange,
               AllOf(HasSubstr("start_revision 6"), HasSubstr("compacted"),
                     HasSubstr("from start_revision 7"),
                     HasSubstr("newest revision 10"))));
  EXPECT_THAT(store_->ReadChanges(0, 10, kNoLimit, &events),
              StatusIs(absl::StatusCode::kOutOfRange,
                       AllOf(HasSubstr("start_revision 0"), HasSubstr("7"))));
  EXPECT_THAT(events, IsEmpty());

  // Reading from compacted_through() itself still works.
  EXPECT_THAT(Revisions(Read(store_->compacted_through())),
              ElementsAre(8, 9, 10));
  EXPECT_THAT(Revisions(Read(9)), ElementsAre(10));
  EXPECT_THAT(Read(10), IsEmpty());

  // The films themselves are untouched.
  ASSERT_OK_AND_ASSIGN(FilmStore::ListPage page, store_->List("", 100));
  EXPECT_EQ(page.films.size(), 10u);
}

TEST_F(FilmStoreCompactionTest, MaintenanceAdvancesWithNewWrites) {
  CreateMany(5);
  ASSERT_OK(store_->RunMaintenance());
  EXPECT_EQ(store_->compacted_through(), 2);

  // Nothing new: nothing more to remove.
  ASSERT_OK(store_->RunMaintenance());
  EXPECT_EQ(store_->compacted_through(), 2);

  Create("g1", "G1");
  Create("g2", "G2");
  ASSERT_OK(store_->RunMaintenance());
  EXPECT_EQ(store_->compacted_through(), 4);
  std::vector<FilmEvent> events;
  EXPECT_THAT(store_->ReadChanges(3, 10, kNoLimit, &events),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  EXPECT_THAT(Revisions(Read(4)), ElementsAre(5, 6, 7));
}

TEST_F(FilmStoreCompactionTest, HistoryWithinRetentionIsKept) {
  CreateMany(3);
  ASSERT_OK(store_->RunMaintenance());
  EXPECT_EQ(store_->compacted_through(), 0);
  EXPECT_THAT(Revisions(Read(0)), ElementsAre(1, 2, 3));
}

TEST_F(FilmStoreCompactionTest, CompactionSurvivesReopening) {
  CreateMany(10);
  ASSERT_OK(store_->RunMaintenance());
  ASSERT_EQ(store_->compacted_through(), 7);

  FilmStoreOptions options = Options();
  options.change_retention_revisions = 3;
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));

  EXPECT_EQ(store_->compacted_through(), 7);
  EXPECT_EQ(store_->revision(), 10);
  std::vector<FilmEvent> events;
  EXPECT_THAT(store_->ReadChanges(6, 10, kNoLimit, &events),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
  EXPECT_THAT(Revisions(Read(7)), ElementsAre(8, 9, 10));
}

// --- Snapshots ---

TEST_F(FilmStoreWatchTest, SnapshotOfAnEmptyStore) {
  std::unique_ptr<FilmSnapshot> snapshot = store_->TakeSnapshot();
  EXPECT_EQ(snapshot->revision(), 0);
  std::vector<Film> films;
  bool done = false;
  ASSERT_OK(snapshot->ReadFilms("", 10, kNoLimit, &films, &done));
  EXPECT_THAT(films, IsEmpty());
  EXPECT_TRUE(done);
}

TEST_F(FilmStoreWatchTest, SnapshotIsAtTheStoreRevisionAndIgnoresLaterWrites) {
  const WriteResult a = Create("a", "A");
  const WriteResult b = Create("b", "B");
  const WriteResult c = Create("c", "C");
  std::unique_ptr<FilmSnapshot> snapshot = store_->TakeSnapshot();
  EXPECT_EQ(snapshot->revision(), 3);
  EXPECT_EQ(snapshot->revision(), store_->revision());

  Retitle("a", "A2");
  ASSERT_OK(store_->Delete("b", ""));
  Create("d", "D");
  Create("0", "Zero");
  ASSERT_EQ(store_->revision(), 7);

  std::vector<Film> films;
  bool done = false;
  ASSERT_OK(snapshot->ReadFilms("", 100, kNoLimit, &films, &done));
  EXPECT_TRUE(done);
  ASSERT_EQ(films.size(), 3u);
  EXPECT_THAT(films[0], EqualsProto(a.film));
  EXPECT_THAT(films[1], EqualsProto(b.film));
  EXPECT_THAT(films[2], EqualsProto(c.film));
  EXPECT_EQ(snapshot->revision(), 3);

  // A new snapshot sees the new state.
  std::unique_ptr<FilmSnapshot> now = store_->TakeSnapshot();
  EXPECT_EQ(now->revision(), 7);
  films.clear();
  ASSERT_OK(now->ReadFilms("", 100, kNoLimit, &films, &done));
  EXPECT_THAT(Names(films),
              ElementsAre("films/0", "films/a", "films/c", "films/d"));
  EXPECT_EQ(films[1].title(), "A2");
}

TEST_F(FilmStoreWatchTest, SnapshotPagesWithAfterIdAndDone) {
  for (const char* id : {"d", "a", "e", "c", "b"}) Create(id, id);
  std::unique_ptr<FilmSnapshot> snapshot = store_->TakeSnapshot();
  Create("bb", "after the snapshot");

  std::vector<Film> films;
  bool done = true;
  ASSERT_OK(snapshot->ReadFilms("", 2, kNoLimit, &films, &done));
  EXPECT_THAT(Names(films), ElementsAre("films/a", "films/b"));
  EXPECT_FALSE(done);

  films.clear();
  ASSERT_OK(snapshot->ReadFilms("b", 2, kNoLimit, &films, &done));
  EXPECT_THAT(Names(films), ElementsAre("films/c", "films/d"));
  EXPECT_FALSE(done);

  films.clear();
  ASSERT_OK(snapshot->ReadFilms("d", 2, kNoLimit, &films, &done));
  EXPECT_THAT(Names(films), ElementsAre("films/e"));
  EXPECT_TRUE(done);

  // A page that ends exactly at the last film is done.
  films.clear();
  done = false;
  ASSERT_OK(snapshot->ReadFilms("c", 2, kNoLimit, &films, &done));
  EXPECT_THAT(Names(films), ElementsAre("films/d", "films/e"));
  EXPECT_TRUE(done);

  // after_id need not exist; past the end is empty and done.
  films.clear();
  ASSERT_OK(snapshot->ReadFilms("bz", 10, kNoLimit, &films, &done));
  EXPECT_THAT(Names(films), ElementsAre("films/c", "films/d", "films/e"));
  films.clear();
  done = false;
  ASSERT_OK(snapshot->ReadFilms("e", 10, kNoLimit, &films, &done));
  EXPECT_THAT(films, IsEmpty());
  EXPECT_TRUE(done);
}

TEST_F(FilmStoreWatchTest, SnapshotMaxBytesLimitsAPageButReturnsOneFilm) {
  for (const char* id : {"a", "b", "c"}) Create(id, id);
  std::unique_ptr<FilmSnapshot> snapshot = store_->TakeSnapshot();

  std::vector<Film> films;
  bool done = true;
  ASSERT_OK(snapshot->ReadFilms("", 10, 1, &films, &done));
  EXPECT_THAT(Names(films), ElementsAre("films/a"));
  EXPECT_FALSE(done);

  const size_t first = films[0].ByteSizeLong();
  films.clear();
  ASSERT_OK(snapshot->ReadFilms("", 10, first + 1, &films, &done));
  EXPECT_THAT(Names(films), ElementsAre("films/a", "films/b"));
  EXPECT_FALSE(done);
}

TEST_F(FilmStoreWatchTest, SnapshotThenChangesCoverEveryWriteExactlyOnce) {
  Create("a", "A");
  Create("b", "B");
  std::unique_ptr<FilmSnapshot> snapshot = store_->TakeSnapshot();
  Retitle("a", "A2");
  ASSERT_OK(store_->Delete("b", ""));
  Create("c", "C");

  std::vector<FilmEvent> after = Read(snapshot->revision());
  EXPECT_THAT(Revisions(after), ElementsAre(3, 4, 5));
  EXPECT_EQ(after[0].type(), FilmEvent::EVENT_TYPE_UPDATED);
  EXPECT_EQ(after[1].type(), FilmEvent::EVENT_TYPE_DELETED);
  EXPECT_EQ(after[2].type(), FilmEvent::EVENT_TYPE_CREATED);
}

TEST_F(FilmStoreCompactionTest, SnapshotsAreUnaffectedByCompaction) {
  CreateMany(6);
  std::unique_ptr<FilmSnapshot> snapshot = store_->TakeSnapshot();
  ASSERT_OK(store_->RunMaintenance());
  ASSERT_EQ(store_->compacted_through(), 3);

  std::vector<Film> films;
  bool done = false;
  ASSERT_OK(snapshot->ReadFilms("", 100, kNoLimit, &films, &done));
  EXPECT_EQ(films.size(), 6u);
  EXPECT_TRUE(done);
  // A watcher resuming from the snapshot is still within retention.
  EXPECT_THAT(Read(snapshot->revision()), IsEmpty());
}

}  // namespace
}  // namespace reel::catalog
