// FilmStore writes and reads through a real RocksDB in a temp dir: creates,
// field-mask updates, deletes, idempotent creates, listing, imports and
// recovery after reopening.
#include "catalog-service/store/film_store.h"

#include <gmock/gmock.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "catalog-service/model/film_update.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::testing::IsOkAndHolds;
using ::reel::testing::StatusIs;
using ::testing::_;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

MATCHER_P(EqualsProto, expected, "equals " + expected.ShortDebugString()) {
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(expected, arg)) return true;
  *result_listener << "differs: " << diff;
  return false;
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

FilmFields Fields(std::initializer_list<std::string> paths) {
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  absl::StatusOr<FilmFields> fields = ResolveUpdateMask(mask);
  EXPECT_TRUE(fields.ok()) << fields.status();
  return fields.ok() ? *fields : FilmFields();
}

Film RedShoes() {
  Film film;
  film.set_title("The Red Shoes");
  film.set_year(1948);
  film.add_directors("Michael Powell");
  film.add_directors("Emeric Pressburger");
  film.add_genres("drama");
  film.set_synopsis("A ballerina is torn between love and art.");
  film.add_cast("Moira Shearer");
  auto* scene = film.add_scenes();
  scene->set_scene_id("s1");
  scene->set_title("The ballet");
  scene->set_description("A seventeen-minute ballet sequence.");
  film.set_source_url(
      "https://en.wikipedia.org/wiki/The_Red_Shoes_(1948_film)");
  return film;
}

Film Titled(const std::string& title) {
  Film film;
  film.set_title(title);
  return film;
}

// The mutable fields of `film`: what the caller sent, without what the store
// stamps on it.
Film Mutable(Film film) {
  ClearOutputOnlyFields(&film);
  return film;
}

class FilmStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open()); }

  FilmStoreOptions Options() const {
    FilmStoreOptions options;
    options.path = dir_.Join("db");
    options.maintenance_interval = absl::ZeroDuration();
    options.block_cache_bytes = 1 << 20;
    // A clean close keeps unsynced writes too; SyncedWritesSurviveReopening
    // covers the default.
    options.sync_writes = false;
    return options;
  }

  void Open() { OpenWith(Options()); }
  void OpenWith(const FilmStoreOptions& options) {
    absl::StatusOr<std::unique_ptr<FilmStore>> store = FilmStore::Open(options);
    ASSERT_OK(store.status());
    store_ = *std::move(store);
  }
  // Closes the database (as on shutdown) and opens it again.
  void Reopen() {
    store_.reset();
    ASSERT_NO_FATAL_FAILURE(Open());
  }

  WriteResult MustCreate(const std::string& id, const Film& film,
                         const std::string& request_id = "") {
    absl::StatusOr<WriteResult> result = store_->Create(id, film, request_id);
    EXPECT_OK(result.status()) << "creating " << id;
    return result.ok() ? *std::move(result) : WriteResult();
  }

  std::vector<FilmEvent> AllChanges(int64_t after_revision = 0) {
    std::vector<FilmEvent> events;
    EXPECT_OK(store_->ReadChanges(after_revision, 1'000'000, 1 << 30, &events));
    return events;
  }

  std::vector<std::string> ListedNames(absl::string_view after_id, int limit,
                                       bool* has_more = nullptr) {
    absl::StatusOr<FilmStore::ListPage> page = store_->List(after_id, limit);
    EXPECT_OK(page.status());
    std::vector<std::string> names;
    if (!page.ok()) return names;
    for (const Film& film : page->films) names.push_back(film.name());
    if (has_more != nullptr) *has_more = page->has_more;
    return names;
  }

  reel::testing::TempDir dir_;
  std::unique_ptr<FilmStore> store_;
};

// --- Open ---

TEST_F(FilmStoreTest, FreshStoreIsEmpty) {
  EXPECT_EQ(store_->revision(), 0);
  EXPECT_EQ(store_->compacted_through(), 0);
  EXPECT_THAT(ListedNames("", 10), IsEmpty());
  EXPECT_THAT(AllChanges(), IsEmpty());
}

TEST_F(FilmStoreTest, HistoryIdIsRandomKeptAndReplacedOnRequest) {
  const std::string first = store_->history_id();
  EXPECT_THAT(first, ::testing::MatchesRegex("[0-9a-f]{32}"));
  MustCreate("a", Titled("A"));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store_->history_id(), first);  // It belongs to the database.

  // What a restore does: same films and revision, a new history.
  store_.reset();
  FilmStoreOptions options = Options();
  options.new_history = true;
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  EXPECT_NE(store_->history_id(), first);
  EXPECT_THAT(store_->history_id(), ::testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(store_->revision(), 1);
  const std::string second = store_->history_id();
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store_->history_id(), second);

  // Another database never shares it.
  reel::testing::TempDir other_dir;
  FilmStoreOptions other = Options();
  other.path = other_dir.Join("db");
  ASSERT_OK_AND_ASSIGN(auto other_store, FilmStore::Open(other));
  EXPECT_NE(other_store->history_id(), second);
}

TEST(FilmStoreOpenTest, EmptyPathIsInvalidArgument) {
  EXPECT_THAT(FilmStore::Open(FilmStoreOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("data directory")));
}

TEST_F(FilmStoreTest, OpeningALockedDirectoryIsUnavailable) {
  EXPECT_THAT(FilmStore::Open(Options()),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(absl::StrCat(
                                 "data dir ", Options().path,
                                 " is in use by another process (lock file ",
                                 Options().path, "/LOCK)")),
                             Not(HasSubstr("IO error")))));
}

TEST(FilmStoreOpenTest, CreatesTheDataDirForItsOwnerOnly) {
  reel::testing::TempDir dir;
  FilmStoreOptions options;
  options.path = dir.Join("nested/db");
  options.maintenance_interval = absl::ZeroDuration();
  ASSERT_OK(FilmStore::Open(options).status());
  EXPECT_EQ(std::filesystem::status(options.path).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
}

TEST_F(FilmStoreTest, OpenCompactsHistoryBeyondTheRetention) {
  for (int i = 0; i < 10; ++i)
    MustCreate(absl::StrCat("film-", i), Titled("T"));
  store_.reset();
  // Retention already exceeded, and a timer that would not fire in the test:
  // only Open itself can trim.
  FilmStoreOptions options = Options();
  options.change_retention_revisions = 3;
  options.maintenance_interval = absl::Hours(1);
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  EXPECT_EQ(store_->compacted_through(), 7);
  std::vector<FilmEvent> events;
  EXPECT_THAT(store_->ReadChanges(0, 100, 1 << 20, &events),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("compacted")));
}

// --- Create and Get ---

TEST_F(FilmStoreTest, CreateThenGetRoundTrips) {
  const absl::Time before = absl::Now();
  ASSERT_OK_AND_ASSIGN(WriteResult created,
                       store_->Create("the-red-shoes", RedShoes(), ""));
  const absl::Time after = absl::Now();

  EXPECT_EQ(created.revision, 1);
  EXPECT_EQ(store_->revision(), 1);
  const Film& film = created.film;
  EXPECT_EQ(film.name(), "films/the-red-shoes");
  EXPECT_EQ(film.revision(), 1);
  EXPECT_FALSE(film.etag().empty());
  ASSERT_TRUE(film.has_create_time());
  ASSERT_TRUE(film.has_update_time());
  EXPECT_GE(ToTime(film.create_time()), before - absl::Milliseconds(1));
  EXPECT_LE(ToTime(film.create_time()), after + absl::Milliseconds(1));
  EXPECT_EQ(ToTime(film.update_time()), ToTime(film.create_time()));
  EXPECT_THAT(Mutable(film), EqualsProto(RedShoes()));

  EXPECT_THAT(store_->Get("the-red-shoes"), IsOkAndHolds(EqualsProto(film)));
}

// A change-log entry carries the film exactly as stored and as returned to
// the writer, for creates, updates and imports alike.
TEST_F(FilmStoreTest, ChangeLogEntriesCarryTheFilmAsStored) {
  WriteResult created = MustCreate("the-red-shoes", RedShoes(), "req-1");
  ASSERT_OK_AND_ASSIGN(
      WriteResult updated,
      store_->Update("the-red-shoes", Titled("The Red Shoes (restored)"),
                     Fields({"title"}), created.film.etag()));
  std::vector<ImportItem> items;
  items.push_back({"black-narcissus", Titled("Black Narcissus")});
  ASSERT_OK_AND_ASSIGN(auto imported, store_->Import(std::move(items), false));
  ASSERT_OK(imported[0].status());

  std::vector<FilmEvent> events = AllChanges();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(events[0].revision(), 1);
  EXPECT_EQ(events[0].name(), "films/the-red-shoes");
  EXPECT_THAT(events[0].film(), EqualsProto(created.film));
  EXPECT_EQ(events[1].type(), FilmEvent::EVENT_TYPE_UPDATED);
  EXPECT_EQ(events[1].revision(), 2);
  EXPECT_THAT(events[1].film(), EqualsProto(updated.film));
  EXPECT_THAT(store_->Get("the-red-shoes"),
              IsOkAndHolds(EqualsProto(events[1].film())));
  EXPECT_EQ(events[2].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_THAT(events[2].film(), EqualsProto(imported[0]->film));
  // The retry of the create answers with the film as first created.
  ASSERT_OK_AND_ASSIGN(WriteResult retried,
                       store_->Create("the-red-shoes", RedShoes(), "req-1"));
  EXPECT_THAT(retried.film, EqualsProto(created.film));
}

TEST_F(FilmStoreTest, CreateIgnoresOutputOnlyFields) {
  Film film = RedShoes();
  film.set_name("films/somebody-else");
  film.set_revision(99);
  film.set_etag("forged");
  film.mutable_create_time()->set_seconds(1);
  film.mutable_update_time()->set_seconds(2);
  const absl::Time before = absl::Now();

  ASSERT_OK_AND_ASSIGN(WriteResult created, store_->Create("red", film, ""));

  EXPECT_EQ(created.film.name(), "films/red");
  EXPECT_EQ(created.film.revision(), 1);
  EXPECT_NE(created.film.etag(), "forged");
  EXPECT_FALSE(created.film.etag().empty());
  EXPECT_GE(ToTime(created.film.create_time()), before - absl::Milliseconds(1));
  EXPECT_GE(ToTime(created.film.update_time()), before - absl::Milliseconds(1));
  EXPECT_THAT(
      store_->Get("somebody-else"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("somebody-else")));
  EXPECT_THAT(store_->Get("red"), IsOkAndHolds(EqualsProto(created.film)));
}

TEST_F(FilmStoreTest, CreateExistingIdIsAlreadyExistsAndWritesNothing) {
  const WriteResult first = MustCreate("red", RedShoes());

  EXPECT_THAT(
      store_->Create("red", Titled("Another"), ""),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("films/red")));

  EXPECT_EQ(store_->revision(), 1);
  EXPECT_THAT(store_->Get("red"), IsOkAndHolds(EqualsProto(first.film)));
  EXPECT_EQ(AllChanges().size(), 1u);
}

TEST_F(FilmStoreTest, GetMissingIsNotFoundNamingTheFilm) {
  EXPECT_THAT(store_->Get("nope"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("films/nope")));
}

TEST_F(FilmStoreTest, IdsAreExactKeys) {
  MustCreate("wp:The_Spider_and_the_Fly_(1949_film)", Titled("Spider"));
  MustCreate("Red", Titled("Upper"));
  MustCreate("red", Titled("Lower"));

  EXPECT_THAT(store_->Get("wp:The_Spider_and_the_Fly_(1949_film)"),
              IsOkAndHolds(::testing::Property(
                  &Film::name, "films/wp:The_Spider_and_the_Fly_(1949_film)")));
  EXPECT_THAT(store_->Get("Red"),
              IsOkAndHolds(::testing::Property(&Film::title, "Upper")));
  EXPECT_THAT(store_->Get("red"),
              IsOkAndHolds(::testing::Property(&Film::title, "Lower")));
  EXPECT_THAT(store_->Get("re"), StatusIs(absl::StatusCode::kNotFound, _));
  EXPECT_THAT(store_->Get("red "), StatusIs(absl::StatusCode::kNotFound, _));
}

TEST_F(FilmStoreTest, RevisionsComeFromOneGlobalCounter) {
  const WriteResult a = MustCreate("a", Titled("A"));
  const WriteResult b = MustCreate("b", Titled("B"));
  ASSERT_OK_AND_ASSIGN(
      WriteResult a2, store_->Update("a", Titled("A2"), Fields({"title"}), ""));
  ASSERT_OK_AND_ASSIGN(WriteResult deleted, store_->Delete("b", ""));
  const WriteResult c = MustCreate("c", Titled("C"));
  ASSERT_OK_AND_ASSIGN(
      WriteResult a3, store_->Update("a", Titled("A3"), Fields({"title"}), ""));

  EXPECT_EQ(a.revision, 1);
  EXPECT_EQ(b.revision, 2);
  EXPECT_EQ(a2.revision, 3);
  EXPECT_EQ(deleted.revision, 4);
  EXPECT_EQ(c.revision, 5);
  EXPECT_EQ(a3.revision, 6);
  EXPECT_EQ(store_->revision(), 6);
  EXPECT_EQ(a3.film.revision(), 6);
  EXPECT_EQ(c.film.revision(), 5);

  // Every write gives the film a new etag.
  EXPECT_NE(a.film.etag(), a2.film.etag());
  EXPECT_NE(a2.film.etag(), a3.film.etag());
  EXPECT_NE(a.film.etag(), a3.film.etag());
}

TEST_F(FilmStoreTest, FailedWritesConsumeNoRevision) {
  MustCreate("a", Titled("A"));
  EXPECT_FALSE(store_->Create("a", Titled("again"), "").ok());
  EXPECT_FALSE(store_->Update("zzz", Titled("x"), Fields({"title"}), "").ok());
  EXPECT_FALSE(store_->Update("a", Titled(""), Fields({"title"}), "").ok());
  EXPECT_FALSE(store_->Delete("zzz", "").ok());
  EXPECT_FALSE(store_->Delete("a", "stale").ok());
  EXPECT_EQ(store_->revision(), 1);

  EXPECT_EQ(MustCreate("b", Titled("B")).revision, 2);
  EXPECT_EQ(AllChanges().size(), 2u);
}

// --- Update ---

TEST_F(FilmStoreTest, UpdateChangesOnlyMaskedFields) {
  const WriteResult created = MustCreate("red", RedShoes());
  Film patch;
  patch.set_title("The Red Shoes (restored)");
  patch.set_year(2009);           // Not in the mask.
  patch.add_directors("Nobody");  // Not in the mask.

  const absl::Time before = absl::Now();
  ASSERT_OK_AND_ASSIGN(WriteResult updated,
                       store_->Update("red", patch, Fields({"title"}), ""));

  Film expected = RedShoes();
  expected.set_title("The Red Shoes (restored)");
  EXPECT_THAT(Mutable(updated.film), EqualsProto(expected));
  EXPECT_EQ(updated.revision, 2);
  EXPECT_EQ(updated.film.revision(), 2);
  EXPECT_EQ(updated.film.name(), "films/red");
  EXPECT_NE(updated.film.etag(), created.film.etag());
  EXPECT_THAT(updated.film.create_time(),
              EqualsProto(created.film.create_time()));
  EXPECT_GE(ToTime(updated.film.update_time()), before - absl::Milliseconds(1));
  EXPECT_GE(ToTime(updated.film.update_time()),
            ToTime(created.film.update_time()));
  EXPECT_THAT(store_->Get("red"), IsOkAndHolds(EqualsProto(updated.film)));
}

TEST_F(FilmStoreTest, UpdateReplacesRepeatedFieldsInsteadOfAppending) {
  MustCreate("red", RedShoes());
  Film patch;
  patch.add_directors("Powell & Pressburger");
  auto* scene = patch.add_scenes();
  scene->set_scene_id("s9");
  scene->set_title("The shoes");

  ASSERT_OK_AND_ASSIGN(
      WriteResult updated,
      store_->Update("red", patch, Fields({"directors", "scenes"}), ""));

  EXPECT_THAT(updated.film.directors(), ElementsAre("Powell & Pressburger"));
  ASSERT_EQ(updated.film.scenes_size(), 1);
  EXPECT_EQ(updated.film.scenes(0).scene_id(), "s9");
  EXPECT_EQ(updated.film.scenes(0).description(), "");
  EXPECT_EQ(updated.film.title(), "The Red Shoes");
  EXPECT_EQ(updated.film.year(), 1948);
  EXPECT_THAT(updated.film.genres(), ElementsAre("drama"));
}

TEST_F(FilmStoreTest, UpdateWithMaskedButUnsetFieldClearsIt) {
  MustCreate("red", RedShoes());
  ASSERT_OK_AND_ASSIGN(
      WriteResult updated,
      store_->Update("red", Film(), Fields({"year", "cast", "synopsis"}), ""));
  EXPECT_EQ(updated.film.year(), 0);
  EXPECT_THAT(updated.film.cast(), IsEmpty());
  EXPECT_EQ(updated.film.synopsis(), "");
  EXPECT_EQ(updated.film.title(), "The Red Shoes");
  EXPECT_EQ(updated.film.directors_size(), 2);
}

TEST_F(FilmStoreTest, UpdateStarReplacesEveryMutableFieldButKeepsCreateTime) {
  const WriteResult created = MustCreate("red", RedShoes());
  Film patch;
  patch.set_title("Red Shoes");
  patch.set_year(1950);
  // Output-only fields in the patch are ignored.
  patch.set_name("films/other");
  patch.set_revision(77);
  patch.set_etag("");
  patch.mutable_create_time()->set_seconds(5);
  patch.mutable_update_time()->set_seconds(6);

  ASSERT_OK_AND_ASSIGN(WriteResult updated,
                       store_->Update("red", patch, Fields({"*"}), ""));

  Film expected;
  expected.set_title("Red Shoes");
  expected.set_year(1950);
  EXPECT_THAT(Mutable(updated.film), EqualsProto(expected));
  EXPECT_EQ(updated.film.name(), "films/red");
  EXPECT_EQ(updated.film.revision(), 2);
  EXPECT_THAT(updated.film.create_time(),
              EqualsProto(created.film.create_time()));
  EXPECT_GE(ToTime(updated.film.update_time()),
            ToTime(created.film.update_time()));
  EXPECT_THAT(store_->Get("red"), IsOkAndHolds(EqualsProto(updated.film)));
  EXPECT_THAT(store_->Get("other"), StatusIs(absl::StatusCode::kNotFound, _));
}

TEST_F(FilmStoreTest, UpdateWithStaleEtagIsAbortedAndWritesNothing) {
  const WriteResult created = MustCreate("red", RedShoes());
  ASSERT_OK_AND_ASSIGN(WriteResult current,
                       store_->Update("red", Titled("Second"),
                                      Fields({"title"}), created.film.etag()));

  EXPECT_THAT(store_->Update("red", Titled("Third"), Fields({"title"}),
                             created.film.etag()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));
  EXPECT_THAT(
      store_->Update("red", Titled("Third"), Fields({"title"}), "garbage"),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));

  EXPECT_EQ(store_->revision(), 2);
  EXPECT_THAT(store_->Get("red"), IsOkAndHolds(EqualsProto(current.film)));
  EXPECT_EQ(AllChanges().size(), 2u);
}

TEST_F(FilmStoreTest, UpdateWithCurrentEtagSucceeds) {
  const WriteResult created = MustCreate("red", RedShoes());
  ASSERT_OK_AND_ASSIGN(WriteResult second,
                       store_->Update("red", Titled("Second"),
                                      Fields({"title"}), created.film.etag()));
  ASSERT_OK_AND_ASSIGN(WriteResult third,
                       store_->Update("red", Titled("Third"), Fields({"title"}),
                                      second.film.etag()));
  EXPECT_EQ(third.film.title(), "Third");
  EXPECT_EQ(third.revision, 3);
}

TEST_F(FilmStoreTest, UpdateWithEmptyEtagIsUnconditional) {
  MustCreate("red", RedShoes());
  ASSERT_OK(store_->Update("red", Titled("Second"), Fields({"title"}), ""));
  ASSERT_OK_AND_ASSIGN(
      WriteResult third,
      store_->Update("red", Titled("Third"), Fields({"title"}), ""));
  EXPECT_EQ(third.film.title(), "Third");
  EXPECT_EQ(third.revision, 3);
}

TEST_F(FilmStoreTest, UpdateMissingFilmIsNotFound) {
  MustCreate("red", RedShoes());
  EXPECT_THAT(store_->Update("blue", Titled("Blue"), Fields({"title"}), ""),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("films/blue")));
  EXPECT_THAT(store_->Update("blue", Titled("Blue"), Fields({"title"}), "r1"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("films/blue")));
  EXPECT_EQ(store_->revision(), 1);
  EXPECT_THAT(store_->Get("blue"), StatusIs(absl::StatusCode::kNotFound, _));
}

TEST_F(FilmStoreTest, UpdateThatWouldInvalidateTheFilmIsRejected) {
  const WriteResult created = MustCreate("red", RedShoes());

  EXPECT_THAT(
      store_->Update("red", Titled(""), Fields({"title"}), ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("film.title")));

  Film bad_year;
  bad_year.set_year(1869);
  EXPECT_THAT(
      store_->Update("red", bad_year, Fields({"year"}), ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("film.year")));

  Film duplicate_scenes;
  for (int i = 0; i < 2; ++i) {
    auto* scene = duplicate_scenes.add_scenes();
    scene->set_scene_id("s1");
    scene->set_title("Scene");
  }
  EXPECT_THAT(store_->Update("red", duplicate_scenes, Fields({"scenes"}), ""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("film.scenes[1].scene_id")));

  // "*" without a title clears it, which is not allowed.
  Film untitled;
  untitled.set_year(1948);
  EXPECT_THAT(
      store_->Update("red", untitled, Fields({"*"}), ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("film.title")));

  EXPECT_EQ(store_->revision(), 1);
  EXPECT_THAT(store_->Get("red"), IsOkAndHolds(EqualsProto(created.film)));
  EXPECT_EQ(AllChanges().size(), 1u);
}

// --- Delete ---

TEST_F(FilmStoreTest, DeleteMissingFilmIsNotFound) {
  EXPECT_THAT(store_->Delete("ghost", ""),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("films/ghost")));
  EXPECT_EQ(store_->revision(), 0);
}

TEST_F(FilmStoreTest, DeleteWithStaleEtagIsAbortedAndKeepsTheFilm) {
  const WriteResult created = MustCreate("red", RedShoes());
  ASSERT_OK_AND_ASSIGN(
      WriteResult updated,
      store_->Update("red", Titled("New"), Fields({"title"}), ""));

  EXPECT_THAT(store_->Delete("red", created.film.etag()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("etag")));
  EXPECT_EQ(store_->revision(), 2);
  EXPECT_THAT(store_->Get("red"), IsOkAndHolds(EqualsProto(updated.film)));
}

TEST_F(FilmStoreTest, DeleteRemovesTheFilm) {
  const WriteResult created = MustCreate("red", RedShoes());
  MustCreate("blue", Titled("Blue"));

  ASSERT_OK_AND_ASSIGN(WriteResult deleted,
                       store_->Delete("red", created.film.etag()));

  EXPECT_EQ(deleted.revision, 3);
  EXPECT_THAT(deleted.film, EqualsProto(Film()));
  EXPECT_EQ(store_->revision(), 3);
  EXPECT_THAT(store_->Get("red"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("films/red")));
  EXPECT_THAT(ListedNames("", 10), ElementsAre("films/blue"));
  EXPECT_THAT(store_->Delete("red", ""),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("films/red")));
  EXPECT_THAT(store_->Update("red", Titled("x"), Fields({"title"}), ""),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("films/red")));
}

TEST_F(FilmStoreTest, DeleteEmitsADeletedEvent) {
  MustCreate("red", RedShoes());
  ASSERT_OK(store_->Delete("red", ""));

  std::vector<FilmEvent> events = AllChanges(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), FilmEvent::EVENT_TYPE_DELETED);
  EXPECT_EQ(events[0].revision(), 2);
  EXPECT_EQ(events[0].name(), "films/red");
  EXPECT_FALSE(events[0].has_film());
}

TEST_F(FilmStoreTest, RecreatingADeletedFilmStartsAfresh) {
  const WriteResult first = MustCreate("red", RedShoes());
  ASSERT_OK(store_->Delete("red", ""));
  absl::SleepFor(absl::Milliseconds(2));

  ASSERT_OK_AND_ASSIGN(WriteResult again,
                       store_->Create("red", Titled("Red again"), ""));

  EXPECT_EQ(again.revision, 3);
  EXPECT_EQ(again.film.title(), "Red again");
  EXPECT_EQ(again.film.year(), 0);
  EXPECT_NE(again.film.etag(), first.film.etag());
  EXPECT_GT(ToTime(again.film.create_time()), ToTime(first.film.create_time()));
}

// --- Idempotent creates ---

TEST_F(FilmStoreTest, RetriedCreateReturnsTheFirstResponse) {
  ASSERT_OK_AND_ASSIGN(WriteResult first,
                       store_->Create("red", RedShoes(), "req-1"));
  ASSERT_OK_AND_ASSIGN(WriteResult retry,
                       store_->Create("red", RedShoes(), "req-1"));

  EXPECT_EQ(retry.revision, first.revision);
  EXPECT_EQ(retry.revision, 1);
  EXPECT_THAT(retry.film, EqualsProto(first.film));
  EXPECT_EQ(store_->revision(), 1);
  EXPECT_EQ(AllChanges().size(), 1u);
  // Only one revision was consumed.
  EXPECT_EQ(MustCreate("blue", Titled("Blue")).revision, 2);
}

TEST_F(FilmStoreTest, RetryIgnoresOutputOnlyFieldsOfTheRequest) {
  ASSERT_OK_AND_ASSIGN(WriteResult first,
                       store_->Create("red", RedShoes(), "req-1"));
  Film resent = RedShoes();
  resent.set_name("films/red");
  resent.set_etag(first.film.etag());
  resent.set_revision(1);
  ASSERT_OK_AND_ASSIGN(WriteResult retry,
                       store_->Create("red", resent, "req-1"));
  EXPECT_THAT(retry.film, EqualsProto(first.film));
  EXPECT_EQ(store_->revision(), 1);
}

TEST_F(FilmStoreTest, RetryAfterLaterWritesStillReturnsTheFirstResponse) {
  ASSERT_OK_AND_ASSIGN(WriteResult first,
                       store_->Create("red", RedShoes(), "req-1"));
  ASSERT_OK(store_->Update("red", Titled("Changed"), Fields({"title"}), ""));

  ASSERT_OK_AND_ASSIGN(WriteResult retry,
                       store_->Create("red", RedShoes(), "req-1"));
  EXPECT_THAT(retry.film, EqualsProto(first.film));
  EXPECT_EQ(retry.revision, 1);
  EXPECT_EQ(store_->revision(), 2);
  // A create without the key is an ordinary conflict.
  EXPECT_THAT(
      store_->Create("red", RedShoes(), ""),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("films/red")));
}

TEST_F(FilmStoreTest, RequestIdReusedForADifferentRequestIsInvalidArgument) {
  MustCreate("red", RedShoes(), "req-1");

  Film other = RedShoes();
  other.set_year(1949);
  EXPECT_THAT(
      store_->Create("red", other, "req-1"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  // Same film under another id is a different request too.
  EXPECT_THAT(
      store_->Create("blue", RedShoes(), "req-1"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  EXPECT_EQ(store_->revision(), 1);
  EXPECT_THAT(store_->Get("blue"), StatusIs(absl::StatusCode::kNotFound, _));
}

TEST_F(FilmStoreTest, DistinctRequestIdsAreIndependent) {
  MustCreate("red", RedShoes(), "req-1");
  ASSERT_OK_AND_ASSIGN(WriteResult blue,
                       store_->Create("blue", Titled("Blue"), "req-2"));
  EXPECT_EQ(blue.revision, 2);
  // A new key for an existing film is a conflict, not a replay.
  EXPECT_THAT(
      store_->Create("red", RedShoes(), "req-3"),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("films/red")));
}

TEST_F(FilmStoreTest, RequestIdsSurviveReopening) {
  ASSERT_OK_AND_ASSIGN(WriteResult first,
                       store_->Create("red", RedShoes(), "req-1"));
  ASSERT_NO_FATAL_FAILURE(Reopen());

  ASSERT_OK_AND_ASSIGN(WriteResult retry,
                       store_->Create("red", RedShoes(), "req-1"));
  EXPECT_THAT(retry.film, EqualsProto(first.film));
  EXPECT_EQ(store_->revision(), 1);
  EXPECT_THAT(
      store_->Create("red", Titled("Other"), "req-1"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
}

TEST_F(FilmStoreTest, MaintenanceKeepsRequestIdsWithinRetention) {
  ASSERT_OK_AND_ASSIGN(WriteResult first,
                       store_->Create("red", RedShoes(), "req-1"));
  ASSERT_OK(store_->RunMaintenance());
  EXPECT_THAT(
      store_->Create("red", RedShoes(), "req-1"),
      IsOkAndHolds(::testing::Field(&WriteResult::revision, first.revision)));
}

TEST_F(FilmStoreTest, MaintenanceForgetsExpiredRequestIds) {
  store_.reset();
  FilmStoreOptions options = Options();
  options.request_id_retention = absl::Milliseconds(1);
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  MustCreate("red", RedShoes(), "req-1");
  absl::SleepFor(absl::Milliseconds(5));

  ASSERT_OK(store_->RunMaintenance());

  // The key is forgotten: the retry is now an ordinary conflict and the key
  // can be used for something else.
  EXPECT_THAT(
      store_->Create("red", RedShoes(), "req-1"),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("films/red")));
  EXPECT_THAT(store_->Create("blue", Titled("Blue"), "req-1"),
              IsOkAndHolds(::testing::Field(&WriteResult::revision, 2)));
}

// --- List ---

TEST_F(FilmStoreTest, ListPagesInIdOrder) {
  for (const char* id : {"e", "b", "g", "a", "f", "c", "d"}) {
    MustCreate(id, Titled(std::string("Film ") + id));
  }
  bool has_more = false;
  EXPECT_THAT(ListedNames("", 3, &has_more),
              ElementsAre("films/a", "films/b", "films/c"));
  EXPECT_TRUE(has_more);
  EXPECT_THAT(ListedNames("c", 3, &has_more),
              ElementsAre("films/d", "films/e", "films/f"));
  EXPECT_TRUE(has_more);
  EXPECT_THAT(ListedNames("f", 3, &has_more), ElementsAre("films/g"));
  EXPECT_FALSE(has_more);
  EXPECT_THAT(ListedNames("g", 3, &has_more), IsEmpty());
  EXPECT_FALSE(has_more);
  // A page that ends exactly at the last film has no more.
  EXPECT_THAT(ListedNames("d", 3, &has_more),
              ElementsAre("films/e", "films/f", "films/g"));
  EXPECT_FALSE(has_more);
  // after_id need not exist.
  EXPECT_THAT(ListedNames("cc", 2, &has_more),
              ElementsAre("films/d", "films/e"));
  EXPECT_TRUE(has_more);
  EXPECT_THAT(ListedNames("", 100, &has_more), ::testing::SizeIs(7));
  EXPECT_FALSE(has_more);
}

TEST_F(FilmStoreTest, ListOrdersByIdBytes) {
  for (const char* id : {"b", "B", "a:1", "a", "a-", "wp:Z", "wp:a", "0"}) {
    MustCreate(id, Titled(id));
  }
  EXPECT_THAT(ListedNames("", 100),
              ElementsAre("films/0", "films/B", "films/a", "films/a-",
                          "films/a:1", "films/b", "films/wp:Z", "films/wp:a"));
}

TEST_F(FilmStoreTest, ListPageCarriesItsRevisionAndFullFilms) {
  const WriteResult a = MustCreate("a", RedShoes());
  MustCreate("b", Titled("B"));
  ASSERT_OK(store_->Delete("b", ""));

  ASSERT_OK_AND_ASSIGN(FilmStore::ListPage page, store_->List("", 10));
  EXPECT_EQ(page.revision, 3);
  ASSERT_EQ(page.films.size(), 1u);
  EXPECT_THAT(page.films[0], EqualsProto(a.film));
  EXPECT_FALSE(page.has_more);
}

TEST_F(FilmStoreTest, ListCursorSkipsFilmsCreatedBehindIt) {
  for (const char* id : {"b", "d", "f"}) MustCreate(id, Titled(id));
  bool has_more = false;
  EXPECT_THAT(ListedNames("", 2, &has_more), ElementsAre("films/b", "films/d"));
  ASSERT_TRUE(has_more);

  MustCreate("a", Titled("behind"));
  MustCreate("c", Titled("behind"));
  MustCreate("e", Titled("ahead"));
  ASSERT_OK(store_->Delete("f", ""));

  ASSERT_OK_AND_ASSIGN(FilmStore::ListPage page, store_->List("d", 2));
  ASSERT_EQ(page.films.size(), 1u);
  EXPECT_EQ(page.films[0].name(), "films/e");
  EXPECT_FALSE(page.has_more);
  EXPECT_EQ(page.revision, 7);
}

// --- Import ---

std::vector<ImportItem> Items(
    std::initializer_list<std::pair<std::string, std::string>> id_titles) {
  std::vector<ImportItem> items;
  for (const auto& [id, title] : id_titles) {
    items.push_back(ImportItem{id, Titled(title)});
  }
  return items;
}

TEST_F(FilmStoreTest, ImportWritesGoodItemsAndRejectsConflictsAlone) {
  const WriteResult old = MustCreate("old", Titled("Old"));
  std::vector<int64_t> commits;
  store_->SetCommitListener(
      [&](int64_t revision) { commits.push_back(revision); });

  ASSERT_OK_AND_ASSIGN(auto results,
                       store_->Import(Items({{"new-1", "First"},
                                             {"new-1", "Duplicate"},
                                             {"old", "Not replaced"},
                                             {"new-2", "Second"}}),
                                      /*replace_existing=*/false));

  ASSERT_EQ(results.size(), 4u);
  ASSERT_OK(results[0].status());
  EXPECT_EQ(results[0]->revision, 2);
  EXPECT_EQ(results[0]->film.name(), "films/new-1");
  EXPECT_EQ(results[0]->film.title(), "First");
  EXPECT_THAT(results[1], StatusIs(absl::StatusCode::kAlreadyExists,
                                   HasSubstr("films/new-1")));
  EXPECT_THAT(results[2], StatusIs(absl::StatusCode::kAlreadyExists,
                                   HasSubstr("films/old")));
  ASSERT_OK(results[3].status());
  EXPECT_EQ(results[3]->revision, 3);
  EXPECT_EQ(results[3]->film.title(), "Second");

  // One commit for the whole batch.
  EXPECT_THAT(commits, ElementsAre(3));
  EXPECT_EQ(store_->revision(), 3);
  EXPECT_THAT(store_->Get("new-1"),
              IsOkAndHolds(EqualsProto(results[0]->film)));
  EXPECT_THAT(store_->Get("new-2"),
              IsOkAndHolds(EqualsProto(results[3]->film)));
  EXPECT_THAT(store_->Get("old"), IsOkAndHolds(EqualsProto(old.film)));

  std::vector<FilmEvent> events = AllChanges(1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(events[0].name(), "films/new-1");
  EXPECT_EQ(events[0].revision(), 2);
  EXPECT_EQ(events[1].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(events[1].name(), "films/new-2");
  EXPECT_EQ(events[1].revision(), 3);
}

TEST_F(FilmStoreTest, ImportWithReplaceExistingReplacesAndEmitsUpdated) {
  const WriteResult old = MustCreate("old", RedShoes());
  absl::SleepFor(absl::Milliseconds(2));

  ASSERT_OK_AND_ASSIGN(
      auto results,
      store_->Import(Items({{"old", "Replaced"}, {"fresh", "Fresh"}}),
                     /*replace_existing=*/true));

  ASSERT_EQ(results.size(), 2u);
  ASSERT_OK(results[0].status());
  ASSERT_OK(results[1].status());
  const Film& replaced = results[0]->film;
  EXPECT_EQ(results[0]->revision, 2);
  EXPECT_EQ(replaced.name(), "films/old");
  EXPECT_EQ(replaced.revision(), 2);
  EXPECT_NE(replaced.etag(), old.film.etag());
  // Replaced wholesale (not merged), but the film keeps its creation time.
  EXPECT_THAT(Mutable(replaced), EqualsProto(Titled("Replaced")));
  EXPECT_THAT(replaced.create_time(), EqualsProto(old.film.create_time()));
  EXPECT_GT(ToTime(replaced.update_time()), ToTime(old.film.update_time()));
  EXPECT_THAT(store_->Get("old"), IsOkAndHolds(EqualsProto(replaced)));

  std::vector<FilmEvent> events = AllChanges(1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type(), FilmEvent::EVENT_TYPE_UPDATED);
  EXPECT_EQ(events[0].name(), "films/old");
  EXPECT_THAT(events[0].film(), EqualsProto(replaced));
  EXPECT_EQ(events[1].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(events[1].name(), "films/fresh");
}

TEST_F(FilmStoreTest, ImportRejectsARepeatedIdEvenWhenReplacing) {
  // "An item that ... repeats an earlier item's id is rejected alone."
  ASSERT_OK_AND_ASSIGN(
      auto results,
      store_->Import(Items({{"a", "First"}, {"a", "Repeat"}, {"b", "B"}}),
                     /*replace_existing=*/true));
  ASSERT_EQ(results.size(), 3u);
  ASSERT_OK(results[0].status());
  EXPECT_FALSE(results[1].ok());
  EXPECT_THAT(results[1].status().message(), HasSubstr("films/a"));
  ASSERT_OK(results[2].status());

  EXPECT_EQ(store_->revision(), 2);
  EXPECT_THAT(store_->Get("a"),
              IsOkAndHolds(::testing::Property(&Film::title, "First")));
  EXPECT_EQ(AllChanges().size(), 2u);
}

TEST_F(FilmStoreTest, ImportIgnoresOutputOnlyFields) {
  std::vector<ImportItem> items(1);
  items[0].film_id = "red";
  items[0].film = RedShoes();
  items[0].film.set_name("films/other");
  items[0].film.set_revision(42);
  items[0].film.set_etag("forged");
  items[0].film.mutable_create_time()->set_seconds(1);

  ASSERT_OK_AND_ASSIGN(auto results, store_->Import(std::move(items), false));
  ASSERT_EQ(results.size(), 1u);
  ASSERT_OK(results[0].status());
  EXPECT_EQ(results[0]->film.name(), "films/red");
  EXPECT_EQ(results[0]->film.revision(), 1);
  EXPECT_NE(results[0]->film.etag(), "forged");
  EXPECT_GT(results[0]->film.create_time().seconds(), 1);
  EXPECT_THAT(Mutable(results[0]->film), EqualsProto(RedShoes()));
  EXPECT_THAT(store_->Get("other"), StatusIs(absl::StatusCode::kNotFound, _));
}

TEST_F(FilmStoreTest, ImportOfNothingWritesNothing) {
  MustCreate("a", Titled("A"));
  ASSERT_OK_AND_ASSIGN(auto results, store_->Import({}, false));
  EXPECT_THAT(results, IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto conflicts,
                       store_->Import(Items({{"a", "again"}}), false));
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_THAT(conflicts[0], StatusIs(absl::StatusCode::kAlreadyExists, _));
  EXPECT_EQ(store_->revision(), 1);
  EXPECT_EQ(AllChanges().size(), 1u);
}

// --- Commit listener ---

TEST_F(FilmStoreTest, CommitListenerSeesEachCommittedRevision) {
  std::vector<int64_t> commits;
  store_->SetCommitListener(
      [&](int64_t revision) { commits.push_back(revision); });
  MustCreate("a", Titled("A"));
  ASSERT_OK(store_->Update("a", Titled("B"), Fields({"title"}), ""));
  EXPECT_FALSE(store_->Create("a", Titled("again"), "").ok());
  EXPECT_FALSE(store_->Delete("missing", "").ok());
  ASSERT_OK(store_->Delete("a", ""));
  EXPECT_THAT(commits, ElementsAre(1, 2, 3));
}

// --- Durability ---

TEST_F(FilmStoreTest, ReopeningRecoversFilmsRevisionAndChangeLog) {
  const WriteResult red = MustCreate("red", RedShoes());
  MustCreate("blue", Titled("Blue"));
  ASSERT_OK_AND_ASSIGN(WriteResult red2,
                       store_->Update("red", Titled("Red 2"), Fields({"title"}),
                                      red.film.etag()));
  ASSERT_OK(store_->Delete("blue", ""));
  const std::vector<FilmEvent> before = AllChanges();
  ASSERT_EQ(before.size(), 4u);

  ASSERT_NO_FATAL_FAILURE(Reopen());

  EXPECT_EQ(store_->revision(), 4);
  EXPECT_THAT(store_->Get("red"), IsOkAndHolds(EqualsProto(red2.film)));
  EXPECT_THAT(store_->Get("blue"), StatusIs(absl::StatusCode::kNotFound, _));
  const std::vector<FilmEvent> after = AllChanges();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_THAT(after[i], EqualsProto(before[i])) << "event " << i;
  }
  // The etag from before the restart still guards updates.
  EXPECT_THAT(
      store_->Update("red", Titled("x"), Fields({"title"}), red.film.etag()),
      StatusIs(absl::StatusCode::kAborted, _));
  ASSERT_OK(store_->Update("red", Titled("Red 3"), Fields({"title"}),
                           red2.film.etag()));

  // The counter continues where it stopped.
  EXPECT_EQ(store_->revision(), 5);
  EXPECT_EQ(MustCreate("green", Titled("Green")).revision, 6);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store_->revision(), 6);
  EXPECT_THAT(ListedNames("", 10), ElementsAre("films/green", "films/red"));
}

TEST_F(FilmStoreTest, SyncedWritesSurviveReopening) {
  store_.reset();
  FilmStoreOptions options = Options();
  options.sync_writes = true;
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  for (int i = 0; i < 20; ++i) {
    MustCreate("film-" + std::to_string(100 + i), Titled("F"));
  }
  ASSERT_OK(store_->Delete("film-105", ""));
  store_.reset();
  ASSERT_NO_FATAL_FAILURE(OpenWith(options));
  EXPECT_EQ(store_->revision(), 21);
  EXPECT_THAT(ListedNames("", 100), ::testing::SizeIs(19));
  EXPECT_EQ(AllChanges().size(), 21u);
  EXPECT_EQ(MustCreate("film-200", Titled("F")).revision, 22);
}

}  // namespace
}  // namespace reel::catalog
