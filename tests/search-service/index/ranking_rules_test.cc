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

}  // namespace
}  // namespace reel::search
