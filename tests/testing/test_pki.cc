#include "tests/testing/test_pki.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace reel::testing {
namespace {

namespace fs = std::filesystem;

absl::Status Run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
    return absl::InternalError(absl::StrCat("failed: ", command));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TestPki::Init() {
  const std::string ca = root_ + "/ca";
  fs::create_directories(ca);
  return Run(absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -keyout ",
      ca, "/ca.key -out ", ca, "/ca.crt -days 2 -subj /CN=reel-test-ca"));
}

absl::Status TestPki::MakeLeaf(const std::string& name,
                               const std::string& extensions) {
  const std::string dir = root_ + "/" + name;
  const std::string ca = root_ + "/ca";
  fs::create_directories(dir);
  std::ofstream(dir + "/ext.cnf") << extensions;
  absl::Status status = Run(absl::StrCat(
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-keyout ",
      dir, "/tls.key -out ", dir, "/tls.csr -subj /CN=", name));
  if (!status.ok()) return status;
  return Run(absl::StrCat("openssl x509 -req -in ", dir, "/tls.csr -CA ", ca,
                          "/ca.crt -CAkey ", ca, "/ca.key -CAcreateserial -out ",
                          dir, "/tls.crt -days 2 -extfile ", dir, "/ext.cnf"));
}

std::string TestPki::TlsDir(const std::string& dir, const std::string& leaf,
                            bool with_ca) const {
  fs::create_directories(dir);
  const auto overwrite = fs::copy_options::overwrite_existing;
  fs::copy_file(root_ + "/" + leaf + "/tls.crt", dir + "/tls.crt", overwrite);
  fs::copy_file(root_ + "/" + leaf + "/tls.key", dir + "/tls.key", overwrite);
  fs::permissions(dir + "/tls.key",
                  fs::perms::owner_read | fs::perms::owner_write);
  if (with_ca) fs::copy_file(CaCert(), dir + "/ca.crt", overwrite);
  return dir;
}

std::string TestPki::CaCert() const { return root_ + "/ca/ca.crt"; }

}  // namespace reel::testing
