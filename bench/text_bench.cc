// Benchmarks for reel_text on the films-dev corpus (13,106 scenes, 5.9 MB):
//   text_bench --benchmark_filter=Analyze
// Counters: tokens/s (all tokens incl. alternates), bytes/s of scene text,
// scenes/s.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "search-service/text/analyzer.h"
#include "search-service/text/edit_distance.h"
#include "search-service/text/fuzzy_trie.h"
#include "search-service/text/utf8.h"

namespace reel::text {
namespace {

std::string SharedDir() {
  const char* dir = std::getenv("REEL_SHARED_DIR");
  return dir != nullptr && *dir != '\0' ? dir : REEL_DEFAULT_SHARED_DIR;
}

// Scene descriptions of films-dev.jsonl.gz (loaded once).
const std::vector<std::string>& Scenes() {
  static const std::vector<std::string>* scenes = [] {
    auto* out = new std::vector<std::string>();
    const std::string path = SharedDir() + "/corpus/films-dev.jsonl.gz";
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) {
      std::fprintf(stderr, "cannot open %s\n", path.c_str());
      std::exit(1);
    }
    std::string data;
    char buf[1 << 16];
    int n;
    while ((n = gzread(file, buf, sizeof(buf))) > 0) data.append(buf, n);
    gzclose(file);
    size_t start = 0;
    while (start < data.size()) {
      size_t end = data.find('\n', start);
      if (end == std::string::npos) end = data.size();
      if (end > start) {
        const auto film =
            nlohmann::json::parse(data.begin() + start, data.begin() + end);
        for (const auto& scene : film["scenes"]) {
          out->push_back(scene["description"].get<std::string>());
        }
      }
      start = end + 1;
    }
    return out;
  }();
  return *scenes;
}

const Analyzer& SharedAnalyzer() {
  static const Analyzer* analyzer = Analyzer::Create().value().release();
  return *analyzer;
}

void BM_AnalyzeScenes(benchmark::State& state) {
  const auto& scenes = Scenes();
  const Analyzer& analyzer = SharedAnalyzer();
  std::vector<Token> tokens;
  int64_t num_tokens = 0, num_bytes = 0, num_scenes = 0;
  size_t i = state.thread_index() * 997;  // threads start at different scenes
  for (auto _ : state) {
    const std::string& scene = scenes[i++ % scenes.size()];
    analyzer.Analyze(scene, &tokens);
    benchmark::DoNotOptimize(tokens.data());
    num_tokens += tokens.size();
    num_bytes += scene.size();
    ++num_scenes;
  }
  state.counters["tokens/s"] =
      benchmark::Counter(num_tokens, benchmark::Counter::kIsRate);
  state.counters["scenes/s"] =
      benchmark::Counter(num_scenes, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(num_bytes);
}
BENCHMARK(BM_AnalyzeScenes)->UseRealTime()->Threads(1)->Threads(2);

// Dictionary of distinct folded terms of the corpus, sorted.
const std::vector<std::string>& Dictionary() {
  static const std::vector<std::string>* terms = [] {
    auto* out = new std::vector<std::string>();
    std::vector<Token> tokens;
    for (const std::string& scene : Scenes()) {
      SharedAnalyzer().Analyze(scene, &tokens);
      for (const Token& t : tokens) out->push_back(t.term);
    }
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
    return out;
  }();
  return *terms;
}

// Query terms: dictionary words of >= 5 letters with one random edit.
std::vector<std::string> TypoQueries(size_t count) {
  const auto& dict = Dictionary();
  std::mt19937 rng(42);
  std::vector<std::string> queries;
  while (queries.size() < count) {
    std::string word = dict[rng() % dict.size()];
    if (word.size() < 5 || word.size() > 14) continue;
    const size_t at = rng() % (word.size() - 1);
    switch (rng() % 4) {
      case 0:
        word.erase(at, 1);
        break;
      case 1:
        word.insert(at, 1, 'e');
        break;
      case 2:
        word[at] = 'x';
        break;
      default:
        std::swap(word[at], word[at + 1]);
        break;
    }
    queries.push_back(word);
  }
  return queries;
}

void BM_FuzzyLookup(benchmark::State& state) {
  const auto& dict = Dictionary();
  const auto queries = TypoQueries(1000);
  const FuzzyTrie trie(dict);
  const int k = static_cast<int>(state.range(0));
  size_t i = 0, matches = 0;
  for (auto _ : state) {
    matches += trie.Lookup(queries[i++ % queries.size()], k).size();
  }
  state.counters["dict_terms"] = dict.size();
  state.counters["matches/query"] =
      static_cast<double>(matches) / state.iterations();
}
BENCHMARK(BM_FuzzyLookup)->Arg(1)->Arg(2);

void BM_WithinEditDistance(benchmark::State& state) {
  const auto queries = TypoQueries(1000);
  const auto& dict = Dictionary();
  size_t i = 0, hits = 0;
  for (auto _ : state) {
    hits += WithinEditDistance(queries[i % queries.size()],
                               dict[(i * 7919) % dict.size()], 2);
    ++i;
  }
  benchmark::DoNotOptimize(hits);
}
BENCHMARK(BM_WithinEditDistance);

void BM_Utf16OffsetsOfTokens(benchmark::State& state) {
  const auto& scenes = Scenes();
  std::vector<std::vector<Token>> tokens(256);
  for (size_t s = 0; s < tokens.size(); ++s) {
    SharedAnalyzer().Analyze(scenes[s], &tokens[s]);
  }
  size_t s = 0;
  int64_t offsets = 0;
  for (auto _ : state) {
    const size_t k = s++ % tokens.size();
    Utf16OffsetMapper mapper(scenes[k]);
    for (const Token& t : tokens[k]) {
      benchmark::DoNotOptimize(mapper.ToUtf16(t.begin_byte));
      benchmark::DoNotOptimize(mapper.ToUtf16(t.end_byte));
    }
    offsets += 2 * tokens[k].size();
  }
  state.counters["offsets/s"] =
      benchmark::Counter(offsets, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Utf16OffsetsOfTokens);

}  // namespace
}  // namespace reel::text

BENCHMARK_MAIN();
