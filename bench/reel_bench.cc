// reel_bench: a load client for running Reel services, over gRPC.
//
//   reel_bench --mode=getfilm --catalog=HOST:PORT [--clients=32] [--seconds=10]
//   reel_bench --mode=create  --catalog=HOST:PORT [--clients=1] [--seconds=10]
//   reel_bench --mode=search  --search=HOST:PORT  [--clients=8] [--seconds=10]
//              [--queries="red shoes dance;ballerna;..."] [--top=10]
//
// Each client is a thread with its own channel issuing one call at a time.
// Prints calls/s and latency p50/p99 (for search also the time to the first
// hit). getfilm reads the film names with ListFilms first; create writes new
// films with unique ids (durable, acknowledged writes).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1,
                         static_cast<size_t>(p * values.size()))];
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
    std::string token;
    do {
      catalog_v1::ListFilmsRequest request;
      request.set_page_size(1000);
      request.set_page_token(token);
      catalog_v1::ListFilmsResponse response;
      grpc::ClientContext context;
      grpc::Status status = stub->ListFilms(&context, request, &response);
      if (!status.ok()) {
        std::fprintf(stderr, "ListFilms: %s\n", status.error_message().c_str());
        return 1;
      }
      for (const auto& film : response.films()) names.push_back(film.name());
      token = response.next_page_token();
    } while (!token.empty());
    if (names.empty()) {
      std::fprintf(stderr, "the catalog has no films to get\n");
      return 1;
    }
  } else if (mode != "create" && mode != "search") {
    std::fprintf(stderr, "unknown --mode=%s\n", mode.c_str());
    return 2;
  }
  const std::vector<std::string> queries =
      absl::StrSplit(absl::GetFlag(FLAGS_queries), ';', absl::SkipEmpty());

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

  Samples all;
  for (const Samples& s : samples) {
    all.latency_us.insert(all.latency_us.end(), s.latency_us.begin(),
                          s.latency_us.end());
    all.first_hit_us.insert(all.first_hit_us.end(), s.first_hit_us.begin(),
                            s.first_hit_us.end());
    all.errors += s.errors;
  }
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
  return all.errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace reel::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return reel::bench::Run();
}
