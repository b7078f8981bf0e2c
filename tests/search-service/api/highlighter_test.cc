// The highlighter against the obvious implementation: analysing the whole
// field and marking every token whose stem matched. MatchedWordSpans skips
// the pieces of a field that cannot hold a matched stem; these tests check
// that it finds exactly the same words on every field of the test corpus
// and on the analyser's awkward cases, and that reusing film-level
// highlights within a response changes nothing on the wire.
#include "search-service/api/highlighter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

// The reference: analyse everything, keep one span per matching word.
std::vector<ByteSpan> FullAnalysisSpans(absl::string_view text,
                                        const std::vector<std::string>& stems,
                                        const text::Analyzer& analyzer) {
  std::vector<text::Token> tokens;
  analyzer.Analyze(text, &tokens);
  std::vector<ByteSpan> spans;
  for (const text::Token& token : tokens) {
    if (!std::binary_search(stems.begin(), stems.end(), token.stem)) continue;
    if (!spans.empty() && spans.back().begin == token.begin_byte) continue;
    spans.push_back({token.begin_byte, token.end_byte});
  }
  return spans;
}

std::string Describe(absl::string_view text,
                     const std::vector<ByteSpan>& spans) {
  std::string out;
  for (const ByteSpan& span : spans) {
    absl::StrAppend(&out, "[", text.substr(span.begin, span.end - span.begin),
                    "]");
  }
  return out;
}

class HighlighterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analyzer_ = text::Analyzer::Create().value().release();
  }
  static void TearDownTestSuite() {
    delete analyzer_;
    analyzer_ = nullptr;
  }

  // Checks MatchedWordSpans against the reference for one stem at a time
  // (every stem the text holds), for all of them at once, and for a few
  // random subsets; returns how many stems it checked.
  static int CheckText(absl::string_view text, std::mt19937* random) {
    std::vector<text::Token> tokens;
    analyzer_->Analyze(text, &tokens);
    std::set<std::string> distinct;
    for (const text::Token& token : tokens) distinct.insert(token.stem);
    const std::vector<std::string> all(distinct.begin(), distinct.end());
    std::vector<std::vector<std::string>> sets;
    for (const std::string& stem : all) sets.push_back({stem});
    sets.push_back(all);
    for (int i = 0; i < 3 && all.size() > 2; ++i) {
      std::set<std::string> subset;
      for (int j = 0; j < 3; ++j) subset.insert(all[(*random)() % all.size()]);
      sets.emplace_back(subset.begin(), subset.end());
    }
    // A stem that is absent must find nothing.
    sets.push_back({"zzzzq"});
    std::vector<text::Token> scratch;
    for (const std::vector<std::string>& stems : sets) {
      const std::vector<ByteSpan> expected =
          FullAnalysisSpans(text, stems, *analyzer_);
      const std::vector<ByteSpan> actual =
          MatchedWordSpans(text, stems, *analyzer_, &scratch);
      EXPECT_EQ(Describe(text, actual), Describe(text, expected))
          << "stems " << ::testing::PrintToString(stems) << " in: " << text;
      EXPECT_EQ(actual, expected);
    }
    return static_cast<int>(all.size());
  }

  static const text::Analyzer* analyzer_;
};

const text::Analyzer* HighlighterTest::analyzer_ = nullptr;

TEST_F(HighlighterTest, FindsTheSameWordsAsAFullAnalysisOnTheAwkwardCases) {
  std::mt19937 random(7);
  const std::vector<std::string> texts = {
      "dying lying tying skies skis idly gently ugly early only singly",
      "The U.S. e-mail cost $3.50 or 1,000 francs at 10.30 a.m. in the "
      "U.S.S.R.",
      "O'Brien's Entr'acte don't sixteen-year-old mother-in-law's "
      "rock'n'roll Alzheimer's-suffering Lermontov's-ballet-master's "
      "a`b-c's",
      "Ballerína Émilie’s café ﬁlm Straße ŁÓDŹ Ærø naïve Ὀδυσσεύς Москва",
      "東京の夜 and ひらがな with 한국어 mixed in",
      "  leading and  double   spaces and trailing  ",
      "tabs\tand\nnewlines\r\nwithout spaces: dance\tdancing\ndanced",
      std::string("ill\xC3 formed \xFF\xFE bytes \xE2\x82 dance \xC3") +
          "\xA9tude",
      "possibility capability responsibility nobility agency happily "
      "generously relational conditional hopping hoping",
      "zero\xE2\x80\x8Bwidth soft\xC2\xADhyphen co\xE2\x80\x90operate "
      "non\xE2\x80\x91stop",
      "punctuation!dance?dancing;danced:(dances)[dancer]{dancers}\"dance\"",
      "a I x 1 22 333 ab abs bus gas yes yearly youth sayings says",
  };
  for (const std::string& text : texts) CheckText(text, &random);
}

TEST_F(HighlighterTest, FindsTheSameWordsAsAFullAnalysisOnTheCorpus) {
  // REEL_HIGHLIGHT_CORPUS (a path under the shared data folder, e.g.
  // corpus/films-dev.jsonl.gz) widens the check to another corpus.
  const char* other = std::getenv("REEL_HIGHLIGHT_CORPUS");
  std::vector<Film> films =
      testing::LoadSharedFilms(other ? other : "corpus/films-small.jsonl");
  for (Film& film : testing::LoadSharedFilms("seed/the-red-shoes.txt")) {
    films.push_back(std::move(film));
  }
  ASSERT_GT(films.size(), 100u);
  std::mt19937 random(42);
  int stems = 0;
  for (const Film& film : films) {
    stems += CheckText(film.title(), &random);
    stems += CheckText(film.synopsis(), &random);
    for (const auto& scene : film.scenes()) {
      stems += CheckText(scene.title(), &random);
      stems += CheckText(scene.description(), &random);
      stems += CheckText(scene.context(), &random);
    }
    if (HasFailure()) break;
  }
  EXPECT_GT(stems, 10000);
}

// Hits of every scene of the seed film, each with stems matched in every
// field: BuildHit with a per-response cache gives the same messages as
// building every hit from scratch, and a different stem set is not served
// another set's highlight.
TEST_F(HighlighterTest, CachedFilmHighlightsAreIdenticalToFreshOnes) {
  std::vector<Film> films = testing::LoadSharedFilms("seed/the-red-shoes.txt");
  ASSERT_EQ(films.size(), 1u);
  auto film = std::make_shared<const Film>(std::move(films[0]));
  ASSERT_GT(film->scenes_size(), 3);
  ASSERT_FALSE(film->synopsis().empty());
  const std::vector<std::vector<std::string>> stem_sets = {
      {"danc", "red", "shoe"}, {"ballet"}, {"red"}, {"zzzzq"}};
  std::vector<SceneHit> hits;
  for (const std::vector<std::string>& stems : stem_sets) {
    for (int s = 0; s < film->scenes_size(); ++s) {
      SceneHit hit;
      hit.film = film;
      hit.scene_index = s;
      hit.score = 1.0 / (s + 1);
      for (auto& field_stems : hit.matched_stems) field_stems = stems;
      hits.push_back(hit);
    }
  }
  HighlightCache cache;
  int highlights[2] = {0, 0};  // Film title, synopsis.
  std::set<std::string> distinct[2];
  for (size_t i = 0; i < hits.size(); ++i) {
    v1::SceneHit fresh;
    v1::SceneHit cached;
    BuildHit(hits[i], static_cast<int>(i) + 1, *analyzer_, &fresh);
    BuildHit(hits[i], static_cast<int>(i) + 1, *analyzer_, &cached, &cache);
    EXPECT_EQ(cached.SerializeAsString(), fresh.SerializeAsString())
        << "hit " << i << "\n"
        << cached.DebugString() << "\nvs\n"
        << fresh.DebugString();
    for (const v1::Highlight& highlight : cached.highlights()) {
      const int f = highlight.field() == v1::HIGHLIGHT_FIELD_FILM_TITLE ? 0
                    : highlight.field() == v1::HIGHLIGHT_FIELD_SYNOPSIS ? 1
                                                                        : -1;
      if (f < 0) continue;
      ++highlights[f];
      distinct[f].insert(highlight.SerializeAsString());
    }
  }
  // "The Red Shoes" matches the first and third sets ("Red Shoes", "Red");
  // the synopsis ("...dedication to dance... anything but ballet") the
  // first two; one distinct highlight per set, on every scene of the film.
  EXPECT_EQ(highlights[0], 2 * film->scenes_size());
  EXPECT_EQ(distinct[0].size(), 2u);
  EXPECT_EQ(highlights[1], 2 * film->scenes_size());
  EXPECT_EQ(distinct[1].size(), 2u);
}

}  // namespace
}  // namespace reel::search
