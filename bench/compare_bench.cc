// compare_bench: Reel's SceneIndex against SQLite FTS5, Xapian and Apache
// Lucene, in process, single thread, on the same documents and the same
// queries, under both query semantics (a scene matching any word, or every
// word).
//
//   compare_bench [--queries_file=bench/queries/films-dev.tsv] [--runs=5]
//                 [--engines=reel,fts5,xapian,lucene] [--matching=any,all]
//                 [--tops=10,100] [--scale=1] [--passes=1] [--kinds=...]
//                 [--disk_sizes] [--lucene_classpath=CP] [--json_out=F]
//   compare_bench --write_corpus=FILE|- --scale=N [--write_corpus_from=K]
//
// --write_corpus writes the corpus at --scale (the films and their
// ScaledCopy copies, in the order the harness indexes them) as JSON Lines in
// the corpus format and exits: what `reelctl import` loads into a catalog for
// the services' side of the growth curves (scenes are numbered s1, s2, ... in
// each copy's shuffled order, the only difference from what is indexed here).
// --write_corpus_from=K writes copies K..N-1 only (0 is the films
// themselves), so a catalog holding xK grows to xN.
//
// Every (run, engine) is a child process forked from the parent that holds
// the loaded corpus, so each engine's resident memory is measured from the
// same baseline and no engine inherits another's heap. Engines run in a
// rotated order from run to run. A child builds its index (timed), then for
// each semantics (in an order that also rotates) runs the query set once
// untimed (warm-up, and the ids of the top 10 for overlap) and --passes
// timed passes per top-k, timing each query (parse + search + reading the
// top-k ids). Ratios are computed within a run. Reel's child then times what
// a search page adds (facets over a common word, a second page by cursor;
// PageFeatures below), under the first semantics listed.
//
// Lucene runs in a JVM: bench/lucene/LuceneBench.java (compiled by
// scripts/bench.sh against Debian's liblucene8-java; --lucene_classpath)
// reads the documents and queries this program writes to a temporary
// directory, builds an index untimed and warms the JIT with untimed passes
// once, then serves the runs: each builds a fresh index (timed) and reports
// in the same shape as the forked children. One JVM for every run, so each
// run sees a warm JIT, as a search server would.
//
// The mapping (see bench/README.md for the reasons):
//   documents  one per scene: scene title, description, context, film title,
//              synopsis (5 fields, weights 3, 1, 1, 2, 0.5 as Reel's BM25F
//              defaults; FTS5 bm25() takes the same weights; Xapian's
//              TermGenerator takes integer wdf increments 3, 1, 1, 2, 1;
//              Lucene scores words with BM25FQuery over the five fields,
//              phrases and prefixes per field boosted by the weight)
//   words      --matching=any: Reel as is (any word matches, all words rank
//              first); FTS5 "a" OR "b"; Xapian QueryParser with default_op
//              OP_OR; Lucene SHOULD clauses. --matching=all: Reel with
//              WordMatching::kAll; FTS5 "a" AND "b"; Xapian OP_AND; Lucene
//              MUST clauses
//   "a b"      a phrase in all four
//   abc*       FTS5 "abc"*, Xapian FLAG_WILDCARD, Lucene PrefixQuery (kinds
//              prefix, 4 letters, and prefix3, 3 letters)
//   -w         FTS5 NOT, Xapian FLAG_LOVEHATE, Lucene MUST_NOT
//   typo       run as typed: only Reel corrects it; left out of overlap
// Doc identity is (film id, scene ordinal): the doc number in corpus order,
// which is the FTS5 rowid and the Xapian docid (both 1-based) and the Lucene
// docid (0-based; one segment, built in order).
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "bench/bench_common.h"
#include "nlohmann/json.hpp"
#include "search-service/index/scene_index.h"
#include "search-service/query/query.h"
#include "search-service/text/analyzer.h"

ABSL_FLAG(std::string, corpus, "", "films (.jsonl[.gz]); default films-dev");
ABSL_FLAG(std::string, queries_file,
          REEL_SOURCE_DIR "/bench/queries/films-dev.tsv", "the query set");
ABSL_FLAG(int, scale, 1, "corpus copies (x1, x4, x16: see bench_common.h)");
ABSL_FLAG(int, runs, 5, "runs: each builds every engine afresh");
ABSL_FLAG(int, passes, 1, "timed passes over the query set per run and top");
ABSL_FLAG(std::string, engines, "reel,fts5,xapian",
          "engines to compare: reel, fts5, xapian, lucene (needs "
          "--lucene_classpath)");
ABSL_FLAG(std::string, matching, "any,all",
          "query semantics to run, in this order (rotated from run to run): "
          "any (a scene matches any word; Reel ranks those with all first) "
          "and/or all (every word required)");
ABSL_FLAG(std::string, tops, "10,100", "max results per query");
ABSL_FLAG(std::string, kinds, "", "only these query kinds (default: all)");
ABSL_FLAG(int, max_queries, 0, "only the first N queries (0: all)");
ABSL_FLAG(bool, disk_sizes, true,
          "also build FTS5 and Xapian on disk once to measure their size");
ABSL_FLAG(bool, fork, true,
          "one child process per engine and run (false: in process, for "
          "profiling one engine)");
ABSL_FLAG(std::string, json_out, "", "write the JSON results here");
ABSL_FLAG(std::string, lucene_classpath, "",
          "classpath holding LuceneBench.class and Lucene's core, "
          "analyzers-common and sandbox jars (scripts/bench.sh sets it)");
ABSL_FLAG(std::string, java, "java", "the java launcher");
ABSL_FLAG(std::string, java_options, "-Xms1g -Xmx1g -XX:+AlwaysPreTouch",
          "JVM options for the Lucene child, space-separated (by default a "
          "fixed, pre-touched heap, as Elasticsearch runs it)");
ABSL_FLAG(std::string, lucene_args, "",
          "more LuceneBench flags, space-separated (e.g. --fields=sum "
          "--tie_breaker=0.1; see bench/lucene/LuceneBench.java)");
ABSL_FLAG(std::string, write_corpus, "",
          "write the corpus at --scale as JSON Lines to this file (- for "
          "stdout) and exit");
ABSL_FLAG(int, write_corpus_from, 0,
          "--write_corpus: the first copy to write (0: the films themselves), "
          "to grow a catalog holding that many copies to --scale");
ABSL_FLAG(int, lucene_warmup_passes, 20,
          "Lucene: untimed passes over the whole set (every semantics and "
          "top) when its JVM starts, before any run, to warm the JIT "
          "(films-dev's pass rate levels off after about 10)");

namespace reel::bench {
namespace {

using Clock = std::chrono::steady_clock;
using ::reel::catalog::v1::Film;
using json = nlohmann::json;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Field weights, in Reel's Field order (query.h).
constexpr double kWeights[] = {3.0, 1.0, 1.0, 2.0, 0.5};
constexpr int kXapianWdf[] = {3, 1, 1, 2, 1};

struct Corpus {
  std::vector<Film> films;
  struct Doc {
    uint32_t film;
    uint32_t ordinal;
  };
  std::vector<Doc> docs;  // In corpus order: doc number = index.
  // "film name\0scene id" -> doc number, to identify Reel's hits.
  absl::flat_hash_map<std::string, uint32_t> by_scene;

  const Film& film_of(uint32_t doc) const { return films[docs[doc].film]; }
  const catalog::v1::Scene& scene_of(uint32_t doc) const {
    return film_of(doc).scenes(static_cast<int>(docs[doc].ordinal));
  }
};

std::string SceneKey(absl::string_view film_name, absl::string_view scene_id) {
  return absl::StrCat(film_name, std::string(1, '\0'), scene_id);
}

class Engine {
 public:
  virtual ~Engine() = default;
  virtual void Build(const Corpus& corpus) = 0;
  // The semantics of the next Runs: every word required (true) or any.
  virtual void SetMatchAll(bool all) = 0;
  // Runs one query for its top `top`; false: the engine rejected it.
  virtual bool Run(const BenchQuery& query, int top) = 0;
  // The doc numbers of the last Run's hits, best first (not timed).
  virtual void Docs(const Corpus& corpus, std::vector<uint32_t>* out) = 0;
  // Sizes and counts after Build.
  virtual json Stats() = 0;
};

// ---------------------------------------------------------------- Reel ----

class ReelEngine : public Engine {
 public:
  explicit ReelEngine(std::shared_ptr<const text::Analyzer> analyzer)
      : analyzer_(std::move(analyzer)) {}

  void Build(const Corpus& corpus) override {
    index_ = std::make_unique<search::SceneIndex>(analyzer_);
    for (const Film& film : corpus.films) index_->UpsertFilm(film);
    index_->ShrinkToFit();  // As the service does after a snapshot.
  }
  void SetMatchAll(bool all) override {
    matching_ = all ? search::WordMatching::kAll : search::WordMatching::kAny;
  }
  bool Run(const BenchQuery& query, int top) override {
    search::SearchOptions options;
    options.max_results = top;
    options.collect_matched_stems = false;  // Ranked ids, as the others give.
    options.load_texts = false;
    options.matching = matching_;
    return Search(query, options);
  }
  // Run with what a search page adds (facets, a later page).
  bool RunWith(const BenchQuery& query, search::SearchOptions options) {
    options.collect_matched_stems = false;  // Ranked ids, as the others give.
    options.load_texts = false;
    options.matching = matching_;
    return Search(query, options);
  }
  bool Search(const BenchQuery& query, const search::SearchOptions& options) {
    auto parsed = search::ParseQuery(ReelQueryText(query), *analyzer_);
    if (!parsed.ok()) {
      result_ = {};
      return false;
    }
    result_ = index_->Search(*parsed, options);
    return true;
  }
  void Docs(const Corpus& corpus, std::vector<uint32_t>* out) override {
    out->clear();
    for (const search::SceneHit& hit : result_.hits) {
      auto it = corpus.by_scene.find(SceneKey(hit.film_name(), hit.scene_id()));
      if (it != corpus.by_scene.end()) out->push_back(it->second);
    }
  }
  json Stats() override {
    const search::IndexStats stats = index_->stats();
    return {{"terms", stats.terms},
            {"memory_bytes", stats.memory_bytes},
            {"postings_bytes", stats.postings_bytes},
            {"dictionary_bytes", stats.dictionary_bytes},
            {"scene_bytes", stats.scene_bytes},
            {"text_bytes", stats.text_bytes},
            {"last_total_matches", result_.total_matches}};
  }
  int64_t total_matches() const { return result_.total_matches; }

 private:
  std::shared_ptr<const text::Analyzer> analyzer_;
  std::unique_ptr<search::SceneIndex> index_;
  search::WordMatching matching_ = search::WordMatching::kAny;
  search::SearchResult result_;
};

// ---------------------------------------------------------------- FTS5 ----

// One clause of a query in Reel's syntax, as the harness reads it.
struct QueryClause {
  std::string text;  // A word (without '*') or a phrase's words.
  bool phrase = false;
  bool prefix = false;
  bool excluded = false;
  std::string scope;  // Field scope name, or empty.
};

std::vector<QueryClause> SplitQuery(const std::string& query) {
  std::vector<QueryClause> clauses;
  size_t i = 0;
  while (i < query.size()) {
    if (query[i] == ' ') {
      ++i;
      continue;
    }
    QueryClause clause;
    if (query[i] == '-') {
      clause.excluded = true;
      ++i;
    }
    // field:word or field:"a b"
    const size_t colon = query.find(':', i);
    const size_t space = query.find(' ', i);
    const size_t quote = query.find('"', i);
    if (colon != std::string::npos && colon < space && colon < quote) {
      clause.scope = query.substr(i, colon - i);
      i = colon + 1;
    }
    if (i < query.size() && query[i] == '"') {
      const size_t end = query.find('"', i + 1);
      clause.phrase = true;
      clause.text = query.substr(
          i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
      i = end == std::string::npos ? query.size() : end + 1;
    } else {
      const size_t end = std::min(query.find(' ', i), query.size());
      clause.text = query.substr(i, end - i);
      i = end;
      if (!clause.text.empty() && clause.text.back() == '*') {
        clause.prefix = true;
        clause.text.pop_back();
      }
    }
    if (!clause.text.empty()) clauses.push_back(std::move(clause));
  }
  return clauses;
}

// Reel's syntax as an FTS5 MATCH expression: positive clauses ORed (any
// word: Reel matches any and ranks scenes with all first) or ANDed (all),
// exclusions with NOT.
std::string ToFts5(const std::string& query, bool all) {
  static const std::map<std::string, std::string> kColumns = {
      {"title", "scene_title"}, {"description", "description"},
      {"context", "context"},   {"film", "film_title"},
      {"synopsis", "synopsis"},
  };
  std::vector<std::string> positive, negative;
  for (const QueryClause& clause : SplitQuery(query)) {
    std::string term =
        absl::StrCat("\"", absl::StrReplaceAll(clause.text, {{"\"", "\"\""}}),
                     "\"", clause.prefix ? "*" : "");
    if (auto it = kColumns.find(clause.scope); it != kColumns.end()) {
      term = absl::StrCat(it->second, " : ", term);
    }
    (clause.excluded ? negative : positive).push_back(std::move(term));
  }
  std::string match = absl::StrJoin(positive, all ? " AND " : " OR ");
  if (!negative.empty()) {
    match = absl::StrCat("(", match, ") NOT (", absl::StrJoin(negative, " OR "),
                         ")");
  }
  return match;
}

void Check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "sqlite %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s: %s\n", sql.c_str(), error);
    std::exit(1);
  }
}

int64_t PragmaValue(sqlite3* db, const char* pragma) {
  sqlite3_stmt* stmt = nullptr;
  Check(db, sqlite3_prepare_v2(db, pragma, -1, &stmt, nullptr), pragma);
  int64_t value = 0;
  if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return value;
}

// Creates the FTS5 table in `db` and inserts every scene in one transaction.
void BuildFts5(sqlite3* db, const Corpus& corpus) {
  Exec(db,
       "CREATE VIRTUAL TABLE scenes USING fts5(scene_title, description, "
       "context, film_title, synopsis, "
       "tokenize = 'porter unicode61 remove_diacritics 2')");
  Exec(db, absl::StrCat("INSERT INTO scenes(scenes, rank) VALUES('rank', "
                        "'bm25(",
                        absl::StrJoin(kWeights, ", "), ")')"));
  Exec(db, "BEGIN");
  sqlite3_stmt* insert = nullptr;
  Check(db,
        sqlite3_prepare_v2(db,
                           "INSERT INTO scenes(rowid, scene_title, "
                           "description, context, film_title, synopsis) "
                           "VALUES(?, ?, ?, ?, ?, ?)",
                           -1, &insert, nullptr),
        "prepare insert");
  for (uint32_t d = 0; d < corpus.docs.size(); ++d) {
    const Film& film = corpus.film_of(d);
    const auto& scene = corpus.scene_of(d);
    sqlite3_bind_int64(insert, 1, d + 1);
    const std::string* texts[] = {&scene.title(), &scene.description(),
                                  &scene.context(), &film.title(),
                                  &film.synopsis()};
    for (int f = 0; f < 5; ++f) {
      sqlite3_bind_text(insert, f + 2, texts[f]->data(),
                        static_cast<int>(texts[f]->size()), SQLITE_STATIC);
    }
    Check(db, sqlite3_step(insert), "insert");
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  Exec(db, "COMMIT");
}

class Fts5Engine : public Engine {
 public:
  ~Fts5Engine() override {
    if (query_ != nullptr) sqlite3_finalize(query_);
    if (db_ != nullptr) sqlite3_close(db_);
  }
  void Build(const Corpus& corpus) override {
    Check(db_, sqlite3_open(":memory:", &db_), "open");
    BuildFts5(db_, corpus);
    Check(db_,
          sqlite3_prepare_v2(db_,
                             "SELECT rowid FROM scenes WHERE scenes MATCH ?1 "
                             "ORDER BY rank LIMIT ?2",
                             -1, &query_, nullptr),
          "prepare query");
  }
  void SetMatchAll(bool all) override { all_ = all; }
  bool Run(const BenchQuery& query, int top) override {
    const std::string match = ToFts5(query.text, all_);
    sqlite3_bind_text(query_, 1, match.data(), static_cast<int>(match.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int(query_, 2, top);
    rows_.clear();
    int rc;
    while ((rc = sqlite3_step(query_)) == SQLITE_ROW) {
      rows_.push_back(static_cast<uint32_t>(sqlite3_column_int64(query_, 0)));
    }
    sqlite3_reset(query_);
    return rc == SQLITE_DONE;
  }
  void Docs(const Corpus&, std::vector<uint32_t>* out) override {
    out->clear();
    for (uint32_t rowid : rows_) out->push_back(rowid - 1);
  }
  json Stats() override {
    return {{"memory_db_bytes", PragmaValue(db_, "PRAGMA page_count") *
                                    PragmaValue(db_, "PRAGMA page_size")},
            {"sqlite_memory_used_bytes", sqlite3_memory_used()}};
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* query_ = nullptr;
  bool all_ = false;
  std::vector<uint32_t> rows_;
};

// The FTS5 table built in an on-disk database: its size as built, and after
// 'optimize' + VACUUM.
json Fts5DiskSize(const Corpus& corpus, const std::string& dir) {
  const std::string path = dir + "/fts5.db";
  sqlite3* db = nullptr;
  Check(db, sqlite3_open(path.c_str(), &db), "open disk");
  Exec(db, "PRAGMA journal_mode = OFF");
  Exec(db, "PRAGMA synchronous = OFF");
  const auto start = Clock::now();
  BuildFts5(db, corpus);
  const double seconds = Seconds(Clock::now() - start);
  const int64_t page_bytes = PragmaValue(db, "PRAGMA page_count") *
                             PragmaValue(db, "PRAGMA page_size");
  const int64_t built = DiskBytes(path);
  Exec(db, "INSERT INTO scenes(scenes) VALUES('optimize')");
  Exec(db, "VACUUM");
  const int64_t optimized = DiskBytes(path);
  sqlite3_close(db);
  std::filesystem::remove(path);
  return {{"disk_bytes", built},
          {"page_bytes", page_bytes},
          {"optimized_disk_bytes", optimized},
          {"disk_build_seconds", seconds}};
}

// -------------------------------------------------------------- Xapian ----

void IndexScene(Xapian::TermGenerator& generator, const Corpus& corpus,
                uint32_t d, Xapian::Document* doc) {
  const Film& film = corpus.film_of(d);
  const auto& scene = corpus.scene_of(d);
  const std::string* texts[] = {&scene.title(), &scene.description(),
                                &scene.context(), &film.title(),
                                &film.synopsis()};
  generator.set_document(*doc);
  for (int f = 0; f < 5; ++f) {
    // The gap keeps a phrase from spanning two fields.
    if (f > 0) generator.increase_termpos();
    generator.index_text(*texts[f], kXapianWdf[f]);
  }
}

class XapianEngine : public Engine {
 public:
  void Build(const Corpus& corpus) override {
    db_ = Xapian::WritableDatabase(std::string(), Xapian::DB_BACKEND_INMEMORY);
    Xapian::TermGenerator generator;
    generator.set_stemmer(Xapian::Stem("english"));
    generator.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    for (uint32_t d = 0; d < corpus.docs.size(); ++d) {
      Xapian::Document doc;
      IndexScene(generator, corpus, d, &doc);
      db_.add_document(doc);  // docid d + 1
    }
    parser_.set_stemmer(Xapian::Stem("english"));
    parser_.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    parser_.set_database(db_);
    enquire_ = std::make_unique<Xapian::Enquire>(db_);
  }
  void SetMatchAll(bool all) override {
    parser_.set_default_op(all ? Xapian::Query::OP_AND : Xapian::Query::OP_OR);
  }
  bool Run(const BenchQuery& query, int top) override {
    rows_.clear();
    try {
      enquire_->set_query(parser_.parse_query(
          query.text, Xapian::QueryParser::FLAG_PHRASE |
                          Xapian::QueryParser::FLAG_WILDCARD |
                          Xapian::QueryParser::FLAG_LOVEHATE));
      const Xapian::MSet mset = enquire_->get_mset(0, top);
      for (auto it = mset.begin(); it != mset.end(); ++it) {
        rows_.push_back(*it);
      }
    } catch (const Xapian::Error&) {
      return false;
    }
    return true;
  }
  void Docs(const Corpus&, std::vector<uint32_t>* out) override {
    out->clear();
    for (uint32_t docid : rows_) out->push_back(docid - 1);
  }
  json Stats() override {
    return {{"documents", db_.get_doccount()},
            {"terms", [&] {
               int64_t n = 0;
               for (auto it = db_.allterms_begin(); it != db_.allterms_end();
                    ++it) {
                 ++n;
               }
               return n;
             }()}};
  }

 private:
  Xapian::WritableDatabase db_;
  Xapian::QueryParser parser_;
  std::unique_ptr<Xapian::Enquire> enquire_;
  std::vector<uint32_t> rows_;
};

// The same documents in an on-disk glass database: its size after commit,
// and compacted.
json XapianDiskSize(const Corpus& corpus, const std::string& dir) {
  const std::string path = dir + "/xapian";
  const std::string compact = dir + "/xapian-compact";
  const auto start = Clock::now();
  {
    Xapian::WritableDatabase db(
        path, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
    Xapian::TermGenerator generator;
    generator.set_stemmer(Xapian::Stem("english"));
    generator.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    for (uint32_t d = 0; d < corpus.docs.size(); ++d) {
      Xapian::Document doc;
      IndexScene(generator, corpus, d, &doc);
      db.add_document(doc);
    }
    db.commit();
    db.compact(compact);
  }
  const double seconds = Seconds(Clock::now() - start);
  json out = {{"disk_bytes", DiskBytes(path)},
              {"compact_disk_bytes", DiskBytes(compact)},
              {"disk_build_seconds", seconds}};
  std::filesystem::remove_all(path);
  std::filesystem::remove_all(compact);
  return out;
}

// ----------------------------------------------------- search pages ----

// What a search page adds to a query, Reel only (the other engines have no
// facets or cursors to compare): each runs over the queries of one kind of
// the set, top 10, and is reported beside that kind's plain top-10 figure.
struct PageFeature {
  const char* name;
  const char* kind;  // The queries it runs over.
  search::SearchOptions options;
};

std::vector<PageFeature> PageFeatures() {
  search::SearchOptions facets;
  facets.max_results = 10;
  facets.facets = {.genres = 10, .directors = 10, .years = 10};
  // The second page by cursor: relevance pages continue the first page's
  // own top-k computation with `skip` (what a decoded page token asks).
  search::SearchOptions second_page;
  second_page.max_results = 10;
  second_page.skip = 10;
  return {{"facets_common", "common", facets},
          {"page2_common", "common", second_page},
          {"page2_words", "words", second_page}};
}

// Timed passes of each page feature: {name: [{wall_seconds, latency_us}]}.
json RunPageFeatures(ReelEngine& engine, const std::vector<BenchQuery>& queries,
                     int passes) {
  json out = json::object();
  for (const PageFeature& feature : PageFeatures()) {
    std::vector<const BenchQuery*> selected;
    for (const BenchQuery& q : queries) {
      if (q.kind == feature.kind) selected.push_back(&q);
    }
    if (selected.empty()) continue;
    for (const BenchQuery* q : selected) engine.RunWith(*q, feature.options);
    json pass_list = json::array();
    for (int pass = 0; pass < passes; ++pass) {
      std::vector<double> latency_us(selected.size());
      const auto start = Clock::now();
      for (size_t i = 0; i < selected.size(); ++i) {
        const auto t0 = Clock::now();
        engine.RunWith(*selected[i], feature.options);
        latency_us[i] =
            std::chrono::duration<double, std::micro>(Clock::now() - t0)
                .count();
      }
      pass_list.push_back({{"wall_seconds", Seconds(Clock::now() - start)},
                           {"latency_us", latency_us}});
    }
    out[feature.name] = std::move(pass_list);
  }
  return out;
}

// ----------------------------------------------------------- the runs ----

std::unique_ptr<Engine> MakeEngine(
    const std::string& name, std::shared_ptr<const text::Analyzer> analyzer) {
  if (name == "reel") return std::make_unique<ReelEngine>(std::move(analyzer));
  if (name == "fts5") return std::make_unique<Fts5Engine>();
  if (name == "xapian") return std::make_unique<XapianEngine>();
  std::fprintf(stderr, "unknown engine %s\n", name.c_str());
  std::exit(2);
}

// One semantics of one engine's run: the query set once untimed (warm-up,
// and the top-10 ids and result counts for overlap: untimed reads of the
// results), then `passes` timed passes per top.
json RunQueries(Engine& engine, const std::string& name, const Corpus& corpus,
                const std::vector<BenchQuery>& queries,
                const std::vector<int>& tops, int passes) {
  json report = json::object();
  std::vector<uint32_t> docs;
  json ids = json::array();
  json counts = json::array();
  json totals = json::array();
  int errors = 0;
  for (const BenchQuery& query : queries) {
    if (!engine.Run(query, 10)) ++errors;
    engine.Docs(corpus, &docs);
    ids.push_back(docs);
    counts.push_back(docs.size());
    if (name == "reel") {
      totals.push_back(static_cast<ReelEngine&>(engine).total_matches());
    }
  }
  report["top10_ids"] = std::move(ids);
  report["top10_counts"] = std::move(counts);
  if (name == "reel") report["total_matches"] = std::move(totals);
  report["errors"] = errors;

  json timed = json::object();
  for (int top : tops) {
    json pass_list = json::array();
    for (int pass = 0; pass < passes; ++pass) {
      std::vector<double> latency_us(queries.size());
      const auto start = Clock::now();
      for (size_t i = 0; i < queries.size(); ++i) {
        const auto t0 = Clock::now();
        engine.Run(queries[i], top);
        latency_us[i] =
            std::chrono::duration<double, std::micro>(Clock::now() - t0)
                .count();
      }
      pass_list.push_back({{"wall_seconds", Seconds(Clock::now() - start)},
                           {"latency_us", latency_us}});
    }
    timed[std::to_string(top)] = std::move(pass_list);
  }
  report["timed"] = std::move(timed);
  return report;
}

// One engine, one run: build, then each semantics in `matchings`' order
// (warm-up, timed passes). Reel's page features run under
// `page_matching`. Returns the child's report.
json RunEngine(const std::string& name, const Corpus& corpus,
               const std::vector<BenchQuery>& queries,
               const std::vector<int>& tops, int passes,
               const std::vector<std::string>& matchings,
               const std::string& page_matching,
               std::shared_ptr<const text::Analyzer> analyzer) {
  std::unique_ptr<Engine> engine = MakeEngine(name, std::move(analyzer));
  const int64_t rss_before = ResidentBytes();
  // The malloc heap the build leaves allocated: for Reel, its index as the
  // allocator holds it, the check on IndexStats' estimate.
  const int64_t heap_before = HeapInUseBytes();
  const auto build_start = Clock::now();
  engine->Build(corpus);
  const double build_seconds = Seconds(Clock::now() - build_start);
  const int64_t rss_built = ResidentBytes();
  const double heap_built = static_cast<double>(HeapInUseBytes() - heap_before);

  json report = {{"engine", name},
                 {"build_seconds", build_seconds},
                 {"rss_build_bytes", rss_built - rss_before},
                 {"heap_build_bytes", heap_built}};
  json by_matching = json::object();
  for (const std::string& matching : matchings) {
    engine->SetMatchAll(matching == "all");
    json r = RunQueries(*engine, name, corpus, queries, tops, passes);
    if (name == "reel" && matching == page_matching) {
      r["page_features"] = RunPageFeatures(
          *static_cast<ReelEngine*>(engine.get()), queries, passes);
    }
    by_matching[matching] = std::move(r);
  }
  report["matching"] = std::move(by_matching);
  report["rss_after_queries_bytes"] = ResidentBytes() - rss_before;
  report["stats"] = engine->Stats();
  return report;
}

// ------------------------------------------------------------- Lucene ----

// The files the Lucene child reads (bench/lucene/LuceneBench.java): one
// document a line in corpus order, its five fields tab-separated with \\,
// \t, \n and \r escaped; and the selected queries as kind<TAB>query.
struct LuceneInput {
  std::string docs;
  std::string queries;
};

void WriteField(const std::string& text, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->push_back(c);
    }
  }
}

void WriteFileOrDie(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr ||
      std::fwrite(text.data(), 1, text.size(), f) != text.size() ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
}

LuceneInput WriteLuceneInput(const Corpus& corpus,
                             const std::vector<BenchQuery>& queries,
                             const std::string& dir) {
  LuceneInput input{dir + "/lucene-docs.tsv", dir + "/lucene-queries.tsv"};
  std::string text;
  for (uint32_t d = 0; d < corpus.docs.size(); ++d) {
    const Film& film = corpus.film_of(d);
    const auto& scene = corpus.scene_of(d);
    const std::string* fields[] = {&scene.title(), &scene.description(),
                                   &scene.context(), &film.title(),
                                   &film.synopsis()};
    for (int f = 0; f < 5; ++f) {
      if (f > 0) text.push_back('\t');
      WriteField(*fields[f], &text);
    }
    text.push_back('\n');
  }
  WriteFileOrDie(input.docs, text);
  text.clear();
  for (const BenchQuery& q : queries) {
    absl::StrAppend(&text, q.kind, "\t", q.text, "\n");
  }
  WriteFileOrDie(input.queries, text);
  return input;
}

// LuceneBench in a JVM serving this program: started once, it reads the
// corpus and the queries, builds an index untimed and warms the JIT with
// --lucene_warmup_passes untimed passes (every semantics and top), then
// answers one request a line with one report a line: "run any,all" builds a
// fresh index (timed) and runs the semantics in that order; "disk" builds
// the on-disk copy whose size is reported. Its stderr is ours.
class LuceneServer {
 public:
  LuceneServer(const LuceneInput& input, const std::vector<int>& tops,
               int passes, const std::vector<std::string>& matchings,
               const std::string& dir) {
    if (absl::GetFlag(FLAGS_lucene_classpath).empty()) {
      std::fprintf(stderr, "lucene needs --lucene_classpath\n");
      std::exit(2);
    }
    std::vector<std::string> argv = {absl::GetFlag(FLAGS_java)};
    for (absl::string_view option : absl::StrSplit(
             absl::GetFlag(FLAGS_java_options), ' ', absl::SkipEmpty())) {
      argv.emplace_back(option);
    }
    argv.insert(
        argv.end(),
        {"-cp", absl::GetFlag(FLAGS_lucene_classpath), "LuceneBench",
         "--serve=true", absl::StrCat("--docs=", input.docs),
         absl::StrCat("--queries=", input.queries), absl::StrCat("--dir=", dir),
         absl::StrCat("--tops=", absl::StrJoin(tops, ",")),
         absl::StrCat("--passes=", passes),
         absl::StrCat("--matching=", absl::StrJoin(matchings, ",")),
         absl::StrCat("--warmup_passes=",
                      absl::GetFlag(FLAGS_lucene_warmup_passes))});
    for (absl::string_view arg : absl::StrSplit(
             absl::GetFlag(FLAGS_lucene_args), ' ', absl::SkipEmpty())) {
      argv.emplace_back(arg);
    }
    std::vector<char*> c_argv;
    for (std::string& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);

    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) {
      std::perror("pipe");
      std::exit(1);
    }
    std::fflush(nullptr);
    pid_ = fork();
    if (pid_ < 0) {
      std::perror("fork");
      std::exit(1);
    }
    if (pid_ == 0) {
      if (dup2(to_child[0], STDIN_FILENO) < 0 ||
          dup2(from_child[1], STDOUT_FILENO) < 0) {
        _exit(127);
      }
      for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) {
        close(fd);
      }
      execvp(c_argv[0], c_argv.data());
      std::perror(c_argv[0]);
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    requests_ = fdopen(to_child[1], "w");
    reports_ = fdopen(from_child[0], "r");
    Read();  // {"ready": true} once warmed up.
  }
  ~LuceneServer() {
    std::fputs("quit\n", requests_);
    std::fclose(requests_);
    std::fclose(reports_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }

  // One run: the semantics in this order.
  json Run(const std::vector<std::string>& matchings, const Corpus& corpus) {
    Write(absl::StrCat("run ", absl::StrJoin(matchings, ",")));
    json report = Read();
    const int64_t documents = report["stats"].value("documents", int64_t{-1});
    if (documents != static_cast<int64_t>(corpus.docs.size())) {
      std::fprintf(stderr, "LuceneBench indexed %lld documents, not %zu\n",
                   static_cast<long long>(documents), corpus.docs.size());
      std::exit(1);
    }
    return report;
  }
  // The index committed to disk: its size as built and merged.
  json DiskSize() {
    Write("disk");
    return Read();
  }

 private:
  void Write(const std::string& request) {
    std::fprintf(requests_, "%s\n", request.c_str());
    std::fflush(requests_);
  }
  json Read() {
    std::string line;
    int c;
    while ((c = std::fgetc(reports_)) != EOF && c != '\n') line.push_back(c);
    if (line.empty()) {
      int status = 0;
      waitpid(pid_, &status, 0);
      std::fprintf(stderr, "LuceneBench failed (status %d)\n", status);
      std::exit(1);
    }
    return json::parse(line);
  }

  pid_t pid_ = -1;
  FILE* requests_ = nullptr;
  FILE* reports_ = nullptr;
};

// Runs `work` in a child process and returns the JSON it writes back.
template <typename Work>
json InChild(Work work) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    close(fds[0]);
    const std::string out = work().dump();
    size_t written = 0;
    while (written < out.size()) {
      const ssize_t n =
          write(fds[1], out.data() + written, out.size() - written);
      if (n <= 0) _exit(1);
      written += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string in;
  char buffer[1 << 16];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) in.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || in.empty()) {
    std::fprintf(stderr, "benchmark child failed (status %d)\n", status);
    std::exit(1);
  }
  return json::parse(in);
}

json SpreadJson(const std::vector<double>& values) {
  const Spread s = SpreadOf(values);
  return {{"median", s.median},
          {"min", s.min},
          {"max", s.max},
          {"n", values.size()}};
}

// Overlap@10 of two engines' top-10 lists: |A ∩ B| / min(10, max(|A|,|B|)),
// over queries where either returned something; per kind and overall
// (non-fuzzy kinds only).
json Overlap(const std::vector<BenchQuery>& queries, const json& a,
             const json& b) {
  std::map<std::string, std::pair<double, int>> by_kind;  // sum, count
  std::pair<double, int> all{0, 0};
  // The non-fuzzy kinds issue 6 set its overlap bar on (prefix3 came later).
  std::pair<double, int> original{0, 0};
  for (size_t i = 0; i < queries.size(); ++i) {
    const auto x = a[i].get<std::vector<uint32_t>>();
    const auto y = b[i].get<std::vector<uint32_t>>();
    if (x.empty() && y.empty()) continue;
    const std::set<uint32_t> sx(x.begin(), x.end());
    int common = 0;
    for (uint32_t d : y) common += sx.count(d);
    const double value =
        static_cast<double>(common) /
        static_cast<double>(std::min<size_t>(10, std::max(x.size(), y.size())));
    auto& k = by_kind[queries[i].kind];
    k.first += value;
    ++k.second;
    if (!IsFuzzyKind(queries[i].kind)) {
      all.first += value;
      ++all.second;
      if (queries[i].kind != "prefix3") {
        original.first += value;
        ++original.second;
      }
    }
  }
  json out = json::object();
  for (const auto& [kind, sum] : by_kind) {
    out[kind] = sum.second == 0 ? 0.0 : sum.first / sum.second;
  }
  out["non_fuzzy"] = all.second == 0 ? 0.0 : all.first / all.second;
  out["non_fuzzy_queries"] = all.second;
  out["non_fuzzy_original_kinds"] =
      original.second == 0 ? 0.0 : original.first / original.second;
  return out;
}

// Per engine and top: per run, the QPS of each timed pass (for ratios
// within a run).
using RunSamples =
    std::map<std::string, std::map<int, std::vector<std::vector<double>>>>;

// Reel ÷ other (or any a ÷ b), pass by pass within each run.
json RatioSpread(const std::vector<std::vector<double>>& a,
                 const std::vector<std::vector<double>>& b) {
  std::vector<double> values;
  for (size_t run = 0; run < a.size() && run < b.size(); ++run) {
    for (size_t p = 0; p < a[run].size() && p < b[run].size(); ++p) {
      values.push_back(a[run][p] / b[run][p]);
    }
  }
  return SpreadJson(values);
}

// Mean of a per-query figure of the first run, per kind.
json MeanByKind(const std::vector<BenchQuery>& queries, const json& values) {
  std::map<std::string, std::pair<double, int>> sums;
  for (size_t i = 0; i < queries.size() && i < values.size(); ++i) {
    auto& k = sums[queries[i].kind];
    k.first += values[i].get<double>();
    ++k.second;
  }
  json out = json::object();
  for (const auto& [kind, sum] : sums) out[kind] = sum.first / sum.second;
  return out;
}

// The query figures of one engine under one semantics, over its runs
// (`runs`: each run's report for that semantics). A sample is one timed
// pass. Fills `qps` and `qps_non_fuzzy` (QPS over the non-fuzzy kinds only,
// queries ÷ their summed latency: other engines do not correct
// misspellings, so their typo queries are cheap failed look-ups).
json QueryFigures(
    const std::string& name, const std::vector<json>& runs,
    const std::vector<BenchQuery>& queries, const std::vector<int>& tops,
    std::map<int, std::vector<std::vector<double>>>* qps,
    std::map<int, std::vector<std::vector<double>>>* qps_non_fuzzy) {
  json e = json::object();
  e["errors"] = runs[0]["errors"];
  for (int top : tops) {
    const std::string key = std::to_string(top);
    std::vector<double> all_qps, p50, p99, mean;
    static constexpr double kPercentiles[] = {0.5,  0.75, 0.9,
                                              0.95, 0.99, 0.999};
    std::map<double, std::vector<double>> percentiles;
    std::map<std::string, std::vector<double>> kind_qps, kind_p50, kind_p99;
    for (const json& r : runs) {
      std::vector<double> run_qps, run_qps_non_fuzzy;
      for (const json& pass : r["timed"][key]) {
        const auto latency = pass["latency_us"].get<std::vector<double>>();
        run_qps.push_back(queries.size() / pass["wall_seconds"].get<double>());
        all_qps.push_back(run_qps.back());
        p50.push_back(Percentile(latency, 0.50));
        p99.push_back(Percentile(latency, 0.99));
        for (double p : kPercentiles) {
          percentiles[p].push_back(Percentile(latency, p));
        }
        double sum = 0, non_fuzzy_sum = 0;
        size_t non_fuzzy = 0;
        for (size_t i = 0; i < latency.size(); ++i) {
          sum += latency[i];
          if (!IsFuzzyKind(queries[i].kind)) {
            non_fuzzy_sum += latency[i];
            ++non_fuzzy;
          }
        }
        mean.push_back(sum / latency.size());
        run_qps_non_fuzzy.push_back(non_fuzzy / (non_fuzzy_sum / 1e6));
        std::map<std::string, std::vector<double>> per_kind;
        for (size_t i = 0; i < queries.size(); ++i) {
          per_kind[queries[i].kind].push_back(latency[i]);
        }
        for (const auto& [kind, values] : per_kind) {
          double total = 0;
          for (double v : values) total += v;
          kind_qps[kind].push_back(values.size() / (total / 1e6));
          kind_p50[kind].push_back(Percentile(values, 0.50));
          kind_p99[kind].push_back(Percentile(values, 0.99));
        }
      }
      (*qps)[top].push_back(run_qps);
      (*qps_non_fuzzy)[top].push_back(run_qps_non_fuzzy);
    }
    json t = {{"qps", SpreadJson(all_qps)},
              {"p50_us", SpreadJson(p50)},
              {"p99_us", SpreadJson(p99)},
              {"mean_us", SpreadJson(mean)}};
    json percentile_json = json::object();
    for (const auto& [p, values] : percentiles) {
      percentile_json[absl::StrCat(p * 100)] = SpreadJson(values);
    }
    t["percentiles_us"] = std::move(percentile_json);
    json by_kind = json::object();
    for (const auto& [kind, values] : kind_qps) {
      by_kind[kind] = {{"qps", SpreadJson(values)},
                       {"p50_us", SpreadJson(kind_p50[kind])},
                       {"p99_us", SpreadJson(kind_p99[kind])}};
    }
    t["kinds"] = std::move(by_kind);
    e["top" + key] = std::move(t);
  }
  // Result counts per kind (top 10), from the first run.
  e["mean_top10_returned"] = MeanByKind(queries, runs[0]["top10_counts"]);
  if (runs[0].contains("total_matches")) {
    e["mean_total_matches"] = MeanByKind(queries, runs[0]["total_matches"]);
  }
  if (name != "reel" || !runs[0].contains("page_features")) return e;
  // Page features: per feature QPS (queries ÷ summed latency), p50, p99,
  // and the ratio to its kind's plain top-10 QPS in the same pass.
  json features = json::object();
  for (const PageFeature& feature : PageFeatures()) {
    std::vector<double> f_qps, f_p50, f_p99, f_ratio;
    for (const json& r : runs) {
      if (!r["page_features"].contains(feature.name)) continue;
      const json& plain = r["timed"]["10"];
      const json& passes_json = r["page_features"][feature.name];
      for (size_t p = 0; p < passes_json.size(); ++p) {
        const auto latency =
            passes_json[p]["latency_us"].get<std::vector<double>>();
        double total = 0;
        for (double v : latency) total += v;
        f_qps.push_back(latency.size() / (total / 1e6));
        f_p50.push_back(Percentile(latency, 0.50));
        f_p99.push_back(Percentile(latency, 0.99));
        if (p < plain.size()) {
          const auto all = plain[p]["latency_us"].get<std::vector<double>>();
          double kind_total = 0;
          size_t kind_count = 0;
          for (size_t i = 0; i < all.size(); ++i) {
            if (queries[i].kind == feature.kind) {
              kind_total += all[i];
              ++kind_count;
            }
          }
          f_ratio.push_back(f_qps.back() / (kind_count / (kind_total / 1e6)));
        }
      }
    }
    if (f_qps.empty()) continue;
    features[feature.name] = {{"kind", feature.kind},
                              {"qps", SpreadJson(f_qps)},
                              {"p50_us", SpreadJson(f_p50)},
                              {"p99_us", SpreadJson(f_p99)},
                              {"qps_vs_plain", SpreadJson(f_ratio)}};
  }
  e["page_features"] = std::move(features);
  return e;
}

// `items` rotated left by `by`.
std::vector<std::string> Rotated(const std::vector<std::string>& items,
                                 size_t by) {
  std::vector<std::string> out;
  for (size_t i = 0; i < items.size(); ++i) {
    out.push_back(items[(i + by) % items.size()]);
  }
  return out;
}

// One line of the corpus format (corpus_record_parser.h) holding `film`.
std::string CorpusLine(const Film& film) {
  json scenes = json::array();
  for (const auto& scene : film.scenes()) {
    scenes.push_back({{"title", scene.title()},
                      {"description", scene.description()},
                      {"context", scene.context()}});
  }
  auto list = [](const auto& repeated) {
    return std::vector<std::string>(repeated.begin(), repeated.end());
  };
  json line = {{"id", FilmIdOf(film.name())},
               {"title", film.title()},
               {"year", film.year() == 0 ? json(nullptr) : json(film.year())},
               {"directors", list(film.directors())},
               {"genres", list(film.genres())},
               {"synopsis", film.synopsis()},
               {"scenes", std::move(scenes)},
               {"cast", list(film.cast())},
               {"url", film.source_url()}};
  // Invalid UTF-8 is replaced rather than thrown on; the corpus has none.
  return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

// --write_corpus: copy `from` of each film, then copy from + 1... up to
// scale - 1 (LoadFilms' order; copy 0 is the film itself), one film at a
// time so x64 never sits in memory.
int WriteCorpus(const std::string& corpus_path, int from, int scale,
                const std::string& out_path) {
  const std::vector<Film> films = LoadFilms(corpus_path, 1);
  FILE* out = out_path == "-" ? stdout : std::fopen(out_path.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "%s: cannot create\n", out_path.c_str());
    return 1;
  }
  for (int copy = std::max(0, from); copy < scale; ++copy) {
    for (const Film& film : films) {
      const std::string line =
          copy == 0 ? CorpusLine(film)
                    : CorpusLine(ScaledCopy(film, FilmIdOf(film.name()), copy));
      std::fwrite(line.data(), 1, line.size(), out);
      std::fputc('\n', out);
    }
  }
  const bool ok = std::fflush(out) == 0 && !std::ferror(out);
  if (out != stdout) std::fclose(out);
  if (!ok) {
    std::fprintf(stderr, "%s: write failed\n", out_path.c_str());
    return 1;
  }
  return 0;
}

int Run() {
  auto analyzer_or = text::Analyzer::Create();
  if (!analyzer_or.ok()) return 1;
  std::shared_ptr<const text::Analyzer> analyzer = *std::move(analyzer_or);

  const std::string corpus_path = absl::GetFlag(FLAGS_corpus).empty()
                                      ? DefaultCorpusPath()
                                      : absl::GetFlag(FLAGS_corpus);
  const int scale = std::max(1, absl::GetFlag(FLAGS_scale));
  if (const std::string out = absl::GetFlag(FLAGS_write_corpus); !out.empty()) {
    return WriteCorpus(corpus_path, absl::GetFlag(FLAGS_write_corpus_from),
                       scale, out);
  }
  Corpus corpus;
  corpus.films = LoadFilms(corpus_path, scale);
  for (uint32_t f = 0; f < corpus.films.size(); ++f) {
    const Film& film = corpus.films[f];
    for (int s = 0; s < film.scenes_size(); ++s) {
      corpus.by_scene[SceneKey(film.name(), film.scenes(s).scene_id())] =
          static_cast<uint32_t>(corpus.docs.size());
      corpus.docs.push_back({f, static_cast<uint32_t>(s)});
    }
  }

  auto all_queries = ReadQueryFile(absl::GetFlag(FLAGS_queries_file));
  if (!all_queries.ok()) {
    std::fprintf(stderr, "%s\n", all_queries.status().ToString().c_str());
    return 1;
  }
  std::vector<BenchQuery> queries;
  const std::vector<std::string> kinds =
      absl::StrSplit(absl::GetFlag(FLAGS_kinds), ',', absl::SkipEmpty());
  for (const BenchQuery& q : *all_queries) {
    if (kinds.empty() ||
        std::find(kinds.begin(), kinds.end(), q.kind) != kinds.end()) {
      queries.push_back(q);
    }
  }
  if (const int max = absl::GetFlag(FLAGS_max_queries);
      max > 0 && queries.size() > static_cast<size_t>(max)) {
    queries.resize(max);
  }
  std::vector<int> tops;
  for (absl::string_view t : absl::StrSplit(absl::GetFlag(FLAGS_tops), ',')) {
    int top;
    if (absl::SimpleAtoi(t, &top)) tops.push_back(top);
  }
  const std::vector<std::string> engines =
      absl::StrSplit(absl::GetFlag(FLAGS_engines), ',', absl::SkipEmpty());
  const std::vector<std::string> matchings =
      absl::StrSplit(absl::GetFlag(FLAGS_matching), ',', absl::SkipEmpty());
  for (const std::string& m : matchings) {
    if (m != "any" && m != "all") {
      std::fprintf(stderr, "--matching: %s is neither any nor all\n",
                   m.c_str());
      return 2;
    }
  }
  if (matchings.empty() || queries.empty() || tops.empty() || engines.empty()) {
    std::fprintf(stderr, "nothing to run\n");
    return 2;
  }
  // Reel's page features run under the first semantics listed.
  const std::string page_matching = matchings.front();
  const int runs = std::max(1, absl::GetFlag(FLAGS_runs));
  const int passes = std::max(1, absl::GetFlag(FLAGS_passes));
  std::fprintf(stderr,
               "compare_bench: %zu films, %zu scenes (x%d), %zu queries, "
               "%d runs x %d passes, matching %s\n",
               corpus.films.size(), corpus.docs.size(), scale, queries.size(),
               runs, passes, absl::StrJoin(matchings, ",").c_str());

  // Scratch files: Lucene's input and the on-disk size builds.
  const std::string dir = std::filesystem::temp_directory_path() /
                          absl::StrCat("reel-compare-", getpid());
  std::filesystem::create_directories(dir);
  const bool with_lucene =
      std::find(engines.begin(), engines.end(), "lucene") != engines.end();
  std::unique_ptr<LuceneServer> lucene;
  if (with_lucene) {
    const auto start = Clock::now();
    lucene = std::make_unique<LuceneServer>(
        WriteLuceneInput(corpus, queries, dir), tops, passes, matchings,
        dir + "/lucene");
    std::fprintf(stderr, "lucene: JVM started and warmed up in %.1f s\n",
                 Seconds(Clock::now() - start));
  }

  auto run_one = [&](const std::string& name, int run) {
    const std::vector<std::string> order = Rotated(matchings, run);
    if (name == "lucene") return lucene->Run(order, corpus);
    if (!absl::GetFlag(FLAGS_fork)) {
      return RunEngine(name, corpus, queries, tops, passes, order,
                       page_matching, analyzer);
    }
    return InChild([&] {
      return RunEngine(name, corpus, queries, tops, passes, order,
                       page_matching, analyzer);
    });
  };
  auto print = [&](int run, const std::string& name, const json& r,
                   double seconds) {
    std::string line =
        absl::StrFormat("run %d %-6s %5.1f s, build %.2f s", run + 1, name,
                        seconds, r["build_seconds"].get<double>());
    for (const std::string& m : matchings) {
      absl::StrAppend(&line, "  ", m, ":");
      for (int top : tops) {
        for (const json& p : r["matching"][m]["timed"][std::to_string(top)]) {
          absl::StrAppendFormat(
              &line, " top%d %.0f", top,
              queries.size() / p["wall_seconds"].get<double>());
        }
      }
    }
    std::fprintf(stderr, "%s QPS\n", line.c_str());
  };

  if (!absl::GetFlag(FLAGS_fork)) {  // Profiling: in process.
    for (int run = 0; run < runs; ++run) {
      for (const std::string& name : engines) {
        const auto start = Clock::now();
        const json r = run_one(name, run);
        print(run, name, r, Seconds(Clock::now() - start));
      }
    }
    lucene.reset();
    std::filesystem::remove_all(dir);
    return 0;
  }

  // results[engine][run]
  std::map<std::string, std::vector<json>> results;
  for (int run = 0; run < runs; ++run) {
    for (size_t e = 0; e < engines.size(); ++e) {
      const std::string& name = engines[(e + run) % engines.size()];
      const auto start = Clock::now();
      results[name].push_back(run_one(name, run));
      print(run, name, results[name].back(), Seconds(Clock::now() - start));
    }
  }

  std::set<std::string> kind_set;
  for (const BenchQuery& q : queries) kind_set.insert(q.kind);
  const double scenes = static_cast<double>(corpus.docs.size());
  json out = {
      {"corpus",
       {{"path", corpus_path},
        {"scale", scale},
        {"films", corpus.films.size()},
        {"scenes", corpus.docs.size()}}},
      {"queries",
       {{"file", absl::GetFlag(FLAGS_queries_file)},
        {"count", queries.size()},
        {"kinds", std::vector<std::string>(kind_set.begin(), kind_set.end())}}},
      {"runs", runs},
      {"passes", passes},
      {"tops", tops},
      {"matching", matchings},
      {"page_features_matching", page_matching},
  };

  // The build, once per run and engine whatever the semantics.
  std::map<std::string, std::vector<double>> build_rate;
  json engines_json = json::object();
  for (const std::string& name : engines) {
    json e = json::object();
    std::vector<double> build, rate, rss, rss_after, heap;
    for (const json& r : results[name]) {
      build.push_back(r["build_seconds"]);
      // Not from Lucene's JVM, which reports its own heap in its stats.
      if (r.contains("heap_build_bytes")) heap.push_back(r["heap_build_bytes"]);
      rate.push_back(scenes / r["build_seconds"].get<double>());
      rss.push_back(r["rss_build_bytes"]);
      rss_after.push_back(r["rss_after_queries_bytes"]);
    }
    build_rate[name] = rate;
    e["build_seconds"] = SpreadJson(build);
    e["build_scenes_per_second"] = SpreadJson(rate);
    e["rss_build_bytes"] = SpreadJson(rss);
    if (!heap.empty()) e["heap_build_bytes"] = SpreadJson(heap);
    e["rss_after_queries_bytes"] = SpreadJson(rss_after);
    e["stats"] = results[name][0]["stats"];
    if (results[name][0].contains("warmup")) {  // Lucene's JVM warm-up.
      e["warmup"] = results[name][0]["warmup"];
    }
    engines_json[name] = std::move(e);
  }
  out["engines"] = std::move(engines_json);
  const bool with_reel = results.count("reel") > 0;
  if (with_reel) {
    json ratios = json::object();
    for (const std::string& other : engines) {
      if (other == "reel") continue;
      std::vector<double> build;
      for (size_t run = 0; run < build_rate["reel"].size(); ++run) {
        build.push_back(build_rate["reel"][run] / build_rate[other][run]);
      }
      ratios["reel_vs_" + other] = {{"build_rate", SpreadJson(build)}};
    }
    out["ratios"] = std::move(ratios);
  }

  // The queries, per semantics.
  std::map<std::string, RunSamples> qps, qps_non_fuzzy;  // [matching]
  json by_matching = json::object();
  for (const std::string& m : matchings) {
    json view = json::object();
    json engine_figures = json::object();
    std::map<std::string, json> top10_ids;  // First run's.
    for (const std::string& name : engines) {
      std::vector<json> runs_of;
      for (const json& r : results[name]) runs_of.push_back(r["matching"][m]);
      top10_ids[name] = runs_of[0]["top10_ids"];
      engine_figures[name] = QueryFigures(
          name, runs_of, queries, tops, &qps[m][name], &qps_non_fuzzy[m][name]);
    }
    view["engines"] = std::move(engine_figures);
    if (with_reel) {
      json ratios = json::object();
      for (const std::string& other : engines) {
        if (other == "reel") continue;
        json r = json::object();
        for (int top : tops) {
          const std::string suffix = std::to_string(top);
          r["qps_top" + suffix] =
              RatioSpread(qps[m]["reel"][top], qps[m][other][top]);
          r["qps_top" + suffix + "_non_fuzzy"] = RatioSpread(
              qps_non_fuzzy[m]["reel"][top], qps_non_fuzzy[m][other][top]);
        }
        ratios["reel_vs_" + other] = std::move(r);
      }
      view["ratios"] = std::move(ratios);
    }
    json overlap = json::object();
    for (size_t a = 0; a < engines.size(); ++a) {
      for (size_t b = a + 1; b < engines.size(); ++b) {
        overlap[engines[a] + "_vs_" + engines[b]] =
            Overlap(queries, top10_ids[engines[a]], top10_ids[engines[b]]);
      }
    }
    view["overlap_at_10"] = std::move(overlap);
    by_matching[m] = std::move(view);
  }
  out["by_matching"] = std::move(by_matching);

  // Each engine under all ÷ under any, pass by pass within each run (the
  // same child ran both).
  if (qps.count("any") && qps.count("all")) {
    json speedup = json::object();
    for (const std::string& name : engines) {
      json s = json::object();
      for (int top : tops) {
        const std::string suffix = std::to_string(top);
        s["qps_top" + suffix] =
            RatioSpread(qps["all"][name][top], qps["any"][name][top]);
        s["qps_top" + suffix + "_non_fuzzy"] = RatioSpread(
            qps_non_fuzzy["all"][name][top], qps_non_fuzzy["any"][name][top]);
      }
      speedup[name] = std::move(s);
    }
    out["all_vs_any"] = std::move(speedup);
  }

  if (absl::GetFlag(FLAGS_disk_sizes)) {
    json sizes = json::object();
    for (const std::string& name : engines) {
      if (name == "fts5") {
        sizes["fts5"] = InChild([&] { return Fts5DiskSize(corpus, dir); });
      } else if (name == "xapian") {
        sizes["xapian"] = InChild([&] { return XapianDiskSize(corpus, dir); });
      } else if (name == "lucene") {
        sizes["lucene"] = lucene->DiskSize();
      }
    }
    out["disk_sizes"] = std::move(sizes);
  }
  lucene.reset();
  std::filesystem::remove_all(dir);

  const std::string text = out.dump(1);
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) {
      std::perror(path.c_str());
      return 1;
    }
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  } else {
    std::printf("%s\n", text.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace reel::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return reel::bench::Run();
}
