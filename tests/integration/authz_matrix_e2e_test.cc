// The shipped authorization policies (deploy/k8s/components/authz/), enforced
// by the real binaries: catalog-service and search-service run with mutual
// TLS, those policy files and --require_authz, and a certificate for each
// role calls every method of every service they serve. Each role must get
// exactly its methods (docs/security.md), health stays open to any
// certificate, and the table printed is the role x method matrix.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status/grpc_status.h"
#include "reel/admin/v1/admin.grpc.pb.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "reel/search/v1/search.grpc.pb.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/catalog_test_util.h"
#include "tests/integration/search_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace reel::testing {
namespace {

namespace admin = ::reel::admin::v1;
namespace catalog = ::reel::catalog::v1;
namespace search = ::reel::search::v1;
using ::testing::HasSubstr;

using namespace std::chrono_literals;

const std::string kPolicyDir =
    std::string(REEL_SOURCE_DIR) + "/deploy/k8s/components/authz";

// Roles by service account, as the deployment names them; the namespace
// part of the identity is any.
const std::vector<std::string> kRoles = {"reel-writer", "reel-search",
                                         "reel-admin", "reel-web", "nobody"};

const std::vector<std::string> kMethods = {
    "CatalogService/CreateFilm",  "CatalogService/GetFilm",
    "CatalogService/ListFilms",   "CatalogService/UpdateFilm",
    "CatalogService/DeleteFilm",  "CatalogService/ImportFilms",
    "CatalogService/WatchFilms",  "AdminService/CreateBackup",
    "AdminService/ListBackups",   "AdminService/VerifyBackup",
    "SearchService/SearchScenes", "SearchService/GetIndexStatus"};

const std::map<std::string, std::set<std::string>> kAllowed = {
    {"reel-writer",
     {"CatalogService/CreateFilm", "CatalogService/GetFilm",
      "CatalogService/ListFilms", "CatalogService/UpdateFilm",
      "CatalogService/DeleteFilm", "CatalogService/ImportFilms",
      "CatalogService/WatchFilms"}},
    {"reel-search",
     {"CatalogService/GetFilm", "CatalogService/ListFilms",
      "CatalogService/WatchFilms"}},
    {"reel-admin",
     {"AdminService/CreateBackup", "AdminService/ListBackups",
      "AdminService/VerifyBackup"}},
    {"reel-web",
     {"SearchService/SearchScenes", "SearchService/GetIndexStatus"}},
    {"nobody", {}}};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

template <typename Context>
void SetShortDeadline(Context* context) {
  context->set_deadline(std::chrono::system_clock::now() + 20s);
}

class AuthzMatrixE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestPki pki(temp_.Join("pki"));
    ASSERT_OK(pki.Init());
    ASSERT_OK(pki.MakeLeaf("server",
                           "subjectAltName=IP:127.0.0.1\n"
                           "extendedKeyUsage=serverAuth\n"));
    pki.TlsDir(temp_.Join("tls/server"), "server", /*with_ca=*/true);
    for (const std::string& role : kRoles) {
      ASSERT_OK(pki.MakeLeaf(
          role, absl::StrCat("subjectAltName=URI:spiffe://reel/ns/test/sa/",
                             role, "\nextendedKeyUsage=clientAuth\n")));
      pki.TlsDir(temp_.Join("tls/" + role), role, /*with_ca=*/true);
    }
    ASSERT_OK_AND_ASSIGN(
        catalog_,
        CatalogProcess::Start(
            {.data_dir = temp_.Join("catalog"),
             .log_path = temp_.Join("catalog.log"),
             .flags = {"--tls_dir=" + temp_.Join("tls/server"),
                       "--authz_policy=" + kPolicyDir + "/catalog-policy.json",
                       "--require_authz",
                       "--backup_dir=" + temp_.Join("backups")}}));
    // Search follows the catalog as reel-search, what the deployment gives
    // it.
    ASSERT_OK_AND_ASSIGN(
        search_,
        SearchProcess::Start(
            {.catalog_address = catalog_->address(),
             .data_dir = temp_.Join("search"),
             .log_path = temp_.Join("search.log"),
             .flags = {"--tls_dir=" + temp_.Join("tls/server"),
                       "--catalog_tls_dir=" + temp_.Join("tls/reel-search"),
                       "--authz_policy=" + kPolicyDir + "/search-policy.json",
                       "--require_authz"}}));
    // A film every reader's GetFilm finds.
    auto writer =
        catalog::CatalogService::NewStub(Channel("reel-writer", *catalog_));
    catalog::Film kept;
    grpc::Status created = CreateFilm(*writer, "kept", TestFilm("Kept"), &kept);
    ASSERT_TRUE(created.ok()) << created.error_message();
    auto web = search::SearchService::NewStub(Channel("reel-web", *search_));
    ASSERT_OK(WaitForRevision(*web, 0, 60s)) << search_->LogTail();
  }

  void TearDown() override {
    if (search_ != nullptr) EXPECT_OK(search_->Stop());
    if (catalog_ != nullptr) EXPECT_OK(catalog_->Stop());
  }

  template <typename Process>
  std::shared_ptr<grpc::Channel> Channel(const std::string& role,
                                         const Process& process) {
    const std::string dir = temp_.Join("tls/" + role);
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(dir + "/ca.crt");
    tls.pem_private_key = ReadFile(dir + "/tls.key");
    tls.pem_cert_chain = ReadFile(dir + "/tls.crt");
    grpc::ChannelArguments args;
    args.SetInt("reel.test.unique", next_channel_++);  // Its own connection.
    return grpc::CreateCustomChannel(process.address(),
                                     grpc::SslCredentials(tls), args);
  }

  // Every method as `role`: method -> status code.
  std::map<std::string, grpc::StatusCode> CallEverything(
      const std::string& role) {
    std::map<std::string, grpc::StatusCode> codes;
    auto catalog_channel = Channel(role, *catalog_);
    auto films = catalog::CatalogService::NewStub(catalog_channel);
    auto backups = admin::AdminService::NewStub(catalog_channel);
    auto scenes = search::SearchService::NewStub(Channel(role, *search_));
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      catalog::CreateFilmRequest request;
      request.set_film_id("made-by-" + role);
      *request.mutable_film() = TestFilm("Made by " + role);
      catalog::CreateFilmResponse response;
      codes["CatalogService/CreateFilm"] =
          films->CreateFilm(&context, request, &response).error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      catalog::GetFilmRequest request;
      request.set_name("films/kept");
      catalog::GetFilmResponse response;
      codes["CatalogService/GetFilm"] =
          films->GetFilm(&context, request, &response).error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      catalog::ListFilmsResponse response;
      codes["CatalogService/ListFilms"] =
          films->ListFilms(&context, catalog::ListFilmsRequest(), &response)
              .error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      catalog::UpdateFilmRequest request;
      request.mutable_film()->set_name("films/made-by-" + role);
      request.mutable_film()->set_title("Other");
      request.mutable_update_mask()->add_paths("title");
      catalog::UpdateFilmResponse response;
      codes["CatalogService/UpdateFilm"] =
          films->UpdateFilm(&context, request, &response).error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      catalog::DeleteFilmRequest request;
      request.set_name("films/made-by-" + role);
      catalog::DeleteFilmResponse response;
      codes["CatalogService/DeleteFilm"] =
          films->DeleteFilm(&context, request, &response).error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      catalog::ImportFilmsResponse response;
      auto writer = films->ImportFilms(&context, &response);
      writer->WritesDone();
      codes["CatalogService/ImportFilms"] = writer->Finish().error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      auto reader = films->WatchFilms(&context, catalog::WatchFilmsRequest());
      catalog::WatchFilmsResponse first;
      if (reader->Read(&first)) {
        context.TryCancel();
        reader->Finish();
        codes["CatalogService/WatchFilms"] = grpc::StatusCode::OK;
      } else {
        codes["CatalogService/WatchFilms"] = reader->Finish().error_code();
      }
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      admin::CreateBackupResponse response;
      codes["AdminService/CreateBackup"] =
          backups
              ->CreateBackup(&context, admin::CreateBackupRequest(), &response)
              .error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      admin::ListBackupsResponse response;
      codes["AdminService/ListBackups"] =
          backups->ListBackups(&context, admin::ListBackupsRequest(), &response)
              .error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      admin::VerifyBackupRequest request;
      request.set_backup_id(1);
      admin::VerifyBackupResponse response;
      codes["AdminService/VerifyBackup"] =
          backups->VerifyBackup(&context, request, &response).error_code();
    }
    {
      search::SearchScenesRequest request;
      request.set_query("made");
      codes["SearchService/SearchScenes"] =
          Search(*scenes, request, 20s).status.error_code();
    }
    {
      grpc::ClientContext context;
      SetShortDeadline(&context);
      search::GetIndexStatusResponse response;
      codes["SearchService/GetIndexStatus"] =
          scenes
              ->GetIndexStatus(&context, search::GetIndexStatusRequest(),
                               &response)
              .error_code();
    }
    return codes;
  }

  TempDir temp_;
  std::unique_ptr<CatalogProcess> catalog_;
  std::unique_ptr<SearchProcess> search_;
  int next_channel_ = 0;
};

TEST_F(AuthzMatrixE2eTest, ShippedPoliciesGiveEachRoleExactlyItsMethods) {
  std::ostringstream table;
  table << std::left << std::setw(30) << "method";
  for (const std::string& role : kRoles) table << std::setw(19) << role;
  table << "\n";
  std::map<std::string, std::map<std::string, grpc::StatusCode>> results;
  for (const std::string& role : kRoles) results[role] = CallEverything(role);
  for (const std::string& method : kMethods) {
    table << std::setw(30) << method;
    for (const std::string& role : kRoles) {
      const grpc::StatusCode code = results[role].at(method);
      table << std::setw(19) << GrpcCodeName(code);
      if (kAllowed.at(role).count(method) > 0) {
        EXPECT_EQ(code, grpc::StatusCode::OK)
            << role << " " << method << ": " << GrpcCodeName(code);
      } else {
        EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED)
            << role << " " << method << ": " << GrpcCodeName(code);
      }
    }
    table << "\n";
  }
  std::cout << "role x method through catalog-service and search-service "
               "with the shipped policies:\n"
            << table.str();

  // Health is open to any certificate the CA signed, on both services.
  for (const auto& channel :
       {Channel("nobody", *catalog_), Channel("nobody", *search_)}) {
    EXPECT_THAT(CheckHealth(channel, "", 20s), IsOkAndHolds(1));
  }
}

}  // namespace
}  // namespace reel::testing
