// Per-method authorization on a real CatalogServer with mutual TLS: client
// certificates carry SPIFFE URI identities (writer, reader, one with no
// role), each calls each catalog method, and the policy file decides. Edits
// to the policy apply without a restart; start-up refuses what cannot be
// enforced.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "catalog-service/server/catalog_server.h"
#include "common/logging/logging.h"
#include "common/server/tls_credentials.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace reel::catalog {
namespace {

namespace v1 = ::reel::catalog::v1;
using ::testing::HasSubstr;

constexpr char kWriter[] = "spiffe://reel/ns/test/sa/reel-writer";
constexpr char kReader[] = "spiffe://reel/ns/test/sa/reel-search";
constexpr char kNobody[] = "spiffe://reel/ns/test/sa/nobody";

// Writer: every catalog method. Reader: what a search replica needs.
// Health: anyone.
std::string Policy(bool reader_may_create) {
  return absl::StrCat(R"({
  "name": "reel-catalog",
  "allow_rules": [
    {"name": "health", "request": {"paths": ["/grpc.health.v1.Health/*"]}},
    {"name": "writer",
     "source": {"principals": [")",
                      kWriter, R"("]},
     "request": {"paths": ["/reel.catalog.v1.CatalogService/*"]}},
    {"name": "reader",
     "source": {"principals": [")",
                      kReader, R"("]},
     "request": {"paths": [
       "/reel.catalog.v1.CatalogService/GetFilm",
       "/reel.catalog.v1.CatalogService/ListFilms",
       "/reel.catalog.v1.CatalogService/WatchFilms")",
                      reader_may_create
                          ? R"(, "/reel.catalog.v1.CatalogService/CreateFilm")"
                          : "",
                      R"(]}}
  ]
})");
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path + ".tmp");
  out << contents;
  out.close();
  std::filesystem::rename(path + ".tmp", path);
}

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(5);
}

// Each catalog method, called with a small valid-looking request; the code.
std::map<std::string, grpc::StatusCode> CallEveryMethod(
    v1::CatalogService::Stub& stub, const std::string& tag) {
  std::map<std::string, grpc::StatusCode> codes;
  {
    v1::CreateFilmRequest request;
    request.set_film_id(absl::StrCat("film-", tag));
    request.mutable_film()->set_title("A film");
    v1::CreateFilmResponse response;
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    codes["CreateFilm"] =
        stub.CreateFilm(&context, request, &response).error_code();
  }
  {
    v1::GetFilmRequest request;
    request.set_name("films/the-red-shoes");
    v1::GetFilmResponse response;
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    codes["GetFilm"] = stub.GetFilm(&context, request, &response).error_code();
  }
  {
    v1::ListFilmsResponse response;
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    codes["ListFilms"] =
        stub.ListFilms(&context, v1::ListFilmsRequest(), &response)
            .error_code();
  }
  {
    v1::UpdateFilmRequest request;
    request.mutable_film()->set_name("films/the-red-shoes");
    request.mutable_film()->set_title("Other");
    request.mutable_update_mask()->add_paths("title");
    v1::UpdateFilmResponse response;
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    codes["UpdateFilm"] =
        stub.UpdateFilm(&context, request, &response).error_code();
  }
  {
    v1::DeleteFilmRequest request;
    request.set_name("films/no-such-film");
    v1::DeleteFilmResponse response;
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    codes["DeleteFilm"] =
        stub.DeleteFilm(&context, request, &response).error_code();
  }
  {
    v1::ImportFilmsResponse response;
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    auto writer = stub.ImportFilms(&context, &response);
    writer->WritesDone();
    codes["ImportFilms"] = writer->Finish().error_code();
  }
  {
    v1::WatchFilmsRequest request;
    request.set_start_revision(0);
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    auto reader = stub.WatchFilms(&context, request);
    v1::WatchFilmsResponse first;
    if (reader->Read(&first)) {
      codes["WatchFilms"] = grpc::StatusCode::OK;
      context.TryCancel();
      while (reader->Read(&first)) {
      }
      reader->Finish();
    } else {
      codes["WatchFilms"] = reader->Finish().error_code();
    }
  }
  return codes;
}

class AuthzTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new reel::testing::TempDir();
    pki_ = new reel::testing::TestPki(temp_->Join("pki"));
    ASSERT_TRUE(pki_->Init().ok());
    ASSERT_TRUE(pki_->MakeLeaf("server",
                               "subjectAltName=IP:127.0.0.1\n"
                               "extendedKeyUsage=serverAuth\n")
                    .ok());
    for (const auto& [name, uri] :
         std::vector<std::pair<std::string, std::string>>{
             {"writer", kWriter}, {"reader", kReader}, {"nobody", kNobody}}) {
      ASSERT_TRUE(pki_->MakeLeaf(name, absl::StrCat("subjectAltName=URI:", uri,
                                                    "\n"
                                                    "extendedKeyUsage="
                                                    "clientAuth\n"))
                      .ok());
    }
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete temp_;
  }

  void SetUp() override {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    ASSERT_TRUE(
        InitLogging({.level = "info", .component = "catalog", .sink = sink})
            .ok());
  }
  void TearDown() override {
    catalog_.reset();
    ASSERT_TRUE(InitLogging({.level = "info", .component = "test"}).ok());
  }

  absl::Status Start(const std::string& policy_file, bool tls = true,
                     bool require = false) {
    CatalogServerOptions options;
    options.store.path = dir_.Join("catalog");
    options.store.maintenance_interval = absl::ZeroDuration();
    options.server.drain_timeout = absl::Seconds(1);
    options.server.metrics_listen_address = "127.0.0.1:0";
    if (tls) {
      options.server.tls_dir = pki_->TlsDir(dir_.Join("server-tls"), "server",
                                            /*with_ca=*/true);
    }
    options.server.authz_policy_file = policy_file;
    options.server.authz_refresh_interval = absl::Seconds(1);
    options.server.require_authz = require;
    auto catalog = CatalogServer::Start(options);
    if (!catalog.ok()) return catalog.status();
    catalog_ = *std::move(catalog);
    return absl::OkStatus();
  }

  std::unique_ptr<v1::CatalogService::Stub> StubAs(const std::string& leaf) {
    const std::string dir =
        pki_->TlsDir(dir_.Join(leaf + "-tls"), leaf, /*with_ca=*/true);
    auto credentials = ChannelCredentialsFromDir(dir);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    grpc::ChannelArguments args;
    // A fresh connection per stub: each presents its own certificate.
    args.SetInt("reel.test.unique", next_channel_++);
    return v1::CatalogService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", catalog_->port()), *credentials, args));
  }

  static reel::testing::TempDir* temp_;
  static reel::testing::TestPki* pki_;
  std::ostringstream log_;
  reel::testing::TempDir dir_;
  std::unique_ptr<CatalogServer> catalog_;
  int next_channel_ = 0;
};

reel::testing::TempDir* AuthzTest::temp_ = nullptr;
reel::testing::TestPki* AuthzTest::pki_ = nullptr;

TEST_F(AuthzTest, EachRoleGetsExactlyItsMethods) {
  const std::string policy = dir_.Join("policy.json");
  WriteFile(policy, Policy(/*reader_may_create=*/false));
  ASSERT_TRUE(Start(policy).ok());
  const std::vector<std::string> methods = {
      "CreateFilm", "GetFilm",     "ListFilms", "UpdateFilm",
      "DeleteFilm", "ImportFilms", "WatchFilms"};
  const std::map<std::string, std::vector<std::string>> allowed = {
      {"writer", methods},
      {"reader", {"GetFilm", "ListFilms", "WatchFilms"}},
      {"nobody", {}}};
  std::ostringstream matrix;
  for (const auto& [role, role_methods] : allowed) {
    auto stub = StubAs(role);
    const auto codes = CallEveryMethod(*stub, role);
    for (const std::string& method : methods) {
      const bool may = std::find(role_methods.begin(), role_methods.end(),
                                 method) != role_methods.end();
      const grpc::StatusCode code = codes.at(method);
      matrix << role << " " << method << " " << code << "\n";
      if (may) {
        EXPECT_NE(code, grpc::StatusCode::PERMISSION_DENIED)
            << role << " " << method;
        EXPECT_NE(code, grpc::StatusCode::UNAVAILABLE) << role << " " << method;
      } else {
        EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED)
            << role << " " << method;
      }
    }
  }
  std::cout << "role x method (gRPC code):\n" << matrix.str();

  // The denial names the caller and the method.
  {
    auto nobody = StubAs("nobody");
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    v1::GetFilmResponse response;
    v1::GetFilmRequest request;
    request.set_name("films/x");
    grpc::Status denied = nobody->GetFilm(&context, request, &response);
    EXPECT_THAT(denied.error_message(), HasSubstr(kNobody));
    EXPECT_THAT(denied.error_message(),
                HasSubstr("/reel.catalog.v1.CatalogService/GetFilm"));
  }
  // Health stays open to everyone, even a caller with no role.
  {
    const std::string dir =
        pki_->TlsDir(dir_.Join("health-tls"), "nobody", /*with_ca=*/true);
    auto credentials = ChannelCredentialsFromDir(dir);
    ASSERT_TRUE(credentials.ok());
    grpc::GenericStub health(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", catalog_->port()), *credentials));
    grpc::Slice empty(std::string(""));
    grpc::ByteBuffer request(&empty, 1), response;
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    absl::Notification done;
    grpc::Status status;
    health.UnaryCall(&context, "/grpc.health.v1.Health/Check",
                     grpc::StubOptions(), &request, &response,
                     [&](grpc::Status s) {
                       status = std::move(s);
                       done.Notify();
                     });
    done.WaitForNotification();
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  // Denials are counted per method and logged once per caller and method.
  const std::string metrics = catalog_->server()->metrics()->Render();
  EXPECT_THAT(metrics,
              HasSubstr("reel_authz_denied_total{grpc_service=\"reel.catalog."
                        "v1.CatalogService\",grpc_method=\"DeleteFilm\"} 2"));
  const std::string log = log_.str();
  const std::string line = absl::StrCat(
      "denied /reel.catalog.v1.CatalogService/GetFilm to ", kNobody);
  EXPECT_NE(log.find(line), std::string::npos) << log;
  EXPECT_EQ(log.find(line), log.rfind(line));
}

TEST_F(AuthzTest, PolicyEditsApplyWithoutARestart) {
  const std::string policy = dir_.Join("policy.json");
  WriteFile(policy, Policy(/*reader_may_create=*/false));
  ASSERT_TRUE(Start(policy).ok());
  auto reader = StubAs("reader");
  EXPECT_EQ(CallEveryMethod(*reader, "a").at("CreateFilm"),
            grpc::StatusCode::PERMISSION_DENIED);
  WriteFile(policy, Policy(/*reader_may_create=*/true));
  // The file is re-read every second; give it ten.
  grpc::StatusCode code = grpc::StatusCode::PERMISSION_DENIED;
  for (int i = 0; i < 100 && code == grpc::StatusCode::PERMISSION_DENIED; ++i) {
    code = CallEveryMethod(*reader, absl::StrCat("b", i)).at("CreateFilm");
    if (code == grpc::StatusCode::PERMISSION_DENIED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_EQ(code, grpc::StatusCode::OK);
  // A broken edit keeps the last good policy.
  WriteFile(policy, "{ not json");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(CallEveryMethod(*reader, "c").at("CreateFilm"),
            grpc::StatusCode::OK);
  EXPECT_EQ(CallEveryMethod(*reader, "d").at("DeleteFilm"),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthzTest, StartRefusesWhatItCannotEnforce) {
  const std::string policy = dir_.Join("policy.json");
  WriteFile(policy, Policy(false));
  // A policy without TLS would match nobody's identity.
  absl::Status status = Start(policy, /*tls=*/false);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("mutual TLS"));
  // --require_authz without a policy.
  status = Start("", /*tls=*/true, /*require=*/true);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("--require_authz"));
  // A policy that does not parse.
  WriteFile(policy, "{\"name\": 1}");
  status = Start(policy);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr(policy));
}

TEST_F(AuthzTest, WithoutTlsAuthorizationIsOffAndSaysSo) {
  ASSERT_TRUE(Start("", /*tls=*/false).ok());
  EXPECT_THAT(log_.str(), HasSubstr("authorization: off (no mutual TLS)"));
  // Each authorization line once: no noise per call.
  EXPECT_EQ(log_.str().find("authorization: off"),
            log_.str().rfind("authorization: off"));
}

}  // namespace
}  // namespace reel::catalog
