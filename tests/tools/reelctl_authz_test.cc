// reelctl with role certificates: the real catalog-service and search-service
// run with mutual TLS, a policy each and --require_authz (docs/security.md),
// and the built reelctl calls them with --tls_dir holding one role's client
// certificate. What a role may not call exits 1 with PERMISSION_DENIED naming
// the certificate's identity; nothing is written.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/search_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace reel {
namespace {

using ::reel::testing::CatalogProcess;
using ::reel::testing::IsOkAndHolds;
using ::reel::testing::RunReelctl;
using ::reel::testing::SearchProcess;
using ::reel::testing::ToolRun;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriter[] = "reel-writer";
constexpr char kReader[] = "reel-search";  // Catalog reader; search's own.
constexpr char kSearcher[] = "reel-web";
constexpr char kNobody[] = "nobody";  // No role.

std::string Identity(const std::string& role) {
  return "spiffe://reel/ns/test/sa/" + role;
}

// The roles of docs/security.md, for the identities above exactly.
constexpr char kCatalogPolicy[] = R"({
  "name": "reel-catalog",
  "allow_rules": [
    {"name": "health", "request": {"paths": ["/grpc.health.v1.Health/*"]}},
    {"name": "writer",
     "source": {"principals": ["spiffe://reel/ns/test/sa/reel-writer"]},
     "request": {"paths": ["/reel.catalog.v1.CatalogService/*"]}},
    {"name": "reader",
     "source": {"principals": ["spiffe://reel/ns/test/sa/reel-search"]},
     "request": {"paths": ["/reel.catalog.v1.CatalogService/GetFilm",
                           "/reel.catalog.v1.CatalogService/ListFilms",
                           "/reel.catalog.v1.CatalogService/WatchFilms"]}}
  ]
})";

constexpr char kSearchPolicy[] = R"({
  "name": "reel-search",
  "allow_rules": [
    {"name": "health", "request": {"paths": ["/grpc.health.v1.Health/*"]}},
    {"name": "searcher",
     "source": {"principals": ["spiffe://reel/ns/test/sa/reel-web"]},
     "request": {"paths": ["/reel.search.v1.SearchService/SearchScenes",
                           "/reel.search.v1.SearchService/GetIndexStatus"]}}
  ]
})";

constexpr char kQuokkaJson[] =
    R"({"title": "The Quokka Certificate", "year": 2024, "scenes": [)"
    R"({"sceneId": "s1", "title": "Quokka at the gate",)"
    R"( "description": "A quokka shows its certificate to the guard."}]})";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The catalog and the search service with mutual TLS and their policies,
// started once for the suite; the certificates in tls/ROLE directories.
class ReelctlAuthzTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (reel::testing::ReelctlPath().empty()) return;  // Each test skips.
    temp_ = new reel::testing::TempDir();
    setup_ = StartServices();
  }

  static absl::Status StartServices() {
    reel::testing::TestPki pki(temp_->Join("pki"));
    if (absl::Status s = pki.Init(); !s.ok()) return s;
    if (absl::Status s =
            pki.MakeLeaf("server",
                         "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                         "extendedKeyUsage=serverAuth\n");
        !s.ok()) {
      return s;
    }
    pki.TlsDir(TlsDir("server"), "server", /*with_ca=*/true);
    for (const char* role : {kWriter, kReader, kSearcher, kNobody}) {
      if (absl::Status s = pki.MakeLeaf(
              role, absl::StrCat("subjectAltName=URI:", Identity(role),
                                 "\nextendedKeyUsage=clientAuth\n"));
          !s.ok()) {
        return s;
      }
      pki.TlsDir(TlsDir(role), role, /*with_ca=*/true);
    }
    std::ofstream(temp_->Join("catalog-policy.json")) << kCatalogPolicy;
    std::ofstream(temp_->Join("search-policy.json")) << kSearchPolicy;

    auto catalog = CatalogProcess::Start(
        {.data_dir = temp_->Join("catalog"),
         .log_path = temp_->Join("catalog.log"),
         .flags = {"--tls_dir=" + TlsDir("server"),
                   "--authz_policy=" + temp_->Join("catalog-policy.json"),
                   "--require_authz"}});
    if (!catalog.ok()) return catalog.status();
    catalog_ = catalog->release();
    auto search = SearchProcess::Start(
        {.catalog_address = catalog_->address(),
         .data_dir = temp_->Join("search"),
         .log_path = temp_->Join("search.log"),
         .flags = {"--catalog_tls_dir=" + TlsDir(kReader),
                   "--tls_dir=" + TlsDir("server"),
                   "--authz_policy=" + temp_->Join("search-policy.json"),
                   "--require_authz"}});
    if (!search.ok()) return search.status();
    search_ = search->release();
    // Ready once it follows the catalog as reel-search (health says SERVING
    // from then on).
    auto stub = reel::search::v1::SearchService::NewStub(
        Channel(kSearcher, search_->address()));
    return reel::testing::WaitForRevision(*stub, 0, std::chrono::seconds(30));
  }

  static void TearDownTestSuite() {
    if (search_ != nullptr) {
      EXPECT_OK(search_->Stop());
    }
    if (catalog_ != nullptr) {
      EXPECT_OK(catalog_->Stop());
    }
    delete search_;
    delete catalog_;
    delete temp_;
    search_ = nullptr;
    catalog_ = nullptr;
    temp_ = nullptr;
  }

  void SetUp() override {
    if (reel::testing::ReelctlPath().empty()) {
      GTEST_SKIP() << "this build has no reelctl";
    }
    ASSERT_OK(setup_);
  }

  // tls/ROLE: ca.crt, tls.crt, tls.key.
  static std::string TlsDir(const std::string& role) {
    return temp_->Join("tls/" + role);
  }

  // A channel to `address` with role's certificate.
  static std::shared_ptr<grpc::Channel> Channel(const std::string& role,
                                                const std::string& address) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(TlsDir(role) + "/ca.crt");
    tls.pem_private_key = ReadFile(TlsDir(role) + "/tls.key");
    tls.pem_cert_chain = ReadFile(TlsDir(role) + "/tls.crt");
    return grpc::CreateChannel(address, grpc::SslCredentials(tls));
  }

  // reelctl as `role` (its --tls_dir) against the catalog, or the search
  // service for the search and status commands.
  static absl::StatusOr<ToolRun> Reelctl(const std::string& role,
                                         std::vector<std::string> args) {
    const bool search = args[0] == "search" || args[0] == "status";
    std::vector<std::string> all = {search ? "--search=" + search_->address()
                                           : "--catalog=" + catalog_->address(),
                                    "--tls_dir=" + TlsDir(role),
                                    "--timeout=30s"};
    for (std::string& arg : args) all.push_back(std::move(arg));
    return RunReelctl(all);
  }

  // Exit code 1 and PERMISSION_DENIED naming the identity and the method.
  static void ExpectDenied(const ToolRun& run, const std::string& role,
                           const std::string& method) {
    EXPECT_TRUE(run.exit.exited() && run.exit.exit_code() == 1)
        << run.Describe();
    EXPECT_THAT(run.err, HasSubstr(absl::StrCat("error: PERMISSION_DENIED: "
                                                "authorization: ",
                                                Identity(role))))
        << run.Describe();
    EXPECT_THAT(run.err, HasSubstr(" may not call " + method))
        << run.Describe();
  }

  // The writer creates a film with id `id`; its revision.
  static int64_t WriterCreates(const std::string& id) {
    absl::StatusOr<ToolRun> run = Reelctl(
        kWriter, {"films", "create", "--id", id, "--json", kQuokkaJson});
    EXPECT_OK(run.status());
    if (!run.ok()) return 0;
    EXPECT_TRUE(run->exit.success()) << run->Describe();
    EXPECT_THAT(run->out, HasSubstr("\"name\":\"films/" + id + "\""))
        << run->Describe();
    std::smatch match;
    if (!std::regex_search(run->out, match,
                           std::regex("\"revision\":\"([0-9]+)\""))) {
      ADD_FAILURE() << "no revision in " << run->Describe();
      return 0;
    }
    return std::stoll(match[1]);
  }

  static inline absl::Status setup_;
  static inline reel::testing::TempDir* temp_ = nullptr;
  static inline CatalogProcess* catalog_ = nullptr;
  static inline SearchProcess* search_ = nullptr;
};

TEST_F(ReelctlAuthzTest, WriterCreatesAndReaderReads) {
  ASSERT_GT(WriterCreates("quokka-written"), 0);

  ASSERT_OK_AND_ASSIGN(ToolRun get,
                       Reelctl(kReader, {"films", "get", "quokka-written"}));
  EXPECT_TRUE(get.exit.success()) << get.Describe();
  EXPECT_THAT(get.out, HasSubstr("The Quokka Certificate"));

  ASSERT_OK_AND_ASSIGN(ToolRun list, Reelctl(kReader, {"films", "list"}));
  EXPECT_TRUE(list.exit.success()) << list.Describe();
  EXPECT_THAT(list.out, HasSubstr("films/quokka-written"));
}

TEST_F(ReelctlAuthzTest, ReaderMayNotCreate) {
  ASSERT_OK_AND_ASSIGN(ToolRun list, Reelctl(kReader, {"films", "list"}));
  EXPECT_TRUE(list.exit.success()) << list.Describe();

  ASSERT_OK_AND_ASSIGN(
      ToolRun create,
      Reelctl(kReader, {"films", "create", "--id", "quokka-by-reader", "--json",
                        kQuokkaJson}));
  ExpectDenied(create, kReader, "/reel.catalog.v1.CatalogService/CreateFilm");
  EXPECT_THAT(create.out, Not(HasSubstr("quokka-by-reader")));

  // Nothing was written.
  ASSERT_OK_AND_ASSIGN(ToolRun get,
                       Reelctl(kWriter, {"films", "get", "quokka-by-reader"}));
  EXPECT_FALSE(get.exit.success()) << get.Describe();
  EXPECT_THAT(get.err, HasSubstr("NOT_FOUND")) << get.Describe();
}

TEST_F(ReelctlAuthzTest, SearcherFindsTheWritersFilmReaderMayNotSearch) {
  const int64_t revision = WriterCreates("quokka-searched");
  ASSERT_GT(revision, 0);

  // Read-your-writes: the search waits until the index has the film.
  ASSERT_OK_AND_ASSIGN(
      ToolRun search,
      Reelctl(kSearcher,
              {"search", "quokka", "certificate", "--film=quokka-searched",
               absl::StrCat("--min-revision=", revision)}));
  EXPECT_TRUE(search.exit.success()) << search.Describe();
  EXPECT_THAT(search.out, HasSubstr("[films/quokka-searched s1]"))
      << search.Describe();
  EXPECT_THAT(search.out, HasSubstr("# 1 of 1 matching scenes"))
      << search.Describe();

  ASSERT_OK_AND_ASSIGN(ToolRun status, Reelctl(kSearcher, {"status"}));
  EXPECT_TRUE(status.exit.success()) << status.Describe();
  EXPECT_THAT(status.out, HasSubstr("\"ready\":true")) << status.Describe();

  ASSERT_OK_AND_ASSIGN(ToolRun denied, Reelctl(kReader, {"search", "quokka"}));
  ExpectDenied(denied, kReader, "/reel.search.v1.SearchService/SearchScenes");
}

TEST_F(ReelctlAuthzTest, NoRoleReachesOnlyHealth) {
  ASSERT_OK_AND_ASSIGN(ToolRun list, Reelctl(kNobody, {"films", "list"}));
  ExpectDenied(list, kNobody, "/reel.catalog.v1.CatalogService/ListFilms");
  ASSERT_OK_AND_ASSIGN(ToolRun search, Reelctl(kNobody, {"search", "quokka"}));
  ExpectDenied(search, kNobody, "/reel.search.v1.SearchService/SearchScenes");

  // Health is open to any certificate the CA signed.
  for (const std::string& address : {catalog_->address(), search_->address()}) {
    EXPECT_THAT(reel::testing::CheckHealth(Channel(kNobody, address), "",
                                           std::chrono::seconds(10)),
                IsOkAndHolds(1))  // SERVING
        << address;
  }
}

TEST_F(ReelctlAuthzTest, WithoutAClientCertificateNothingGetsThrough) {
  // The CA alone: the server requires a certificate, so the handshake fails.
  const std::string ca_only = temp_->Join("tls/ca-only");
  std::filesystem::create_directories(ca_only);
  std::filesystem::copy_file(TlsDir(kWriter) + "/ca.crt", ca_only + "/ca.crt",
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_OK_AND_ASSIGN(ToolRun run, Reelctl("ca-only", {"films", "list"}));
  EXPECT_TRUE(run.exit.exited() && run.exit.exit_code() == 1) << run.Describe();
  EXPECT_THAT(run.err, HasSubstr("UNAVAILABLE")) << run.Describe();
  EXPECT_THAT(run.err, HasSubstr("hint: the server closed the TLS connection "
                                 "at once: it probably requires a client "
                                 "certificate: put tls.crt and tls.key in "
                                 "--tls_dir"))
      << run.Describe();

  // Plaintext to a TLS port fails the same way.
  ASSERT_OK_AND_ASSIGN(ToolRun plain,
                       RunReelctl({"--catalog=" + catalog_->address(),
                                   "--timeout=10s", "films", "list"}));
  EXPECT_TRUE(plain.exit.exited() && plain.exit.exit_code() == 1)
      << plain.Describe();
  EXPECT_THAT(plain.err, HasSubstr("UNAVAILABLE")) << plain.Describe();
  EXPECT_THAT(plain.err,
              HasSubstr("hint: the server speaks TLS: pass --tls_dir DIR"))
      << plain.Describe();
}

}  // namespace
}  // namespace reel
