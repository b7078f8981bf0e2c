// WordMatching::kAll (every word required) against kAny: on hand-made films
// for each query shape (words, phrases, OR, stop words, exclusions,
// prefixes, typos, other orders, facets), and on the small corpus, where a
// kAll search must give exactly the kAny matches that matched every clause.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "search-service/index/scene_index.h"
#include "search-service/query/query.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

Film MakeFilm(const std::string& id, int year,
              const std::vector<std::string>& scenes) {
  Film film;
  film.set_name("films/" + id);
  film.set_title("Film " + id);
  film.set_year(year);
  film.add_genres(year < 1960 ? "Drama" : "Comedy");
  for (size_t i = 0; i < scenes.size(); ++i) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", i + 1));
    scene->set_title(absl::StrCat("Scene ", i + 1));
    scene->set_description(scenes[i]);
  }
  return film;
}

std::vector<std::string> Keys(const SearchResult& result) {
  std::vector<std::string> keys;
  for (const SceneHit& hit : result.hits) {
    keys.push_back(absl::StrCat(hit.film_name(), "#", hit.scene_id()));
  }
  return keys;
}

class WordMatchingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    analyzer_ = text::Analyzer::Create().value();
    index_ = std::make_unique<SceneIndex>(analyzer_);
    index_->UpsertFilm(
        MakeFilm("a", 1948,
                 {"The red shoes dance the ballet of the night.",  // a#s1
                  "Red roses on the stage.",                       // a#s2
                  "A ballet rehearsal in red shoes.",              // a#s3
                  "The end of the ballerina's dance."}));          // a#s4
    index_->UpsertFilm(MakeFilm("b", 1970,
                                {"Blue shoes for the ballet.",   // b#s1
                                 "Shoes, red and worn, alone.",  // b#s2
                                 "The end."}));                  // b#s3
  }

  SearchResult Search(const std::string& query, WordMatching matching,
                      SearchOptions options = {}) {
    auto parsed =
        ParseQuery(query, *analyzer_, ParseOptions{.allow_or_and_slop = true});
    EXPECT_TRUE(parsed.ok()) << query << ": " << parsed.status();
    if (!parsed.ok()) return {};
    options.matching = matching;
    options.max_results = 100;
    return index_->Search(*parsed, options);
  }

  std::shared_ptr<const text::Analyzer> analyzer_;
  std::unique_ptr<SceneIndex> index_;
};

TEST_F(WordMatchingTest, AllRequiresEveryWord) {
  // Any word: every scene but a#s4 and b#s3.
  const SearchResult any = Search("red shoes ballet ", WordMatching::kAny);
  EXPECT_EQ(any.total_matches, 5);
  const SearchResult all = Search("red shoes ballet ", WordMatching::kAll);
  EXPECT_EQ(all.total_matches, 2);
  EXPECT_THAT(Keys(all), UnorderedElementsAre("films/a#s1", "films/a#s3"));
  EXPECT_FALSE(all.more);
}

TEST_F(WordMatchingTest, APhraseIsRequiredWhole) {
  const SearchResult all = Search("\"red shoes\" ballet ", WordMatching::kAll);
  // a#s3 has "red shoes" and "ballet"; b#s2 has both words, not the phrase.
  EXPECT_THAT(Keys(all), UnorderedElementsAre("films/a#s1", "films/a#s3"));
  EXPECT_EQ(all.total_matches, 2);
}

TEST_F(WordMatchingTest, AnOrClauseIsMetByEitherSide) {
  const SearchResult all = Search("red OR blue shoes ", WordMatching::kAll);
  EXPECT_THAT(Keys(all), UnorderedElementsAre("films/a#s1", "films/a#s3",
                                              "films/b#s1", "films/b#s2"));
}

TEST_F(WordMatchingTest, StopWordsStayOptional) {
  // "the" is not in a#s3 or b#s2: both still match every content word.
  const SearchResult all = Search("the red shoes ", WordMatching::kAll);
  EXPECT_THAT(Keys(all),
              UnorderedElementsAre("films/a#s1", "films/a#s3", "films/b#s2"));
  // Where present it still counts and scores: a#s1 has it and ranks first.
  EXPECT_EQ(Keys(all)[0], "films/a#s1");
}

TEST_F(WordMatchingTest, AQueryOfStopWordsNeedsEveryOne) {
  EXPECT_THAT(Keys(Search("of the ", WordMatching::kAll)),
              UnorderedElementsAre("films/a#s1", "films/a#s4"));
  // Any of them, by default: every scene with "the" too.
  EXPECT_EQ(Search("of the ", WordMatching::kAny).total_matches, 5);
}

TEST_F(WordMatchingTest, ExclusionsStillExclude) {
  EXPECT_THAT(Keys(Search("red shoes -ballet ", WordMatching::kAll)),
              ElementsAre("films/b#s2"));
}

TEST_F(WordMatchingTest, PrefixesAndTyposMeetTheirWord) {
  EXPECT_THAT(Keys(Search("balle* red ", WordMatching::kAll)),
              UnorderedElementsAre("films/a#s1", "films/a#s3"));
  EXPECT_THAT(Keys(Search("ballett rehearsal ", WordMatching::kAll)),
              ElementsAre("films/a#s3"));
}

TEST_F(WordMatchingTest, OtherOrdersAndFacetsCountOnlyFullMatches) {
  SearchOptions by_year;
  by_year.sort = SortOrder::kYearDescending;
  by_year.facets = {.genres = 5, .years = 5};
  const SearchResult all = Search("red shoes ", WordMatching::kAll, by_year);
  EXPECT_THAT(Keys(all),
              UnorderedElementsAre("films/b#s2", "films/a#s1", "films/a#s3"));
  EXPECT_EQ(Keys(all)[0], "films/b#s2");  // 1970 before 1948.
  ASSERT_EQ(all.genre_facets.size(), 2u);
  EXPECT_EQ(all.genre_facets[0].value, "Drama");
  EXPECT_EQ(all.genre_facets[0].scenes, 2);
  EXPECT_EQ(all.genre_facets[1].scenes, 1);

  // Facets beside a relevance page come from their own counting pass.
  SearchOptions relevance_facets;
  relevance_facets.max_results = 1;
  relevance_facets.facets = {.genres = 5};
  const SearchResult counted =
      Search("red shoes ballet ", WordMatching::kAll, relevance_facets);
  ASSERT_EQ(counted.genre_facets.size(), 1u);
  EXPECT_EQ(counted.genre_facets[0].scenes, 2);
}

TEST_F(WordMatchingTest, NoSceneHasEveryWord) {
  const SearchResult all = Search("blue roses ", WordMatching::kAll);
  EXPECT_THAT(Keys(all), IsEmpty());
  EXPECT_EQ(all.total_matches, 0);
}

// On real films: every-word matches are exactly the any-word matches that
// matched every clause (queries without stop words, so matched_clauses
// counts content clauses only), through the intersecting path.
TEST(WordMatchingCorpusTest, AllIsTheFullTierOfAny) {
  std::shared_ptr<const text::Analyzer> analyzer =
      text::Analyzer::Create().value();
  SceneIndex index(analyzer);
  for (const Film& film :
       testing::LoadSharedFilms("corpus/films-small.jsonl")) {
    index.UpsertFilm(film);
  }
  const std::vector<std::string> queries = {"love letter ",
                                            "police car ",
                                            "murder night ",
                                            "father son war ",
                                            "ship sea captain ",
                                            "money bank robbery ",
                                            "wedding church ",
                                            "train station night ",
                                            "secret* mission ",
                                            "\"new york\" police ",
                                            "doctor OR nurse hospital "};
  int compared = 0;
  for (const std::string& query : queries) {
    auto parsed =
        ParseQuery(query, *analyzer, ParseOptions{.allow_or_and_slop = true});
    ASSERT_TRUE(parsed.ok()) << query << ": " << parsed.status();
    SearchOptions options;
    options.max_results = 100000;
    options.matching = WordMatching::kAny;
    const SearchResult any = index.Search(*parsed, options);
    options.matching = WordMatching::kAll;
    const SearchResult all = index.Search(*parsed, options);

    const int clauses = static_cast<int>(parsed->clauses.size());
    std::set<std::string> expected;
    for (const SceneHit& hit : any.hits) {
      if (hit.matched_clauses == clauses) {
        expected.insert(absl::StrCat(hit.film_name(), "#", hit.scene_id()));
      }
    }
    const std::vector<std::string> got = Keys(all);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), expected) << query;
    EXPECT_EQ(all.total_matches, static_cast<int64_t>(expected.size()))
        << query;
    EXPECT_EQ(got.size(), expected.size()) << query;  // No duplicates.
    for (size_t i = 1; i < all.hits.size(); ++i) {
      EXPECT_GE(all.hits[i - 1].score, all.hits[i].score) << query;
    }
    // And the top 10 of a top-k search are the first 10 of the full list.
    SearchOptions top;
    top.max_results = 10;
    top.matching = WordMatching::kAll;
    const SearchResult top10 = index.Search(*parsed, top);
    EXPECT_EQ(top10.total_matches, all.total_matches) << query;
    const std::vector<std::string> first(
        got.begin(), got.begin() + std::min<size_t>(10, got.size()));
    EXPECT_EQ(Keys(top10), first) << query;
    if (!expected.empty()) ++compared;
  }
  EXPECT_GE(compared, 6);  // The queries must mostly have full matches.
}

}  // namespace
}  // namespace reel::search
