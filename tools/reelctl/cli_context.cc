#include "tools/reelctl/cli_context.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server/tls_credentials.h"
#include "common/status/grpc_status.h"

namespace reel::reelctl {
namespace {

// Whole films with thousands of scenes, and large import batches, fit.
constexpr int kMaxMessageBytes = 64 << 20;

std::shared_ptr<grpc::Channel> NewChannel(
    const std::string& address,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return grpc::CreateCustomChannel(address, credentials, args);
}

bool Contains(absl::string_view text, absl::string_view part) {
  return absl::StrContains(absl::AsciiStrToLower(text),
                           absl::AsciiStrToLower(part));
}

}  // namespace

CliContext::CliContext(const GlobalOptions& options) : options_(options) {}

std::shared_ptr<grpc::ChannelCredentials> CliContext::Credentials() const {
  auto credentials = ChannelCredentialsFromDir(options_.tls_dir);
  if (!credentials.ok()) std::exit(reelctl::ReportError(credentials.status()));
  return *std::move(credentials);
}

std::shared_ptr<grpc::Channel> CliContext::CatalogChannel() {
  if (catalog_channel_ == nullptr) {
    catalog_channel_ = NewChannel(options_.catalog, Credentials());
  }
  return catalog_channel_;
}

catalog::v1::CatalogService::Stub& CliContext::catalog() {
  if (catalog_ == nullptr) {
    catalog_ = catalog::v1::CatalogService::NewStub(CatalogChannel());
  }
  return *catalog_;
}

search::v1::SearchService::Stub& CliContext::search() {
  if (search_ == nullptr) {
    search_ = search::v1::SearchService::NewStub(
        NewChannel(options_.search, Credentials()));
  }
  return *search_;
}

void CliContext::SetDeadline(grpc::ClientContext* context) const {
  if (options_.timeout == absl::InfiniteDuration()) return;
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
}

int CliContext::ReportError(const grpc::Status& status,
                            absl::string_view address) const {
  reelctl::ReportError(FromGrpcStatus(status));
  const bool tls = !options_.tls_dir.empty();
  const std::string hint = ConnectionHint(
      status, tls,
      tls && access((options_.tls_dir + "/tls.crt").c_str(), F_OK) == 0,
      address);
  if (!hint.empty()) std::cerr << "hint: " << hint << std::endl;
  return kExitFailure;
}

std::string ConnectionHint(const grpc::Status& status, bool tls,
                           bool client_certificate, absl::string_view address) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
      status.error_code() != grpc::StatusCode::UNKNOWN) {
    return "";
  }
  const std::string& message = status.error_message();
  if (Contains(message, "Connection refused")) {
    return absl::StrCat("nothing listens at ", address,
                        ": is the service running, and is that its address?");
  }
  if (tls) {
    // A TLS client hello answered by an HTTP/2 server in plaintext.
    if (Contains(message, "wrong version number") ||
        Contains(message, "packet length too long") ||
        Contains(message, "record layer failure")) {
      return absl::StrCat("the server at ", address,
                          " speaks plaintext: drop --tls_dir");
    }
    if (Contains(message, "certificate verify failed") ||
        Contains(message, "CERTIFICATE_VERIFY_FAILED")) {
      return absl::StrCat(
          "the server's certificate is not signed by the CA "
          "in --tls_dir's ca.crt, or does not name ",
          address);
    }
    // A server that requires a client certificate ends the connection
    // right after the handshake (TLS 1.3) when it gets none or one it does
    // not trust.
    if (Contains(message, "certificate required") ||
        Contains(message, "alert handshake failure") ||
        Contains(message, "Socket closed")) {
      return client_certificate
                 ? "the server closed the TLS connection at once: it may not "
                   "trust the client certificate in --tls_dir (tls.crt)"
                 : "the server closed the TLS connection at once: it probably "
                   "requires a client certificate: put tls.crt and tls.key "
                   "in --tls_dir";
    }
    return "";
  }
  // A plaintext HTTP/2 preface that a TLS server cannot read: it closes
  // the connection at once.
  if (Contains(message, "Socket closed") ||
      Contains(message, "Connection reset") || Contains(message, "handshake") ||
      Contains(message, "ssl")) {
    return absl::StrCat(
        "the server speaks TLS: pass --tls_dir DIR (DIR/ca.crt "
        "verifies it); it closed a plaintext connection to ",
        address, " at once");
  }
  return "";
}

int ReportError(const absl::Status& status) {
  std::cerr << "error: "
            << GrpcCodeName(static_cast<grpc::StatusCode>(status.code()))
            << ": " << status.message() << std::endl;
  return kExitFailure;
}

int ReportUsageError(absl::string_view command, absl::string_view message) {
  std::cerr << "error: INVALID_ARGUMENT: " << message << "\n(run 'reelctl "
            << command << " --help' for usage)" << std::endl;
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
