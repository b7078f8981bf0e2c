// TLS material read from a directory, e.g. a Kubernetes Secret of type
// kubernetes.io/tls mounted as a directory (not subPath, so a rotated Secret
// shows up in it): tls.crt (PEM certificate chain), tls.key (PEM private
// key) and, optionally, ca.crt (PEM CA bundle).
//
// The files are re-read every `refresh_interval` (a CertificateMirror feeding
// gRPC's file-watcher certificate provider): new connections present, and
// verify against, the new files without a restart; connections already open
// keep theirs. A new set that does not parse, or whose key does not match
// its certificate, is logged and the last good one kept.
//
// Server side: tls.crt and tls.key are required; with ca.crt present, clients
// must present a certificate signed by it (mutual TLS).
// Client side: ca.crt verifies the server (absent: the system roots); with
// tls.crt and tls.key both present they are sent as the client certificate.
//
// A tls.key readable by other users (world, or a group the process is not
// in) is used, with a warning logged.
//
// Errors are FAILED_PRECONDITION naming the file that is missing or
// unreadable (or the directory, when it does not exist).
#ifndef REEL_COMMON_SERVER_TLS_CREDENTIALS_H_
#define REEL_COMMON_SERVER_TLS_CREDENTIALS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace reel {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
ServerCredentialsFromDir(const std::string& dir,
                         absl::Duration refresh_interval = absl::Minutes(1));

// An empty dir gives plaintext (insecure) credentials.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
ChannelCredentialsFromDir(const std::string& dir,
                          absl::Duration refresh_interval = absl::Minutes(1));

}  // namespace reel

#endif  // REEL_COMMON_SERVER_TLS_CREDENTIALS_H_
