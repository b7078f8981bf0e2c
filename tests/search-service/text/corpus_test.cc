// Runs of the text layer over real text: the analyzer on the films-small
// corpus and the Red Shoes seed page, and the typo trie on the corpus's words.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "search-service/text/analyzer.h"
#include "search-service/text/edit_distance.h"
#include "search-service/text/fuzzy_trie.h"
#include "search-service/text/utf8.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::text {
namespace {

using ::testing::Contains;

bool IsCodePointBoundary(absl::string_view text, size_t offset) {
  return offset == text.size() ||
         (static_cast<uint8_t>(text[offset]) & 0xC0) != 0x80;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(analyzer_, Analyzer::Create()); }

  // Checks the invariants every analysis must hold; returns token count.
  size_t CheckText(absl::string_view text) {
    analyzer_->Analyze(text, &tokens_);
    uint32_t next_position = 0;
    for (const Token& t : tokens_) {
      EXPECT_LT(t.begin_byte, t.end_byte);
      EXPECT_LE(t.end_byte, text.size());
      EXPECT_TRUE(IsCodePointBoundary(text, t.begin_byte));
      EXPECT_TRUE(IsCodePointBoundary(text, t.end_byte));
      EXPECT_FALSE(t.term.empty());
      EXPECT_FALSE(t.stem.empty());
      EXPECT_LE(t.term.size(), Analyzer::kMaxTermBytes);
      EXPECT_EQ(analyzer_->FoldTerm(t.term), t.term) << "not idempotent";
      if (t.alternate) {
        EXPECT_EQ(t.position + 1, next_position) << t.term;
      } else {
        EXPECT_EQ(t.position, next_position) << t.term;
        ++next_position;
        // The token's source text analyses to the same primary term.
        analyzer_->Analyze(text.substr(t.begin_byte, t.end_byte - t.begin_byte),
                           &single_);
        EXPECT_FALSE(single_.empty());
        if (!single_.empty()) {
          EXPECT_EQ(single_[0].term, t.term);
        }
      }
    }
    // Offsets convert to UTF-16 monotonically.
    Utf16OffsetMapper mapper(text);
    uint32_t last = 0;
    for (const Token& t : tokens_) {
      if (t.alternate) continue;
      const uint32_t begin = mapper.ToUtf16(t.begin_byte);
      EXPECT_GE(begin, last);
      last = begin;
    }
    return tokens_.size();
  }

  std::unique_ptr<Analyzer> analyzer_;
  std::vector<Token> tokens_;
  std::vector<Token> single_;
};

TEST_F(CorpusTest, AnalyzesEverySceneOfFilmsSmall) {
  std::ifstream in(reel::testing::SharedDataDir() +
                   "/corpus/films-small.jsonl");
  ASSERT_TRUE(in.good());
  std::string line;
  size_t films = 0, scenes = 0, tokens = 0;
  std::set<std::string> terms;
  while (std::getline(in, line)) {
    const nlohmann::json film = nlohmann::json::parse(line);
    ++films;
    tokens += CheckText(film["title"].get<std::string>());
    tokens += CheckText(film["synopsis"].get<std::string>());
    for (const auto& scene : film["scenes"]) {
      ++scenes;
      tokens += CheckText(scene["description"].get<std::string>());
      for (const Token& t : tokens_) terms.insert(t.term);
    }
    if (HasFailure()) break;  // keep the log short
  }
  EXPECT_EQ(films, 200u);
  EXPECT_EQ(scenes, 832u);
  // 63,451 whitespace-separated words in the scenes alone.
  EXPECT_GT(tokens, 63000u);
  EXPECT_THAT(terms, Contains("lodocq"));
}

// The typo trie over a real dictionary (every folded word of films-small)
// against a term-by-term check, for misspellings made by random edits.
TEST_F(CorpusTest, TypoTrieAgreesWithTermByTermOnARealDictionary) {
  std::ifstream in(reel::testing::SharedDataDir() +
                   "/corpus/films-small.jsonl");
  ASSERT_TRUE(in.good());
  std::set<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json film = nlohmann::json::parse(line);
    for (const auto& scene : film["scenes"]) {
      analyzer_->Analyze(scene["description"].get<std::string>(), &tokens_);
      for (const Token& t : tokens_) words.insert(t.term);
    }
  }
  const std::vector<std::string> dictionary(words.begin(), words.end());
  ASSERT_GT(dictionary.size(), 9000u);
  const FuzzyTrie trie(dictionary);
  std::mt19937 rng(11);
  int matched = 0;
  for (int q = 0; q < 300; ++q) {
    std::string query = dictionary[rng() % dictionary.size()];
    // One or two random byte edits; ill-formed results are fine queries.
    for (int edit = 1 + rng() % 2; edit > 0 && !query.empty(); --edit) {
      const size_t at = rng() % query.size();
      const char letter = static_cast<char>('a' + rng() % 26);
      switch (rng() % 4) {
        case 0:
          query[at] = letter;
          break;
        case 1:
          query.insert(query.begin() + at, letter);
          break;
        case 2:
          query.erase(at, 1);
          break;
        default:
          if (at + 1 < query.size()) std::swap(query[at], query[at + 1]);
      }
    }
    const int k = MaxTyposFor(query);
    std::vector<FuzzyMatch> expected;
    for (size_t i = 0; i < dictionary.size(); ++i) {
      const int d = FuzzyDistance(query, dictionary[i], k);
      if (d >= 0) expected.push_back({i, d});
    }
    matched += expected.empty() ? 0 : 1;
    ASSERT_EQ(trie.Lookup(query, k), expected) << "query=" << query;
  }
  EXPECT_GT(matched, 100);  // The check is not vacuous.
}

TEST_F(CorpusTest, AnalyzesTheRedShoesSeed) {
  const std::string text =
      ReadFile(reel::testing::SharedDataDir() + "/seed/the-red-shoes.txt");
  ASSERT_FALSE(text.empty());
  CheckText(text);
  std::vector<std::string> primary;
  std::set<std::string> all_terms, stems;
  for (const Token& t : tokens_) {
    if (!t.alternate) primary.push_back(t.term);
    all_terms.insert(t.term);
    stems.insert(t.stem);
  }
  // The phrase survives with its stop words at consecutive positions.
  const std::vector<std::string> phrase = {"forget", "anything", "but",
                                           "ballet"};
  EXPECT_NE(
      std::search(primary.begin(), primary.end(), phrase.begin(), phrase.end()),
      primary.end());
  EXPECT_THAT(all_terms, Contains("entracte"));
  EXPECT_THAT(all_terms, Contains("acte"));
  EXPECT_THAT(all_terms, Contains("16mm"));
  EXPECT_THAT(all_terms, Contains("vicky"));  // "Vicky's", "Vicky’s"
  EXPECT_THAT(all_terms, Contains("lermontov"));
  EXPECT_THAT(stems, Contains("danc"));                // dance, dances, dancing
  EXPECT_THAT(all_terms, Contains("heartwrenching"));  // heart-wrenching
}

}  // namespace
}  // namespace reel::text
