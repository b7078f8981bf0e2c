// A real CatalogServer (RocksDB in a temp dir, gRPC on loopback) observed from
// outside: GET /metrics over a plain socket shows request counts by status
// code, latency histograms, stream gauges and catalog figures; x-request-id
// is echoed (or generated) and lands in the JSON access log; an aged
// connection is sent away.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "catalog-service/server/catalog_server.h"
#include "common/logging/logging.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::GetFilmRequest;
using ::reel::catalog::v1::GetFilmResponse;
using ::reel::catalog::v1::ListFilmsRequest;
using ::reel::catalog::v1::ListFilmsResponse;
using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;
using ::reel::testing::HttpGet;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr char kService[] = "reel.catalog.v1.CatalogService";

std::string Handled(const std::string& method, const std::string& code,
                    int count) {
  return absl::StrCat(
      "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"", kService,
      "\",grpc_method=\"", method, "\",grpc_code=\"", code, "\"} ", count,
      "\n");
}

class GrpcObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    ASSERT_TRUE(InitLogging({.level = "info",
                             .component = "catalog",
                             .format = "json",
                             .sink = sink})
                    .ok());
  }
  void TearDown() override {
    // Stopping includes the metrics server, which must not add seconds of
    // polling to every shutdown.
    const auto start = std::chrono::steady_clock::now();
    catalog_.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              std::chrono::milliseconds(1500));
    ASSERT_TRUE(InitLogging({.level = "info", .component = "test"}).ok());
  }

  void Start(absl::Duration max_connection_age = absl::InfiniteDuration()) {
    CatalogServerOptions options;
    options.store.path = dir_.Join("catalog");
    options.store.maintenance_interval = absl::ZeroDuration();
    options.watch.progress_interval = absl::Milliseconds(100);
    options.server.drain_timeout = absl::Seconds(2);
    options.server.metrics_listen_address = "127.0.0.1:0";
    options.server.max_connection_age = max_connection_age;
    options.server.max_connection_age_grace = absl::Milliseconds(200);
    auto catalog = CatalogServer::Start(options);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    ASSERT_NE(catalog_->server()->metrics_port(), 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", catalog_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = CatalogService::NewStub(channel_);
  }

  // The /metrics body, after checking the status line and content type.
  std::string Scrape() {
    const std::string response =
        HttpGet(catalog_->server()->metrics_port(), "/metrics");
    EXPECT_THAT(response, ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
    EXPECT_THAT(response, HasSubstr("Content-Type: text/plain; version=0.0.4; "
                                    "charset=utf-8\r\n"));
    return reel::testing::HttpBody(response);
  }

  std::ostringstream log_;
  reel::testing::TempDir dir_;
  std::unique_ptr<CatalogServer> catalog_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<CatalogService::Stub> stub_;
};

TEST_F(GrpcObservabilityTest, MetricsCountRequestsByCode) {
  Start();
  {
    GetFilmRequest request;
    request.set_name("films/no-such-film");
    GetFilmResponse response;
    grpc::ClientContext context;
    EXPECT_EQ(stub_->GetFilm(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  for (int i = 0; i < 2; ++i) {
    ListFilmsRequest request;
    ListFilmsResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(stub_->ListFilms(&context, request, &response).ok());
  }

  const std::string metrics = Scrape();
  EXPECT_THAT(metrics, HasSubstr("# TYPE grpc_server_handled_total counter\n"));
  EXPECT_THAT(metrics, HasSubstr(Handled("GetFilm", "NOT_FOUND", 1)));
  EXPECT_THAT(metrics, HasSubstr(Handled("ListFilms", "OK", 2)));
  EXPECT_THAT(metrics, Not(HasSubstr(Handled("GetFilm", "OK", 1))));
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat(
                           "grpc_server_started_total{grpc_type=\"unary\",grpc_"
                           "service=\"",
                           kService, "\",grpc_method=\"ListFilms\"} 2\n")));
  EXPECT_THAT(metrics,
              HasSubstr("# TYPE grpc_server_handling_seconds histogram\n"));
  EXPECT_THAT(metrics,
              HasSubstr(absl::StrCat(
                  "grpc_server_handling_seconds_bucket{grpc_type=\""
                  "unary\",grpc_service=\"",
                  kService, "\",grpc_method=\"ListFilms\",le=\"+Inf\"} 2\n")));
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat(
                           "grpc_server_handling_seconds_count{grpc_type=\""
                           "unary\",grpc_service=\"",
                           kService, "\",grpc_method=\"GetFilm\"} 1\n")));
  EXPECT_THAT(metrics, HasSubstr("reel_catalog_revision 0\n"));
  EXPECT_THAT(metrics,
              HasSubstr("reel_catalog_watch_streams_stalled_total 0\n"));
  EXPECT_THAT(metrics,
              MatchesRegex("(.|\n)*reel_catalog_rocksdb_memtable_bytes "
                           "[0-9]+\n(.|\n)*"));
  EXPECT_THAT(metrics,
              HasSubstr("reel_catalog_rocksdb_pending_compaction_bytes "));

  // Only /metrics is served.
  EXPECT_THAT(HttpGet(catalog_->server()->metrics_port(), "/other"),
              ::testing::StartsWith("HTTP/1.1 404"));
}

TEST_F(GrpcObservabilityTest, StreamsAreGauged) {
  Start();
  grpc::ClientContext context;
  WatchFilmsRequest request;
  auto reader = stub_->WatchFilms(&context, request);
  WatchFilmsResponse response;
  ASSERT_TRUE(reader->Read(&response));
  std::string metrics = Scrape();
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat(
                           "reel_grpc_server_active_streams{grpc_service=\"",
                           kService, "\",grpc_method=\"WatchFilms\"} 1\n")));
  EXPECT_THAT(metrics, HasSubstr("reel_catalog_watch_streams_active 1\n"));
  context.TryCancel();
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The server notices the cancellation asynchronously.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const std::string closed =
      absl::StrCat("reel_grpc_server_active_streams{grpc_service=\"", kService,
                   "\",grpc_method=\"WatchFilms\"} 0\n");
  while (std::chrono::steady_clock::now() < deadline) {
    metrics = Scrape();
    if (metrics.find(closed) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(metrics, HasSubstr(closed));
  EXPECT_THAT(metrics,
              HasSubstr(absl::StrCat(
                  "grpc_server_handled_total{grpc_type=\"server_stream\",grpc_"
                  "service=\"",
                  kService, "\",grpc_method=\"WatchFilms\",grpc_code=\"")));
}

TEST_F(GrpcObservabilityTest, RequestIdIsEchoedAndLogged) {
  Start();
  GetFilmRequest request;
  request.set_name("films/no-such-film");
  GetFilmResponse response;
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "req-42.retry_1");
  EXPECT_EQ(stub_->GetFilm(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const auto& echoed = context.GetServerInitialMetadata();
  auto it = echoed.find("x-request-id");
  ASSERT_NE(it, echoed.end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()),
            "req-42.retry_1");

  // Without one, the server makes one up and still echoes it.
  grpc::ClientContext anonymous;
  ListFilmsResponse list;
  ASSERT_TRUE(stub_->ListFilms(&anonymous, ListFilmsRequest(), &list).ok());
  it = anonymous.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(it, anonymous.GetServerInitialMetadata().end());
  const std::string generated(it->second.data(), it->second.size());
  EXPECT_THAT(generated, MatchesRegex("[0-9a-f]{32}"));

  // One access record per call, each line a JSON object.
  bool saw_get = false, saw_list = false;
  std::istringstream lines(log_.str());
  std::string line;
  while (std::getline(lines, line)) {
    ASSERT_TRUE(nlohmann::json::accept(line)) << line;
    const nlohmann::json record = nlohmann::json::parse(line);
    if (record["msg"] != "rpc") continue;
    EXPECT_THAT(record["peer"].get<std::string>(), HasSubstr("127.0.0.1"));
    EXPECT_GE(record["duration_ms"].get<double>(), 0);
    if (record["method"] == absl::StrCat("/", kService, "/GetFilm")) {
      saw_get = true;
      EXPECT_EQ(record["code"], "NOT_FOUND");
      EXPECT_EQ(record["request_id"], "req-42.retry_1");
    } else if (record["method"] == absl::StrCat("/", kService, "/ListFilms")) {
      saw_list = true;
      EXPECT_EQ(record["code"], "OK");
      EXPECT_EQ(record["request_id"], generated);
    }
  }
  EXPECT_TRUE(saw_get) << log_.str();
  EXPECT_TRUE(saw_list) << log_.str();
}

TEST_F(GrpcObservabilityTest, ForgedRequestIdIsReplacedNotLogged) {
  ASSERT_TRUE(
      InitLogging(
          {.level = "info",
           .component = "catalog",
           .format = "text",
           .sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_)})
          .ok());
  Start();
  const std::string forged = "x code=OK peer=ipv4:10.0.0.1:1 request_id=y";
  GetFilmRequest request;
  request.set_name("films/no-such-film");
  GetFilmResponse response;
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", forged);
  EXPECT_EQ(stub_->GetFilm(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  auto it = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(it, context.GetServerInitialMetadata().end());
  EXPECT_THAT(std::string(it->second.data(), it->second.size()),
              MatchesRegex("[0-9a-f]{32}"));
  EXPECT_THAT(log_.str(), HasSubstr("GetFilm NOT_FOUND"));
  EXPECT_THAT(log_.str(), Not(HasSubstr("code=OK")));
  EXPECT_THAT(log_.str(), Not(HasSubstr("10.0.0.1")));
}

TEST_F(GrpcObservabilityTest, OldConnectionsAreSentAway) {
  Start(/*max_connection_age=*/absl::Milliseconds(300));
  ListFilmsResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->ListFilms(&context, ListFilmsRequest(), &response).ok());
  ASSERT_EQ(channel_->GetState(false), GRPC_CHANNEL_READY);
  // GOAWAY after ~300 ms (+/- jitter) moves the channel off READY.
  EXPECT_TRUE(channel_->WaitForStateChange(
      GRPC_CHANNEL_READY,
      std::chrono::system_clock::now() + std::chrono::seconds(5)));
  EXPECT_NE(channel_->GetState(false), GRPC_CHANNEL_READY);
  // The next call reconnects transparently.
  grpc::ClientContext again;
  EXPECT_TRUE(stub_->ListFilms(&again, ListFilmsRequest(), &response).ok());
}

TEST_F(GrpcObservabilityTest, MetricsPortInUseFailsStart) {
  Start();
  CatalogServerOptions options;
  options.store.path = dir_.Join("other");
  options.server.metrics_listen_address =
      absl::StrCat("127.0.0.1:", catalog_->server()->metrics_port());
  auto other = CatalogServer::Start(options);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition)
      << other.status();
  EXPECT_THAT(other.status().message(),
              HasSubstr("metrics address 127.0.0.1:"));
  EXPECT_THAT(other.status().message(), HasSubstr("already in use"));
}

}  // namespace
}  // namespace reel::catalog
