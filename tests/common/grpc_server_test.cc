// GrpcServer on its own (no Reel service): the plaintext probes on the
// metrics port follow SetServing, reflection describes every service it
// lists (health included), and reflection can be turned off.
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
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "tests/testing/http_client.h"

namespace reel {
namespace {

using ::reel::testing::HttpGet;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

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

// What one ServerReflectionInfo call answered.
struct ReflectionReply {
  grpc::Status status;
  // The first response message (ServerReflectionResponse), wire-encoded.
  std::string response;
};

// One ServerReflectionInfo call with one request: `field` of
// ServerReflectionRequest set to `value` (7 list_services, 4
// file_containing_symbol). Decoded as wire fields: Debian's gRPC installs no
// header for the reflection messages.
ReflectionReply AskReflection(int port, int field, const std::string& value) {
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
  google::protobuf::UnknownFieldSet request_fields;
  request_fields.AddLengthDelimited(field, value);
  std::string request_bytes;
  request_fields.SerializeToString(&request_bytes);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
  queue.Next(&tag, &ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  const bool read = queue.Next(&tag, &ok) && ok;
  ReflectionReply reply;
  call->Finish(&reply.status, reinterpret_cast<void*>(4));
  while (queue.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  std::vector<grpc::Slice> slices;
  if (read && response.Dump(&slices).ok()) {
    for (const grpc::Slice& part : slices) {
      reply.response.append(reinterpret_cast<const char*>(part.begin()),
                            part.size());
    }
  }
  return reply;
}

// The length-delimited values of field `number` in the message `bytes`.
std::vector<std::string> Values(const std::string& bytes, int number) {
  google::protobuf::UnknownFieldSet fields;
  EXPECT_TRUE(fields.ParseFromString(bytes));
  std::vector<std::string> values;
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    if (field.number() == number &&
        field.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      values.push_back(field.length_delimited());
    }
  }
  return values;
}

// Lists services over reflection; the call's status.
grpc::Status ListServicesByReflection(int port) {
  return AskReflection(port, 7, "").status;
}

// The service names reflection lists (ListServiceResponse.service[].name).
std::vector<std::string> ServicesListedByReflection(int port) {
  const ReflectionReply reply = AskReflection(port, 7, "");
  EXPECT_TRUE(reply.status.ok()) << reply.status.error_message();
  std::vector<std::string> names;
  for (const std::string& list : Values(reply.response, 6)) {
    for (const std::string& service : Values(list, 1)) {
      for (const std::string& name : Values(service, 1)) {
        names.push_back(name);
      }
    }
  }
  return names;
}

// The files reflection sends for `symbol` (file_containing_symbol): the one
// that defines it and its imports. Empty when it answers with an error.
std::vector<google::protobuf::FileDescriptorProto> FilesDescribing(
    int port, const std::string& symbol) {
  const ReflectionReply reply = AskReflection(port, 4, symbol);
  EXPECT_TRUE(reply.status.ok()) << reply.status.error_message();
  std::vector<google::protobuf::FileDescriptorProto> files;
  for (const std::string& found : Values(reply.response, 4)) {
    for (const std::string& bytes : Values(found, 1)) {
      EXPECT_TRUE(files.emplace_back().ParseFromString(bytes));
    }
  }
  return files;
}

// The methods of the service `full_name` as `files` describe it, or nullopt
// when none of them defines it.
std::optional<std::vector<std::string>> DescribedMethods(
    const std::vector<google::protobuf::FileDescriptorProto>& files,
    const std::string& full_name) {
  for (const auto& file : files) {
    for (const auto& service : file.service()) {
      if (absl::StrCat(file.package(), ".", service.name()) != full_name) {
        continue;
      }
      std::vector<std::string> methods;
      for (const auto& method : service.method()) {
        methods.push_back(method.name());
      }
      return methods;
    }
  }
  return std::nullopt;
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

// Every service reflection lists can be described, health too: gRPC serves
// grpc.health.v1.Health from its own code, so without health.proto in the
// generated pool reflection would list it but answer NOT_FOUND for it.
TEST(GrpcServerTest, ReflectionDescribesEveryServiceItLists) {
  auto server = StartServer(/*reflection=*/true);
  ASSERT_NE(server, nullptr);
  const std::vector<std::string> services =
      ServicesListedByReflection(server->port());
  EXPECT_THAT(services,
              UnorderedElementsAre("grpc.health.v1.Health",
                                   "grpc.reflection.v1alpha.ServerReflection",
                                   "reel.catalog.v1.CatalogService"));
  for (const std::string& service : services) {
    SCOPED_TRACE(service);
    EXPECT_NE(
        DescribedMethods(FilesDescribing(server->port(), service), service),
        std::nullopt);
  }

  const std::vector<google::protobuf::FileDescriptorProto> health =
      FilesDescribing(server->port(), "grpc.health.v1.Health");
  EXPECT_THAT(DescribedMethods(health, "grpc.health.v1.Health"),
              Optional(ElementsAre("Check", "Watch")));
  ASSERT_FALSE(health.empty());
  EXPECT_EQ(health[0].name(), "grpc/health/v1/health.proto");
  // The messages too: HealthCheckResponse with its ServingStatus enum.
  const std::vector<google::protobuf::FileDescriptorProto> response =
      FilesDescribing(server->port(), "grpc.health.v1.HealthCheckResponse");
  ASSERT_FALSE(response.empty());
  ASSERT_EQ(response[0].message_type_size(), 2);
  const google::protobuf::DescriptorProto& message =
      response[0].message_type(1);
  EXPECT_EQ(message.name(), "HealthCheckResponse");
  ASSERT_EQ(message.enum_type_size(), 1);
  EXPECT_EQ(message.enum_type(0).name(), "ServingStatus");
  EXPECT_EQ(message.enum_type(0).value(1).name(), "SERVING");
}

}  // namespace
}  // namespace reel
