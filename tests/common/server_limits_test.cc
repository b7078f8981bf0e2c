// A real CatalogServer (RocksDB in a temp dir, gRPC and /metrics on loopback)
// tried as a hostile or careless client would: made-up method names,
// undecodable requests, idle HTTP connections, too many streams on one
// connection, pings too often, a second server on a taken port.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "catalog-service/server/catalog_server.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::ListFilmsRequest;
using ::reel::catalog::v1::ListFilmsResponse;
using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;
using ::reel::testing::ConnectLoopback;
using ::reel::testing::HttpGet;

// Whether the server closed `fd` within `wait` (read returns 0 or an error).
bool ClosedByServer(int fd, std::chrono::milliseconds wait) {
  pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
  if (poll(&entry, 1, static_cast<int>(wait.count())) <= 0) return false;
  char byte;
  return read(fd, &byte, 1) <= 0;
}

class ServerLimitsTest : public ::testing::Test {
 protected:
  void Start(const std::function<void(CatalogServerOptions&)>& adjust = {}) {
    CatalogServerOptions options;
    options.store.path = dir_.Join("catalog");
    options.store.maintenance_interval = absl::ZeroDuration();
    options.watch.progress_interval = absl::Milliseconds(100);
    options.server.drain_timeout = absl::Seconds(1);
    options.server.metrics_listen_address = "127.0.0.1:0";
    if (adjust) adjust(options);
    auto catalog = CatalogServer::Start(options);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    channel_ =
        grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials());
    stub_ = CatalogService::NewStub(channel_);
  }

  std::string Address() const {
    return absl::StrCat("127.0.0.1:", catalog_->port());
  }

  // One unary call of `method` with `payload` as the raw request bytes.
  grpc::Status RawCall(grpc::GenericStub& stub, const std::string& method,
                       const std::string& payload) {
    grpc::Slice slice(payload);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    return status;
  }

  reel::testing::TempDir dir_;
  std::unique_ptr<CatalogServer> catalog_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<CatalogService::Stub> stub_;
};

TEST_F(ServerLimitsTest, MadeUpMethodsShareOneSeries) {
  Start();
  const size_t before =
      HttpGet(catalog_->server()->metrics_port(), "/metrics").size();
  grpc::GenericStub generic(channel_);
  constexpr int kProbes = 300;
  for (int i = 0; i < kProbes; ++i) {
    grpc::Status status =
        RawCall(generic, absl::StrCat("/probe.S", i, "/M", i), "");
    ASSERT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  const std::string metrics =
      HttpGet(catalog_->server()->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, Not(HasSubstr("probe.S")));
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat(
                           "grpc_server_started_total{grpc_type=\"unknown\","
                           "grpc_service=\"unknown\",grpc_method=\"unknown\"} ",
                           kProbes, "\n")));
  // One more set of series at most, whatever the number of names tried.
  EXPECT_LT(metrics.size(), before + 8192)
      << "before " << before << " bytes, after " << metrics.size();
}

TEST_F(ServerLimitsTest, UndecodableRequestIsInvalidArgumentNotUnimplemented) {
  Start();
  grpc::GenericStub generic(channel_);
  // Field 1 (name) as a length-delimited string of bytes that run past the
  // end of the message.
  grpc::Status status =
      RawCall(generic, "/reel.catalog.v1.CatalogService/GetFilm",
              std::string("\x0a\x05\xff\xff\xff", 5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("could not be decoded"));
  EXPECT_THAT(status.error_message(), HasSubstr("GetFilm"));
  // A method that does not exist is still UNIMPLEMENTED.
  status = RawCall(generic, "/reel.catalog.v1.CatalogService/NoSuchMethod",
                   std::string("\x0a\x05\xff\xff\xff", 5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(ServerLimitsTest, IdleHttpConnectionsDoNotDelayAScrape) {
  Start();
  const int port = catalog_->server()->metrics_port();
  // Two half-open connections from the scraper's own address: connected,
  // nothing sent.
  std::vector<int> idle;
  for (int i = 0; i < 2; ++i) idle.push_back(ConnectLoopback(port));
  auto start = Clock::now();
  EXPECT_THAT(HttpGet(port, "/metrics"), HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));

  // 300 more from another address: beyond the per-address bound (32 by
  // default) they are closed at once, and the scrape is still served.
  int accepted = 0;
  for (int i = 0; i < 300; ++i) {
    const int fd = ConnectLoopback(port, "127.0.0.2");
    if (fd >= 0) idle.push_back(fd);
  }
  start = Clock::now();
  EXPECT_THAT(HttpGet(port, "/metrics"), HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  for (size_t i = 2; i < idle.size(); ++i) {
    if (!ClosedByServer(idle[i], std::chrono::milliseconds(0))) ++accepted;
  }
  EXPECT_LE(accepted, 32);
  for (int fd : idle) close(fd);
}

TEST_F(ServerLimitsTest, IdleHttpConnectionsAreClosedAfterTheTimeout) {
  Start([](CatalogServerOptions& options) {
    options.server.metrics_http.idle_timeout = absl::Seconds(1);
  });
  const int fd = ConnectLoopback(catalog_->server()->metrics_port());
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(ClosedByServer(fd, std::chrono::milliseconds(300)));
  EXPECT_TRUE(ClosedByServer(fd, std::chrono::seconds(5)));
  close(fd);
}

TEST_F(ServerLimitsTest, StreamsPerConnectionAreBounded) {
  Start([](CatalogServerOptions& options) {
    options.server.max_concurrent_streams_per_connection = 2;
  });
  // Two watches hold both streams of the one connection.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<WatchFilmsResponse>>> watches;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    WatchFilmsRequest request;
    request.set_start_revision(0);
    watches.push_back(stub_->WatchFilms(contexts.back().get(), request));
    WatchFilmsResponse first;
    ASSERT_TRUE(watches.back()->Read(&first));
  }
  // A third call on the same connection waits for a free stream.
  ListFilmsResponse response;
  grpc::ClientContext blocked;
  blocked.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(500));
  EXPECT_EQ(
      stub_->ListFilms(&blocked, ListFilmsRequest(), &response).error_code(),
      grpc::StatusCode::DEADLINE_EXCEEDED);
  // Once one watch ends, it goes through.
  contexts[0]->TryCancel();
  WatchFilmsResponse rest;
  while (watches[0]->Read(&rest)) {
  }
  watches[0]->Finish();
  grpc::ClientContext after;
  after.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(5));
  EXPECT_TRUE(stub_->ListFilms(&after, ListFilmsRequest(), &response).ok());
  contexts[1]->TryCancel();
  while (watches[1]->Read(&rest)) {
  }
  watches[1]->Finish();
}

// A connection with only keepalive pings: whether the server sends it away
// (GOAWAY too_many_pings moves the channel off READY) within `wait`.
bool PingingClientIsSentAway(const std::string& address,
                             std::chrono::milliseconds ping_every,
                             std::chrono::milliseconds wait) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(ping_every.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  auto channel = grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args);
  auto stub = CatalogService::NewStub(channel);
  ListFilmsResponse response;
  grpc::ClientContext context;
  if (!stub->ListFilms(&context, ListFilmsRequest(), &response).ok()) {
    ADD_FAILURE() << "first call failed";
    return false;
  }
  const auto deadline = std::chrono::system_clock::now() + wait;
  while (channel->GetState(false) == GRPC_CHANNEL_READY) {
    if (!channel->WaitForStateChange(GRPC_CHANNEL_READY, deadline)) {
      return false;
    }
  }
  return true;
}

TEST_F(ServerLimitsTest, KeepalivePingsWithinTheAllowanceKeepTheConnection) {
  Start([](CatalogServerOptions& options) {
    options.server.min_client_ping_interval = absl::Milliseconds(100);
  });
  EXPECT_FALSE(PingingClientIsSentAway(
      Address(), std::chrono::milliseconds(300), std::chrono::seconds(2)));
}

TEST_F(ServerLimitsTest, KeepalivePingsTooOftenAreSentAway) {
  Start([](CatalogServerOptions& options) {
    options.server.min_client_ping_interval = absl::Seconds(5);
  });
  EXPECT_TRUE(PingingClientIsSentAway(Address(), std::chrono::milliseconds(50),
                                      std::chrono::seconds(5)));
}

TEST_F(ServerLimitsTest, SecondServerOnTheSamePortFailsToStart) {
  Start();
  CatalogServerOptions options;
  options.store.path = dir_.Join("other");
  options.store.maintenance_interval = absl::ZeroDuration();
  options.server.listen_address = Address();
  auto other = CatalogServer::Start(options);
  ASSERT_FALSE(other.ok()) << "a second server shares port "
                           << catalog_->port();
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("in use"));
  EXPECT_THAT(other.status().message(), HasSubstr(Address()));
  // The first still answers every call.
  for (int i = 0; i < 8; ++i) {
    grpc::ClientContext context;
    ListFilmsResponse response;
    EXPECT_TRUE(stub_->ListFilms(&context, ListFilmsRequest(), &response).ok());
  }
}

}  // namespace
}  // namespace reel::catalog
