// Per-field term frequencies in one byte (field_tf.h): every count shape
// round-trips, the escape is taken exactly where no code fits, and an index
// whose postings mix codes and escapes scores, explains and matches phrases
// with the counts the texts hold.
#include "search-service/index/field_tf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "search-service/index/scene_index.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

TEST(FieldTfTest, EveryCodeDecodesToCountsThatEncodeBackToIt) {
  std::set<std::vector<uint8_t>> shapes;
  for (int code = 0; code < kTfEscape; ++code) {
    const FieldTf& tf = DecodeFieldTf(static_cast<uint8_t>(code));
    if (code >= 250) {  // Spare codes: never produced.
      EXPECT_EQ(tf, FieldTf{}) << code;
      continue;
    }
    EXPECT_EQ(EncodeFieldTf(tf.data()), code);
    EXPECT_TRUE(shapes.insert({tf.begin(), tf.begin() + kFieldCount}).second)
        << "code " << code << " repeats a shape";
    for (int pad = kFieldCount; pad < 8; ++pad) EXPECT_EQ(tf[pad], 0);
  }
}

TEST(FieldTfTest, CountsRoundTripOrEscapeExactlyWhereNoCodeFits) {
  const uint8_t values[] = {0, 1, 2, 3, 4, 29, 30, 31, 254, 255};
  uint8_t tf[kFieldCount];
  int escaped = 0, coded = 0;
  for (int combo = 0; combo < 100000; ++combo) {
    int rest = combo, fields = 0, max = 0;
    for (int f = 0; f < kFieldCount; ++f, rest /= 10) {
      tf[f] = values[rest % 10];
      fields += tf[f] != 0;
      max = std::max<int>(max, tf[f]);
    }
    const bool fits = (fields == 1 && max <= 30) || (fields == 2 && max <= 3) ||
                      (fields == 3 && max == 1);
    const uint8_t code = EncodeFieldTf(tf);
    ASSERT_EQ(code != kTfEscape, fits)
        << int{tf[0]} << " " << int{tf[1]} << " " << int{tf[2]} << " "
        << int{tf[3]} << " " << int{tf[4]};
    if (code == kTfEscape) {
      ++escaped;
      continue;
    }
    ++coded;
    const FieldTf& decoded = DecodeFieldTf(code);
    for (int f = 0; f < kFieldCount; ++f) ASSERT_EQ(decoded[f], tf[f]);
  }
  EXPECT_GT(escaped, 0);
  EXPECT_GT(coded, 0);
}

// Films whose scenes hold "zeta omega" a random number of times in each
// field, so postings of every shape, coded and escaped, share blocks.
class MixedCountsTest : public ::testing::Test {
 protected:
  static std::string Repeat(int times) {
    std::string text = "filler";
    for (int i = 0; i < times; ++i) absl::StrAppend(&text, " zeta omega");
    return text;
  }

  void SetUp() override {
    std::mt19937 random(7);
    // Mostly small counts, some large: escapes land among coded postings.
    auto count = [&random]() -> int {
      const int roll = random() % 10;
      if (roll < 5) return 0;
      if (roll < 8) return 1 + random() % 3;
      return 4 + random() % 300;
    };
    for (int f = 0; f < 30; ++f) {
      Film film;
      film.set_name(absl::StrCat("films/mixed-", f));
      const int title = random() % 3 == 0 ? count() : 0;
      const int synopsis = count();
      film.set_title(Repeat(title));
      film.set_synopsis(Repeat(synopsis));
      for (int s = 0; s < 20; ++s) {
        auto* scene = film.add_scenes();
        scene->set_scene_id(absl::StrCat("s", s));
        const int scene_title = count(), description = count(),
                  context = count();
        scene->set_title(Repeat(scene_title));
        scene->set_description(Repeat(description));
        scene->set_context(Repeat(context));
        expected_[{film.name(), scene->scene_id()}] = {
            scene_title, description, context, title, synopsis};
      }
      index_.UpsertFilm(film);
    }
  }

  // Explained per-field counts of every hit of `query`, checked against
  // what the texts hold: capped at 255 for a word, as postings count; exact
  // for a phrase, which counts its occurrences in the positions.
  int CheckHits(const std::string& query, int cap) {
    auto parsed = ParseQuery(query, *analyzer_);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    SearchOptions options;
    options.max_results = 1000;
    options.explain = true;
    const SearchResult result = index_.Search(*parsed, options);
    int expected_matches = 0;
    for (const auto& [key, counts] : expected_) {
      for (int c : counts) {
        if (c > 0) {
          ++expected_matches;
          break;
        }
      }
    }
    EXPECT_EQ(result.total_matches, expected_matches) << query;
    for (const SceneHit& hit : result.hits) {
      const auto& counts =
          expected_.at({hit.film_name(), std::string(hit.scene_id())});
      std::array<int, kFieldCount> explained{};
      for (const TermExplanation& term : hit.explanation->terms) {
        explained[term.field] =
            std::max(explained[term.field], term.term_frequency);
      }
      for (int f = 0; f < kFieldCount; ++f) {
        EXPECT_EQ(explained[f], std::min(counts[f], cap))
            << query << ": " << hit.film_name() << "#" << hit.scene_id()
            << " field " << f;
      }
    }
    return static_cast<int>(result.hits.size());
  }

  std::shared_ptr<const text::Analyzer> analyzer_ =
      text::Analyzer::Create().value();
  SceneIndex index_{analyzer_};
  std::map<std::pair<std::string, std::string>, std::array<int, kFieldCount>>
      expected_;
};

TEST_F(MixedCountsTest, WordsAndPhrasesSeeTheCountsTheTextsHold) {
  EXPECT_GT(CheckHits("zeta", 255), 100);
  // A phrase reads the positions, whose layout follows the counts.
  EXPECT_GT(CheckHits("\"zeta omega\"", 1 << 30), 100);
}

}  // namespace
}  // namespace reel::search
