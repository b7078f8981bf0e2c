// A prefix matches every scene holding a word it covers, and total_matches
// counts them exactly, checked against a brute-force scan of the corpus for
// every 3- and 4-letter prefix of its words, on indexes built in different
// orders (as after a restart and after a fresh import).
//
// The rule the scan applies is the documented one: `pre*` matches a scene
// when one of its words has the stem of an indexed word that starts with
// "pre" (so "danc*" also finds "dancer" through "dancers"), or the stem of
// "pre" itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "search-service/index/scene_index.h"
#include "search-service/query/query.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

// Every word of the corpus (folded) with its stem, and per stem the scenes
// holding it ("film#scene").
struct Scan {
  std::map<std::string, std::string> stem_of_word;  // Sorted by word.
  absl::flat_hash_map<std::string, absl::flat_hash_set<int>> scenes_of_stem;
  int scene_count = 0;
};

Scan ScanCorpus(const std::vector<Film>& films,
                const text::Analyzer& analyzer) {
  Scan scan;
  std::vector<text::Token> tokens;
  for (const Film& film : films) {
    for (const auto& scene : film.scenes()) {
      const int id = scan.scene_count++;
      for (const std::string* text :
           {&scene.title(), &scene.description(), &scene.context(),
            &film.title(), &film.synopsis()}) {
        analyzer.Analyze(*text, &tokens);
        for (const text::Token& token : tokens) {
          scan.stem_of_word.emplace(token.term, token.stem);
          scan.scenes_of_stem[token.stem].insert(id);
        }
      }
    }
  }
  return scan;
}

int64_t BruteForce(const Scan& scan, const text::Analyzer& analyzer,
                   const std::string& prefix) {
  absl::flat_hash_set<std::string> stems;
  for (auto it = scan.stem_of_word.lower_bound(prefix);
       it != scan.stem_of_word.end() && absl::StartsWith(it->first, prefix);
       ++it) {
    stems.insert(it->second);
  }
  stems.insert(analyzer.Stem(prefix));
  absl::flat_hash_set<int> scenes;
  for (const std::string& stem : stems) {
    auto it = scan.scenes_of_stem.find(stem);
    if (it != scan.scenes_of_stem.end()) {
      scenes.insert(it->second.begin(), it->second.end());
    }
  }
  return static_cast<int64_t>(scenes.size());
}

// Prefixes of `length` letters (ASCII letters only, so that the query
// parser reads them as one word) of the corpus's words.
std::vector<std::string> Prefixes(const Scan& scan, size_t length) {
  std::set<std::string> prefixes;
  for (const auto& [word, stem] : scan.stem_of_word) {
    if (word.size() < length) continue;
    const std::string prefix = word.substr(0, length);
    if (std::all_of(prefix.begin(), prefix.end(), [](char c) {
          return absl::ascii_islower(static_cast<unsigned char>(c));
        })) {
      prefixes.insert(prefix);
    }
  }
  return {prefixes.begin(), prefixes.end()};
}

class PrefixCompletenessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analyzer_ = text::Analyzer::Create().value().release();
    // REEL_PREFIX_CORPUS names another corpus file under the shared folder
    // (e.g. corpus/films-dev.jsonl.gz) for a hand-run check on more data.
    const char* corpus = std::getenv("REEL_PREFIX_CORPUS");
    films_ = new std::vector<Film>(testing::LoadSharedFilms(
        corpus != nullptr && *corpus != '\0' ? corpus
                                             : "corpus/films-small.jsonl"));
  }

  std::shared_ptr<const text::Analyzer> SharedAnalyzer() const {
    return std::shared_ptr<const text::Analyzer>(analyzer_, [](auto*) {});
  }

  int64_t Total(const SceneIndex& index, const std::string& query) {
    auto parsed = ParseQuery(query, *analyzer_);
    EXPECT_TRUE(parsed.ok()) << query << ": " << parsed.status();
    if (!parsed.ok()) return -1;
    SearchOptions options;
    options.max_results = 10;
    return index.Search(*parsed, options).total_matches;
  }

  static inline const text::Analyzer* analyzer_ = nullptr;
  static inline std::vector<Film>* films_ = nullptr;
};

TEST_F(PrefixCompletenessTest, EveryThreeAndFourLetterPrefixFindsEveryScene) {
  const Scan scan = ScanCorpus(*films_, *analyzer_);
  // Built as a bulk load settles (words merged into the sorted dictionary).
  SceneIndex loaded(SharedAnalyzer());
  for (const Film& film : *films_) loaded.UpsertFilm(film);
  loaded.ShrinkToFit();
  // Built film by film in the other order, as a live feed leaves it (recent
  // words still outside the dictionary).
  SceneIndex fed(SharedAnalyzer());
  for (auto it = films_->rbegin(); it != films_->rend(); ++it) {
    fed.UpsertFilm(*it);
  }

  for (size_t length : {3u, 4u}) {
    int checked = 0, wrong = 0;
    int64_t matches = 0, found_bulk = 0, found_by_feed = 0;
    for (const std::string& prefix : Prefixes(scan, length)) {
      const int64_t expected = BruteForce(scan, *analyzer_, prefix);
      const int64_t found = Total(loaded, prefix + "*");
      const int64_t found_fed = Total(fed, prefix + "*");
      ++checked;
      matches += expected;
      found_bulk += found;
      found_by_feed += found_fed;
      if (found != expected || found_fed != expected) {
        ++wrong;
        ADD_FAILURE() << prefix << "*: " << found << " (bulk) and " << found_fed
                      << " (fed) scenes, brute force " << expected;
      }
    }
    std::cout << length << "-letter prefixes: " << checked << " checked, "
              << wrong << " wrong; scene matches found " << found_bulk
              << " (bulk-loaded index) and " << found_by_feed
              << " (fed film by film), brute force " << matches << " over "
              << scan.scene_count << " scenes" << std::endl;
    EXPECT_GT(checked, 100);
  }
}

}  // namespace
}  // namespace reel::search
