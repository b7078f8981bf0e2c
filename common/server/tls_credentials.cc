#include "common/server/tls_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/server/certificate_mirror.h"

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

// Whether this process is in group `gid` (as the Kubernetes fsGroup that
// owns a Secret volume's files is).
bool InGroup(gid_t gid) {
  if (gid == getegid()) return true;
  std::vector<gid_t> groups(256);
  const int count = getgroups(static_cast<int>(groups.size()), groups.data());
  for (int i = 0; i < count; ++i) {
    if (groups[i] == gid) return true;
  }
  return false;
}

// A private key others can read is a leak waiting to happen; it still
// works, so say so once, loudly. Group access is fine only for our own group
// (a Secret volume with defaultMode 0440 and an fsGroup).
void WarnIfReadableByOthers(const std::string& dir, const char* name) {
  const std::string path = JoinPath(dir, name);
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return;  // ReadFile reports it.
  const bool world = (info.st_mode & S_IRWXO) != 0;
  const bool foreign_group =
      (info.st_mode & S_IRWXG) != 0 && !InGroup(info.st_gid);
  if (world || foreign_group) {
    spdlog::warn(
        "TLS: private key {} is readable by other users (mode {:o}); make "
        "it 0600 or 0400 (Kubernetes: defaultMode 0440 with an fsGroup)",
        path, info.st_mode & 07777);
  }
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
  WarnIfReadableByOthers(dir, kKeyFile);
  return grpc::SslServerCredentialsOptions::PemKeyCertPair{*std::move(key),
                                                           *std::move(cert)};
}

unsigned int RefreshSeconds(absl::Duration interval) {
  return static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(interval)));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
ServerCredentialsFromDir(const std::string& dir,
                         absl::Duration refresh_interval) {
  // Read once here so a missing or unreadable file fails start with a
  // message naming it; the provider then re-reads the files on its own.
  auto pair = ReadKeyCertPair(dir, /*optional=*/false);
  if (!pair.ok()) return pair.status();
  const bool mutual = Exists(dir, kCaFile);
  if (mutual) {
    absl::StatusOr<std::string> ca = ReadFile(dir, kCaFile);
    if (!ca.ok()) return ca.status();
  }
  auto mirror = CertificateMirror::ForDirectory(dir, refresh_interval);
  if (!mirror.ok()) return mirror.status();
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          (*mirror)->Path(kKeyFile), (*mirror)->Path(kCertFile),
          mutual ? (*mirror)->Path(kCaFile) : "",
          RefreshSeconds(refresh_interval));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (mutual) {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
ChannelCredentialsFromDir(const std::string& dir,
                          absl::Duration refresh_interval) {
  if (dir.empty()) return grpc::InsecureChannelCredentials();
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS: ", dir, " is not a directory"));
  }
  const bool has_ca = Exists(dir, kCaFile);
  if (has_ca) {
    absl::StatusOr<std::string> ca = ReadFile(dir, kCaFile);
    if (!ca.ok()) return ca.status();
  }
  auto pair = ReadKeyCertPair(dir, /*optional=*/true);
  if (!pair.ok()) return pair.status();
  const bool has_identity = pair->has_value();
  if (!has_ca && !has_identity) {
    return grpc::SslCredentials(grpc::SslCredentialsOptions());  // System CAs.
  }
  auto mirror = CertificateMirror::ForDirectory(dir, refresh_interval);
  if (!mirror.ok()) return mirror.status();
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          has_identity ? (*mirror)->Path(kKeyFile) : "",
          has_identity ? (*mirror)->Path(kCertFile) : "",
          has_ca ? (*mirror)->Path(kCaFile) : "",
          RefreshSeconds(refresh_interval));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  if (has_ca) options.watch_root_certs();
  if (has_identity) options.watch_identity_key_cert_pairs();
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace reel
