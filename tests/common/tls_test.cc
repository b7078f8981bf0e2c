// TLS from a directory (tls.crt, tls.key, optional ca.crt, the layout of a
// mounted kubernetes.io/tls Secret): a real CatalogServer on loopback with
// certificates made at test time by the openssl CLI. TLS clients that trust
// the CA get through; plaintext clients do not; with ca.crt on the server
// only clients presenting a certificate get through; missing files fail
// Start() with FAILED_PRECONDITION naming the file. The search service's
// CatalogFollower follows a mutual-TLS catalog with catalog_tls_dir.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catalog-service/server/catalog_server.h"
#include "common/logging/logging.h"
#include "common/server/tls_credentials.h"
#include "search-service/feed/catalog_follower.h"
#include "search-service/feed/index_store.h"
#include "search-service/index/live_index.h"
#include "search-service/text/analyzer.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

namespace fs = std::filesystem;
using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::CreateFilmRequest;
using ::reel::catalog::v1::CreateFilmResponse;
using ::reel::catalog::v1::GetFilmRequest;
using ::reel::catalog::v1::GetFilmResponse;
using ::testing::HasSubstr;
using ::testing::Not;

void RunShell(const std::string& command) {
  ASSERT_EQ(std::system((command + " 2>/dev/null >/dev/null").c_str()), 0)
      << command;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path) << contents;
}

// A CA, a server certificate for 127.0.0.1/localhost and a client
// certificate, all signed by the CA, made once for the suite:
//   ca/ca.crt, server/{tls.crt,tls.key}, client/{tls.crt,tls.key}.
class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new testing::TempDir();
    const std::string ca = pki_->Join("ca");
    fs::create_directories(ca);
    const std::string ec =
        "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    RunShell(absl::StrCat("openssl req -x509 ", ec, " -keyout ", ca,
                          "/ca.key -out ", ca,
                          "/ca.crt -days 2 -subj /CN=reel-test-ca"));
    MakeLeaf("server",
             "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
             "extendedKeyUsage=serverAuth\n");
    MakeLeaf("client", "extendedKeyUsage=clientAuth\n");
  }

  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  static void MakeLeaf(const std::string& name, const std::string& ext) {
    const std::string dir = pki_->Join(name);
    const std::string ca = pki_->Join("ca");
    fs::create_directories(dir);
    WriteFile(dir + "/ext.cnf", ext);
    RunShell(
        absl::StrCat("openssl req -newkey ec -pkeyopt "
                     "ec_paramgen_curve:prime256v1 -nodes -keyout ",
                     dir, "/tls.key -out ", dir, "/tls.csr -subj /CN=", name));
    RunShell(absl::StrCat("openssl x509 -req -in ", dir, "/tls.csr -CA ", ca,
                          "/ca.crt -CAkey ", ca,
                          "/ca.key -CAcreateserial -out ", dir,
                          "/tls.crt -days 2 -extfile ", dir, "/ext.cnf"));
  }

  // A directory in dir_ holding the named files copied from the PKI, e.g.
  // {"server/tls.crt", "ca/ca.crt"}: each lands under its base name.
  std::string TlsDir(const std::string& name,
                     const std::vector<std::string>& files) {
    const std::string dir = dir_.Join(name);
    fs::create_directories(dir);
    for (const std::string& file : files) {
      fs::copy_file(pki_->Join(file), fs::path(dir) / fs::path(file).filename(),
                    fs::copy_options::overwrite_existing);
    }
    return dir;
  }

  absl::Status StartServer(const std::string& tls_dir) {
    CatalogServerOptions options;
    options.store.path = dir_.Join("catalog");
    options.store.maintenance_interval = absl::ZeroDuration();
    options.server.drain_timeout = absl::Seconds(2);
    options.server.tls_dir = tls_dir;
    options.server.tls_refresh_interval = absl::Seconds(1);
    auto catalog = CatalogServer::Start(options);
    if (!catalog.ok()) return catalog.status();
    catalog_ = *std::move(catalog);
    return absl::OkStatus();
  }

  std::unique_ptr<CatalogService::Stub> Stub(
      std::shared_ptr<grpc::ChannelCredentials> credentials) {
    return CatalogService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", catalog_->port()), credentials));
  }

  std::unique_ptr<CatalogService::Stub> Stub(const std::string& client_dir) {
    auto credentials = ChannelCredentialsFromDir(client_dir);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return Stub(*credentials);
  }

  static grpc::Status CreateAndGet(CatalogService::Stub& stub,
                                   const std::string& id) {
    CreateFilmRequest create;
    create.set_film_id(id);
    create.mutable_film()->set_title("The Red Shoes");
    create.mutable_film()->set_year(1948);
    CreateFilmResponse created;
    grpc::ClientContext create_context;
    create_context.set_deadline(std::chrono::system_clock::now() +
                                std::chrono::seconds(10));
    grpc::Status status = stub.CreateFilm(&create_context, create, &created);
    if (!status.ok()) return status;
    GetFilmRequest get;
    get.set_name(absl::StrCat("films/", id));
    GetFilmResponse got;
    grpc::ClientContext get_context;
    get_context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(10));
    status = stub.GetFilm(&get_context, get, &got);
    if (status.ok()) {
      EXPECT_EQ(got.film().title(), "The Red Shoes");
    }
    return status;
  }

  static testing::TempDir* pki_;
  testing::TempDir dir_;
  std::unique_ptr<CatalogServer> catalog_;
};

testing::TempDir* TlsTest::pki_ = nullptr;

TEST_F(TlsTest, ClientTrustingTheCaCreatesAndGetsAFilm) {
  ASSERT_TRUE(
      StartServer(TlsDir("server-tls", {"server/tls.crt", "server/tls.key"}))
          .ok());
  auto stub = Stub(TlsDir("client-tls", {"ca/ca.crt"}));
  grpc::Status status = CreateAndGet(*stub, "red-shoes");
  EXPECT_TRUE(status.ok()) << status.error_code() << " "
                           << status.error_message();
}

TEST_F(TlsTest, PlaintextClientIsRefused) {
  ASSERT_TRUE(
      StartServer(TlsDir("server-tls", {"server/tls.crt", "server/tls.key"}))
          .ok());
  auto stub = Stub(grpc::InsecureChannelCredentials());
  EXPECT_EQ(CreateAndGet(*stub, "red-shoes").error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ClientNotTrustingTheCaIsRefused) {
  ASSERT_TRUE(
      StartServer(TlsDir("server-tls", {"server/tls.crt", "server/tls.key"}))
          .ok());
  // An empty directory: TLS with the system roots, which lack our CA.
  auto stub = Stub(TlsDir("client-tls", {}));
  EXPECT_EQ(CreateAndGet(*stub, "red-shoes").error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, WithCaOnTheServerOnlyClientsWithACertificateGetThrough) {
  ASSERT_TRUE(StartServer(TlsDir("server-tls", {"server/tls.crt",
                                                "server/tls.key", "ca/ca.crt"}))
                  .ok());
  auto anonymous = Stub(TlsDir("anonymous", {"ca/ca.crt"}));
  EXPECT_EQ(CreateAndGet(*anonymous, "red-shoes").error_code(),
            grpc::StatusCode::UNAVAILABLE);

  auto authenticated = Stub(
      TlsDir("client-tls", {"ca/ca.crt", "client/tls.crt", "client/tls.key"}));
  grpc::Status status = CreateAndGet(*authenticated, "red-shoes");
  EXPECT_TRUE(status.ok()) << status.error_code() << " "
                           << status.error_message();
}

TEST_F(TlsTest, KeyReadableByOthersIsUsedWithAWarning) {
  std::ostringstream captured;
  ASSERT_TRUE(
      InitLogging(
          {.level = "info",
           .component = "test",
           .sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured)})
          .ok());
  const std::string dir =
      TlsDir("server-tls", {"server/tls.crt", "server/tls.key"});
  fs::permissions(dir + "/tls.key", fs::perms::owner_read |
                                        fs::perms::owner_write |
                                        fs::perms::others_read);
  ASSERT_TRUE(StartServer(dir).ok());
  EXPECT_THAT(captured.str(), HasSubstr("readable by other users"));
  EXPECT_THAT(captured.str(), HasSubstr("tls.key"));
  catalog_.reset();

  // 0600: no warning.
  captured.str("");
  fs::permissions(dir + "/tls.key",
                  fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_TRUE(StartServer(dir).ok());
  EXPECT_THAT(captured.str(), Not(HasSubstr("readable by other users")));
  ASSERT_TRUE(InitLogging({.level = "info", .component = "test"}).ok());
}

// The common name of the certificate the server presented on a new
// connection, after one call through it ("" when the call failed).
std::string ServerCommonName(int port, const std::string& client_dir,
                             int connection) {
  auto credentials = ChannelCredentialsFromDir(client_dir);
  EXPECT_TRUE(credentials.ok()) << credentials.status();
  grpc::ChannelArguments args;
  args.SetInt("reel.test.connection", connection);  // Never share one.
  auto stub = CatalogService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), *credentials, args));
  GetFilmRequest request;
  request.set_name("films/none");
  GetFilmResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  if (stub->GetFilm(&context, request, &response).error_code() !=
      grpc::StatusCode::NOT_FOUND) {
    return "";
  }
  auto names = context.auth_context()->FindPropertyValues("x509_common_name");
  return names.empty() ? "" : std::string(names[0].data(), names[0].size());
}

TEST_F(TlsTest, RotatedCertificatesAreUsedWithoutARestart) {
  MakeLeaf("server2",
           "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
           "extendedKeyUsage=serverAuth\n");
  const std::string dir =
      TlsDir("server-tls", {"server/tls.crt", "server/tls.key", "ca/ca.crt"});
  ASSERT_TRUE(StartServer(dir).ok());
  const std::string client =
      TlsDir("client-tls", {"ca/ca.crt", "client/tls.crt", "client/tls.key"});
  // A connection opened before the rotation.
  auto old_stub = Stub(client);
  ASSERT_TRUE(CreateAndGet(*old_stub, "before").ok());
  int connection = 0;
  EXPECT_EQ(ServerCommonName(catalog_->port(), client, ++connection), "server");

  // Rotate: each file replaced whole, as a Secret update does.
  for (const char* file : {"tls.key", "tls.crt"}) {
    fs::copy_file(pki_->Join(absl::StrCat("server2/", file)),
                  dir + "/" + file + ".new",
                  fs::copy_options::overwrite_existing);
    fs::rename(dir + "/" + file + ".new", dir + "/" + file);
  }
  std::string name;
  for (int i = 0; i < 100 && name != "server2"; ++i) {
    name = ServerCommonName(catalog_->port(), client, ++connection);
    if (name != "server2") absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(name, "server2");
  // Calls on the old connection keep working.
  EXPECT_TRUE(CreateAndGet(*old_stub, "after").ok());

  // A broken certificate is logged and the last good pair kept.
  {
    std::ofstream broken(dir + "/tls.crt.new");
    broken << "-----BEGIN CERTIFICATE-----\nnot a certificate\n";
  }
  fs::rename(dir + "/tls.crt.new", dir + "/tls.crt");
  absl::SleepFor(absl::Milliseconds(2500));  // Past two refreshes.
  EXPECT_EQ(ServerCommonName(catalog_->port(), client, ++connection),
            "server2");
}

TEST_F(TlsTest, ServerCertificateForAnotherHostIsRefused) {
  MakeLeaf("elsewhere",
           "subjectAltName=DNS:elsewhere.example\n"
           "extendedKeyUsage=serverAuth\n");
  ASSERT_TRUE(StartServer(TlsDir("server-tls",
                                 {"elsewhere/tls.crt", "elsewhere/tls.key"}))
                  .ok());
  auto stub = Stub(TlsDir("client-tls", {"ca/ca.crt"}));
  grpc::Status status = CreateAndGet(*stub, "red-shoes");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
}

TEST_F(TlsTest, MissingKeyFailsStartNamingIt) {
  absl::Status status = StartServer(TlsDir("server-tls", {"server/tls.crt"}));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("tls.key"));
}

TEST_F(TlsTest, MissingCertificateFailsStartNamingIt) {
  absl::Status status = StartServer(TlsDir("server-tls", {"server/tls.key"}));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("tls.crt"));
}

TEST_F(TlsTest, ClientCertificateWithoutKeyIsAnError) {
  auto credentials = ChannelCredentialsFromDir(
      TlsDir("client-tls", {"ca/ca.crt", "client/tls.crt"}));
  EXPECT_EQ(credentials.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(credentials.status().message(), HasSubstr("tls.key"));
}

TEST_F(TlsTest, MissingClientDirIsAnError) {
  auto credentials = ChannelCredentialsFromDir(dir_.Join("no-such-dir"));
  EXPECT_EQ(credentials.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(credentials.status().message(), HasSubstr("no-such-dir"));
}

TEST_F(TlsTest, EmptyClientDirMeansPlaintext) {
  ASSERT_TRUE(StartServer("").ok());
  auto stub = Stub("");
  grpc::Status status = CreateAndGet(*stub, "red-shoes");
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// A CatalogFollower on an IndexStore in dir_, following catalog_ through
// catalog_tls_dir. Returns Start()'s status.
class TlsFollowerTest : public TlsTest {
 protected:
  absl::Status StartFollower(const std::string& catalog_tls_dir) {
    auto analyzer = text::Analyzer::Create();
    if (!analyzer.ok()) return analyzer.status();
    index_ = std::make_unique<search::LiveIndex>(
        std::shared_ptr<const text::Analyzer>(*std::move(analyzer)));
    auto store = search::IndexStore::Open(dir_.Join("index"));
    if (!store.ok()) return store.status();
    index_store_ = *std::move(store);
    search::FollowerOptions options;
    options.catalog_address = absl::StrCat("127.0.0.1:", catalog_->port());
    options.catalog_tls_dir = catalog_tls_dir;
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(200);
    follower_ = std::make_unique<search::CatalogFollower>(options, index_.get(),
                                                          index_store_.get());
    return follower_->Start();
  }

  void TearDown() override {
    follower_.reset();
    index_store_.reset();
    index_.reset();
  }

  std::unique_ptr<search::LiveIndex> index_;
  std::unique_ptr<search::IndexStore> index_store_;
  std::unique_ptr<search::CatalogFollower> follower_;
};

TEST_F(TlsFollowerTest, FollowsAMutualTlsCatalog) {
  ASSERT_TRUE(StartServer(TlsDir("server-tls", {"server/tls.crt",
                                                "server/tls.key", "ca/ca.crt"}))
                  .ok());
  auto writer = Stub(
      TlsDir("client-tls", {"ca/ca.crt", "client/tls.crt", "client/tls.key"}));
  ASSERT_TRUE(CreateAndGet(*writer, "red-shoes").ok());
  absl::Status started = StartFollower(
      TlsDir("catalog-tls", {"ca/ca.crt", "client/tls.crt", "client/tls.key"}));
  ASSERT_TRUE(started.ok()) << started;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (index_->applied_revision() < 1 && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(index_->applied_revision(), 1);
}

TEST_F(TlsFollowerTest, KeyWithoutCertificateFailsStartNamingIt) {
  ASSERT_TRUE(StartServer("").ok());
  absl::Status started =
      StartFollower(TlsDir("catalog-tls", {"ca/ca.crt", "client/tls.key"}));
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(started.message(), HasSubstr("tls.crt"));
}

}  // namespace
}  // namespace reel::catalog
