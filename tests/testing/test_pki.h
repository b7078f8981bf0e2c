// TestPki: a throw-away certificate authority for TLS tests, made with the
// openssl command line: a CA, then leaf certificates with the extensions a
// test needs (server names, a SPIFFE URI identity, client or server usage).
//
//   TestPki pki(temp.Join("pki"));
//   ASSERT_OK(pki.Init());
//   ASSERT_OK(pki.MakeLeaf("server", "subjectAltName=IP:127.0.0.1\n"));
//   std::string dir = pki.TlsDir(temp.Join("server-tls"), "server", true);
//
// Not thread-safe; each call runs openssl to completion.
#ifndef REEL_TESTS_TESTING_TEST_PKI_H_
#define REEL_TESTS_TESTING_TEST_PKI_H_

#include <string>

#include "absl/status/status.h"

namespace reel::testing {

class TestPki {
 public:
  explicit TestPki(std::string root) : root_(std::move(root)) {}

  // Creates the CA (ca/ca.crt, ca/ca.key) under the root.
  absl::Status Init();
  // Creates `name`/tls.crt and `name`/tls.key signed by the CA, with
  // `extensions` (openssl x509 extension lines, e.g.
  // "subjectAltName=URI:spiffe://reel/ns/test/sa/writer\n").
  absl::Status MakeLeaf(const std::string& name, const std::string& extensions);
  // Makes `dir` hold `leaf`'s tls.crt and tls.key, and ca.crt when
  // `with_ca`; returns `dir`.
  std::string TlsDir(const std::string& dir, const std::string& leaf,
                     bool with_ca) const;
  // The CA's certificate file.
  std::string CaCert() const;

 private:
  std::string root_;
};

}  // namespace reel::testing

#endif  // REEL_TESTS_TESTING_TEST_PKI_H_
