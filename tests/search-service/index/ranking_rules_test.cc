// How matched words rank scenes, on small hand-made films: a field whose
// weight is 0 is not searched; stop words count where present and are
// searched for when nothing else matches.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "search-service/index/scene_index.h"
#include "search-service/query/query.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Film MakeFilm(const std::string& id, const std::string& title,
              const std::string& synopsis,
              const std::vector<std::string>& scenes) {
  Film film;
  film.set_name("films/" + id);
  film.set_title(title);
  film.set_synopsis(synopsis);
  for (size_t i = 0; i < scenes.size(); ++i) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", i + 1));
    scene->set_title(absl::StrCat("Scene ", i + 1));
    scene->set_description(scenes[i]);
  }
  return film;
}

class RankingRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    analyzer_ = text::Analyzer::Create().value();
    index_ = std::make_unique<SceneIndex>(analyzer_);
  }

  SearchResult Search(const std::string& query, SearchOptions options = {}) {
    auto parsed = ParseQuery(query, *analyzer_);
    EXPECT_TRUE(parsed.ok()) << query << ": " << parsed.status();
    if (!parsed.ok()) return {};
    return index_->Search(*parsed, options);
  }

  static std::vector<std::string> Films(const SearchResult& result) {
    std::vector<std::string> names;
    for (const SceneHit& hit : result.hits) {
      names.push_back(absl::StrCat(hit.film_name(), "#", hit.scene_id()));
    }
    return names;
  }

  std::shared_ptr<const text::Analyzer> analyzer_;
  std::unique_ptr<SceneIndex> index_;
};

TEST_F(RankingRulesTest, AFieldWeightedZeroIsNotSearched) {
  index_->UpsertFilm(MakeFilm("spy", "Tinker Tailor Soldier Spy",
                              "Smiley hunts a mole; the trail leads to "
                              "Budapest.",
                              {"A tailor measures a soldier for a coat."}));
  index_->UpsertFilm(MakeFilm("city", "City Lights", "A quiet drama.",
                              {"Night falls over Budapest and its bridges."}));
  const std::string query = "tinker tailor soldier spy budapest";
  // The synopsis counts by default: the spy film matches "budapest" too.
  EXPECT_EQ(Search(query).hits[0].matched_clauses, 5);

  SearchOptions no_synopsis;
  no_synopsis.ranking.field_weights[kSynopsis] = 0;
  SearchResult result = Search(query, no_synopsis);
  ASSERT_EQ(result.hits.size(), 2u);
  EXPECT_EQ(result.hits[0].film_name(), "films/spy");
  EXPECT_EQ(result.hits[0].matched_clauses, 4);  // Not "budapest".
  // Only through the synopsis: not a match at all.
  EXPECT_THAT(Films(Search("smiley", no_synopsis)), IsEmpty());
  EXPECT_EQ(Search("smiley", no_synopsis).total_matches, 0);
  EXPECT_EQ(Search("smiley").total_matches, 1);
}

TEST_F(RankingRulesTest, StopWordsCountWherePresent) {
  index_->UpsertFilm(MakeFilm("in-fear", "In Fear", "",
                              {"A couple drive down dark country lanes."}));
  index_->UpsertFilm(MakeFilm(
      "cradle", "Cradle of Fear", "",
      {"Fear, fear and fear: a cult leader's revenge on those who jailed "
       "him."}));
  // Without "in" counting, Cradle of Fear's scene wins on "fear" alone.
  EXPECT_THAT(Films(Search("fear")),
              ElementsAre("films/cradle#s1", "films/in-fear#s1"));
  SearchResult result = Search("in fear spotting");
  EXPECT_THAT(Films(result),
              ElementsAre("films/in-fear#s1", "films/cradle#s1"));
  EXPECT_EQ(result.hits[0].matched_clauses, 2);
  EXPECT_EQ(result.hits[1].matched_clauses, 1);
}

TEST_F(RankingRulesTest, StopWordsAreSearchedWhenNothingElseMatches) {
  index_->UpsertFilm(MakeFilm("up", "Up", "",
                              {"A house lifts off under thousands of "
                               "balloons."}));
  index_->UpsertFilm(MakeFilm("down", "Downhill Racer", "",
                              {"A skier trains for the Olympics."}));
  SearchResult result = Search("up fabricating");
  EXPECT_THAT(Films(result), ElementsAre("films/up#s1"));
  EXPECT_EQ(result.total_matches, 1);
  // While a content word matches, the stop word alone does not.
  result = Search("up skier");
  EXPECT_THAT(Films(result), ElementsAre("films/down#s1"));
}

TEST_F(RankingRulesTest, OrMatchesEitherSideAndCountsOnce) {
  index_->UpsertFilm(MakeFilm("a", "A", "", {"A pair of red shoes."}));
  index_->UpsertFilm(MakeFilm("b", "B", "", {"A pair of blue shoes."}));
  index_->UpsertFilm(MakeFilm("c", "C", "", {"Red and blue shoes."}));
  index_->UpsertFilm(MakeFilm("d", "D", "", {"A red hat."}));
  index_->UpsertFilm(MakeFilm("e", "E", "", {"Green shoes."}));
  auto parsed = ParseQuery("red OR blue shoes", *analyzer_,
                           ParseOptions{.allow_or_and_slop = true});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  SearchResult result = index_->Search(*parsed, {});
  EXPECT_EQ(result.total_matches, 5);
  ASSERT_EQ(result.hits.size(), 5u);
  // Scenes with shoes and either colour first, each matching two clauses;
  // red and blue together still count as one.
  std::vector<std::string> first;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(result.hits[i].matched_clauses, 2) << i;
    first.push_back(result.hits[i].film_name());
  }
  EXPECT_THAT(first,
              ::testing::UnorderedElementsAre("films/a", "films/b", "films/c"));
  EXPECT_EQ(result.hits[3].matched_clauses, 1);
  EXPECT_EQ(result.hits[4].matched_clauses, 1);
  // A scoped or phrase alternative keeps its scope (scene titles are
  // "Scene 1": title:red matches nothing).
  auto scoped = ParseQuery("title:red OR \"blue shoes\"", *analyzer_,
                           ParseOptions{.allow_or_and_slop = true});
  ASSERT_TRUE(scoped.ok()) << scoped.status();
  EXPECT_THAT(Films(index_->Search(*scoped, {})),
              ::testing::UnorderedElementsAre("films/b#s1", "films/c#s1"));
}

TEST_F(RankingRulesTest, PhraseSlopAllowsThatManyMoves) {
  index_->UpsertFilm(MakeFilm("exact", "F1", "", {"She wore red shoes."}));
  index_->UpsertFilm(
      MakeFilm("apart", "F2", "", {"She wore red leather dancing shoes."}));
  index_->UpsertFilm(MakeFilm("swapped", "F3", "", {"Shoes red as blood."}));
  index_->UpsertFilm(
      MakeFilm("far", "F4", "", {"The shoes she wore that night were red."}));
  auto films = [&](const std::string& query) {
    auto parsed =
        ParseQuery(query, *analyzer_, ParseOptions{.allow_or_and_slop = true});
    EXPECT_TRUE(parsed.ok()) << query << ": " << parsed.status();
    std::vector<std::string> names;
    if (!parsed.ok()) return names;
    for (const SceneHit& hit : index_->Search(*parsed, {}).hits) {
      names.push_back(hit.film_name());
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  EXPECT_THAT(films("\"red shoes\""), ElementsAre("films/exact"));
  EXPECT_THAT(films("\"red shoes\"~1"), ElementsAre("films/exact"));
  // Two moves: two words between, or the two words swapped.
  EXPECT_THAT(films("\"red shoes\"~2"),
              ElementsAre("films/apart", "films/exact", "films/swapped"));
  // "shoes ... were red": red is 6 words after shoes.
  EXPECT_THAT(
      films("\"red shoes\"~7"),
      ElementsAre("films/apart", "films/exact", "films/far", "films/swapped"));
  EXPECT_THAT(films("\"red shoes\"~6"),
              ElementsAre("films/apart", "films/exact", "films/swapped"));
}

TEST_F(RankingRulesTest, CorrectionsNameTheLikeliestWord) {
  index_->UpsertFilm(MakeFilm(
      "shoes", "The Red Shoes", "",
      {"The ballerina dances.", "A ballerina bows.", "Ballerinas rest."}));
  index_->UpsertFilm(
      MakeFilm("other", "Other", "", {"The balletina is a made-up word."}));
  SearchResult result = Search("ballerna red");
  ASSERT_EQ(result.corrections.size(), 1u);
  EXPECT_EQ(result.corrections[0].query_term, "ballerna");
  EXPECT_EQ(result.corrections[0].corrected, "ballerina");
  EXPECT_EQ(result.corrections[0].distance, 1);
  // Indexed words are taken as meant; excluded words are not corrected.
  EXPECT_TRUE(Search("ballerina red").corrections.empty());
  EXPECT_TRUE(Search("red -ballerna").corrections.empty());
}

// A word more indexed words are a typo away from than max_expansions is
// searched as the closest ones, whatever their dictionary order, and the
// result names it.
TEST_F(RankingRulesTest, TooManyTypoNeighboursKeepTheClosestAndSaySo) {
  // Two edits from "quixotical" and first in dictionary order, then one.
  index_->UpsertFilm(MakeFilm("far", "Far", "",
                              {"A quixaaical moment.", "A quixbbical one."}));
  index_->UpsertFilm(MakeFilm("near", "Near", "",
                              {"A quixoticbl moment.", "A quixoticcl one."}));
  SearchOptions capped;
  capped.ranking.max_expansions = 2;
  const SearchResult cut = Search("quixotical ", capped);
  EXPECT_THAT(Films(cut), ::testing::UnorderedElementsAre("films/near#s1",
                                                          "films/near#s2"));
  EXPECT_THAT(cut.typo_capped_terms, ElementsAre("quixotical"));

  const SearchResult whole = Search("quixotical ");
  EXPECT_EQ(whole.hits.size(), 4u);
  EXPECT_THAT(whole.typo_capped_terms, IsEmpty());
}

}  // namespace
}  // namespace reel::search
