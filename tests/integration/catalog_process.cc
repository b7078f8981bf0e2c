#include "tests/integration/catalog_process.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/generic/generic_stub.h>
#include <signal.h>

#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"

namespace reel::testing {

std::string CatalogServicePath() { return CATALOG_SERVICE_PATH; }
std::string ReelctlPath() { return REELCTL_PATH; }

std::string ToolRun::Describe() const {
  return absl::StrCat("reelctl ", exit.ToString(), "\nstdout:\n", out,
                      "\nstderr:\n", err);
}

absl::StatusOr<ToolRun> RunReelctl(const std::vector<std::string>& args) {
  ChildProcessOptions options;
  options.capture_stderr = true;
  absl::StatusOr<std::unique_ptr<ChildProcess>> tool =
      ChildProcess::Start(ReelctlPath(), args, options);
  if (!tool.ok()) return tool.status();
  absl::StatusOr<ExitStatus> exit = (*tool)->Wait(std::chrono::seconds(120));
  if (!exit.ok()) return exit.status();
  return ToolRun{*exit, (*tool)->stdout_text(), (*tool)->stderr_text()};
}

absl::StatusOr<std::unique_ptr<CatalogProcess>> CatalogProcess::Start(
    const CatalogProcessOptions& options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: is required");
  }
  std::vector<std::string> args = {"--listen=127.0.0.1:0",
                                   "--data_dir=" + options.data_dir};
  args.insert(args.end(), options.flags.begin(), options.flags.end());
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(
      CatalogServicePath(), args, {.stderr_path = options.log_path});
  if (!process.ok()) return process.status();
  absl::StatusOr<std::vector<std::string>> match = (*process)->WaitForLine(
      "^catalog-service listening on port ([0-9]+)$", kCatalogStartTimeout);
  if (!match.ok()) return match.status();
  const int port = std::stoi((*match)[1]);
  return std::unique_ptr<CatalogProcess>(
      new CatalogProcess(*std::move(process), port));
}

CatalogProcess::CatalogProcess(std::unique_ptr<ChildProcess> process, int port)
    : process_(std::move(process)),
      port_(port),
      channel_(
          grpc::CreateChannel(address(), grpc::InsecureChannelCredentials())) {}

std::string CatalogProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::unique_ptr<reel::catalog::v1::CatalogService::Stub>
CatalogProcess::NewStub() const {
  return reel::catalog::v1::CatalogService::NewStub(channel_);
}

absl::Status CatalogProcess::Stop(std::chrono::milliseconds timeout) {
  ReleaseChannel();
  return process_->Terminate("catalog-service", timeout,
                             [this] { return LogTail(4000); });
}

absl::Status CatalogProcess::Crash() {
  return process_->Crash("catalog-service", kCatalogStopTimeout);
}

absl::StatusOr<int> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& service,
                                std::chrono::milliseconds timeout) {
  using google::protobuf::internal::WireFormatLite;
  // HealthCheckRequest { string service = 1; }
  std::string request_bytes;
  {
    google::protobuf::io::StringOutputStream stream(&request_bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    if (!service.empty()) WireFormatLite::WriteString(1, service, &coded);
  }
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;

  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) return FromGrpcStatus(status);

  // HealthCheckResponse { ServingStatus status = 1; }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return absl::InternalError("cannot read the health response");
  }
  std::string response_bytes;
  for (const grpc::Slice& part : slices) {
    response_bytes.append(reinterpret_cast<const char*>(part.begin()),
                          part.size());
  }
  google::protobuf::io::CodedInputStream input(
      reinterpret_cast<const uint8_t*>(response_bytes.data()),
      static_cast<int>(response_bytes.size()));
  int serving_status = 0;  // UNKNOWN when the field is absent.
  while (const uint32_t tag = input.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == 1 &&
        WireFormatLite::GetTagWireType(tag) ==
            WireFormatLite::WIRETYPE_VARINT) {
      uint32_t value = 0;
      if (!input.ReadVarint32(&value)) break;
      serving_status = static_cast<int>(value);
    } else if (!WireFormatLite::SkipField(&input, tag)) {
      return absl::InternalError("malformed health response");
    }
  }
  return serving_status;
}

}  // namespace reel::testing
