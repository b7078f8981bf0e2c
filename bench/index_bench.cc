// index_bench: the scene index in-process, single thread, on the real corpus.
//
//   index_bench [--corpus=PATH] [--queries=N] [--top=K] [--seed=S]
//   index_bench --write_queries=bench/queries/films-dev.tsv --queries=167
//   index_bench --read_queries=bench/queries/films-dev.tsv
//
// --write_queries writes the generated set (the committed query set every
// engine of the comparison reads, see bench/README.md) and exits;
// --read_queries runs a set from such a file instead of generating one.
//
// Reports the index build (scenes/s, memory), then query latency (p50, p99)
// and QPS per query kind. The query set is generated from the corpus by a
// fixed, seeded rule, so runs are comparable:
//   rare      one word that occurs in 2-10 scenes
//   common    one word that occurs in more than 5% of scenes
//   words     2-4 words taken from one random scene
//   phrase    3 consecutive words of a random scene, quoted
//   prefix    the first 4 letters of a word of 6+ letters, with '*'
//   prefix3   the first 3 letters of the same word, with '*'
//   typo      a word of 6+ letters with two adjacent letters swapped
// Build with -DCMAKE_BUILD_TYPE=Release for meaningful numbers.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/bench_common.h"
#include "catalog-service/importer/film_file_reader.h"
#include "catalog-service/model/film_name.h"
#include "search-service/index/scene_index.h"
#include "search-service/query/query.h"
#include "search-service/text/analyzer.h"

ABSL_FLAG(std::string, corpus,
          REEL_DEFAULT_SHARED_DIR "/corpus/films-dev.jsonl.gz",
          "films to index (.jsonl or .jsonl.gz)");
ABSL_FLAG(int, queries, 200, "queries per kind");
ABSL_FLAG(int, top, 10, "max_results of each query");
ABSL_FLAG(int, seed, 42, "seed of the query generator");
ABSL_FLAG(bool, load_texts, true,
          "decompress the returned films' texts, as the service does for "
          "highlights (false: ranked ids only)");
ABSL_FLAG(std::string, write_queries, "",
          "write the generated query set to this file and exit");
ABSL_FLAG(std::string, read_queries, "",
          "run the query set of this file instead of generating one");

namespace reel::search {
namespace {

using Clock = std::chrono::steady_clock;
using ::reel::catalog::v1::Film;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::vector<Film> LoadCorpus(const std::string& path) {
  auto reader = catalog::FilmFileReader::Open(path);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<Film> films;
  catalog::ImportedFilm imported;
  while ((*reader)->Next(&imported).value_or(false)) {
    if (!imported.status.ok()) continue;
    imported.film.set_name(catalog::FilmName(imported.film_id));
    films.push_back(std::move(imported.film));
  }
  return films;
}

// The query set, by kind, from the seeded rule in the file comment.
std::map<std::string, std::vector<std::string>> MakeQueries(
    const std::vector<Film>& films, const text::Analyzer& analyzer, int count,
    int seed) {
  std::mt19937 random(seed);
  std::vector<std::vector<text::Token>> scenes;
  absl::flat_hash_map<std::string, int> scene_frequency;
  for (const Film& film : films) {
    for (const auto& scene : film.scenes()) {
      std::vector<text::Token> tokens;
      analyzer.Analyze(scene.description(), &tokens);
      std::erase_if(tokens, [](const text::Token& t) { return t.alternate; });
      std::vector<std::string> distinct;
      for (const auto& t : tokens) distinct.push_back(t.term);
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()),
                     distinct.end());
      for (const auto& term : distinct) ++scene_frequency[term];
      if (tokens.size() >= 8) scenes.push_back(std::move(tokens));
    }
  }
  std::vector<std::string> rare, common, long_words;
  const int common_threshold = static_cast<int>(scenes.size() / 20);
  for (const auto& [term, frequency] : scene_frequency) {
    if (term.size() < 3 || !std::isalpha(static_cast<unsigned char>(term[0]))) {
      continue;
    }
    if (frequency >= 2 && frequency <= 10) rare.push_back(term);
    if (frequency > common_threshold) common.push_back(term);
    if (term.size() >= 6 && frequency >= 3) long_words.push_back(term);
  }
  for (auto* list : {&rare, &common, &long_words}) {
    std::sort(list->begin(), list->end());  // Hash order is not stable.
  }
  auto pick = [&](const auto& list) -> const auto& {
    return list[std::uniform_int_distribution<size_t>(0,
                                                      list.size() - 1)(random)];
  };
  std::map<std::string, std::vector<std::string>> queries;
  for (int i = 0; i < count; ++i) {
    queries["rare"].push_back(pick(rare));
    queries["common"].push_back(pick(common));
    const auto& scene = pick(scenes);
    const int words = std::uniform_int_distribution<int>(2, 4)(random);
    const size_t start =
        std::uniform_int_distribution<size_t>(0, scene.size() - words)(random);
    std::vector<std::string> terms;
    for (int w = 0; w < words; ++w) terms.push_back(scene[start + w].term);
    queries["words"].push_back(absl::StrJoin(terms, " ") + " ");
    const auto& other = pick(scenes);
    const size_t at =
        std::uniform_int_distribution<size_t>(0, other.size() - 3)(random);
    queries["phrase"].push_back(absl::StrCat("\"", other[at].term, " ",
                                             other[at + 1].term, " ",
                                             other[at + 2].term, "\""));
    queries["prefix"].push_back(pick(long_words).substr(0, 4) + "*");
    // The same word's first 3 letters: no draw, so the other kinds stay
    // as they were before prefix3 was added.
    queries["prefix3"].push_back(queries["prefix"].back().substr(0, 3) + "*");
    std::string typo = pick(long_words);
    const size_t swap =
        std::uniform_int_distribution<size_t>(1, typo.size() - 2)(random);
    std::swap(typo[swap], typo[swap + 1]);
    queries["typo"].push_back(typo + " ");
  }
  return queries;
}

// The generated set with the kinds interleaved (query i of every kind, then
// query i + 1, ...), so that any run of consecutive queries, such as a
// time-bounded load client's, has every kind in equal share.
int WriteQueries(const std::string& path, const std::vector<Film>& films,
                 const text::Analyzer& analyzer) {
  const int count = absl::GetFlag(FLAGS_queries);
  const int seed = absl::GetFlag(FLAGS_seed);
  const auto by_kind = MakeQueries(films, analyzer, count, seed);
  std::vector<bench::BenchQuery> out;
  for (int i = 0; i < count; ++i) {
    for (const auto& [kind, list] : by_kind) out.push_back({kind, list[i]});
  }
  const std::vector<std::string> header = {
      absl::StrCat("Reel benchmark query set: ", out.size(), " queries, ",
                   count, " per kind, generated from films-dev.jsonl.gz by"),
      absl::StrCat("  index_bench --write_queries=PATH --queries=", count,
                   " --seed=", seed),
      "with the seeded rule in bench/index_bench.cc (see bench/README.md).",
      "Format: kind<TAB>query, in Reel's query syntax, complete words;",
      "kinds interleaved so that any consecutive run of queries is balanced.",
  };
  if (absl::Status status = bench::WriteQueryFile(path, header, out);
      !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("wrote %zu queries to %s\n", out.size(), path.c_str());
  return 0;
}

// A query file's set, by kind, as Reel is sent it (complete words).
std::map<std::string, std::vector<std::string>> ReadQueries(
    const std::string& path) {
  auto queries = bench::ReadQueryFile(path);
  if (!queries.ok()) {
    std::fprintf(stderr, "%s\n", queries.status().ToString().c_str());
    std::exit(1);
  }
  std::map<std::string, std::vector<std::string>> by_kind;
  for (const bench::BenchQuery& q : *queries) {
    by_kind[q.kind].push_back(bench::ReelQueryText(q));
  }
  return by_kind;
}

int Run() {
  auto analyzer_or = text::Analyzer::Create();
  if (!analyzer_or.ok()) return 1;
  std::shared_ptr<const text::Analyzer> analyzer = *std::move(analyzer_or);
  const std::vector<Film> films = LoadCorpus(absl::GetFlag(FLAGS_corpus));
  if (const std::string path = absl::GetFlag(FLAGS_write_queries);
      !path.empty()) {
    return WriteQueries(path, films, *analyzer);
  }
  int64_t scene_count = 0;
  for (const Film& film : films) scene_count += film.scenes_size();

  // Build three times; report the median.
  std::vector<double> builds;
  std::unique_ptr<SceneIndex> index;
  int64_t heap_bytes = 0;
  for (int run = 0; run < 3; ++run) {
    index.reset();
    // What the index really holds, allocator overhead included: the check
    // on IndexStats' own estimate.
    const int64_t heap_before = bench::HeapInUseBytes();
    index = std::make_unique<SceneIndex>(analyzer);
    const auto start = Clock::now();
    for (const Film& film : films) index->UpsertFilm(film);
    index->ShrinkToFit();  // As the service does after a snapshot.
    builds.push_back(Seconds(Clock::now() - start));
    heap_bytes = bench::HeapInUseBytes() - heap_before;
  }
  std::sort(builds.begin(), builds.end());
  const IndexStats stats = index->stats();
  std::printf("corpus: %zu films, %lld scenes\n", films.size(),
              static_cast<long long>(scene_count));
  std::printf("build: median %.3f s (min %.3f, max %.3f) = %.0f scenes/s\n",
              builds[1], builds[0], builds[2], scene_count / builds[1]);
  std::printf(
      "index: %lld terms, %.1f MiB in memory (postings %.1f, dictionaries "
      "%.1f, scenes %.1f, texts %.1f)\n",
      static_cast<long long>(stats.terms), stats.memory_bytes / 1048576.0,
      stats.postings_bytes / 1048576.0, stats.dictionary_bytes / 1048576.0,
      stats.scene_bytes / 1048576.0, stats.text_bytes / 1048576.0);
  std::printf("heap: %.1f MiB allocated by the build and kept\n",
              heap_bytes / 1048576.0);

  const auto queries =
      absl::GetFlag(FLAGS_read_queries).empty()
          ? MakeQueries(films, *analyzer, absl::GetFlag(FLAGS_queries),
                        absl::GetFlag(FLAGS_seed))
          : ReadQueries(absl::GetFlag(FLAGS_read_queries));
  SearchOptions options;
  options.max_results = absl::GetFlag(FLAGS_top);
  options.load_texts = absl::GetFlag(FLAGS_load_texts);
  std::printf("\n%-8s %8s %10s %10s %10s %12s\n", "kind", "queries", "p50 us",
              "p99 us", "QPS", "avg matches");
  std::vector<double> all;
  for (const auto& [kind, list] : queries) {
    std::vector<ParsedQuery> parsed;
    for (const std::string& q : list) {
      auto p = ParseQuery(q, *analyzer);
      if (p.ok()) parsed.push_back(*std::move(p));
    }
    std::vector<double> latencies;
    double matches = 0;
    const auto start = Clock::now();
    for (int round = 0; round < 3; ++round) {
      for (const ParsedQuery& q : parsed) {
        const auto t0 = Clock::now();
        SearchResult result = index->Search(q, options);
        latencies.push_back(Seconds(Clock::now() - t0) * 1e6);
        matches += result.total_matches;
      }
    }
    const double elapsed = Seconds(Clock::now() - start);
    std::sort(latencies.begin(), latencies.end());
    all.insert(all.end(), latencies.begin(), latencies.end());
    std::printf("%-8s %8zu %10.1f %10.1f %10.0f %12.0f\n", kind.c_str(),
                parsed.size(), latencies[latencies.size() / 2],
                latencies[latencies.size() * 99 / 100],
                latencies.size() / elapsed, matches / latencies.size());
  }
  std::sort(all.begin(), all.end());
  double total = 0;
  for (double v : all) total += v;
  std::printf("%-8s %8zu %10.1f %10.1f %10.0f\n", "all", all.size() / 3,
              all[all.size() / 2], all[all.size() * 99 / 100],
              all.size() / (total / 1e6));
  return 0;
}

}  // namespace
}  // namespace reel::search

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return reel::search::Run();
}
