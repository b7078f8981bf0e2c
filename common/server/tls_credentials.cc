#include "common/server/tls_credentials.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace reel {
namespace {

constexpr char kCertFile[] = "tls.crt";
constexpr char kKeyFile[] = "tls.key";
constexpr char kCaFile[] = "ca.crt";

std::string JoinPath(const std::string& dir, const char* name) {
  return (std::filesystem::path(dir) / name).string();
}

bool Exists(const std::string& dir, const char* name) {
  std::error_code error;
  return std::filesystem::exists(JoinPath(dir, name), error);
}

// The whole file, or FAILED_PRECONDITION naming it.
absl::StatusOr<std::string> ReadFile(const std::string& dir, const char* name) {
  const std::string path = JoinPath(dir, name);
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  if (in) contents << in.rdbuf();
  if (!in || in.bad() || contents.str().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS: cannot read ", name, " (", path,
                     "): missing, unreadable or empty"));
  }
  return contents.str();
}

// tls.crt and tls.key; nullopt when `optional` and neither exists.
absl::StatusOr<std::optional<grpc::SslServerCredentialsOptions::PemKeyCertPair>>
ReadKeyCertPair(const std::string& dir, bool optional) {
  if (optional && !Exists(dir, kCertFile) && !Exists(dir, kKeyFile)) {
    return std::nullopt;
  }
  absl::StatusOr<std::string> cert = ReadFile(dir, kCertFile);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(dir, kKeyFile);
  if (!key.ok()) return key.status();
  return grpc::SslServerCredentialsOptions::PemKeyCertPair{*std::move(key),
                                                           *std::move(cert)};
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
ServerCredentialsFromDir(const std::string& dir) {
  auto pair = ReadKeyCertPair(dir, /*optional=*/false);
  if (!pair.ok()) return pair.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back(**std::move(pair));
  if (Exists(dir, kCaFile)) {
    absl::StatusOr<std::string> ca = ReadFile(dir, kCaFile);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
ChannelCredentialsFromDir(const std::string& dir) {
  if (dir.empty()) return grpc::InsecureChannelCredentials();
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS: ", dir, " is not a directory"));
  }
  grpc::SslCredentialsOptions options;
  if (Exists(dir, kCaFile)) {
    absl::StatusOr<std::string> ca = ReadFile(dir, kCaFile);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  auto pair = ReadKeyCertPair(dir, /*optional=*/true);
  if (!pair.ok()) return pair.status();
  if (pair->has_value()) {
    options.pem_private_key = (*pair)->private_key;
    options.pem_cert_chain = (*pair)->cert_chain;
  }
  return grpc::SslCredentials(options);
}

}  // namespace reel
