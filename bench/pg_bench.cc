// pg_bench: PostgreSQL full-text search over libpq, the end-to-end
// comparison for SearchScenes (same corpus, same queries, same client shape
// as reel_bench: one thread and one connection per client, one query at a
// time).
//
//   pg_bench --mode=load   --conninfo="host=127.0.0.1 port=N user=postgres"
//   pg_bench --mode=search --conninfo=... [--clients=8] [--seconds=10]
//            [--queries_file=bench/queries/films-dev.tsv] [--top=10]
//
// load: one row per scene (doc = scene number in corpus order, film id,
// ordinal, the five texts) and a stored generated tsvector, to_tsvector
// ('english') of each field with setweight A (scene title), B (film title),
// C (description and context), D (synopsis); a GIN index on it; VACUUM
// ANALYZE. Reports COPY and CREATE INDEX times and the sizes.
//
// search: each query of the set becomes a tsquery (see ToTsquery: words
// ORed, "a b" as a <-> b, abc* as abc:*, -w as !w; misspellings as typed;
// the 'english' configuration drops its stop words, as it did when
// indexing) and runs as
//   SELECT doc FROM scenes, to_tsquery('english', $1) q WHERE tsv @@ q
//   ORDER BY ts_rank_cd('{0.167,0.333,0.667,1}', tsv, q) DESC LIMIT top
// with the weights in Reel's proportions (3 : 2 : 1 : 0.5). Prints and
// writes (--json_out) QPS, p50/p99 latency and time to the first row
// (single-row mode).
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "bench/bench_common.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, mode, "search", "load or search");
ABSL_FLAG(std::string, conninfo, "host=127.0.0.1 port=5432 user=postgres",
          "libpq connection string");
ABSL_FLAG(std::string, corpus, "", "load: films; default films-dev");
ABSL_FLAG(std::string, queries_file,
          REEL_SOURCE_DIR "/bench/queries/films-dev.tsv", "search: queries");
ABSL_FLAG(int, clients, 8, "search: concurrent clients");
ABSL_FLAG(double, seconds, 10, "search: how long to run");
ABSL_FLAG(int, top, 10, "search: LIMIT");
ABSL_FLAG(std::string, json_out, "", "also write the results here as JSON");

namespace reel::bench {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr char kSearchSql[] =
    "SELECT doc FROM scenes, to_tsquery('english', $1) q WHERE tsv @@ q "
    "ORDER BY ts_rank_cd('{0.167,0.333,0.667,1}', tsv, q) DESC LIMIT $2";

void Quiet(void*, const char*) {}  // Drops NOTICEs (stop-word-only queries).

PGconn* Connect() {
  PGconn* conn = PQconnectdb(absl::GetFlag(FLAGS_conninfo).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "pg_bench: %s", PQerrorMessage(conn));
    std::exit(1);
  }
  PQsetNoticeProcessor(conn, Quiet, nullptr);
  return conn;
}

void Exec(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
      status != PGRES_COPY_IN) {
    std::fprintf(stderr, "pg_bench: %s: %s", sql.c_str(), PQerrorMessage(conn));
    std::exit(1);
  }
  PQclear(result);
}

int64_t QueryInt(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  int64_t value = 0;
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) {
    value = std::atoll(PQgetvalue(result, 0, 0));
  }
  PQclear(result);
  return value;
}

// COPY text format: backslash, tab, newline and CR escaped.
std::string CopyField(const std::string& value) {
  return absl::StrReplaceAll(
      value, {{"\\", "\\\\"}, {"\t", "\\t"}, {"\n", "\\n"}, {"\r", "\\r"}});
}

int Load() {
  const std::string path = absl::GetFlag(FLAGS_corpus).empty()
                               ? DefaultCorpusPath()
                               : absl::GetFlag(FLAGS_corpus);
  const auto films = LoadFilms(path);
  PGconn* conn = Connect();
  Exec(conn, "DROP TABLE IF EXISTS scenes");
  Exec(conn,
       "CREATE TABLE scenes (doc integer PRIMARY KEY, film text NOT NULL, "
       "ordinal integer NOT NULL, scene_title text, description text, "
       "context text, film_title text, synopsis text, "
       "tsv tsvector GENERATED ALWAYS AS ("
       "setweight(to_tsvector('english', coalesce(scene_title, '')), 'A') || "
       "setweight(to_tsvector('english', coalesce(film_title, '')), 'B') || "
       "setweight(to_tsvector('english', coalesce(description, '') || ' ' || "
       "coalesce(context, '')), 'C') || "
       "setweight(to_tsvector('english', coalesce(synopsis, '')), 'D')) "
       "STORED)");
  const auto copy_start = Clock::now();
  Exec(conn,
       "COPY scenes (doc, film, ordinal, scene_title, description, context, "
       "film_title, synopsis) FROM STDIN");
  int64_t doc = 0;
  std::string buffer;
  for (const auto& film : films) {
    for (int s = 0; s < film.scenes_size(); ++s) {
      const auto& scene = film.scenes(s);
      absl::StrAppend(&buffer, doc++, "\t", CopyField(FilmIdOf(film.name())),
                      "\t", s, "\t", CopyField(scene.title()), "\t",
                      CopyField(scene.description()), "\t",
                      CopyField(scene.context()), "\t", CopyField(film.title()),
                      "\t", CopyField(film.synopsis()), "\n");
      if (buffer.size() > (1 << 20)) {
        PQputCopyData(conn, buffer.data(), static_cast<int>(buffer.size()));
        buffer.clear();
      }
    }
  }
  PQputCopyData(conn, buffer.data(), static_cast<int>(buffer.size()));
  if (PQputCopyEnd(conn, nullptr) != 1) {
    std::fprintf(stderr, "pg_bench: COPY: %s", PQerrorMessage(conn));
    return 1;
  }
  PGresult* result = PQgetResult(conn);
  if (PQresultStatus(result) != PGRES_COMMAND_OK) {
    std::fprintf(stderr, "pg_bench: COPY: %s", PQerrorMessage(conn));
    return 1;
  }
  PQclear(result);
  const double copy_seconds =
      std::chrono::duration<double>(Clock::now() - copy_start).count();
  const auto index_start = Clock::now();
  Exec(conn, "CREATE INDEX scenes_tsv ON scenes USING gin (tsv)");
  const double index_seconds =
      std::chrono::duration<double>(Clock::now() - index_start).count();
  Exec(conn, "VACUUM ANALYZE scenes");
  const json out = {
      {"scenes", doc},
      {"copy_seconds", copy_seconds},
      {"index_seconds", index_seconds},
      {"scenes_per_second", doc / (copy_seconds + index_seconds)},
      {"table_bytes", QueryInt(conn, "SELECT pg_table_size('scenes')")},
      {"gin_index_bytes",
       QueryInt(conn, "SELECT pg_relation_size('scenes_tsv')")},
      {"total_bytes",
       QueryInt(conn, "SELECT pg_total_relation_size('scenes')")},
      {"server_version", PQserverVersion(conn)},
  };
  PQfinish(conn);
  std::printf("%s\n", out.dump().c_str());
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    FILE* file = std::fopen(path.c_str(), "w");
    if (file != nullptr) {
      std::fputs(out.dump(1).c_str(), file);
      std::fclose(file);
    }
  }
  return 0;
}

// Reel's query syntax as a to_tsquery('english', ...) expression.
std::string ToTsquery(const std::string& query) {
  auto lexeme = [](absl::string_view word) {
    return absl::StrCat("'", absl::StrReplaceAll(word, {{"'", "''"}}), "'");
  };
  std::vector<std::string> positive, negative;
  size_t i = 0;
  while (i < query.size()) {
    if (query[i] == ' ') {
      ++i;
      continue;
    }
    bool excluded = false;
    if (query[i] == '-') {
      excluded = true;
      ++i;
    }
    // A field scope has no tsquery equivalent here: the word matches in
    // any field.
    const size_t colon = query.find(':', i);
    if (colon != std::string::npos && colon < query.find(' ', i) &&
        colon < query.find('"', i)) {
      i = colon + 1;
    }
    std::string term;
    if (i < query.size() && query[i] == '"') {
      size_t end = query.find('"', i + 1);
      if (end == std::string::npos) end = query.size();
      std::vector<std::string> words;
      for (absl::string_view w :
           absl::StrSplit(absl::string_view(query).substr(i + 1, end - i - 1),
                          ' ', absl::SkipEmpty())) {
        words.push_back(lexeme(w));
      }
      term = absl::StrCat("(", absl::StrJoin(words, " <-> "), ")");
      i = end + 1;
    } else {
      size_t end = std::min(query.find(' ', i), query.size());
      absl::string_view word = absl::string_view(query).substr(i, end - i);
      i = end;
      const bool prefix = !word.empty() && word.back() == '*';
      if (prefix) word.remove_suffix(1);
      if (word.empty()) continue;
      term = absl::StrCat(lexeme(word), prefix ? ":*" : "");
    }
    (excluded ? negative : positive).push_back(std::move(term));
  }
  std::string expression = absl::StrJoin(positive, " | ");
  for (const std::string& n : negative) {
    expression = absl::StrCat("(", expression, ") & !", n);
  }
  return expression;
}

int Search() {
  auto set = ReadQueryFile(absl::GetFlag(FLAGS_queries_file));
  if (!set.ok()) {
    std::fprintf(stderr, "%s\n", set.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> queries;
  for (const BenchQuery& q : *set) queries.push_back(ToTsquery(q.text));
  const int clients = absl::GetFlag(FLAGS_clients);
  const std::string top = std::to_string(absl::GetFlag(FLAGS_top));
  const auto run_for = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));

  struct Samples {
    std::vector<double> latency_us, first_row_us;
    int64_t errors = 0;
  };
  std::vector<Samples> samples(clients);
  std::vector<PGconn*> connections;
  for (int c = 0; c < clients; ++c) {
    PGconn* conn = Connect();
    PGresult* prepared = PQprepare(conn, "search", kSearchSql, 2, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
      std::fprintf(stderr, "pg_bench: prepare: %s", PQerrorMessage(conn));
      return 1;
    }
    PQclear(prepared);
    connections.push_back(conn);
  }
  const auto start = Clock::now();
  const auto stop_at = start + run_for;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      PGconn* conn = connections[c];
      Samples& mine = samples[c];
      for (int64_t i = 0; Clock::now() < stop_at; ++i) {
        const std::string& query = queries[(i * clients + c) % queries.size()];
        const char* params[] = {query.c_str(), top.c_str()};
        const auto t0 = Clock::now();
        if (PQsendQueryPrepared(conn, "search", 2, params, nullptr, nullptr,
                                0) != 1) {
          ++mine.errors;
          continue;
        }
        PQsetSingleRowMode(conn);
        bool ok = true, first = true;
        while (PGresult* result = PQgetResult(conn)) {
          const ExecStatusType status = PQresultStatus(result);
          if (status == PGRES_SINGLE_TUPLE && first) {
            mine.first_row_us.push_back(
                std::chrono::duration<double, std::micro>(Clock::now() - t0)
                    .count());
            first = false;
          } else if (status != PGRES_SINGLE_TUPLE &&
                     status != PGRES_TUPLES_OK) {
            ok = false;
          }
          PQclear(result);
        }
        if (!ok) {
          ++mine.errors;
          continue;
        }
        mine.latency_us.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - t0)
                .count());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  for (PGconn* conn : connections) PQfinish(conn);

  Samples all;
  for (const Samples& s : samples) {
    all.latency_us.insert(all.latency_us.end(), s.latency_us.begin(),
                          s.latency_us.end());
    all.first_row_us.insert(all.first_row_us.end(), s.first_row_us.begin(),
                            s.first_row_us.end());
    all.errors += s.errors;
  }
  double sum = 0;
  for (double v : all.latency_us) sum += v;
  const json out = {
      {"mode", "pg_search"},
      {"clients", clients},
      {"seconds", elapsed},
      {"calls", all.latency_us.size()},
      {"errors", all.errors},
      {"qps", all.latency_us.size() / elapsed},
      {"p50_us", Percentile(all.latency_us, 0.50)},
      {"p99_us", Percentile(all.latency_us, 0.99)},
      {"mean_us", all.latency_us.empty() ? 0 : sum / all.latency_us.size()},
      {"first_hit_p50_us", Percentile(all.first_row_us, 0.50)},
      {"first_hit_p99_us", Percentile(all.first_row_us, 0.99)},
      {"queries", queries.size()},
      {"top", absl::GetFlag(FLAGS_top)},
  };
  std::printf(
      "pg search clients=%d calls=%zu errors=%lld: %.0f QPS, p50 %.0f us, "
      "p99 %.0f us\n",
      clients, all.latency_us.size(), static_cast<long long>(all.errors),
      out["qps"].get<double>(), out["p50_us"].get<double>(),
      out["p99_us"].get<double>());
  if (const std::string path = absl::GetFlag(FLAGS_json_out); !path.empty()) {
    FILE* file = std::fopen(path.c_str(), "w");
    if (file != nullptr) {
      std::fputs(out.dump(1).c_str(), file);
      std::fclose(file);
    }
  }
  return all.errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace reel::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "load") return reel::bench::Load();
  if (mode == "search") return reel::bench::Search();
  std::fprintf(stderr, "unknown --mode=%s\n", mode.c_str());
  return 2;
}
