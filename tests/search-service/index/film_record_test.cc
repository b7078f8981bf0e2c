// FilmRecord: what the index keeps of a film comes back exactly, from real
// films and from awkward ones, takes less memory than the film it came
// from, and reaches search results only when they ask for texts.
#include "search-service/index/film_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "search-service/index/scene_index.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

// `film` less what the index does not keep.
Film Searchable(const Film& film) {
  Film kept;
  kept.set_name(film.name());
  kept.set_title(film.title());
  kept.set_year(film.year());
  *kept.mutable_directors() = film.directors();
  *kept.mutable_genres() = film.genres();
  kept.set_synopsis(film.synopsis());
  for (const auto& scene : film.scenes()) {
    auto* copy = kept.add_scenes();
    copy->set_scene_id(scene.scene_id());
    copy->set_title(scene.title());
    copy->set_description(scene.description());
    copy->set_context(scene.context());
  }
  return kept;
}

void ExpectKeeps(const Film& film) {
  SCOPED_TRACE(film.name());
  const auto record = FilmRecord::FromFilm(film);
  EXPECT_EQ(record->name(), film.name());
  EXPECT_EQ(record->title(), film.title());
  EXPECT_EQ(record->year(), film.year());
  EXPECT_THAT(record->genres(), ::testing::ElementsAreArray(film.genres()));
  EXPECT_THAT(record->directors(),
              ::testing::ElementsAreArray(film.directors()));
  ASSERT_EQ(record->scene_count(), film.scenes_size());
  auto texts = record->LoadTexts();
  ASSERT_TRUE(texts.ok()) << texts.status();
  EXPECT_EQ((*texts)->synopsis(), film.synopsis());
  for (int s = 0; s < film.scenes_size(); ++s) {
    EXPECT_EQ(record->scene_id(s), film.scenes(s).scene_id());
    EXPECT_EQ((*texts)->scene_title(s), film.scenes(s).title());
    EXPECT_EQ((*texts)->description(s), film.scenes(s).description());
    EXPECT_EQ((*texts)->context(s), film.scenes(s).context());
  }
  auto back = record->ToFilm();
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->SerializeAsString(), Searchable(film).SerializeAsString());
}

TEST(FilmRecordTest, EveryFilmOfTheSmallCorpusComesBackExactly) {
  const std::vector<Film> films =
      testing::LoadSharedFilms("corpus/films-small.jsonl");
  ASSERT_GT(films.size(), 100u);
  for (const Film& film : films) ExpectKeeps(film);
}

TEST(FilmRecordTest, AwkwardFilmsComeBackExactly) {
  Film empty;
  empty.set_name("films/empty");
  ExpectKeeps(empty);

  Film awkward;
  awkward.set_name("films/awkward");
  awkward.set_title("Ünïcödé 映画");
  awkward.set_synopsis(std::string(1, '\0') + "nul inside" +
                       std::string(1, '\0'));
  awkward.add_genres("Drama");
  awkward.add_genres("drama");
  auto* blank = awkward.add_scenes();
  blank->set_scene_id("");  // Empty texts and id between full ones.
  auto* full = awkward.add_scenes();
  full->set_scene_id("a-rather-longer-scene-id-than-most");
  // Lengths past one, two and three varint bytes.
  full->set_title(std::string(200, 'x'));
  full->set_description(std::string(20000, 'y'));
  full->set_context(std::string(3'000'000, 'z'));
  awkward.add_scenes()->set_scene_id("s3");
  ExpectKeeps(awkward);
}

TEST(FilmRecordTest, TakesLessMemoryThanTheFilm) {
  const std::vector<Film> films =
      testing::LoadSharedFilms("corpus/films-small.jsonl");
  int64_t record_bytes = 0, film_bytes = 0;
  for (const Film& film : films) {
    record_bytes += FilmRecord::FromFilm(film)->memory_bytes();
    film_bytes += static_cast<int64_t>(Searchable(film).SpaceUsedLong());
  }
  EXPECT_LT(record_bytes * 3, film_bytes * 2)
      << record_bytes << " bytes as records, " << film_bytes << " as films";
}

TEST(FilmRecordTest, SearchLoadsTextsOnlyWhenAsked) {
  auto analyzer = std::shared_ptr<const text::Analyzer>(
      text::Analyzer::Create().value().release());
  SceneIndex index(analyzer);
  const std::vector<Film> films =
      testing::LoadSharedFilms("seed/the-red-shoes.txt");
  ASSERT_EQ(films.size(), 1u);
  const Film& film = films[0];
  index.UpsertFilm(film);
  auto query = ParseQuery("red shoes", *analyzer);
  ASSERT_TRUE(query.ok());

  SearchOptions ids_only;
  ids_only.load_texts = false;
  const SearchResult bare = index.Search(*query, ids_only);
  ASSERT_FALSE(bare.hits.empty());
  for (const SceneHit& hit : bare.hits) {
    EXPECT_EQ(hit.texts, nullptr);
    EXPECT_EQ(hit.film_name(), film.name());
    EXPECT_EQ(hit.scene_id(), film.scenes(hit.scene_index).scene_id());
    EXPECT_EQ(hit.text(kFilmTitle), film.title());  // Kept as is.
    EXPECT_EQ(hit.text(kDescription), "");
  }

  const SearchResult full = index.Search(*query, SearchOptions{});
  ASSERT_FALSE(full.hits.empty());
  // The texts outlive the film's removal from the index.
  index.RemoveFilm(film.name());
  for (const SceneHit& hit : full.hits) {
    ASSERT_NE(hit.texts, nullptr);
    EXPECT_EQ(hit.texts, full.hits[0].texts) << "one film, decompressed once";
    const auto& scene = film.scenes(hit.scene_index);
    EXPECT_EQ(hit.text(kSceneTitle), scene.title());
    EXPECT_EQ(hit.text(kDescription), scene.description());
    EXPECT_EQ(hit.text(kContext), scene.context());
    EXPECT_EQ(hit.text(kSynopsis), film.synopsis());
  }
}

}  // namespace
}  // namespace reel::search
