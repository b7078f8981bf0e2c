#include "tools/reelctl/cli_context.h"

#include <google/protobuf/util/json_util.h>

#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server/tls_credentials.h"
#include "common/status/grpc_status.h"

ABSL_FLAG(std::string, catalog, "",
          "catalog address (default: $REEL_CATALOG_ADDR, else "
          "localhost:50051)");
ABSL_FLAG(std::string, tls_dir, "",
          "directory with ca.crt (and tls.crt + tls.key for a client "
          "certificate) to connect over TLS; empty: plaintext");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "deadline of each unary call, e.g. 10s or 500ms");

namespace reel::reelctl {
namespace {

constexpr char kDefaultAddress[] = "localhost:50051";
// Whole films with thousands of scenes, and large import batches, fit.
constexpr int kMaxMessageBytes = 64 << 20;

std::string CatalogAddress() {
  std::string address = absl::GetFlag(FLAGS_catalog);
  if (!address.empty()) return address;
  const char* env = std::getenv("REEL_CATALOG_ADDR");
  return env != nullptr && *env != '\0' ? env : kDefaultAddress;
}

}  // namespace

CliContext::CliContext()
    : address_(CatalogAddress()), timeout_(absl::GetFlag(FLAGS_timeout)) {}

catalog::v1::CatalogService::Stub& CliContext::stub() {
  if (stub_ == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    args.SetMaxSendMessageSize(kMaxMessageBytes);
    stub_ = catalog::v1::CatalogService::NewStub(
        grpc::CreateCustomChannel(address_, ChannelCredentials(), args));
  }
  return *stub_;
}

void CliContext::SetDeadline(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() {
  auto credentials = ChannelCredentialsFromDir(absl::GetFlag(FLAGS_tls_dir));
  if (!credentials.ok()) std::exit(ReportError(credentials.status()));
  return *std::move(credentials);
}

int ReportError(const absl::Status& status) {
  std::cerr << "error: "
            << GrpcCodeName(static_cast<grpc::StatusCode>(status.code()))
            << ": " << status.message() << std::endl;
  return kExitFailure;
}

int ReportError(const grpc::Status& status) {
  return ReportError(FromGrpcStatus(status));
}

int ReportUsageError(absl::string_view message) {
  std::cerr << "error: INVALID_ARGUMENT: " << message
            << "\n(run 'reelctl help' for usage)" << std::endl;
  return kExitUsage;
}

std::string FilmNameFromArg(absl::string_view name_or_id) {
  return absl::StartsWith(name_or_id, "films/")
             ? std::string(name_or_id)
             : absl::StrCat("films/", name_or_id);
}

absl::Status PrintJson(const google::protobuf::Message& message) {
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print as JSON: ", status.message().ToString()));
  }
  std::cout << json << std::endl;
  return absl::OkStatus();
}

}  // namespace reel::reelctl
