// SceneIndex over real data: The Red Shoes page and the small corpus, parsed
// by the real importer and analysed by the real analyzer.
#include "search-service/index/scene_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "search-service/query/query.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;
using ::testing::ElementsAre;

class SceneIndexTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analyzer_ = text::Analyzer::Create().value().release();
    red_shoes_ = new std::vector<Film>(
        testing::LoadSharedFilms("seed/the-red-shoes.txt"));
    small_ = new std::vector<Film>(
        testing::LoadSharedFilms("corpus/films-small.jsonl"));
  }

  void SetUp() override {
    index_ = std::make_unique<SceneIndex>(
        std::shared_ptr<const text::Analyzer>(analyzer_, [](auto*) {}));
    for (const Film& film : *small_) index_->UpsertFilm(film);
    for (const Film& film : *red_shoes_) index_->UpsertFilm(film);
  }

  SearchResult Search(const std::string& query, SearchOptions options = {}) {
    auto parsed = ParseQuery(query, *analyzer_);
    EXPECT_TRUE(parsed.ok()) << query << ": " << parsed.status();
    if (!parsed.ok()) return {};
    return index_->Search(*parsed, options);
  }

  // "film_name#scene_id" of each hit.
  static std::vector<std::string> Keys(const SearchResult& result) {
    std::vector<std::string> keys;
    for (const SceneHit& hit : result.hits) {
      keys.push_back(absl::StrCat(hit.film_name(), "#", hit.scene_id()));
    }
    return keys;
  }

  static inline const text::Analyzer* analyzer_ = nullptr;
  static inline std::vector<Film>* red_shoes_ = nullptr;
  static inline std::vector<Film>* small_ = nullptr;
  std::unique_ptr<SceneIndex> index_;
};

TEST_F(SceneIndexTest, IndexesEveryScene) {
  IndexStats stats = index_->stats();
  EXPECT_EQ(stats.films, 201);
  EXPECT_EQ(stats.scenes, 832 + 9);
  EXPECT_GT(stats.terms, 5000);
}

TEST_F(SceneIndexTest, RedShoesDanceFindsTheRedShoesFirst) {
  SearchResult result = Search("red shoes dance");
  ASSERT_GE(result.hits.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(result.hits[i].film_name(), "films/the-red-shoes") << i;
    EXPECT_EQ(result.hits[i].matched_clauses, 3) << i;
  }
  // Scores never increase down the list within one tier.
  for (size_t i = 1; i < result.hits.size(); ++i) {
    if (result.hits[i].matched_clauses == result.hits[i - 1].matched_clauses) {
      EXPECT_LE(result.hits[i].score, result.hits[i - 1].score);
    } else {
      EXPECT_LT(result.hits[i].matched_clauses,
                result.hits[i - 1].matched_clauses);
    }
  }
  EXPECT_GE(result.total_matches, static_cast<int64_t>(result.hits.size()));
}

TEST_F(SceneIndexTest, TypoStemPrefixAndPhrase) {
  // "ballerina" is in the synopsis, which every Red Shoes scene carries.
  EXPECT_EQ(Search("ballerna").hits.at(0).film_name(), "films/the-red-shoes");
  EXPECT_EQ(Search("Lermontof").hits.at(0).film_name(), "films/the-red-shoes");
  EXPECT_EQ(Search("Ballerína").hits.at(0).film_name(), "films/the-red-shoes");
  // Stemming: "dances" matches "dance"/"dancing".
  // Quoted, so neither typos nor prefixes widen either side.
  EXPECT_GT(Search("\"dances\"").total_matches, 0);
  EXPECT_EQ(Search("\"dances\"").total_matches,
            Search("\"dancing\"").total_matches);
  // Prefix, with the title field weighted up.
  EXPECT_THAT(Keys(Search("title:audit*")),
              ElementsAre("films/the-red-shoes#s1"));
  SearchResult phrase = Search("\"forget anything but ballet\"");
  EXPECT_EQ(phrase.total_matches, 9);
  // Words in the wrong order are not the phrase.
  EXPECT_EQ(Search("\"ballet but anything forget\"").total_matches, 0);
  // No typos inside quotes.
  EXPECT_EQ(Search("\"ballerna\"").total_matches, 0);
  // Short words get no typo tolerance: "shoe" is not "show".
  SearchResult shoe = Search("shoe ");
  ASSERT_FALSE(shoe.hits.empty());
  for (const SceneHit& hit : shoe.hits) {
    std::string all;
    for (int f = 0; f < kFieldCount; ++f) {
      absl::StrAppend(&all, hit.text(static_cast<Field>(f)), " ");
    }
    EXPECT_NE(absl::AsciiStrToLower(all).find("shoe"), std::string::npos)
        << hit.film_name();
  }
}

TEST_F(SceneIndexTest, ExclusionScopesAndFilters) {
  SearchResult all = Search("red shoes");
  SearchResult without = Search("red shoes -audition");
  EXPECT_EQ(without.total_matches, all.total_matches - 1);
  for (const SceneHit& hit : without.hits) {
    EXPECT_NE(
        hit.scene_id() == "s1" && hit.film_name() == "films/the-red-shoes",
        true);
  }
  EXPECT_THAT(Keys(Search("title:rehearsal")),
              ElementsAre("films/the-red-shoes#s2"));
  EXPECT_EQ(Search("context:catalyst").total_matches, 1);
  EXPECT_EQ(Search("film:\"red shoes\"").total_matches, 9);

  SearchOptions only_red_shoes;
  only_red_shoes.filter.film_names = {"films/the-red-shoes"};
  EXPECT_EQ(Search("the", only_red_shoes).total_matches, 9);
  SearchOptions years;
  years.filter.year_min = 1930;
  years.filter.year_max = 1939;
  SearchResult thirties = Search("murder", years);
  ASSERT_GT(thirties.total_matches, 0);
  for (const SceneHit& hit : thirties.hits) {
    EXPECT_GE(hit.film->year(), 1930);
    EXPECT_LE(hit.film->year(), 1939);
  }
  SearchOptions crime;
  crime.filter.genres = {"CRIME"};
  crime.filter.directors = {"walter forde"};
  SearchResult forde = Search("judge", crime);
  EXPECT_THAT(Keys(forde),
              ::testing::Contains("films/wp:Condemned_to_Death#s1"));
}

TEST_F(SceneIndexTest, EveryScenePhraseFindsItsScene) {
  // A property over real text: a 4-word window of any scene, searched as a
  // phrase, returns that scene.
  int checked = 0;
  for (size_t f = 0; f < small_->size(); f += 7) {
    const Film& film = (*small_)[f];
    const auto& scene = film.scenes(0);
    std::vector<std::string> words =
        absl::StrSplit(scene.description(), ' ', absl::SkipEmpty());
    if (words.size() < 12) continue;
    std::string phrase = absl::StrCat("\"", words[4], " ", words[5], " ",
                                      words[6], " ", words[7], "\"");
    if (phrase.find('"', 1) != phrase.size() - 1) continue;
    SearchOptions options;
    options.max_results = 1000;
    EXPECT_THAT(Keys(Search(phrase, options)),
                ::testing::Contains(absl::StrCat(film.name(), "#s1")))
        << phrase;
    ++checked;
  }
  EXPECT_GT(checked, 15);
}

// A word used more than 255 times in a field saturates its frequency; its
// positions must still all be found.
TEST_F(SceneIndexTest, PhrasesPastASaturatedFrequency) {
  Film film = (*red_shoes_)[0];
  std::string description;
  for (int i = 0; i < 300; ++i) absl::StrAppend(&description, "dance ");
  absl::StrAppend(&description, "zyzzyva spins and dance again");
  film.mutable_scenes(0)->set_description(description);
  index_->UpsertFilm(film);
  EXPECT_THAT(Keys(Search("\"dance zyzzyva\"")),
              ElementsAre("films/the-red-shoes#s1"));
  EXPECT_THAT(Keys(Search("\"and dance again\"")),
              ElementsAre("films/the-red-shoes#s1"));
  EXPECT_EQ(Search("\"zyzzyva dance\"").total_matches, 0);
}

// The typo trie is built by the first look-up after the dictionary
// merges; concurrent searches (as the service runs them, under a shared
// lock) must each get it whole. The fixture's index merged while loading.
TEST_F(SceneIndexTest, ConcurrentTypoSearchesAfterAMergeAgree) {
  const std::vector<std::string> queries = {"lermontof ", "balerina ", "shoos ",
                                            "dacning "};
  auto parse = [&](const std::string& query) {
    auto parsed = ParseQuery(query, *analyzer_);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return *parsed;
  };
  std::vector<std::vector<std::string>> results(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (const std::string& query : queries) {
        const SearchResult result = index_->Search(parse(query), {});
        for (const std::string& key : Keys(result)) results[t].push_back(key);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(results[0], ::testing::Contains("films/the-red-shoes#s1"));
  for (const auto& result : results) EXPECT_EQ(result, results[0]);
  // The same answers single-threaded, once the trie exists.
  std::vector<std::string> again;
  for (const std::string& query : queries) {
    for (const std::string& key : Keys(Search(query))) again.push_back(key);
  }
  EXPECT_EQ(again, results[0]);
}

TEST_F(SceneIndexTest, UpsertReplacesAndRemoveDrops) {
  Film film = (*red_shoes_)[0];
  film.mutable_scenes(0)->set_description("A zyzzyva crawls across the stage.");
  index_->UpsertFilm(film);
  EXPECT_THAT(Keys(Search("zyzzyva")), ElementsAre("films/the-red-shoes#s1"));
  EXPECT_EQ(Search("\"16mm film rolls\"").total_matches, 0);
  EXPECT_EQ(index_->stats().scenes, 832 + 9);
  index_->RemoveFilm("films/the-red-shoes");
  EXPECT_EQ(Search("zyzzyva").total_matches, 0);
  EXPECT_EQ(Search("Lermontov").total_matches, 0);
  EXPECT_GT(index_->dead_fraction(), 0);
  std::unique_ptr<SceneIndex> compacted = index_->Compact();
  EXPECT_EQ(compacted->dead_fraction(), 0);
  EXPECT_EQ(compacted->stats().scenes, 832);
}

TEST_F(SceneIndexTest, OrderIsDeterministic) {
  SearchOptions options;
  options.max_results = 50;
  std::vector<std::string> first = Keys(Search("the war", options));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Keys(Search("the war", options)), first);
  }
}

// Top-k search skips blocks of postings that cannot reach the k-th best
// score: whatever it skips, the best k must be the first k of a longer
// ranking, and every match must still be counted, with tombstones too.
TEST_F(SceneIndexTest, TopKIsThePrefixOfTheFullRanking) {
  const std::vector<std::string> queries = {
      "the ",
      "his ",
      "love ",
      "war ",
      "the war ",
      "it she ",
      "title:the ",
      "film:the ",
      "red shoes ",
      "dan*",
      "murder ",
      "-the love ",
      "\"the war\" ",
      // Several words: counted first, then scored best clause first.
      "love war murder ",
      "two that was ",
      "that drops her ",
      "the his her with ",
      "red shoes dance ballet ",
      "title:love war ",
      "dan* love ",
      "lermontof ballet ",
      "love war -murder ",
      "film:red the dance ",
  };
  auto check = [&](absl::string_view label, const SearchFilter& filter) {
    for (const std::string& query : queries) {
      SearchOptions all;
      all.filter = filter;
      all.max_results = 1000;
      const SearchResult full = Search(query, all);
      ASSERT_LE(full.total_matches, 1000) << query;
      for (int k : {1, 3, 10, 25}) {
        SearchOptions top;
        top.filter = filter;
        top.max_results = k;
        const SearchResult result = Search(query, top);
        SCOPED_TRACE(absl::StrCat(label, " query=", query, " k=", k));
        EXPECT_EQ(result.total_matches, full.total_matches);
        std::vector<std::string> expected = Keys(full);
        expected.resize(std::min<size_t>(k, expected.size()));
        EXPECT_EQ(Keys(result), expected);
      }
    }
  };
  // A one-word query counts its matches from the list's document
  // frequency; an exclusion that excludes nothing takes the general path,
  // which counts them one by one.
  auto check_counts = [&](absl::string_view label) {
    for (const std::string word : {"the", "his", "love", "war", "murder"}) {
      EXPECT_EQ(Search(word + " ").total_matches,
                Search(word + " -zzqxwv ").total_matches)
          << label << " " << word;
    }
  };
  SearchFilter since_1950;
  since_1950.year_min = 1950;
  check("fresh", {});
  check("fresh, filtered", since_1950);
  check_counts("fresh");
  // Tombstones inside blocks: every third film removed.
  for (size_t i = 0; i < small_->size(); i += 3) {
    index_->RemoveFilm((*small_)[i].name());
  }
  check("after removals", {});
  check("after removals, filtered", since_1950);
  check_counts("after removals");
}

// Queries of several words take a path that counts matches before scoring
// any; a phrase that matches nothing sends the same query down the general
// path, which scores every posting. Both must rank alike. (A trailing space
// keeps the last word from being taken as a prefix, as the phrase does.)
TEST_F(SceneIndexTest, SeveralWordsRankAsTheGeneralPathDoes) {
  for (const std::string query :
       {"love war murder", "two that was", "that drops her",
        "red shoes dance ballet", "title:love war", "dan* love",
        "lermontof ballet", "love war -murder", "film:red the dance"}) {
    for (int k : {3, 10, 100}) {
      SearchOptions options;
      options.max_results = k;
      const SearchResult coordinated = Search(query + " ", options);
      const SearchResult general = Search(query + " \"zzqxwv qqzxv\"", options);
      SCOPED_TRACE(absl::StrCat("query=", query, " k=", k));
      EXPECT_GT(coordinated.total_matches, 0);
      EXPECT_EQ(coordinated.total_matches, general.total_matches);
      EXPECT_EQ(Keys(coordinated), Keys(general));
      for (size_t i = 0;
           i < std::min(coordinated.hits.size(), general.hits.size()); ++i) {
        EXPECT_NEAR(coordinated.hits[i].score, general.hits[i].score,
                    1e-5 * general.hits[i].score);
        EXPECT_EQ(coordinated.hits[i].matched_clauses,
                  general.hits[i].matched_clauses);
      }
    }
  }
}

}  // namespace
}  // namespace reel::search
