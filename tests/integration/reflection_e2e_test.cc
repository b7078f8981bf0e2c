// Server reflection on the real binaries, as a client sees it: buf curl (the
// buf CLI pinned in tools/buf) lists every service and method of
// catalog-service and search-service through reflection, grpc.health.v1
// included, resolves the health messages through it for a call, and gets
// nothing from a service started with --noreflection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "nlohmann/json.hpp"
#include "reel/admin/v1/admin.pb.h"
#include "reel/catalog/v1/catalog.pb.h"
#include "reel/search/v1/search.pb.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/search_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAreArray;

constexpr std::chrono::seconds kBufTimeout{60};

// Runs `buf curl --protocol grpc --http2-prior-knowledge ARGS...` (plaintext
// HTTP/2, the schema from server reflection) to its end.
ToolRun BufCurl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "--protocol", "grpc",
                                   "--http2-prior-knowledge"};
  argv.insert(argv.end(), args.begin(), args.end());
  ToolRun run;
  auto child =
      ChildProcess::Start(REEL_BUF_PATH, argv, {.capture_stderr = true});
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return run;
  auto exit = (*child)->Wait(kBufTimeout);
  EXPECT_TRUE(exit.ok()) << exit.status();
  if (exit.ok()) run.exit = *exit;
  run.out = (*child)->stdout_text();
  run.err = (*child)->stderr_text();
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// "package.Service/Method" for every method of `service`.
std::vector<std::string> MethodsOf(
    const google::protobuf::ServiceDescriptor* service) {
  std::vector<std::string> methods;
  if (service == nullptr) return methods;
  for (int i = 0; i < service->method_count(); ++i) {
    methods.push_back(
        absl::StrCat(service->full_name(), "/", service->method(i)->name()));
  }
  return methods;
}

// What gRPC adds to every server (reflection unless --noreflection).
const std::vector<std::string>& GrpcMethods() {
  static const auto* methods = new std::vector<std::string>{
      "grpc.health.v1.Health/Check",
      "grpc.health.v1.Health/Watch",
      "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
  };
  return *methods;
}

class ReflectionE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(REEL_BUF_PATH, X_OK), 0)
        << REEL_BUF_PATH
        << " is missing: install the buf CLI with `npm ci` in tools/buf "
           "(scripts/lint-proto.sh does, and scripts/test.sh runs it first)";
  }

  void TearDown() override {
    if (search_ != nullptr) EXPECT_OK(search_->Stop());
    if (catalog_ != nullptr) EXPECT_OK(catalog_->Stop());
  }

  void StartBoth(const std::vector<std::string>& flags = {}) {
    ASSERT_OK_AND_ASSIGN(
        catalog_, CatalogProcess::Start({.data_dir = temp_.Join("catalog"),
                                         .log_path = temp_.Join("catalog.log"),
                                         .flags = flags}));
    ASSERT_OK_AND_ASSIGN(
        search_, SearchProcess::Start({.catalog_address = catalog_->address(),
                                       .data_dir = temp_.Join("search"),
                                       .log_path = temp_.Join("search.log"),
                                       .flags = flags}));
  }

  static std::string Url(const std::string& address) {
    return absl::StrCat("http://", address);
  }

  TempDir temp_;
  std::unique_ptr<CatalogProcess> catalog_;
  std::unique_ptr<SearchProcess> search_;
};

TEST_F(ReflectionE2eTest, CatalogListsEveryServiceAndMethod) {
  StartBoth();
  const ToolRun services =
      BufCurl({"--list-services", Url(catalog_->address())});
  ASSERT_TRUE(services.exit.success()) << services.Describe();
  EXPECT_THAT(
      Lines(services.out),
      UnorderedElementsAreArray<std::string>(
          {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
           "reel.admin.v1.AdminService", "reel.catalog.v1.CatalogService"}));

  // Every method of every service: buf describes each listed service
  // through reflection, so one it cannot describe fails the whole listing.
  std::vector<std::string> expected = GrpcMethods();
  for (const auto& methods :
       {MethodsOf(catalog::v1::GetFilmRequest::descriptor()
                      ->file()
                      ->FindServiceByName("CatalogService")),
        MethodsOf(admin::v1::CreateBackupRequest::descriptor()
                      ->file()
                      ->FindServiceByName("AdminService"))}) {
    expected.insert(expected.end(), methods.begin(), methods.end());
  }
  ASSERT_THAT(expected, IsSupersetOf<std::string>(
                            {"reel.catalog.v1.CatalogService/GetFilm",
                             "reel.catalog.v1.CatalogService/WatchFilms",
                             "reel.admin.v1.AdminService/CreateBackup"}));
  const ToolRun methods = BufCurl({"--list-methods", Url(catalog_->address())});
  ASSERT_TRUE(methods.exit.success()) << methods.Describe();
  EXPECT_THAT(Lines(methods.out), UnorderedElementsAreArray(expected));
}

TEST_F(ReflectionE2eTest, SearchListsEveryServiceAndMethod) {
  StartBoth();
  const ToolRun services =
      BufCurl({"--list-services", Url(search_->address())});
  ASSERT_TRUE(services.exit.success()) << services.Describe();
  EXPECT_THAT(
      Lines(services.out),
      UnorderedElementsAreArray<std::string>(
          {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
           "reel.search.v1.SearchService"}));

  std::vector<std::string> expected = GrpcMethods();
  const std::vector<std::string> search_methods = MethodsOf(
      search::v1::SearchScenesRequest::descriptor()->file()->FindServiceByName(
          "SearchService"));
  expected.insert(expected.end(), search_methods.begin(), search_methods.end());
  ASSERT_THAT(expected, IsSupersetOf<std::string>(
                            {"reel.search.v1.SearchService/SearchScenes",
                             "reel.search.v1.SearchService/GetIndexStatus"}));
  const ToolRun methods = BufCurl({"--list-methods", Url(search_->address())});
  ASSERT_TRUE(methods.exit.success()) << methods.Describe();
  EXPECT_THAT(Lines(methods.out), UnorderedElementsAreArray(expected));
}

// Health through reflection alone: buf learns HealthCheckRequest's fields
// (a misspelt one is refused before anything is sent), the methods of
// Health, and ServingStatus's value names, which it prints for the answer.
TEST_F(ReflectionE2eTest, HealthIsDescribedAndCalledThroughReflection) {
  StartBoth();
  const std::string check =
      absl::StrCat(Url(catalog_->address()), "/grpc.health.v1.Health/Check");

  const ToolRun misspelt = BufCurl({"-d", R"({"servce": ""})", check});
  EXPECT_FALSE(misspelt.exit.success()) << misspelt.Describe();
  EXPECT_THAT(misspelt.err, HasSubstr(R"(unknown field "servce")"));
  const ToolRun no_method = BufCurl(
      {absl::StrCat(Url(catalog_->address()), "/grpc.health.v1.Health/Nope")});
  EXPECT_FALSE(no_method.exit.success()) << no_method.Describe();
  EXPECT_THAT(no_method.err, HasSubstr("contains no such method"));

  // The catalog is SERVING once it prints its port (the store is open).
  for (const std::string& service :
       {"", "reel.catalog.v1.CatalogService", "reel.admin.v1.AdminService"}) {
    SCOPED_TRACE(service);
    const ToolRun run =
        BufCurl({"-d", nlohmann::json{{"service", service}}.dump(), check});
    ASSERT_TRUE(run.exit.success()) << run.Describe();
    EXPECT_EQ(nlohmann::json::parse(run.out),
              (nlohmann::json{{"status", "SERVING"}}))
        << run.out;
  }

  // Search is SERVING once its index has a first state, which may be still
  // to come: either way the status comes back by name.
  const std::string search_check =
      absl::StrCat(Url(search_->address()), "/grpc.health.v1.Health/Check");
  const ToolRun search = BufCurl(
      {"-d", R"({"service": "reel.search.v1.SearchService"})", search_check});
  ASSERT_TRUE(search.exit.success()) << search.Describe();
  EXPECT_THAT(nlohmann::json::parse(search.out).value("status", ""),
              AnyOf("SERVING", "NOT_SERVING"))
      << search.out;
  const ToolRun unknown =
      BufCurl({"-d", R"({"service": "no.such.Service"})", search_check});
  EXPECT_FALSE(unknown.exit.success()) << unknown.Describe();
  EXPECT_THAT(unknown.err, HasSubstr("not_found"));
}

TEST_F(ReflectionE2eTest, NoReflectionServesNoSchema) {
  StartBoth({"--noreflection"});
  for (const std::string& address : {catalog_->address(), search_->address()}) {
    SCOPED_TRACE(address);
    const ToolRun services = BufCurl({"--list-services", Url(address)});
    EXPECT_FALSE(services.exit.success()) << services.Describe();
    EXPECT_THAT(services.err, HasSubstr("unimplemented"));
    EXPECT_THAT(Lines(services.out),
                ::testing::Not(Contains("grpc.health.v1.Health")));
  }
  // Health itself is still served.
  EXPECT_THAT(CheckHealth(catalog_->channel(), "", std::chrono::seconds(5)),
              IsOkAndHolds(1));
}

}  // namespace
}  // namespace reel::testing
