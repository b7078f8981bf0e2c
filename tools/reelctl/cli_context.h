// What every reelctl command shares: the catalog connection (from the global
// --catalog, --tls_dir and --timeout flags), exit codes and error reporting.
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

namespace reel::reelctl {

// Process exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // An RPC, a file or a film failed.
inline constexpr int kExitUsage = 2;    // The command line is wrong.

class CliContext {
 public:
  // Reads --catalog (else $REEL_CATALOG_ADDR, else localhost:50051) and
  // --timeout. Connects lazily, on the first stub() call, so a command can
  // prepare (e.g. block signals) before gRPC starts its threads.
  CliContext();

  const std::string& address() const { return address_; }

  catalog::v1::CatalogService::Stub& stub();

  // Applies --timeout to a unary call.
  void SetDeadline(grpc::ClientContext* context) const;

 private:
  std::string address_;
  absl::Duration timeout_;
  std::unique_ptr<catalog::v1::CatalogService::Stub> stub_;
};

// The credentials of every channel reelctl opens: plaintext without
// --tls_dir, else TLS with that directory's ca.crt (verifies the server) and,
// when present, tls.crt and tls.key (the client certificate). When a file
// cannot be read, prints the error and exits with kExitFailure.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials();

// Prints "error: CODE_NAME: message" to stderr; returns kExitFailure.
int ReportError(const absl::Status& status);
int ReportError(const grpc::Status& status);

// Prints "error: INVALID_ARGUMENT: message" and a pointer to `reelctl help`
// to stderr; returns kExitUsage.
int ReportUsageError(absl::string_view message);

// "films/ID" for a bare "ID"; a "films/..." name unchanged.
std::string FilmNameFromArg(absl::string_view name_or_id);

// Prints `message` as one line of JSON on stdout.
absl::Status PrintJson(const google::protobuf::Message& message);

}  // namespace reel::reelctl

#endif  // REEL_TOOLS_REELCTL_CLI_CONTEXT_H_
