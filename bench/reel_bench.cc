// reel_bench: a load client for running Reel services, over gRPC.
//
//   reel_bench --mode=getfilm --catalog=HOST:PORT [--clients=32] [--seconds=10]
//   reel_bench --mode=create  --catalog=HOST:PORT [--clients=1] [--seconds=10]
//   reel_bench --mode=search  --search=HOST:PORT  [--clients=8] [--seconds=10]
//              [--queries="red shoes dance;ballerna;..."] [--top=10]
//              [--queries_file=bench/queries/films-dev.tsv]
//   reel_bench --mode=echo    --echo=HOST:PORT    [--clients=32]
//   reel_bench --mode=listfilms --catalog=HOST:PORT [--seconds=5]
//   reel_bench --mode=freshness --catalog=... --search=... [--clients=2]
//              [--write_rate=200] [--seconds=10]
//   reel_bench --mode=status  --search=HOST:PORT
//   reel_bench --mode=watch_abuse --catalog=HOST:PORT [--clients=8]
//              [--abusers=300] [--seconds=10] [--server_pid=PID]
//   reel_bench --mode=search_abuse --search=HOST:PORT [--clients=8]
//              [--abusers=300] [--abuse_max_results=1000] [--seconds=10]
//              [--server_pid=PID]
//
// --json_out=FILE also writes the figures as JSON (scripts/bench.sh).
//
// Each client is a thread with its own channel issuing one call at a time.
// Prints calls/s and latency p50/p99 (for search also the time to the first
// hit). getfilm reads the film names with ListFilms first; create writes new
// films with unique ids (durable, acknowledged writes). echo calls the bare
// echo service of bench/echo_server.cc with the same client shape (the
// machine's gRPC ceiling). listfilms: each call is a full scan, ListFilms
// page after page (1,000 films a page). status prints GetIndexStatus.
// freshness: --clients writers create films at --write_rate in all while a
// probe creates a film with a word of its own and times, from the
// CreateFilm acknowledgement, until SearchScenes returns its scene (asking
// with min_revision = the write's revision, so the search service answers as
// soon as its index has applied it).
// watch_abuse: --clients writers create films for --seconds with no
// watcher, then again with --abusers WatchFilms streams from revision 0
// (snapshots) that are never read; prints both write figures and the
// server's resident memory (--server_pid, from /proc) before and after.
// search_abuse: the same for --clients searchers (--queries) with and
// without --abusers SearchScenes streams of --abuse_max_results hits that
// are never read.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/bench_common.h"
#include "common/server/mutex_mode.h"
#include "nlohmann/json.hpp"
#include "reel/bench/v1/echo.grpc.pb.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "reel/search/v1/search.grpc.pb.h"

ABSL_FLAG(std::string, mode, "getfilm", "getfilm, create or search");
ABSL_FLAG(std::string, catalog, "127.0.0.1:50051", "catalog address");
ABSL_FLAG(std::string, search, "127.0.0.1:50052", "search address");
ABSL_FLAG(int, clients, 8, "concurrent clients (threads, one channel each)");
ABSL_FLAG(double, seconds, 10, "how long to run");
ABSL_FLAG(std::string, queries,
          "red shoes dance;ballerna;\"forget anything but ballet\";murder;"
          "lermon*;war -peace;title:audition;love letter;detective inspector;"
          "the",
          "search queries, separated by ';'");
ABSL_FLAG(int, top, 10, "search: max_results");
ABSL_FLAG(std::string, queries_file, "",
          "search: read the queries from this query set file (kind<TAB>query "
          "lines, see bench/bench_common.h) instead of --queries");
ABSL_FLAG(std::string, echo, "127.0.0.1:50053", "echo service address");
ABSL_FLAG(int, payload_bytes, 64, "echo: bytes sent and returned per call");
ABSL_FLAG(double, write_rate, 200,
          "freshness: background CreateFilm calls per second, in all");
ABSL_FLAG(std::string, json_out, "", "also write the results here as JSON");
ABSL_FLAG(int, abusers, 300,
          "watch_abuse/search_abuse: streams opened and never read");
ABSL_FLAG(int, abuse_max_results, 1000,
          "search_abuse: max_results of the unread searches");
ABSL_FLAG(double, abuse_settle_seconds, 5,
          "watch_abuse/search_abuse: wait this long after opening the unread "
          "streams before measuring (their first messages fill the windows)");
ABSL_FLAG(bool, abuse_bdp, true,
          "watch_abuse/search_abuse: let the unread streams' connections "
          "grow their windows by BDP probing (gRPC's default); false keeps "
          "them at 64 KiB, as a client whose buffers are full");
ABSL_FLAG(int, server_pid, 0,
          "watch_abuse/search_abuse: the server's pid, to report its "
          "resident memory (0: not reported)");

namespace reel::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace catalog_v1 = reel::catalog::v1;
namespace search_v1 = reel::search::v1;

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt("reel.bench.channel", rand());  // A connection per client.
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

struct Samples {
  std::vector<double> latency_us;
  std::vector<double> first_hit_us;
  int64_t errors = 0;
};

// Every client's samples in one.
Samples Merge(const std::vector<Samples>& samples) {
  Samples all;
  for (const Samples& s : samples) {
    all.latency_us.insert(all.latency_us.end(), s.latency_us.begin(),
                          s.latency_us.end());
    all.first_hit_us.insert(all.first_hit_us.end(), s.first_hit_us.begin(),
                            s.first_hit_us.end());
    all.errors += s.errors;
  }
  return all;
}

double Mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / values.size();
}

void WriteJson(const nlohmann::json& value) {
  const std::string path = absl::GetFlag(FLAGS_json_out);
  if (path.empty()) return;
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    std::perror(path.c_str());
    return;
  }
  const std::string text = value.dump(1);
  std::fwrite(text.data(), 1, text.size(), file);
  std::fclose(file);
}

// Pages through every film (1,000 a page); *names gets their names.
grpc::Status ScanFilms(catalog_v1::CatalogService::Stub& stub,
                       std::vector<std::string>* names) {
  std::string token;
  do {
    catalog_v1::ListFilmsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    catalog_v1::ListFilmsResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub.ListFilms(&context, request, &response);
    if (!status.ok()) return status;
    if (names != nullptr) {
      for (const auto& film : response.films()) names->push_back(film.name());
    }
    token = response.next_page_token();
  } while (!token.empty());
  return grpc::Status::OK;
}

int PrintIndexStatus() {
  auto stub =
      search_v1::SearchService::NewStub(Channel(absl::GetFlag(FLAGS_search)));
  grpc::ClientContext context;
  search_v1::GetIndexStatusRequest request;
  search_v1::GetIndexStatusResponse response;
  grpc::Status status = stub->GetIndexStatus(&context, request, &response);
  if (!status.ok()) {
    std::fprintf(stderr, "GetIndexStatus: %s\n",
                 status.error_message().c_str());
    return 1;
  }
  const nlohmann::json value = {
      {"applied_revision", response.applied_revision()},
      {"film_count", response.film_count()},
      {"scene_count", response.scene_count()},
      {"term_count", response.term_count()},
      {"disk_bytes", response.disk_bytes()},
      {"memory_bytes", response.memory_bytes()},
      {"ready", response.ready()}};
  std::printf("%s\n", value.dump().c_str());
  WriteJson(value);
  return 0;
}

// A word no film has: letters only, so it is one token, analysed alike in
// the film and in the query.
std::string ProbeWord(const std::string& run_id, int64_t i) {
  std::string word = "qzprobe";
  for (uint64_t v = std::hash<std::string>()(run_id) % 100000; v > 0; v /= 26) {
    word.push_back(static_cast<char>('a' + v % 26));
  }
  word.push_back('x');
  for (uint64_t v = static_cast<uint64_t>(i) + 1; v > 0; v /= 26) {
    word.push_back(static_cast<char>('a' + v % 26));
  }
  return word;
}

int RunFreshness() {
  const int writers = std::max(1, absl::GetFlag(FLAGS_clients));
  const double rate = absl::GetFlag(FLAGS_write_rate);
  const auto run_for = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
  const std::string run_id =
      absl::StrCat(std::chrono::system_clock::now().time_since_epoch().count());
  const auto start = Clock::now();
  const auto stop_at = start + run_for;
  std::atomic<int64_t> writes{0}, write_errors{0};

  // Background load: each writer paces itself to rate / writers calls/s.
  std::vector<std::thread> threads;
  for (int w = 0; w < writers && rate > 0; ++w) {
    threads.emplace_back([&, w] {
      auto catalog = catalog_v1::CatalogService::NewStub(
          Channel(absl::GetFlag(FLAGS_catalog)));
      const auto period = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(writers / rate));
      auto next = Clock::now();
      for (int64_t i = 0; Clock::now() < stop_at; ++i) {
        grpc::ClientContext context;
        catalog_v1::CreateFilmRequest request;
        request.set_film_id(absl::StrCat("load-", run_id, "-", w, "-", i));
        request.mutable_film()->set_title("Background load");
        auto* scene = request.mutable_film()->add_scenes();
        scene->set_scene_id("s1");
        scene->set_title("A scene");
        scene->set_description("A scene written as background load.");
        catalog_v1::CreateFilmResponse response;
        if (catalog->CreateFilm(&context, request, &response).ok()) {
          ++writes;
        } else {
          ++write_errors;
        }
        next += period;
        std::this_thread::sleep_until(next);
      }
    });
  }

  // The probe: write, then search for the write's word.
  auto catalog = catalog_v1::CatalogService::NewStub(
      Channel(absl::GetFlag(FLAGS_catalog)));
  auto search =
      search_v1::SearchService::NewStub(Channel(absl::GetFlag(FLAGS_search)));
  std::vector<double> fresh_us, ack_us;
  int64_t probe_errors = 0, polls = 0;
  for (int64_t i = 0; Clock::now() < stop_at; ++i) {
    const std::string word = ProbeWord(run_id, i);
    catalog_v1::CreateFilmRequest request;
    request.set_film_id(absl::StrCat("probe-", run_id, "-", i));
    request.mutable_film()->set_title("Freshness probe");
    auto* scene = request.mutable_film()->add_scenes();
    scene->set_scene_id("s1");
    scene->set_title("Probe");
    scene->set_description(absl::StrCat("The probe word is ", word, "."));
    catalog_v1::CreateFilmResponse created;
    const auto t_send = Clock::now();
    {
      grpc::ClientContext context;
      if (!catalog->CreateFilm(&context, request, &created).ok()) {
        ++probe_errors;
        continue;
      }
    }
    const auto t_ack = Clock::now();
    ack_us.push_back(
        std::chrono::duration<double, std::micro>(t_ack - t_send).count());
    bool found = false;
    while (!found && Clock::now() < t_ack + std::chrono::seconds(5)) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(5));
      search_v1::SearchScenesRequest query;
      query.set_query(word + " ");
      query.set_max_results(1);
      query.set_min_revision(created.film().revision());
      auto reader = search->SearchScenes(&context, query);
      search_v1::SearchScenesResponse response;
      while (reader->Read(&response)) found |= response.hits_size() > 0;
      reader->Finish();
      ++polls;
    }
    if (!found) {
      ++probe_errors;
      continue;
    }
    fresh_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - t_ack)
            .count());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& thread : threads) thread.join();
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "mode=freshness writers=%d write_rate=%.0f/s achieved=%.0f/s "
      "probes=%zu errors=%lld\n",
      writers, rate, writes / elapsed, fresh_us.size(),
      static_cast<long long>(probe_errors + write_errors));
  std::printf("ack to searchable: p50 %.0f us, p99 %.0f us, max %.0f us\n",
              Percentile(fresh_us, 0.50), Percentile(fresh_us, 0.99),
              fresh_us.empty()
                  ? 0.0
                  : *std::max_element(fresh_us.begin(), fresh_us.end()));
  WriteJson({{"mode", "freshness"},
             {"writers", writers},
             {"write_rate", rate},
             {"achieved_write_rate", writes / elapsed},
             {"seconds", elapsed},
             {"probes", fresh_us.size()},
             {"searches", polls},
             {"errors", probe_errors + write_errors},
             {"p50_us", Percentile(fresh_us, 0.50)},
             {"p99_us", Percentile(fresh_us, 0.99)},
             {"mean_us", Mean(fresh_us)},
             {"max_us", fresh_us.empty() ? 0.0
                                         : *std::max_element(fresh_us.begin(),
                                                             fresh_us.end())},
             {"probe_write_p50_us", Percentile(ack_us, 0.50)}});
  return probe_errors == 0 ? 0 : 1;
}

// Resident memory of process `pid` in MB (VmRSS), 0 when unknown.
double ResidentMb(int pid) {
  if (pid <= 0) return 0;
  FILE* file = std::fopen(absl::StrCat("/proc/", pid, "/status").c_str(), "r");
  if (file == nullptr) return 0;
  char line[256];
  double kb = 0;
  while (std::fgets(line, sizeof(line), file) != nullptr) {
    if (std::sscanf(line, "VmRSS: %lf kB", &kb) == 1) break;
  }
  std::fclose(file);
  return kb / 1024;
}

struct LoadFigures {
  double qps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
  nlohmann::json ToJson() const {
    return {{"qps", qps},
            {"p50_ms", p50_ms},
            {"p99_ms", p99_ms},
            {"errors", errors}};
  }
};

// --clients threads, each with its own channel, calling `call` (which gets
// the stubs, client and sequence number) one at a time for --seconds.
LoadFigures RunLoad(const std::function<grpc::Status(
                        catalog_v1::CatalogService::Stub&,
                        search_v1::SearchService::Stub&, int, int64_t)>& call) {
  const int clients = absl::GetFlag(FLAGS_clients);
  const auto stop_at =
      Clock::now() +
      std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
  std::vector<Samples> samples(clients);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto catalog = catalog_v1::CatalogService::NewStub(
          Channel(absl::GetFlag(FLAGS_catalog)));
      auto search = search_v1::SearchService::NewStub(
          Channel(absl::GetFlag(FLAGS_search)));
      for (int64_t i = 0; Clock::now() < stop_at; ++i) {
        const auto t0 = Clock::now();
        if (grpc::Status status = call(*catalog, *search, c, i); !status.ok()) {
          if (samples[c].errors++ == 0 && c == 0) {
            std::fprintf(stderr, "client 0, first error: %d %s\n",
                         status.error_code(), status.error_message().c_str());
          }
          continue;
        }
        samples[c].latency_us.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - t0)
                .count());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  const Samples all = Merge(samples);
  LoadFigures figures;
  figures.qps = all.latency_us.size() / elapsed;
  figures.p50_ms = Percentile(all.latency_us, 0.50) / 1000;
  figures.p99_ms = Percentile(all.latency_us, 0.99) / 1000;
  figures.errors = all.errors;
  return figures;
}

// Streams opened and never read: each holds whatever the server manages to
// push into its windows. Cancelled when destroyed.
struct UnreadStreams {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<
      std::unique_ptr<grpc::ClientReader<catalog_v1::WatchFilmsResponse>>>
      watches;
  std::vector<
      std::unique_ptr<grpc::ClientReader<search_v1::SearchScenesResponse>>>
      searches;
  ~UnreadStreams() {
    for (auto& context : contexts) context->TryCancel();
  }
};

// One abuse run: the load alone, then with the unread streams open.
int RunAbuse(bool watch) {
  const std::string run_id =
      absl::StrCat(std::chrono::system_clock::now().time_since_epoch().count());
  std::vector<std::string> queries =
      absl::StrSplit(absl::GetFlag(FLAGS_queries), ';', absl::SkipEmpty());
  int phase = 0;  // Film ids differ between the two runs.
  auto call = [&](catalog_v1::CatalogService::Stub& catalog,
                  search_v1::SearchService::Stub& search, int c,
                  int64_t i) -> grpc::Status {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    if (watch) {
      catalog_v1::CreateFilmRequest request;
      request.set_film_id(
          absl::StrCat("abuse-", run_id, "-", phase, "-", c, "-", i));
      request.mutable_film()->set_title("Benchmark film");
      auto* scene = request.mutable_film()->add_scenes();
      scene->set_scene_id("s1");
      scene->set_title("A scene");
      scene->set_description("A short scene written by the benchmark.");
      catalog_v1::CreateFilmResponse response;
      return catalog.CreateFilm(&context, request, &response);
    }
    search_v1::SearchScenesRequest request;
    request.set_query(queries[(i * 7 + c) % queries.size()]);
    request.set_max_results(absl::GetFlag(FLAGS_top));
    auto reader = search.SearchScenes(&context, request);
    search_v1::SearchScenesResponse response;
    while (reader->Read(&response)) {
    }
    return reader->Finish();
  };
  const int pid = absl::GetFlag(FLAGS_server_pid);
  const double rss_start = ResidentMb(pid);
  const LoadFigures quiet = RunLoad(call);
  const double rss_quiet = ResidentMb(pid);

  const int abusers = absl::GetFlag(FLAGS_abusers);
  UnreadStreams unread;
  for (int i = 0; i < 8; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("reel.bench.channel", rand());
    if (!absl::GetFlag(FLAGS_abuse_bdp)) {
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    }
    unread.channels.push_back(grpc::CreateCustomChannel(
        absl::GetFlag(watch ? FLAGS_catalog : FLAGS_search),
        grpc::InsecureChannelCredentials(), args));
  }
  for (int i = 0; i < abusers; ++i) {
    unread.contexts.push_back(std::make_unique<grpc::ClientContext>());
    grpc::ClientContext* context = unread.contexts.back().get();
    auto& channel = unread.channels[i % unread.channels.size()];
    if (watch) {
      catalog_v1::WatchFilmsRequest request;
      request.set_start_revision(0);
      unread.watches.push_back(
          catalog_v1::CatalogService::NewStub(channel)->WatchFilms(context,
                                                                   request));
    } else {
      search_v1::SearchScenesRequest request;
      request.set_query(queries[i % queries.size()]);
      request.set_max_results(absl::GetFlag(FLAGS_abuse_max_results));
      unread.searches.push_back(
          search_v1::SearchService::NewStub(channel)->SearchScenes(context,
                                                                   request));
    }
  }
  const auto opened = Clock::now();
  std::this_thread::sleep_for(
      std::chrono::duration<double>(absl::GetFlag(FLAGS_abuse_settle_seconds)));
  phase = 1;
  const LoadFigures abused = RunLoad(call);
  const double open_seconds =
      std::chrono::duration<double>(Clock::now() - opened).count();
  const double rss_abused = ResidentMb(pid);

  const char* what = watch ? "writes (CreateFilm)" : "searches";
  std::printf("mode=%s clients=%d abusers=%d seconds=%.1f bdp=%d\n",
              absl::GetFlag(FLAGS_mode).c_str(), absl::GetFlag(FLAGS_clients),
              abusers, absl::GetFlag(FLAGS_seconds),
              absl::GetFlag(FLAGS_abuse_bdp) ? 1 : 0);
  std::printf(
      "%s alone:        %.0f calls/s, p50 %.2f ms, p99 %.2f ms, "
      "errors %lld\n",
      what, quiet.qps, quiet.p50_ms, quiet.p99_ms,
      static_cast<long long>(quiet.errors));
  std::printf(
      "%s with unread:  %.0f calls/s, p50 %.2f ms, p99 %.2f ms, "
      "errors %lld (%.0f%% of alone)\n",
      what, abused.qps, abused.p50_ms, abused.p99_ms,
      static_cast<long long>(abused.errors),
      quiet.qps > 0 ? 100 * abused.qps / quiet.qps : 0);
  if (pid > 0) {
    std::printf(
        "server RSS: %.0f MB at start, %.0f MB after the quiet run, "
        "%.0f MB after %.0f s with %d unread streams (+%.0f MB)\n",
        rss_start, rss_quiet, rss_abused, open_seconds, abusers,
        rss_abused - rss_quiet);
  }
  WriteJson({{"mode", absl::GetFlag(FLAGS_mode)},
             {"clients", absl::GetFlag(FLAGS_clients)},
             {"abusers", abusers},
             {"abuse_bdp", absl::GetFlag(FLAGS_abuse_bdp)},
             {"alone", quiet.ToJson()},
             {"with_unread", abused.ToJson()},
             {"rss_mb_quiet", rss_quiet},
             {"rss_mb_with_unread", rss_abused}});
  return 0;
}

int Run() {
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int clients = absl::GetFlag(FLAGS_clients);
  const auto run_for =
      std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));

  std::vector<std::string> names;
  if (mode == "getfilm") {
    auto stub = catalog_v1::CatalogService::NewStub(
        Channel(absl::GetFlag(FLAGS_catalog)));
    if (grpc::Status status = ScanFilms(*stub, &names); !status.ok()) {
      std::fprintf(stderr, "ListFilms: %s\n", status.error_message().c_str());
      return 1;
    }
    if (names.empty()) {
      std::fprintf(stderr, "the catalog has no films to get\n");
      return 1;
    }
  } else if (mode == "status") {
    return PrintIndexStatus();
  } else if (mode == "freshness") {
    return RunFreshness();
  } else if (mode == "watch_abuse" || mode == "search_abuse") {
    return RunAbuse(mode == "watch_abuse");
  } else if (mode != "create" && mode != "search" && mode != "echo" &&
             mode != "listfilms") {
    std::fprintf(stderr, "unknown --mode=%s\n", mode.c_str());
    return 2;
  }
  std::vector<std::string> queries =
      absl::StrSplit(absl::GetFlag(FLAGS_queries), ';', absl::SkipEmpty());
  if (const std::string path = absl::GetFlag(FLAGS_queries_file);
      !path.empty()) {
    auto set = ReadQueryFile(path);
    if (!set.ok()) {
      std::fprintf(stderr, "%s\n", set.status().ToString().c_str());
      return 1;
    }
    queries.clear();
    for (const BenchQuery& q : *set) queries.push_back(ReelQueryText(q));
  }
  const std::string payload(absl::GetFlag(FLAGS_payload_bytes), 'x');

  std::vector<Samples> samples(clients);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto stop_at =
      start + std::chrono::duration_cast<Clock::duration>(run_for);
  const std::string run_id =
      absl::StrCat(std::chrono::system_clock::now().time_since_epoch().count());
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Samples& mine = samples[c];
      auto catalog = catalog_v1::CatalogService::NewStub(
          Channel(absl::GetFlag(FLAGS_catalog)));
      auto search = search_v1::SearchService::NewStub(
          Channel(absl::GetFlag(FLAGS_search)));
      auto echo = v1::EchoService::NewStub(Channel(absl::GetFlag(FLAGS_echo)));
      for (int64_t i = 0; Clock::now() < stop_at; ++i) {
        const auto t0 = Clock::now();
        grpc::ClientContext context;
        grpc::Status status;
        if (mode == "getfilm") {
          catalog_v1::GetFilmRequest request;
          request.set_name(names[(i * clients + c) % names.size()]);
          catalog_v1::GetFilmResponse response;
          status = catalog->GetFilm(&context, request, &response);
        } else if (mode == "create") {
          catalog_v1::CreateFilmRequest request;
          request.set_film_id(absl::StrCat("bench-", run_id, "-", c, "-", i));
          request.mutable_film()->set_title("Benchmark film");
          auto* scene = request.mutable_film()->add_scenes();
          scene->set_scene_id("s1");
          scene->set_title("A scene");
          scene->set_description("A short scene written by the benchmark.");
          catalog_v1::CreateFilmResponse response;
          status = catalog->CreateFilm(&context, request, &response);
        } else if (mode == "echo") {
          v1::EchoRequest request;
          request.set_payload(payload);
          v1::EchoResponse response;
          status = echo->Echo(&context, request, &response);
        } else if (mode == "listfilms") {
          status = ScanFilms(*catalog, nullptr);
        } else {
          search_v1::SearchScenesRequest request;
          request.set_query(queries[(i * clients + c) % queries.size()]);
          request.set_max_results(absl::GetFlag(FLAGS_top));
          auto reader = search->SearchScenes(&context, request);
          search_v1::SearchScenesResponse response;
          bool first = true;
          while (reader->Read(&response)) {
            if (first && response.hits_size() > 0) {
              mine.first_hit_us.push_back(
                  std::chrono::duration<double, std::micro>(Clock::now() - t0)
                      .count());
              first = false;
            }
          }
          status = reader->Finish();
        }
        if (!status.ok()) {
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

  Samples all = Merge(samples);
  std::printf("mode=%s clients=%d seconds=%.1f calls=%zu errors=%lld\n",
              mode.c_str(), clients, elapsed, all.latency_us.size(),
              static_cast<long long>(all.errors));
  std::printf("throughput: %.0f calls/s\n", all.latency_us.size() / elapsed);
  std::printf("latency: p50 %.0f us, p99 %.0f us\n",
              Percentile(all.latency_us, 0.50),
              Percentile(all.latency_us, 0.99));
  if (!all.first_hit_us.empty()) {
    std::printf("first hit: p50 %.0f us, p99 %.0f us\n",
                Percentile(all.first_hit_us, 0.50),
                Percentile(all.first_hit_us, 0.99));
  }
  const double qps = all.latency_us.size() / elapsed;
  WriteJson({{"mode", mode},
             {"clients", clients},
             {"seconds", elapsed},
             {"calls", all.latency_us.size()},
             {"errors", all.errors},
             {"qps", qps},
             {"p50_us", Percentile(all.latency_us, 0.50)},
             {"p99_us", Percentile(all.latency_us, 0.99)},
             {"mean_us", Mean(all.latency_us)},
             {"first_hit_p50_us", Percentile(all.first_hit_us, 0.50)},
             {"first_hit_p99_us", Percentile(all.first_hit_us, 0.99)},
             {"queries", queries.size()},
             {"top", absl::GetFlag(FLAGS_top)}});
  return all.errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace reel::bench

int main(int argc, char** argv) {
  // As in the services, so the load client and the echo ceiling alike.
  reel::DisableMutexDeadlockDetection();
  absl::ParseCommandLine(argc, argv);
  return reel::bench::Run();
}
