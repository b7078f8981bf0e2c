// What every reelctl command shares: the connections (from the global
// --catalog, --search, --tls_dir and --timeout options) and error reporting,
// with hints for the mistakes a connection error stands for (TLS on one side
// only, nothing listening).
#ifndef REEL_TOOLS_REELCTL_CLI_CONTEXT_H_
#define REEL_TOOLS_REELCTL_CLI_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "reel/search/v1/search.grpc.pb.h"
#include "tools/reelctl/command_line.h"

namespace reel::reelctl {

class CliContext {
 public:
  // Connects lazily, on the first call that needs a channel, so a command
  // can prepare (e.g. block signals) before gRPC starts its threads.
  explicit CliContext(const GlobalOptions& options);

  const GlobalOptions& options() const { return options_; }

  std::shared_ptr<grpc::Channel> CatalogChannel();
  catalog::v1::CatalogService::Stub& catalog();
  search::v1::SearchService::Stub& search();

  // Applies --timeout to a call.
  void SetDeadline(grpc::ClientContext* context) const;

  // Prints "error: CODE_NAME: message" to stderr, then a "hint: ..." line
  // when the error says the server speaks TLS and we did not (or the
  // reverse), or that nothing listens at `address`. Returns kExitFailure.
  int ReportError(const grpc::Status& status, absl::string_view address) const;
  // The same for a call to the catalog, or to the search service.
  int ReportCatalogError(const grpc::Status& status) const {
    return ReportError(status, options_.catalog);
  }
  int ReportSearchError(const grpc::Status& status) const {
    return ReportError(status, options_.search);
  }

 private:
  // Credentials from --tls_dir; exits with kExitFailure (after printing why)
  // when its files cannot be read.
  std::shared_ptr<grpc::ChannelCredentials> Credentials() const;

  const GlobalOptions options_;
  std::shared_ptr<grpc::Channel> catalog_channel_;
  std::unique_ptr<catalog::v1::CatalogService::Stub> catalog_;
  std::unique_ptr<search::v1::SearchService::Stub> search_;
};

// The hint for a failed call, or "": "the server speaks TLS: pass --tls_dir"
// for a plaintext call a TLS server closed, "the server speaks plaintext:
// drop --tls_dir" for a TLS handshake a plaintext server failed, and others
// for certificates (`client_certificate`: --tls_dir has a tls.crt) and
// refused connections. Told from the status message: gRPC has no code for
// these.
std::string ConnectionHint(const grpc::Status& status, bool tls,
                           bool client_certificate, absl::string_view address);

// Prints "error: CODE_NAME: message" to stderr; returns kExitFailure.
int ReportError(const absl::Status& status);

// Prints "error: INVALID_ARGUMENT: message" and where help is to stderr;
// returns kExitUsage. `command` is e.g. "films get".
int ReportUsageError(absl::string_view command, absl::string_view message);

// "films/ID" for a bare "ID"; a "films/..." name unchanged.
std::string FilmNameFromArg(absl::string_view name_or_id);

// Prints `message` as one line of JSON on stdout.
absl::Status PrintJson(const google::protobuf::Message& message);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_CLI_CONTEXT_H_
