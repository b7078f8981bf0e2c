// IndexStore on a real RocksDB in a temp dir: round trips, atomic replace,
// all-or-nothing batches, reopening.
#include "search-service/feed/index_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::testing::StatusIs;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Film MakeFilm(const std::string& id, const std::string& title) {
  Film film;
  film.set_name("films/" + id);
  film.set_title(title);
  auto* scene = film.add_scenes();
  scene->set_scene_id("s1");
  scene->set_title(title + " opening");
  return film;
}

FilmEvent Upsert(FilmEvent::EventType type, const Film& film) {
  FilmEvent event;
  event.set_type(type);
  event.set_name(film.name());
  *event.mutable_film() = film;
  return event;
}

FilmEvent Deleted(const std::string& id) {
  FilmEvent event;
  event.set_type(FilmEvent::EVENT_TYPE_DELETED);
  event.set_name("films/" + id);
  return event;
}

// "name=title" per film, in stored order.
std::vector<std::string> Describe(const std::vector<Film>& films) {
  std::vector<std::string> out;
  for (const Film& film : films)
    out.push_back(film.name() + "=" + film.title());
  return out;
}

TEST(IndexStoreTest, NewStoreIsEmpty) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, IndexStore::Open(dir.Join("index")));
  ASSERT_OK_AND_ASSIGN(IndexStore::LoadedState state, store->Load());
  EXPECT_EQ(state.revision, 0);
  EXPECT_THAT(state.films, IsEmpty());
}

TEST(IndexStoreTest, ApplyUpsertsAndDeletes) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, IndexStore::Open(dir.Join("index")));
  ASSERT_OK(store->Apply(
      {Upsert(FilmEvent::EVENT_TYPE_CREATED, MakeFilm("b", "Black Narcissus")),
       Upsert(FilmEvent::EVENT_TYPE_CREATED,
              MakeFilm("a", "A Canterbury Tale"))},
      2));
  ASSERT_OK(store->Apply(
      {Upsert(FilmEvent::EVENT_TYPE_UPDATED, MakeFilm("a", "Canterbury")),
       Deleted("b"),
       Upsert(FilmEvent::EVENT_TYPE_SNAPSHOT, MakeFilm("c", "Peeping Tom"))},
      5));
  ASSERT_OK_AND_ASSIGN(IndexStore::LoadedState state, store->Load());
  EXPECT_EQ(state.revision, 5);
  EXPECT_THAT(Describe(state.films),
              ElementsAre("films/a=Canterbury", "films/c=Peeping Tom"));
  EXPECT_EQ(state.films[0].scenes_size(), 1);

  // An empty batch still records the revision (a progress message).
  ASSERT_OK(store->Apply({}, 7));
  ASSERT_OK_AND_ASSIGN(state, store->Load());
  EXPECT_EQ(state.revision, 7);
  EXPECT_EQ(state.films.size(), 2u);
}

TEST(IndexStoreTest, InvalidBatchWritesNothing) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, IndexStore::Open(dir.Join("index")));
  ASSERT_OK(store->Apply(
      {Upsert(FilmEvent::EVENT_TYPE_CREATED, MakeFilm("a", "A"))}, 1));

  FilmEvent no_film;
  no_film.set_type(FilmEvent::EVENT_TYPE_UPDATED);
  no_film.set_name("films/x");
  EXPECT_THAT(store->Apply({Deleted("a"), no_film}, 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].film")));
  FilmEvent unspecified = Deleted("a");
  unspecified.set_type(FilmEvent::EVENT_TYPE_UNSPECIFIED);
  EXPECT_THAT(store->Apply({unspecified}, 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].type")));
  EXPECT_THAT(
      store->Replace({Film()}, 2, "h1"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("films[0].name")));
  EXPECT_THAT(store->Apply({}, -1),
              StatusIs(absl::StatusCode::kInvalidArgument, _));

  ASSERT_OK_AND_ASSIGN(IndexStore::LoadedState state, store->Load());
  EXPECT_EQ(state.revision, 1);
  EXPECT_THAT(Describe(state.films), ElementsAre("films/a=A"));
}

TEST(IndexStoreTest, ReplaceSwapsEverything) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto store, IndexStore::Open(dir.Join("index")));
  ASSERT_OK(
      store->Apply({Upsert(FilmEvent::EVENT_TYPE_CREATED, MakeFilm("a", "A")),
                    Upsert(FilmEvent::EVENT_TYPE_CREATED, MakeFilm("b", "B")),
                    Upsert(FilmEvent::EVENT_TYPE_CREATED, MakeFilm("c", "C"))},
                   3));
  ASSERT_OK(
      store->Replace({MakeFilm("c", "C2"), MakeFilm("d", "D")}, 10, "h1"));
  ASSERT_OK_AND_ASSIGN(IndexStore::LoadedState state, store->Load());
  EXPECT_EQ(state.revision, 10);
  EXPECT_EQ(state.history_id, "h1");
  EXPECT_THAT(Describe(state.films), ElementsAre("films/c=C2", "films/d=D"));

  // Replacing with nothing (an empty catalog) empties the store.
  ASSERT_OK(store->Replace({}, 11, "h2"));
  ASSERT_OK_AND_ASSIGN(state, store->Load());
  EXPECT_EQ(state.revision, 11);
  EXPECT_EQ(state.history_id, "h2");
  EXPECT_THAT(state.films, IsEmpty());
}

TEST(IndexStoreTest, ReopenKeepsState) {
  testing::TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto store, IndexStore::Open(dir.Join("index")));
    ASSERT_OK(
        store->Replace({MakeFilm("a", "A"), MakeFilm("b", "B")}, 4, "h1"));
    ASSERT_OK(store->Apply({Deleted("a")}, 6));
    EXPECT_GT(store->DiskBytes(), 0u);

    // The directory is locked while open.
    EXPECT_THAT(IndexStore::Open(dir.Join("index")), Not(testing::IsOk()));
  }
  ASSERT_OK_AND_ASSIGN(auto store, IndexStore::Open(dir.Join("index")));
  ASSERT_OK_AND_ASSIGN(IndexStore::LoadedState state, store->Load());
  EXPECT_EQ(state.revision, 6);
  EXPECT_EQ(state.history_id, "h1");  // Kept by Apply and across a reopen.
  EXPECT_THAT(Describe(state.films), ElementsAre("films/b=B"));
}

TEST(IndexStoreTest, OpenRequiresDirectory) {
  EXPECT_THAT(IndexStore::Open(""),
              StatusIs(absl::StatusCode::kInvalidArgument, _));
}

}  // namespace
}  // namespace reel::search
