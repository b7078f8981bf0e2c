#include "common/server/certificate_mirror.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace reel {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFiles[] = {"tls.crt", "tls.key", "ca.crt"};

// A file's contents; nullopt when it does not exist; an error when it exists
// but cannot be read.
absl::StatusOr<std::optional<std::string>> ReadIfPresent(
    const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  if (in) contents << in.rdbuf();
  if (!in || in.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS: cannot read ", path));
  }
  return contents.str();
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
             &BIO_free);
}

// The certificates in a PEM bundle (empty when none parses).
std::vector<X509Ptr> ParseCertificates(const std::string& pem) {
  std::vector<X509Ptr> certificates;
  Bio bio = MemoryBio(pem);
  while (X509* certificate =
             PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(certificate, &X509_free);
  }
  ERR_clear_error();  // The read that ended the loop.
  return certificates;
}

// OK when the set is usable: certificates parse, the key parses and belongs
// to the first certificate.
absl::Status Validate(const std::optional<std::string>& cert,
                      const std::optional<std::string>& key,
                      const std::optional<std::string>& ca) {
  if (cert.has_value() != key.has_value()) {
    return absl::FailedPreconditionError(
        "TLS: tls.crt and tls.key must both be present or both absent");
  }
  if (cert.has_value()) {
    std::vector<X509Ptr> chain = ParseCertificates(*cert);
    if (chain.empty()) {
      return absl::FailedPreconditionError(
          "TLS: tls.crt holds no PEM certificate");
    }
    Bio bio = MemoryBio(*key);
    KeyPtr parsed(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                  &EVP_PKEY_free);
    ERR_clear_error();
    if (parsed == nullptr) {
      return absl::FailedPreconditionError(
          "TLS: tls.key holds no PEM private key");
    }
    if (X509_check_private_key(chain.front().get(), parsed.get()) != 1) {
      ERR_clear_error();
      return absl::FailedPreconditionError(
          "TLS: tls.key does not belong to the certificate in tls.crt");
    }
  }
  if (ca.has_value() && ParseCertificates(*ca).empty()) {
    return absl::FailedPreconditionError(
        "TLS: ca.crt holds no PEM certificate");
  }
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("TLS: cannot write ", path));
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CertificateMirror*> CertificateMirror::ForDirectory(
    const std::string& source_dir, absl::Duration interval) {
  static absl::Mutex registry_mutex(absl::kConstInit);
  // Destroyed at exit: threads stopped, private copies removed.
  static auto* const registry =
      new std::map<std::string, std::unique_ptr<CertificateMirror>>();
  // OpenSSL first, so its own exit handler runs after ours: the mirrors'
  // threads (and their OpenSSL thread state) end before OpenSSL cleans up.
  static const bool openssl_ready = OPENSSL_init_crypto(0, nullptr) == 1;
  (void)openssl_ready;
  static const int cleanup = std::atexit([] {
    absl::MutexLock lock(&registry_mutex);
    registry->clear();
  });
  (void)cleanup;
  std::error_code error;
  std::string key = fs::weakly_canonical(source_dir, error).string();
  if (error) key = source_dir;
  absl::MutexLock lock(&registry_mutex);
  auto it = registry->find(key);
  if (it != registry->end()) return it->second.get();
  auto mirror = Start(source_dir, interval);
  if (!mirror.ok()) return mirror.status();
  CertificateMirror* result = mirror->get();
  registry->emplace(key, *std::move(mirror));
  return result;
}

absl::StatusOr<std::unique_ptr<CertificateMirror>> CertificateMirror::Start(
    const std::string& source_dir, absl::Duration interval) {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/reel-tls-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "TLS: cannot create a private directory like ", pattern,
        " for the certificates in use (set TMPDIR to a writable directory)"));
  }
  std::unique_ptr<CertificateMirror> mirror(
      new CertificateMirror(source_dir, pattern, interval));
  if (absl::Status status = mirror->Sync(); !status.ok()) return status;
  mirror->thread_ = std::thread([m = mirror.get()] { m->Run(); });
  return mirror;
}

CertificateMirror::CertificateMirror(std::string source_dir, std::string root,
                                     absl::Duration interval)
    : source_dir_(std::move(source_dir)),
      root_(std::move(root)),
      interval_(interval) {}

CertificateMirror::~CertificateMirror() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

std::string CertificateMirror::Path(const std::string& name) const {
  return absl::StrCat(root_, "/current/", name);
}

absl::Status CertificateMirror::Sync() {
  std::optional<std::string> files[3];
  std::string all;
  for (int i = 0; i < 3; ++i) {
    auto contents = ReadIfPresent(absl::StrCat(source_dir_, "/", kFiles[i]));
    if (!contents.ok()) return contents.status();
    files[i] = *std::move(contents);
    absl::StrAppend(&all, files[i].has_value() ? "1" : "0",
                    files[i].value_or(""), "\n--\n");
  }
  if (version_ > 0 && all == published_) return absl::OkStatus();
  if (absl::Status valid = Validate(files[0], files[1], files[2]);
      !valid.ok()) {
    return absl::Status(
        valid.code(), absl::StrCat(valid.message(), " (in ", source_dir_, ")"));
  }
  const std::string version = absl::StrCat("v", ++version_);
  const std::string version_dir = absl::StrCat(root_, "/", version);
  std::error_code error;
  fs::create_directory(version_dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("TLS: cannot create ", version_dir,
                                            ": ", error.message()));
  }
  for (int i = 0; i < 3; ++i) {
    if (!files[i].has_value()) continue;
    if (absl::Status written =
            WriteFile(absl::StrCat(version_dir, "/", kFiles[i]), *files[i]);
        !written.ok()) {
      return written;
    }
  }
  // Publish: one rename swaps every file at once.
  const std::string link = absl::StrCat(root_, "/current");
  const std::string next_link = absl::StrCat(root_, "/current.next");
  fs::remove(next_link, error);
  fs::create_directory_symlink(version, next_link, error);
  if (!error) fs::rename(next_link, link, error);
  if (error) {
    return absl::InternalError(absl::StrCat("TLS: cannot publish ", version_dir,
                                            ": ", error.message()));
  }
  // The version before the previous one can no longer be being read.
  if (version_ > 2) {
    fs::remove_all(absl::StrCat(root_, "/v", version_ - 2), error);
  }
  published_ = std::move(all);
  return absl::OkStatus();
}

void CertificateMirror::Run() {
  RunUntilStopped();
  OPENSSL_thread_stop();  // Frees this thread's OpenSSL error state.
}

void CertificateMirror::RunUntilStopped() {
  absl::MutexLock lock(&mutex_);
  while (!mutex_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) {
    mutex_.Unlock();
    absl::Status status = Sync();
    mutex_.Lock();
    if (status.ok()) {
      last_rejected_.clear();
      continue;
    }
    const std::string message(status.message());
    if (message != last_rejected_) {
      spdlog::error("{}; still using the certificates loaded before", message);
      last_rejected_ = message;
    }
  }
}

}  // namespace reel
