// GrpcServer on its own (no Reel service): the plaintext probes on the
// metrics port follow SetServing, and reflection can be turned off.
#include "common/server/grpc_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "tests/testing/http_client.h"

namespace reel {
namespace {

using ::reel::testing::HttpGet;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A service with no method implemented: gRPC serves nothing (not even
// health) on a server without one.
reel::catalog::v1::CatalogService::CallbackService* EmptyService() {
  static auto* service =
      new reel::catalog::v1::CatalogService::CallbackService();
  return service;
}

std::unique_ptr<GrpcServer> StartServer(
    bool reflection, const std::string& metrics_address = "127.0.0.1:0") {
  GrpcServerOptions options;
  options.metrics_listen_address = metrics_address;
  options.enable_reflection = reflection;
  options.drain_timeout = absl::Milliseconds(200);
  auto server = GrpcServer::Start(options, {EmptyService()});
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// Lists services over reflection; the call's status.
grpc::Status ListServicesByReflection(int port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(
      &context,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  queue.Next(&tag, &ok);
  // ServerReflectionRequest{list_services: ""}: field 7, empty string.
  grpc::Slice slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&slice, 1);
  call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  queue.Next(&tag, &ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  queue.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  while (queue.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

TEST(GrpcServerTest, ReadyzFollowsServingAndHealthzIsAlwaysUp) {
  auto server = StartServer(/*reflection=*/true);
  ASSERT_NE(server, nullptr);
  const int port = server->metrics_port();
  EXPECT_THAT(HttpGet(port, "/healthz"), StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(HttpGet(port, "/readyz"), StartsWith("HTTP/1.1 503"));
  server->SetServing(true);
  EXPECT_THAT(HttpGet(port, "/readyz"), StartsWith("HTTP/1.1 200"));
  server->SetServing(false);
  EXPECT_THAT(HttpGet(port, "/readyz"), StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(HttpGet(port, "/healthz"), StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(HttpGet(port, "/nothing"), StartsWith("HTTP/1.1 404"));
}

// Whether a TCP connection to `address`:port can be made.
bool Connects(const char* address, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address, &target.sin_addr);
  const bool connected =
      connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) == 0;
  close(fd);
  return connected;
}

// --metrics_listen=127.0.0.1:PORT keeps /metrics (and the probes) to the
// host itself; the wildcard address serves every interface. 127.0.0.2 is
// another address of the loopback interface, standing in for the pod IP.
TEST(GrpcServerTest, MetricsOnLocalhostOnlyAreNotServedElsewhere) {
  auto local = StartServer(/*reflection=*/true, "127.0.0.1:0");
  ASSERT_NE(local, nullptr);
  EXPECT_TRUE(Connects("127.0.0.1", local->metrics_port()));
  EXPECT_FALSE(Connects("127.0.0.2", local->metrics_port()));

  auto everywhere = StartServer(/*reflection=*/true, "0.0.0.0:0");
  ASSERT_NE(everywhere, nullptr);
  EXPECT_TRUE(Connects("127.0.0.2", everywhere->metrics_port()));
}

TEST(GrpcServerTest, ReflectionIsServedUnlessTurnedOff) {
  auto with = StartServer(/*reflection=*/true);
  ASSERT_NE(with, nullptr);
  EXPECT_TRUE(ListServicesByReflection(with->port()).ok());

  auto without = StartServer(/*reflection=*/false);
  ASSERT_NE(without, nullptr);
  EXPECT_EQ(ListServicesByReflection(without->port()).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  // The first server, started before, still has it.
  EXPECT_TRUE(ListServicesByReflection(with->port()).ok());
}

}  // namespace
}  // namespace reel
