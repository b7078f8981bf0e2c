// bench_report: turns the raw outputs of scripts/bench.sh into the committed
// results: results.json (every figure, median/min/max), BENCHMARKS.md (the
// tables, the targets of issue 6 and the machine) and the data files the
// gnuplot scripts in bench/plots/ draw.
//
//   bench_report --in_dir=build-release/bench-out
//                --results_json=bench/results/results.json
//                --markdown=BENCHMARKS.md --plot_data_dir=DIR
//
// Inputs (any may be missing; its section is then left out):
//   settings.json         what the script ran (rounds, seconds, git, times)
//   load.txt              "epoch load1 load5 load15" samples during the run
//   inproc.json           compare_bench at x1 (all kinds, top 10 and 100,
//                         four engines, any word and every word)
//   growth-x{1,4,16,64}.json          compare_bench on the scaled corpora
//                                     (selective kinds)
//   growth-x{1,4,16,64}-service.json  the services at that scale: catalog
//                                     import, search-service start to ready
//                                     and its peak RSS (scripts/bench.sh)
//   e2e/*.json            reel_bench, pg_bench and import timings, per round
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bench/bench_common.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, in_dir, "build-release/bench-out", "raw outputs");
ABSL_FLAG(std::string, results_json, "bench/results/results.json", "");
ABSL_FLAG(std::string, markdown, "BENCHMARKS.md", "");
ABSL_FLAG(std::string, plot_data_dir, "",
          "gnuplot data (default in_dir/plots)");

namespace reel::bench {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::optional<json> ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    std::fprintf(stderr, "bench_report: %s: %s\n", path.c_str(), e.what());
    return std::nullopt;
  }
}

json SpreadJson(const std::vector<double>& values) {
  const Spread s = SpreadOf(values);
  return {{"median", s.median},
          {"min", s.min},
          {"max", s.max},
          {"n", values.size()}};
}

// ------------------------------------------------------------ formatting --

std::string Thousands(double value) {
  const bool negative = value < 0;
  std::string digits = absl::StrFormat("%.0f", std::fabs(value));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return negative ? "-" + out : out;
}

// A number with about three significant digits.
std::string Num(double value) {
  const double a = std::fabs(value);
  if (a >= 1000) return Thousands(value);
  if (a >= 100) return absl::StrFormat("%.0f", value);
  if (a >= 10) return absl::StrFormat("%.1f", value);
  if (a >= 1) return absl::StrFormat("%.2f", value);
  return absl::StrFormat("%.3f", value);
}

std::string Bytes(double bytes) {
  if (bytes >= 1 << 30) return absl::StrFormat("%.2f GiB", bytes / (1 << 30));
  if (bytes >= 1 << 20) return absl::StrFormat("%.1f MiB", bytes / (1 << 20));
  if (bytes >= 1 << 10) return absl::StrFormat("%.0f KiB", bytes / (1 << 10));
  return absl::StrFormat("%.0f B", bytes);
}

std::string Micros(double us) {
  if (us >= 10000) return absl::StrFormat("%.1f ms", us / 1000);
  if (us >= 1000) return absl::StrFormat("%.2f ms", us / 1000);
  if (us >= 10) return absl::StrFormat("%.0f µs", us);
  return absl::StrFormat("%.1f µs", us);
}

using Formatter = std::string (*)(double);

// "median (min–max)" of a spread object; "—" when absent.
std::string Fmt(const json& spread, Formatter f = Num) {
  if (!spread.is_object() || !spread.contains("median")) return "—";
  const double median = spread["median"], min = spread["min"],
               max = spread["max"];
  if (spread.value("n", 1) <= 1 || min == max) return f(median);
  return absl::StrCat(f(median), " (", f(min), "–", f(max), ")");
}
std::string Med(const json& spread, Formatter f = Num) {
  if (!spread.is_object() || !spread.contains("median")) return "—";
  return f(spread["median"].get<double>());
}
std::string Ratio(const json& spread) {
  if (!spread.is_object() || !spread.contains("median")) return "—";
  auto x = [](double v) { return absl::StrFormat("%.2fx", v); };
  const double median = spread["median"], min = spread["min"],
               max = spread["max"];
  if (spread.value("n", 1) <= 1 || min == max) return x(median);
  return absl::StrCat(x(median), " (", x(min), "–", x(max), ")");
}

const json& At(const json& j, std::initializer_list<std::string> path) {
  static const json kNull;
  const json* node = &j;
  for (const std::string& key : path) {
    if (!node->is_object() || !node->contains(key)) return kNull;
    node = &(*node)[key];
  }
  return *node;
}

// compare_bench's output (inproc.json, growth-x*.json): build figures per
// engine in "engines", query figures per semantics in
// "by_matching"/{any,all}/"engines". Outputs of the harness before the
// semantics were split hold one semantics, any, with both in "engines".
const json& View(const json& run, const std::string& matching) {
  static const json kNull;
  if (run.is_object() && run.contains("by_matching")) {
    return At(run, {"by_matching", matching});
  }
  return matching == "any" ? run : kNull;
}
// The query figures of `engine` under `matching` (top10, top100,
// mean_top10_returned...).
const json& Queries(const json& run, const std::string& matching,
                    const std::string& engine) {
  return At(View(run, matching), {"engines", engine});
}

// The engines of the comparison, in the order tables list them.
constexpr const char* kEngines[] = {"reel", "xapian", "fts5", "lucene"};
constexpr const char* kOthers[] = {"xapian", "fts5", "lucene"};
constexpr const char* kMatchings[] = {"any", "all"};

// --------------------------------------------------------------- machine --

json Machine(const fs::path& in_dir) {
  json machine;
  machine["nproc"] = std::thread::hardware_concurrency();
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (absl::StartsWith(line, "model name")) {
      machine["cpu"] = std::string(
          absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
      break;
    }
  }
  std::ifstream meminfo("/proc/meminfo");
  while (std::getline(meminfo, line)) {
    if (absl::StartsWith(line, "MemTotal:")) {
      machine["memory_bytes"] = std::atoll(line.c_str() + 9) * 1024;
      break;
    }
  }
  struct utsname name;
  if (uname(&name) == 0) {
    machine["kernel"] = absl::StrCat(name.sysname, " ", name.release);
  }
  std::ifstream os("/etc/debian_version");
  if (std::getline(os, line)) machine["debian"] = line;
  // Load average samples taken by scripts/bench.sh during the run.
  std::ifstream load(in_dir / "load.txt");
  std::vector<double> one_minute;
  while (std::getline(load, line)) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    double value;
    if (parts.size() >= 2 && absl::SimpleAtod(parts[1], &value)) {
      one_minute.push_back(value);
    }
  }
  if (!one_minute.empty()) {
    double sum = 0;
    for (double v : one_minute) sum += v;
    machine["load1_mean"] = sum / one_minute.size();
    machine["load1_max"] =
        *std::max_element(one_minute.begin(), one_minute.end());
    machine["load_samples"] = one_minute.size();
  }
  return machine;
}

// ------------------------------------------------------------------- e2e --

// Collects r{round}-{name}.json files: name -> list of the rounds' JSON.
std::map<std::string, std::vector<json>> Rounds(const fs::path& dir) {
  std::map<std::string, std::vector<json>> rounds;
  std::error_code error;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    const std::string stem = path.stem().string();
    if (stem.size() < 3 || stem[0] != 'r' || path.extension() != ".json") {
      continue;
    }
    const size_t dash = stem.find('-');
    int round;
    if (dash == std::string::npos ||
        !absl::SimpleAtoi(stem.substr(1, dash - 1), &round)) {
      continue;
    }
    if (auto j = ReadJson(path)) {
      (*j)["round"] = round;
      rounds[stem.substr(dash + 1)].push_back(*std::move(j));
    }
  }
  return rounds;
}

// Spreads of the usual load-client fields over rounds.
json Summarize(const std::vector<json>& runs) {
  json out = json::object();
  for (const char* key : {"qps", "p50_us", "p99_us", "mean_us",
                          "first_hit_p50_us", "first_hit_p99_us", "errors",
                          "calls", "achieved_write_rate", "probes", "max_us"}) {
    std::vector<double> values;
    for (const json& run : runs) {
      if (run.contains(key)) values.push_back(run[key].get<double>());
    }
    if (!values.empty()) out[key] = SpreadJson(values);
  }
  return out;
}

// Per-round ratio of a field of two series matched by round.
json RoundRatio(const std::vector<json>& a, const std::vector<json>& b,
                const char* key = "qps") {
  std::vector<double> values;
  for (const json& x : a) {
    for (const json& y : b) {
      if (x["round"] == y["round"] && y[key].get<double>() > 0) {
        values.push_back(x[key].get<double>() / y[key].get<double>());
      }
    }
  }
  return values.empty() ? json() : SpreadJson(values);
}

json E2e(const fs::path& dir) {
  json e2e = json::object();
  auto rounds = Rounds(dir);
  if (rounds.empty() && !fs::exists(dir / "import-1.json")) return e2e;

  std::vector<json> imports;
  for (int r = 1;; ++r) {
    auto j = ReadJson(dir / absl::StrCat("import-", r, ".json"));
    if (!j) break;
    imports.push_back(*j);
  }
  if (!imports.empty()) {
    json import = json::object();
    for (const char* key :
         {"films_per_second", "seconds", "catchup_seconds", "films"}) {
      std::vector<double> values;
      for (const json& run : imports) {
        if (run.contains(key)) values.push_back(run[key].get<double>());
      }
      import[key] = SpreadJson(values);
    }
    e2e["import"] = std::move(import);
  }
  if (auto j = ReadJson(dir / "listfilms.json")) {
    e2e["listfilms"] = {{"scans", (*j)["calls"]},
                        {"p50_us", (*j)["p50_us"]},
                        {"p99_us", (*j)["p99_us"]},
                        {"mean_us", (*j)["mean_us"]}};
  }
  if (auto j = ReadJson(dir / "status.json")) e2e["index_status"] = *j;
  if (auto j = ReadJson(dir / "pg-load.json")) e2e["pg_load"] = *j;

  json search = json::object();
  json ratios = json::object();
  for (const char* clients : {"1", "8", "32"}) {
    const std::string c = clients;
    for (const char* engine : {"reel", "pg", "echo"}) {
      const std::string key = absl::StrCat(engine, "-c", c);
      if (rounds.count(key)) search[engine][c] = Summarize(rounds[key]);
    }
    const auto& reel = rounds[absl::StrCat("reel-c", c)];
    if (!reel.empty()) {
      ratios["reel_vs_echo_c" + c] = RoundRatio(reel, rounds["echo-c" + c]);
      ratios["reel_vs_pg_c" + c] = RoundRatio(reel, rounds["pg-c" + c]);
    }
  }
  e2e["search"] = std::move(search);
  // The search service's own CPU time over each Reel search run
  // (scripts/bench.sh reads its /proc stat around the run): queries answered
  // per second of server CPU, i.e. per core kept busy, whatever the load
  // client and the other processes on the machine take.
  json server_cpu = json::object();
  for (const char* c : {"1", "8", "32"}) {
    const auto& cpu = rounds[absl::StrCat("reel-c", c, "-cpu")];
    std::vector<double> per_core, cpu_us;
    for (const json& run : cpu) {
      const double seconds = run.value("server_cpu_seconds", 0.0);
      const double calls = run.value("calls", 0.0);
      if (seconds <= 0 || calls <= 0) continue;
      per_core.push_back(calls / seconds);
      cpu_us.push_back(seconds * 1e6 / calls);
    }
    if (per_core.empty()) continue;
    server_cpu[c] = {{"qps_per_server_core", SpreadJson(per_core)},
                     {"server_cpu_us_per_query", SpreadJson(cpu_us)}};
  }
  if (!server_cpu.empty()) e2e["search_server_cpu"] = std::move(server_cpu);
  if (rounds.count("getfilm-c32")) {
    e2e["getfilm_c32"] = Summarize(rounds["getfilm-c32"]);
    ratios["getfilm_vs_echo_c32"] =
        RoundRatio(rounds["getfilm-c32"], rounds["echo-c32"]);
  }
  if (rounds.count("create-c1")) {
    e2e["create_c1"] = Summarize(rounds["create-c1"]);
    e2e["create_c32"] = Summarize(rounds["create-c32"]);
    ratios["create_c32_vs_c1"] =
        RoundRatio(rounds["create-c32"], rounds["create-c1"]);
  }
  if (rounds.count("freshness")) {
    e2e["freshness"] = Summarize(rounds["freshness"]);
    e2e["freshness"]["write_rate"] = rounds["freshness"][0]["write_rate"];
    e2e["freshness"]["writers"] = rounds["freshness"][0]["writers"];
  }
  e2e["ratios"] = std::move(ratios);
  return e2e;
}

// --------------------------------------------------------------- targets --

struct Target {
  std::string name;
  std::string bar;
  std::string measured;
  std::optional<bool> met;  // nullopt: not measured.
};

std::optional<bool> AtLeast(const json& spread, double bar) {
  if (!spread.is_object() || !spread.contains("median")) return std::nullopt;
  return spread["median"].get<double>() >= bar;
}

std::vector<Target> Targets(const json& results) {
  std::vector<Target> targets;
  const json& inproc = results["in_process"];
  const json& e2e = results["e2e"];
  // Issue 6's targets are on the default semantics, any word.
  const json& any = View(inproc, "any");
  {
    const json& r = At(any, {"ratios", "reel_vs_xapian", "qps_top10"});
    const json& n =
        At(any, {"ratios", "reel_vs_xapian", "qps_top10_non_fuzzy"});
    targets.push_back({"In-process top-10 QPS vs Xapian (in-memory)", "≥ 1.5x",
                       absl::StrCat(Ratio(r), "; non-fuzzy kinds ", Ratio(n)),
                       AtLeast(r, 1.5)});
  }
  for (const char* other : {"fts5", "xapian"}) {
    // On the five kinds the bar was set on (a result without that split
    // falls back to every non-fuzzy kind); the per-kind table has prefix3.
    const std::string pair = absl::StrCat("reel_vs_", other);
    json o = At(any, {"overlap_at_10", pair, "non_fuzzy_original_kinds"});
    const json& all_kinds = At(any, {"overlap_at_10", pair, "non_fuzzy"});
    if (!o.is_number()) o = all_kinds;
    targets.push_back(
        {absl::StrCat("Overlap@10 with ",
                      std::string(other) == "fts5" ? "FTS5" : "Xapian",
                      " (non-fuzzy queries of issue 6's five kinds)"),
         "≥ 0.7",
         o.is_number()
             ? absl::StrCat(absl::StrFormat("%.2f", o.get<double>()),
                            all_kinds.is_number()
                                ? absl::StrFormat("; with prefix3 %.2f",
                                                  all_kinds.get<double>())
                                : "")
             : "—",
         o.is_number() ? std::optional<bool>(o.get<double>() >= 0.7)
                       : std::nullopt});
  }
  {
    const json& r = At(inproc, {"ratios", "reel_vs_fts5", "build_rate"});
    targets.push_back(
        {"Index build rate vs FTS5", "≥ 1x", Ratio(r), AtLeast(r, 1.0)});
  }
  {
    // The measured heap when the run has it, else the estimate.
    const json& heap =
        At(inproc, {"engines", "reel", "heap_build_bytes", "median"});
    const json& reel =
        heap.is_number()
            ? heap
            : At(inproc, {"engines", "reel", "stats", "memory_bytes"});
    const json& fts5 = At(inproc, {"disk_sizes", "fts5", "disk_bytes"});
    if (reel.is_number() && fts5.is_number()) {
      const double ratio = reel.get<double>() / fts5.get<double>();
      targets.push_back(
          {"Index size vs FTS5 (Reel's in-memory index, as malloc holds it, "
           "vs FTS5's db file)",
           "≤ 1x",
           absl::StrFormat("%.2fx (%s vs %s)", ratio, Bytes(reel.get<double>()),
                           Bytes(fts5.get<double>())),
           ratio <= 1.0});
    }
  }
  {
    const json& stats = At(inproc, {"engines", "reel", "stats"});
    const json& lucene =
        At(inproc, {"engines", "lucene", "stats", "index_bytes"});
    if (stats.is_object() && stats.contains("postings_bytes") &&
        lucene.is_number()) {
      const double reel = stats["postings_bytes"].get<double>() +
                          stats["dictionary_bytes"].get<double>();
      const double ratio = reel / lucene.get<double>();
      targets.push_back(
          {"Postings + dictionaries vs Lucene's index files", "≤ 2x",
           absl::StrFormat("%.2fx (%s vs %s; texts %s)", ratio, Bytes(reel),
                           Bytes(lucene.get<double>()),
                           Bytes(stats["text_bytes"].get<double>())),
           ratio <= 2.0});
    }
  }
  {
    const json& r = At(e2e, {"ratios", "reel_vs_echo_c8"});
    targets.push_back({"End to end, top 10, 8 clients: share of echo ceiling",
                       "≥ 0.5x", Ratio(r), AtLeast(r, 0.5)});
    const json& p = At(e2e, {"ratios", "reel_vs_pg_c8"});
    targets.push_back({"End to end, top 10, 8 clients: vs PostgreSQL FTS",
                       "≥ 5x", Ratio(p), AtLeast(p, 5.0)});
  }
  {
    const json& r = At(e2e, {"ratios", "getfilm_vs_echo_c32"});
    targets.push_back({"GetFilm, 32 clients: share of echo ceiling", "≥ 0.7x",
                       Ratio(r), AtLeast(r, 0.7)});
    const json& w = At(e2e, {"ratios", "create_c32_vs_c1"});
    targets.push_back({"CreateFilm durable: 32 writers vs 1", "≥ 5x", Ratio(w),
                       AtLeast(w, 5.0)});
  }
  {
    const json& f = At(e2e, {"freshness", "p99_us"});
    std::optional<bool> met;
    if (f.is_object()) met = f["median"].get<double>() < 10000;
    targets.push_back({"Freshness p99 (write ack to searchable)", "< 10 ms",
                       Fmt(f, Micros), met});
  }
  {
    const json& r = At(results, {"growth", "ratios", "reel", "p50_x16_vs_x1"});
    const json& r99 =
        At(results, {"growth", "ratios", "reel", "p99_x16_vs_x1"});
    std::optional<bool> met;
    if (r.is_number()) met = r.get<double>() <= 4.0;
    targets.push_back(
        {"Selective-query latency x16 vs x1 (p50; p99 in brackets)", "≤ 4x",
         r.is_number()
             ? absl::StrFormat("%.2fx (p99 %.2fx)", r.get<double>(),
                               r99.is_number() ? r99.get<double>() : 0.0)
             : "—",
         met});
  }
  return targets;
}

// ---------------------------------------------------------------- growth --

// The scales of the growth curves, in order.
constexpr const char* kScales[] = {"1", "4", "16", "64"};

json Growth(const fs::path& dir) {
  json growth = json::object();
  json runs = json::object();
  json service = json::object();
  for (const char* scale : kScales) {
    if (auto j = ReadJson(dir / absl::StrCat("growth-x", scale, ".json"))) {
      runs[scale] = *j;
    }
    if (auto j =
            ReadJson(dir / absl::StrCat("growth-x", scale, "-service.json"))) {
      service[scale] = *j;
    }
  }
  if (runs.empty() && service.empty()) return growth;
  growth["scales"] = runs;
  growth["service"] = service;
  // Latency at x16 and x64 over x1, per engine present at both scales
  // (keys p50_x16_vs_x1, p99_x64_vs_x1...), and the same for the search
  // service's start to ready and peak RSS. Each is a ratio of two figures of
  // the same run.
  json ratios = json::object();
  for (const char* scale : {"16", "64"}) {
    if (!runs.contains("1") || !runs.contains(scale)) continue;
    for (const auto& item : runs[scale]["engines"].items()) {
      const std::string& engine = item.key();
      const json& high = Queries(runs[scale], "any", engine);
      const json& low = Queries(runs["1"], "any", engine);
      if (low.is_null() || high.is_null()) continue;
      for (const char* key : {"p50", "p99", "mean"}) {
        const json& a = At(high, {"top10", absl::StrCat(key, "_us"), "median"});
        const json& b = At(low, {"top10", absl::StrCat(key, "_us"), "median"});
        if (!a.is_number() || !b.is_number() || b.get<double>() <= 0) continue;
        ratios[engine][absl::StrCat(key, "_x", scale, "_vs_x1")] =
            a.get<double>() / b.get<double>();
      }
    }
  }
  for (const char* scale : {"16", "64"}) {
    if (!service.contains("1") || !service.contains(scale)) continue;
    for (const char* key : {"start_to_ready_seconds", "peak_rss_bytes"}) {
      const json& a = At(service, {scale, key});
      const json& b = At(service, {"1", key});
      if (!a.is_number() || !b.is_number() || b.get<double>() <= 0) continue;
      ratios["search_service"][absl::StrCat(key, "_x", scale, "_vs_x1")] =
          a.get<double>() / b.get<double>();
    }
  }
  growth["ratios"] = ratios;
  return growth;
}

// The query kinds of the set, in the order tables list them.
constexpr const char* kKinds[] = {"rare",   "common",  "words", "phrase",
                                  "prefix", "prefix3", "typo"};

// ----------------------------------------------------------------- plots --

void WritePlotData(const json& results, const fs::path& dir) {
  fs::create_directories(dir);
  const json& inproc = results["in_process"];
  const std::vector<std::string> engines = {"reel", "xapian", "fts5"};
  // Latency percentiles, in process, top 10: one column per semantics and
  // engine (any: reel xapian fts5 lucene, then all: the same).
  {
    std::ofstream out(dir / "latency_inprocess.dat");
    out << "# percentile any_reel any_xapian any_fts5 any_lucene all_reel "
           "all_xapian all_fts5 all_lucene (microseconds, top 10)\n";
    for (const char* p : {"50", "75", "90", "95", "99", "99.9"}) {
      out << p;
      for (const char* m : kMatchings) {
        for (const char* e : kEngines) {
          const json& v = At(Queries(inproc, m, e),
                             {"top10", "percentiles_us", p, "median"});
          out << " " << (v.is_number() ? v.get<double>() : NAN);
        }
      }
      out << "\n";
    }
  }
  // p50/p99 per query kind, in process, top 10: per semantics, the p50 of
  // each engine then the p99 of each.
  {
    std::ofstream out(dir / "latency_kinds.dat");
    out << "# kind any_{reel,xapian,fts5,lucene}_p50 "
           "any_{reel,xapian,fts5,lucene}_p99 all_..._p50 all_..._p99\n";
    for (const char* kind : kKinds) {
      out << kind;
      for (const char* m : kMatchings) {
        for (const char* q : {"p50_us", "p99_us"}) {
          for (const char* e : kEngines) {
            const json& v = At(Queries(inproc, m, e),
                               {"top10", "kinds", kind, q, "median"});
            out << " " << (v.is_number() ? v.get<double>() : NAN);
          }
        }
      }
      out << "\n";
    }
  }
  // End to end: p50 and p99 per client count for reel, pg, echo.
  {
    std::ofstream out(dir / "latency_e2e.dat");
    out << "# clients reel_p50 pg_p50 echo_p50 reel_p99 pg_p99 echo_p99 "
           "reel_qps pg_qps echo_qps\n";
    for (const char* c : {"1", "8", "32"}) {
      out << c;
      for (const char* q : {"p50_us", "p99_us", "qps"}) {
        for (const char* e : {"reel", "pg", "echo"}) {
          const json& v = At(results["e2e"], {"search", e, c, q, "median"});
          out << " " << (v.is_number() ? v.get<double>() : NAN);
        }
      }
      out << "\n";
    }
  }
  // Growth: per scale, selective-query p50/p99 and sizes per engine, then
  // build times and the search service's start to ready and peak RSS.
  {
    std::ofstream out(dir / "growth.dat");
    out << "# scale scenes reel_p50 xapian_p50 fts5_p50 reel_p99 xapian_p99 "
           "fts5_p99 reel_index_bytes fts5_db_bytes reel_rss xapian_rss "
           "fts5_rss reel_build_s xapian_build_s fts5_build_s "
           "search_ready_s search_peak_rss catalog_import_s\n";
    const json& scales = At(results, {"growth", "scales"});
    const json& service = At(results, {"growth", "service"});
    auto number = [](const json& v) {
      return v.is_number() ? v.get<double>() : NAN;
    };
    for (const char* s : kScales) {
      if (!scales.contains(s)) continue;
      const json& g = scales[s];
      out << s << " " << number(At(g, {"corpus", "scenes"}));
      for (const char* q : {"p50_us", "p99_us"}) {
        for (const std::string& e : engines) {
          out << " "
              << number(At(Queries(g, "any", e), {"top10", q, "median"}));
        }
      }
      out << " " << number(At(g, {"engines", "reel", "stats", "memory_bytes"}))
          << " "
          << number(At(g, {"engines", "fts5", "stats", "memory_db_bytes"}));
      for (const std::string& e : engines) {
        out << " "
            << number(At(g, {"engines", e, "rss_build_bytes", "median"}));
      }
      for (const std::string& e : engines) {
        out << " " << number(At(g, {"engines", e, "build_seconds", "median"}));
      }
      out << " " << number(At(service, {s, "start_to_ready_seconds"})) << " "
          << number(At(service, {s, "peak_rss_bytes"})) << " "
          << number(At(service, {s, "import_seconds"}));
      out << "\n";
    }
  }
}

// -------------------------------------------------------------- markdown --

std::string EngineName(const std::string& e) {
  if (e == "reel") return "Reel SceneIndex";
  if (e == "fts5") return "SQLite FTS5";
  if (e == "xapian") return "Xapian (in-memory)";
  if (e == "lucene") return "Lucene";
  return e;
}

// Sections of the old report that scripts/bench.sh does not produce (hand-run
// benchmarks), marked by a "## " heading that contains "(hand-run)": kept, in
// order, at the end of the new report instead of being lost.
std::string HandRunSections(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::string kept, line;
  bool keeping = false;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "## ")) {
      keeping = absl::StrContains(line, "(hand-run)");
      if (keeping) kept += "\n";
    }
    if (keeping) absl::StrAppend(&kept, line, "\n");
  }
  return kept;
}

// The in-process section: the build and sizes of each engine, then each
// semantics' query figures, then the two semantics against each other.
void InProcessMarkdown(const json& inproc,
                       const std::function<void(const std::string&)>& line) {
  const json& corpus = inproc["corpus"];
  const bool split = inproc.contains("by_matching");
  line("## Search engine in process, single thread");
  line("");
  line(absl::StrFormat(
      "%s films, %s scenes (films-dev); %s queries of the committed set "
      "`bench/queries/films-dev.tsv` (%s); each query is timed from the "
      "query string to the top-k ids (parse, search, read results). Every "
      "engine answers every query under both semantics: **any word** "
      "(Reel's default: a scene matches any of the words, and scenes with "
      "more of them rank first; FTS5 `a OR b`, Xapian `OP_OR`, Lucene "
      "`SHOULD`) and **every word** (Reel's `matching: ALL`; FTS5 `a AND "
      "b`, Xapian `OP_AND`, Lucene `MUST`: the AND the three default to). "
      "Single words, phrases and prefixes mean the same under both; "
      "misspellings run as typed where the engine cannot correct them. A "
      "run builds each engine once and runs both semantics on it, in an "
      "order that alternates from run to run, so every ratio, between "
      "engines or between semantics, is taken within one run. The mapping "
      "is in [bench/README.md](bench/README.md).",
      Thousands(corpus["films"].get<double>()),
      Thousands(corpus["scenes"].get<double>()),
      Thousands(inproc["queries"]["count"].get<double>()),
      absl::StrJoin(inproc["queries"]["kinds"].get<std::vector<std::string>>(),
                    ", ")));
  line("");

  // --- Build and size.
  line("### Build and size");
  line("");
  line(
      "| engine | build | build (scenes/s) | Reel ÷ engine, build rate | "
      "index size | RSS after build |");
  line("| --- | --- | --- | --- | --- | --- |");
  for (const std::string e : kEngines) {
    if (!inproc["engines"].contains(e)) continue;
    const json& x = inproc["engines"][e];
    std::string size = "—";
    if (e == "reel") {
      size = absl::StrCat(Bytes(x["stats"]["memory_bytes"].get<double>()),
                          " in memory¹");
      if (x.contains("heap_build_bytes")) {
        absl::StrAppend(&size, " (malloc heap held: ",
                        Med(x["heap_build_bytes"], Bytes), ")");
      }
    } else if (e == "fts5") {
      const json& d = At(inproc, {"disk_sizes", "fts5"});
      if (d.is_object()) {
        size = absl::StrCat(Bytes(d["disk_bytes"].get<double>()), " db² (",
                            Bytes(d["optimized_disk_bytes"].get<double>()),
                            " optimized)");
      }
    } else if (e == "xapian") {
      const json& d = At(inproc, {"disk_sizes", "xapian"});
      if (d.is_object()) {
        size = absl::StrCat(Bytes(d["disk_bytes"].get<double>()), " glass³ (",
                            Bytes(d["compact_disk_bytes"].get<double>()),
                            " compacted)");
      }
    } else if (e == "lucene") {
      size = absl::StrCat(Bytes(x["stats"]["index_bytes"].get<double>()),
                          " files⁴");
      const json& d = At(inproc, {"disk_sizes", "lucene"});
      if (d.is_object()) {
        absl::StrAppend(&size, " (",
                        Bytes(d["merged_disk_bytes"].get<double>()),
                        " committed, one segment)");
      }
    }
    std::string rss = Med(x["rss_build_bytes"], Bytes);
    if (e == "lucene") {
      rss = absl::StrCat(Med(x["rss_after_queries_bytes"], Bytes),
                         " after queries⁵");
    }
    line(absl::StrFormat(
        "| %s | %s | %s | %s | %s | %s |", EngineName(e),
        Fmt(x["build_seconds"],
            [](double s) { return absl::StrFormat("%.2f s", s); }),
        Fmt(x["build_scenes_per_second"]),
        e == "reel" ? "—"
                    : Ratio(At(inproc, {"ratios", absl::StrCat("reel_vs_", e),
                                        "build_rate"})),
        size, rss));
  }
  line("");
  const json& lucene_heap =
      At(inproc, {"engines", "lucene", "stats", "heap_index_bytes"});
  line(absl::StrCat(
      "¹ `IndexStats.memory_bytes`: postings, dictionaries, per-scene data "
      "and the film records the index keeps for results and highlights "
      "(their texts LZ4-compressed per film); the parts are in results.json "
      "(`postings_bytes`, `dictionary_bytes`, `scene_bytes`, `text_bytes`). "
      "The malloc heap held is measured: the allocator's bytes in use, "
      "mapped blocks included (mallinfo2), grown over the build, rounding "
      "and block headers included; the size "
      "target is taken on it. The search "
      "service's on-disk state (its RocksDB copy of the films, no index) "
      "is in the end-to-end section. ² FTS5 table with its content in an "
      "on-disk database, page_count × page_size as built, and after "
      "'optimize' + VACUUM. ³ Xapian glass database as built (positions, "
      "no document data), and after compaction. ⁴ Lucene's index files as "
      "the timed index flushed them (one segment, memory-mapped: positions "
      "and norms, no stored text), and the same documents committed to disk "
      "and merged to one segment. RSS: resident-memory growth of a forked "
      "child over the build. ⁵ Lucene: growth of its JVM's resident set over "
      "a run, build and queries (mostly the index files it maps; the index "
      "holds ",
      lucene_heap.is_number() ? Bytes(lucene_heap.get<double>()) : "?",
      " of heap after a GC); the JVM's heap (`-Xms`, `-XX:+AlwaysPreTouch`) "
      "is allocated and touched when it starts and not counted."));
  line("");
  const json& lucene = At(inproc, {"engines", "lucene"});
  if (lucene.is_object()) {
    const json& stats = lucene["stats"];
    const json& warmup = lucene["warmup"];
    const json& qps = At(warmup, {"qps"});
    const bool curve = qps.is_array() && !qps.empty();
    line(absl::StrFormat(
        "Lucene %s (Debian's liblucene8-java) on Java %s runs in one JVM "
        "for every run (`bench/lucene/LuceneBench.java`), words scored %s. "
        "When it starts, it builds the index once untimed and warms its JIT "
        "with %s untimed passes over the whole set under both semantics and "
        "both tops (%s s; the first pass ran at %s queries/s, the last at "
        "%s); each run then builds a fresh index (timed) and queries it, as "
        "a warmed-up search server would.",
        stats.value("lucene_version", "?"), stats.value("java_version", "?"),
        stats.value("fields", "") == "bm25f"
            ? "as BM25F over the five fields (`BM25FQuery`)"
            : absl::StrCat("per field, combined by ",
                           stats.value("fields", "?")),
        At(warmup, {"passes"}).dump(),
        At(warmup, {"seconds"}).is_number()
            ? absl::StrFormat("%.1f", warmup["seconds"].get<double>())
            : "?",
        curve ? Num(qps.front().get<double>()) : "?",
        curve ? Num(qps.back().get<double>()) : "?"));
    line("");
  }

  // --- Each semantics.
  for (const char* m : kMatchings) {
    const json& view = View(inproc, m);
    if (!view.is_object() || !view.contains("engines")) continue;
    line(std::string(m) == "any" ? "### Any word (the default)"
                                 : "### Every word (`matching: ALL`)");
    line("");
    line("| engine | top-10 QPS | p50 | p99 | top-100 QPS | p50 | p99 |");
    line("| --- | --- | --- | --- | --- | --- | --- |");
    for (const char* e : kEngines) {
      const json& x = Queries(inproc, m, e);
      if (!x.is_object()) continue;
      line(absl::StrFormat(
          "| %s | %s | %s | %s | %s | %s | %s |", EngineName(e),
          Fmt(x["top10"]["qps"]), Med(x["top10"]["p50_us"], Micros),
          Med(x["top10"]["p99_us"], Micros), Fmt(x["top100"]["qps"]),
          Med(x["top100"]["p50_us"], Micros),
          Med(x["top100"]["p99_us"], Micros)));
    }
    line("");
    line("Ratios within each run (Reel ÷ other), median (min–max):");
    line("");
    line("| | top-10 QPS | top-10, non-fuzzy kinds | top-100 QPS |");
    line("| --- | --- | --- | --- |");
    for (const char* other : kOthers) {
      const json& r = At(view, {"ratios", absl::StrCat("reel_vs_", other)});
      if (r.is_null()) continue;
      line(absl::StrFormat("| Reel vs %s | %s | %s | %s |", EngineName(other),
                           Ratio(r["qps_top10"]),
                           Ratio(At(r, {"qps_top10_non_fuzzy"})),
                           Ratio(r["qps_top100"])));
    }
    line("");
    line(
        "Non-fuzzy kinds: queries ÷ summed latency without the `typo` "
        "kind, which only Reel corrects (the others answer it with a cheap "
        "failed look-up).");
    line("");
    line(
        "Top-10 latency by query kind, median over runs (p50 / p99, and "
        "QPS = queries ÷ summed latency; Reel ÷ other: of those QPS):");
    line("");
    std::string header = "| kind";
    std::string rule = "| ---";
    for (const char* e : kEngines) {
      if (!Queries(inproc, m, e).is_object()) continue;
      const std::string name = e == std::string("reel")     ? "Reel"
                               : e == std::string("xapian") ? "Xapian"
                               : e == std::string("fts5")   ? "FTS5"
                                                            : "Lucene";
      absl::StrAppend(&header, " | ", name, " p50 / p99 | QPS");
      absl::StrAppend(&rule, " | --- | ---");
    }
    absl::StrAppend(&header,
                    " | Reel ÷ Xapian / FTS5 / Lucene | Reel matches (mean) |");
    absl::StrAppend(&rule, " | --- | --- |");
    line(header);
    line(rule);
    for (const char* kind : kKinds) {
      std::string row = absl::StrCat("| ", kind);
      for (const char* e : kEngines) {
        const json& x = Queries(inproc, m, e);
        if (!x.is_object()) continue;
        const json& k = At(x, {"top10", "kinds", kind});
        if (k.is_null()) {
          absl::StrAppend(&row, " | — | —");
          continue;
        }
        absl::StrAppend(&row, " | ", Med(k["p50_us"], Micros), " / ",
                        Med(k["p99_us"], Micros), " | ", Med(k["qps"]));
      }
      const json& reel_qps = At(Queries(inproc, m, "reel"),
                                {"top10", "kinds", kind, "qps", "median"});
      std::vector<std::string> ratios;
      for (const char* other : kOthers) {
        const json& other_qps = At(Queries(inproc, m, other),
                                   {"top10", "kinds", kind, "qps", "median"});
        ratios.push_back(
            reel_qps.is_number() && other_qps.is_number()
                ? absl::StrFormat(
                      "%.2fx", reel_qps.get<double>() / other_qps.get<double>())
                : "—");
      }
      const json& matches =
          At(Queries(inproc, m, "reel"), {"mean_total_matches", kind});
      absl::StrAppend(&row, " | ", absl::StrJoin(ratios, " / "), " | ",
                      matches.is_number() ? Num(matches.get<double>()) : "—",
                      " |");
      line(row);
    }
    line("");
    line(
        "Overlap@10 (|A ∩ B| ÷ min(10, max(|A|, |B|)), mean over queries "
        "where either engine returned a hit; identity = film id + scene "
        "ordinal):");
    line("");
    line(
        "| pair | non-fuzzy | rare | common | words | phrase | prefix | "
        "prefix3 | typo (not counted) |");
    line("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    if (view["overlap_at_10"].is_object()) {
      for (const auto& [pair, o] : view["overlap_at_10"].items()) {
        std::string row = absl::StrCat("| ", pair);
        for (const char* k : {"non_fuzzy", "rare", "common", "words", "phrase",
                              "prefix", "prefix3", "typo"}) {
          absl::StrAppend(&row, " | ",
                          o.contains(k)
                              ? absl::StrFormat("%.2f", o[k].get<double>())
                              : "—");
        }
        line(row + " |");
      }
    }
    line("");
  }

  // --- The two semantics against each other.
  if (split && inproc.contains("all_vs_any")) {
    line("### Every word against any word");
    line("");
    line(
        "Each engine's QPS under every word ÷ its QPS under any word, pass "
        "by pass in the same process, median (min–max):");
    line("");
    line(
        "| engine | top-10 QPS | top-10, non-fuzzy kinds | top-100 QPS | "
        "words kind, top 10: any → all |");
    line("| --- | --- | --- | --- | --- |");
    for (const char* e : kEngines) {
      const json& r = At(inproc, {"all_vs_any", e});
      if (!r.is_object()) continue;
      const json& any_words =
          At(Queries(inproc, "any", e), {"top10", "kinds", "words", "qps"});
      const json& all_words =
          At(Queries(inproc, "all", e), {"top10", "kinds", "words", "qps"});
      line(absl::StrFormat(
          "| %s | %s | %s | %s | %s → %s QPS |", EngineName(e),
          Ratio(r["qps_top10"]), Ratio(r["qps_top10_non_fuzzy"]),
          Ratio(r["qps_top100"]), Med(any_words), Med(all_words)));
    }
    line("");
  }

  // --- Reel's page features.
  const std::string page_matching =
      inproc.value("page_features_matching", std::string("any"));
  const json& features =
      At(Queries(inproc, page_matching, "reel"), {"page_features"});
  if (features.is_object() && !features.empty()) {
    line(absl::StrFormat(
        "What a search page adds, Reel only (%s, top 10; `facets_common`: "
        "genre, director and year counts, top 10 values each, over every "
        "match of a common word; `page2_*`: the second page by cursor). The "
        "last column is the feature's QPS over the plain top-10 QPS of the "
        "same queries in the same pass:",
        page_matching == "any" ? "any word" : "every word"));
    line("");
    line("| feature | over kind | p50 / p99 | QPS | ÷ plain top 10 |");
    line("| --- | --- | --- | --- | --- |");
    for (const auto& [name, f] : features.items()) {
      line(absl::StrCat("| `", name, "` | ", f.value("kind", ""), " | ",
                        Med(f["p50_us"], Micros), " / ",
                        Med(f["p99_us"], Micros), " | ", Fmt(f["qps"]), " | ",
                        Ratio(f["qps_vs_plain"]), " |"));
    }
    line("");
  }
  line(
      "![In-process latency "
      "percentiles](bench/results/latency_inprocess.png)");
  line("");
}

std::string Markdown(const json& results, const std::vector<Target>& targets) {
  std::string md;
  auto line = [&](const std::string& text = "") {
    absl::StrAppend(&md, text, "\n");
  };
  const json& machine = results["machine"];
  const json& settings = results["settings"];
  line("# Benchmarks");
  line();
  line(
      "Reel against what users would pick instead, on the same data, in the "
      "same run (issue 6). Regenerate everything here with one command, from "
      "the repository root:");
  line();
  line("```sh");
  line("scripts/bench.sh");
  line("```");
  line();
  line(
      "It builds Release into `build-release/`, runs every benchmark and "
      "rewrites this file, `bench/results/results.json` and the plots. "
      "[bench/README.md](bench/README.md) describes each benchmark, the "
      "query set and how each engine's queries and sizes are mapped.");
  line();
  line("## Machine and run");
  line();
  line(absl::StrFormat("- %s, %d CPUs (`nproc`), %s RAM; %s; Debian %s",
                       machine.value("cpu", "?"), machine.value("nproc", 0),
                       Bytes(machine.value("memory_bytes", 0.0)),
                       machine.value("kernel", "?"),
                       machine.value("debian", "?")));
  if (machine.contains("load1_mean")) {
    line(absl::StrFormat(
        "- Load average (1 min) during the run: mean %.2f, max %.2f (%d "
        "samples). The machine is shared with other builds, so every figure "
        "is a median of several runs with the min and max beside it, and "
        "every ratio is taken within one run.",
        machine["load1_mean"].get<double>(), machine["load1_max"].get<double>(),
        machine["load_samples"].get<int>()));
  }
  line(absl::StrFormat(
      "- Run %s from commit `%s`%s; %s in all (build %s).",
      settings.value("started", "?"), settings.value("git", "?"),
      settings.value("dirty", false) ? " with local changes" : "",
      settings.value("total_seconds", 0) > 0
          ? absl::StrFormat("%.1f min",
                            settings["total_seconds"].get<double>() / 60)
          : "?",
      settings.value("build_seconds", 0) > 0
          ? absl::StrFormat("%.1f min",
                            settings["build_seconds"].get<double>() / 60)
          : "?"));
  line(absl::StrFormat(
      "- In process: %d runs (each engine built afresh per run, engines in "
      "rotated order). End to end: %d rounds of %.0f s per measurement.%s",
      At(results["in_process"], {"runs"}).is_number()
          ? results["in_process"]["runs"].get<int>()
          : 0,
      settings.value("rounds", 0), settings.value("seconds", 0.0),
      settings.value("quick", false) ? " **Quick mode: fewer, shorter runs.**"
                                     : ""));
  line();

  line("## Targets (issue 6)");
  line();
  line("| target | bar | measured: median (min–max) | met |");
  line("| --- | --- | --- | --- |");
  for (const Target& t : targets) {
    line(absl::StrFormat("| %s | %s | %s | %s |", t.name, t.bar, t.measured,
                         !t.met.has_value() ? "not run"
                         : *t.met           ? "yes"
                                            : "**no**"));
  }
  line();

  const json& inproc = results["in_process"];
  if (inproc.is_object() && inproc.contains("engines")) {
    InProcessMarkdown(inproc, line);
  }

  const json& e2e = results["e2e"];
  if (e2e.is_object() && e2e.contains("search")) {
    line("## End to end over gRPC on loopback");
    line();
    line(
        "catalog-service and search-service (Release, same tree) on "
        "127.0.0.1, films-dev imported with `reelctl import`; `reel_bench` "
        "threads, one channel each, one call in flight each, cycling "
        "through the same query set (top 10). PostgreSQL 15 (Debian, "
        "started by the harness) answers the same queries over libpq with "
        "the same client shape (`pg_bench`). Echo: a bare callback-API "
        "gRPC service (`echo_server`, 64-byte payload) with the same "
        "client: the machine's ceiling. Client and servers share the 2 "
        "CPUs.");
    line();
    line(
        "| clients | Reel QPS | p50 | p99 | first hit p50 | PostgreSQL "
        "QPS | p50 | p99 | first row p50 | echo QPS | echo p50 | Reel ÷ echo | "
        "Reel ÷ PostgreSQL |");
    line(
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | "
        "--- | --- |");
    for (const char* c : {"1", "8", "32"}) {
      const json& reel = At(e2e, {"search", "reel", c});
      const json& pg = At(e2e, {"search", "pg", c});
      const json& echo = At(e2e, {"search", "echo", c});
      line(absl::StrFormat(
          "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
          c, Fmt(At(reel, {"qps"})), Med(At(reel, {"p50_us"}), Micros),
          Med(At(reel, {"p99_us"}), Micros),
          Med(At(reel, {"first_hit_p50_us"}), Micros), Fmt(At(pg, {"qps"})),
          Med(At(pg, {"p50_us"}), Micros), Med(At(pg, {"p99_us"}), Micros),
          Med(At(pg, {"first_hit_p50_us"}), Micros), Fmt(At(echo, {"qps"})),
          Med(At(echo, {"p50_us"}), Micros),
          Ratio(At(e2e, {"ratios", absl::StrCat("reel_vs_echo_c", c)})),
          Ratio(At(e2e, {"ratios", absl::StrCat("reel_vs_pg_c", c)}))));
    }
    line();
    if (const json& cpu = e2e["search_server_cpu"]; cpu.is_object()) {
      std::vector<std::string> parts;
      for (const char* c : {"1", "8", "32"}) {
        if (!cpu.contains(c)) continue;
        parts.push_back(
            absl::StrFormat("%s client%s %s QPS per core (%s of CPU a query)",
                            c, std::string(c) == "1" ? "" : "s",
                            Fmt(cpu[c]["qps_per_server_core"]),
                            Fmt(cpu[c]["server_cpu_us_per_query"], Micros)));
      }
      line(absl::StrCat(
          "The search-service's own CPU time (user + system, from /proc) "
          "over the Reel runs, per query answered: ",
          absl::StrJoin(parts, "; "),
          ". This is what one core of a search replica serves of this mix, "
          "the gRPC and highlighting work included (docs/capacity.md)."));
      line();
    }
    const json& pg_load = e2e["pg_load"];
    const json& status = e2e["index_status"];
    if (pg_load.is_object() || status.is_object()) {
      line("Index state behind the services:");
      line();
      if (status.is_object()) {
        line(absl::StrFormat(
            "- Reel search-service: %s scenes, %s terms; index %s in memory "
            "(GetIndexStatus.memory_bytes); on disk %s "
            "(GetIndexStatus.disk_bytes: the service's RocksDB copy of the "
            "films it follows; the index itself is rebuilt in memory).",
            Thousands(status["scene_count"].get<double>()),
            Thousands(status["term_count"].get<double>()),
            Bytes(status["memory_bytes"].get<double>()),
            Bytes(status["disk_bytes"].get<double>())));
      }
      if (pg_load.is_object()) {
        line(absl::StrFormat(
            "- PostgreSQL: COPY with a stored generated tsvector %.2f s, GIN "
            "index %.2f s (%s scenes/s in all); table %s, GIN index %s.",
            pg_load["copy_seconds"].get<double>(),
            pg_load["index_seconds"].get<double>(),
            Num(pg_load["scenes_per_second"].get<double>()),
            Bytes(pg_load["table_bytes"].get<double>()),
            Bytes(pg_load["gin_index_bytes"].get<double>())));
      }
      line();
    }
    line("![End-to-end latency](bench/results/latency_e2e.png)");
    line();
  }

  if (e2e.is_object() &&
      (e2e.contains("getfilm_c32") || e2e.contains("import"))) {
    line("## Catalog");
    line();
    line("| measurement | result |");
    line("| --- | --- |");
    if (e2e.contains("getfilm_c32")) {
      const json& g = e2e["getfilm_c32"];
      line(absl::StrFormat("| GetFilm, 32 clients | %s QPS, p50 %s, p99 %s |",
                           Fmt(g["qps"]), Med(g["p50_us"], Micros),
                           Med(g["p99_us"], Micros)));
      line(absl::StrFormat("| echo, 32 clients (same rounds) | %s QPS |",
                           Fmt(At(e2e, {"search", "echo", "32", "qps"}))));
      line(absl::StrFormat("| GetFilm ÷ echo | %s |",
                           Ratio(At(e2e, {"ratios", "getfilm_vs_echo_c32"}))));
    }
    if (e2e.contains("create_c1")) {
      line(absl::StrFormat(
          "| CreateFilm (fsync'ed), 1 writer | %s writes/s, p50 %s |",
          Fmt(e2e["create_c1"]["qps"]),
          Med(e2e["create_c1"]["p50_us"], Micros)));
      line(absl::StrFormat(
          "| CreateFilm (fsync'ed), 32 writers | %s writes/s, p50 %s |",
          Fmt(e2e["create_c32"]["qps"]),
          Med(e2e["create_c32"]["p50_us"], Micros)));
      line(absl::StrFormat("| 32 writers ÷ 1 writer | %s |",
                           Ratio(At(e2e, {"ratios", "create_c32_vs_c1"}))));
    }
    if (e2e.contains("import")) {
      const json& i = e2e["import"];
      line(absl::StrFormat(
          "| ImportFilms, films-dev (`reelctl import`) | %s films/s (%s s) |",
          Fmt(i["films_per_second"]), Fmt(i["seconds"])));
      line(absl::StrFormat(
          "| Search index caught up with the import (after it returned) | %s "
          "s |",
          Fmt(i["catchup_seconds"])));
    }
    if (e2e.contains("listfilms")) {
      const json& l = e2e["listfilms"];
      line(absl::StrFormat(
          "| ListFilms full scan (1,000 a page), %d scans | p50 %s, p99 %s |",
          l["scans"].get<int>(), Micros(l["p50_us"].get<double>()),
          Micros(l["p99_us"].get<double>())));
    }
    line();
  }
  if (e2e.is_object() && e2e.contains("freshness")) {
    const json& f = e2e["freshness"];
    line("## Freshness");
    line();
    line(absl::StrFormat(
        "Time from a CreateFilm acknowledgement to SearchScenes returning the "
        "new scene (searched for a word only it has, with min_revision = the "
        "write's revision, so the service answers once its index has applied "
        "it), while %d other writers create films at %s writes/s in all:",
        f["writers"].get<int>(), Num(f["write_rate"].get<double>())));
    line();
    line(
        absl::StrFormat("| p50 | p99 | max | probes per round | achieved "
                        "background writes/s |\n| --- | --- | --- | --- | "
                        "--- |\n| %s | %s | %s | %s | %s |",
                        Fmt(f["p50_us"], Micros), Fmt(f["p99_us"], Micros),
                        Fmt(f["max_us"], Micros), Fmt(f["probes"]),
                        Fmt(f["achieved_write_rate"])));
    line();
  }

  const json& growth = results["growth"];
  if (growth.is_object() && growth.contains("scales")) {
    line("## Cost growth");
    line();
    line(
        "x4, x16 and x64 are copies of the real films with new ids "
        "(`{id}~{n}`) and lightly shuffled scenes (bench/bench_common.h, "
        "ScaledCopy). Selective queries: the `rare` and `phrase` kinds of "
        "the set, top 10, in process, one thread; median of the timed passes "
        "(one build per engine and scale). Engines and timed passes as run: "
        "a subset, to keep the whole benchmark under 15 minutes (Xapian's "
        "in-memory backend builds at about 3k scenes/s; Lucene is left to "
        "the in-process section).");
    line();
    {
      std::vector<std::string> runs;
      for (const char* scale : kScales) {
        if (!growth["scales"].contains(scale)) continue;
        const json& g = growth["scales"][scale];
        std::vector<std::string> names;
        for (const char* e : kEngines) {
          if (g["engines"].contains(e)) names.push_back(EngineName(e));
        }
        runs.push_back(absl::StrFormat(
            "x%s: %s, %d pass%s", scale, absl::StrJoin(names, ", "),
            g.value("passes", 0), g.value("passes", 0) == 1 ? "" : "es"));
      }
      line(absl::StrCat(absl::StrJoin(runs, "; "), "."));
      line();
    }
    line(
        "| scale | scenes | engine | p50 | p99 | QPS | build | build "
        "(scenes/s) | index size | RSS after build |");
    line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const std::string scale : kScales) {
      if (!growth["scales"].contains(scale)) continue;
      const json& g = growth["scales"][scale];
      for (const std::string e : kEngines) {
        if (!g["engines"].contains(e)) continue;
        const json& x = g["engines"][e];
        const json& q = Queries(g, "any", e);
        std::string size = "—";
        if (e == "reel") {
          size = Bytes(x["stats"]["memory_bytes"].get<double>());
          if (x.contains("heap_build_bytes")) {
            absl::StrAppend(&size, " (heap ", Med(x["heap_build_bytes"], Bytes),
                            ")");
          }
        }
        if (e == "fts5") {
          size = Bytes(x["stats"]["memory_db_bytes"].get<double>());
        }
        if (e == "lucene") {
          size = Bytes(x["stats"]["index_bytes"].get<double>());
        }
        line(absl::StrFormat(
            "| x%s | %s | %s | %s | %s | %s | %s s | %s | %s | %s |", scale,
            Thousands(g["corpus"]["scenes"].get<double>()), EngineName(e),
            Fmt(At(q, {"top10", "p50_us"}), Micros),
            Fmt(At(q, {"top10", "p99_us"}), Micros),
            Fmt(At(q, {"top10", "qps"})), Med(x["build_seconds"]),
            Med(x["build_scenes_per_second"]), size,
            Med(x["rss_build_bytes"], Bytes)));
      }
    }
    line();
    const json& ratios = growth["ratios"];
    if (ratios.is_object()) {
      bool header = false;
      for (const char* e : kEngines) {
        if (!ratios.contains(e)) continue;
        if (!header) {
          line("Latency of selective queries at x16 and x64 over x1:");
          line();
          line(
              "| engine | p50 x16/x1 | p50 x64/x1 | p99 x16/x1 | p99 x64/x1 "
              "| mean x16/x1 | mean x64/x1 |");
          line("| --- | --- | --- | --- | --- | --- | --- |");
          header = true;
        }
        auto cell = [&](const char* key) {
          const json& v = At(ratios, {e, key});
          return v.is_number() ? absl::StrFormat("%.2fx", v.get<double>())
                               : std::string("—");
        };
        line(absl::StrFormat("| %s | %s | %s | %s | %s | %s | %s |",
                             EngineName(e), cell("p50_x16_vs_x1"),
                             cell("p50_x64_vs_x1"), cell("p99_x16_vs_x1"),
                             cell("p99_x64_vs_x1"), cell("mean_x16_vs_x1"),
                             cell("mean_x64_vs_x1")));
      }
      if (header) line();
    }
    const json& service = growth["service"];
    if (service.is_object() && !service.empty()) {
      line("### The services at scale");
      line();
      line(
          "One catalog-service grows from scale to scale by ImportFilms "
          "(`reelctl import` of the copies it does not hold yet, 500 films a "
          "message, each batch fsync'ed); then a search-service with an empty "
          "data directory starts following it. **Start to ready**: from "
          "starting the process until its `/readyz` answers 200 (polled every "
          "10 ms), which it does once the catalog's whole snapshot is "
          "indexed (checked: GetIndexStatus then reports the catalog's "
          "revision). **Peak RSS**: the search-service's VmHWM at that "
          "moment. Index memory: GetIndexStatus.memory_bytes. Search disk: "
          "its data directory at that moment (`du`: its RocksDB copy of the "
          "films, written before the index is built; GetIndexStatus."
          "disk_bytes, which counts live SST files and memtables, is in "
          "results.json). Catalog disk: the catalog's data directory after "
          "the import.");
      line();
      line(
          "| scale | films | scenes | catalog import (films/s) | start to "
          "ready | scenes/s to ready | peak RSS | RSS at ready | index memory "
          "| search disk | catalog disk |");
      line(
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
          "|");
      for (const char* scale : kScales) {
        if (!service.contains(scale)) continue;
        const json& v = service[scale];
        const json& st = v["status"];
        const double scenes = At(st, {"scene_count"}).is_number()
                                  ? st["scene_count"].get<double>()
                                  : 0;
        const double ready = v.value("start_to_ready_seconds", 0.0);
        const double imported = v.value("imported_films", 0.0);
        const double import_seconds = v.value("import_seconds", 0.0);
        line(absl::StrFormat(
            "| x%s | %s | %s | %s | %s s | %s | %s | %s | %s | %s | %s |",
            scale,
            Thousands(At(st, {"film_count"}).is_number()
                          ? st["film_count"].get<double>()
                          : 0),
            Thousands(scenes),
            import_seconds > 0 ? Num(imported / import_seconds) : "—",
            Num(ready), ready > 0 ? Num(scenes / ready) : "—",
            Bytes(v.value("peak_rss_bytes", 0.0)),
            Bytes(v.value("rss_at_ready_bytes", 0.0)),
            Bytes(At(st, {"memory_bytes"}).is_number()
                      ? st["memory_bytes"].get<double>()
                      : 0),
            Bytes(v.value("search_data_dir_bytes", 0.0)),
            Bytes(v.value("catalog_disk_bytes", 0.0))));
      }
      line();
      const json& r = At(ratios, {"search_service"});
      if (r.is_object() && !r.empty()) {
        auto cell = [&](const char* key) {
          const json& v = At(r, {key});
          return v.is_number() ? absl::StrFormat("%.2fx", v.get<double>())
                               : std::string("—");
        };
        line(absl::StrFormat(
            "Start to ready x16/x1 %s, x64/x1 %s; peak RSS x16/x1 %s, x64/x1 "
            "%s (the corpus grows 16x and 64x).",
            cell("start_to_ready_seconds_x16_vs_x1"),
            cell("start_to_ready_seconds_x64_vs_x1"),
            cell("peak_rss_bytes_x16_vs_x1"),
            cell("peak_rss_bytes_x64_vs_x1")));
        line();
      }
    }
    line("![Cost growth](bench/results/growth.png)");
    line();
  }
  line(
      "Raw figures: [bench/results/results.json](bench/results/results.json).");
  return md;
}

int Run() {
  const fs::path in_dir = absl::GetFlag(FLAGS_in_dir);
  json results = json::object();
  results["settings"] = ReadJson(in_dir / "settings.json").value_or(json());
  results["machine"] = Machine(in_dir);
  results["in_process"] = ReadJson(in_dir / "inproc.json").value_or(json());
  results["growth"] = Growth(in_dir);
  results["e2e"] = E2e(in_dir / "e2e");
  const std::vector<Target> targets = Targets(results);
  json targets_json = json::array();
  for (const Target& t : targets) {
    targets_json.push_back(
        {{"target", t.name},
         {"bar", t.bar},
         {"measured", t.measured},
         {"met", t.met.has_value() ? json(*t.met) : json(nullptr)}});
  }
  results["targets"] = targets_json;

  // Per-query latencies and ids are in the raw files; results.json keeps the
  // figures.
  for (json* section : {&results["in_process"]}) {
    if (section->is_object()) section->erase("top10_ids");
  }
  const std::string plot_dir = absl::GetFlag(FLAGS_plot_data_dir).empty()
                                   ? (in_dir / "plots").string()
                                   : absl::GetFlag(FLAGS_plot_data_dir);
  WritePlotData(results, plot_dir);

  const fs::path results_path = absl::GetFlag(FLAGS_results_json);
  if (results_path.has_parent_path()) {
    fs::create_directories(results_path.parent_path());
  }
  std::ofstream(results_path) << results.dump(1) << "\n";
  const std::string markdown_path = absl::GetFlag(FLAGS_markdown);
  const std::string kept = HandRunSections(markdown_path);
  std::ofstream(markdown_path) << Markdown(results, targets) << kept;
  for (const Target& t : targets) {
    std::printf("%-70s %-8s %-30s %s\n", t.name.c_str(), t.bar.c_str(),
                t.measured.c_str(),
                !t.met.has_value() ? "not run"
                : *t.met           ? "met"
                                   : "MISSED");
  }
  return 0;
}

}  // namespace
}  // namespace reel::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return reel::bench::Run();
}
