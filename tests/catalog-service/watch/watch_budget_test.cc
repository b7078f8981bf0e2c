// The watch send budget through a real server: a snapshot of more bytes than
// the per-second budget cannot arrive faster than the budget allows, and
// arrives whole.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "catalog-service/server/catalog_server.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

namespace v1 = ::reel::catalog::v1;

TEST(WatchBudgetTest, SnapshotsAreSentNoFasterThanTheBudget) {
  reel::testing::TempDir dir;
  CatalogServerOptions options;
  options.store.path = dir.Join("catalog");
  options.store.sync_writes = false;  // Only the seeding is faster.
  options.store.maintenance_interval = absl::ZeroDuration();
  options.watch.max_bytes_per_second = 1 << 20;  // 1 MiB/s, 1 s of burst.
  auto catalog = CatalogServer::Start(options);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  auto stub = v1::CatalogService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*catalog)->port()),
                          grpc::InsecureChannelCredentials()));
  // 300 films of ~10 KB: about 3 MiB of snapshot.
  constexpr int kFilms = 300;
  for (int i = 0; i < kFilms; ++i) {
    v1::CreateFilmRequest request;
    request.set_film_id(absl::StrCat("film-", i));
    request.mutable_film()->set_title(absl::StrCat("Film ", i));
    request.mutable_film()->set_synopsis(std::string(10000, 'a' + i % 26));
    v1::CreateFilmResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub->CreateFilm(&context, request, &response).ok());
  }
  const auto start = std::chrono::steady_clock::now();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::WatchFilmsRequest request;
  request.set_start_revision(0);
  auto reader = stub->WatchFilms(&context, request);
  v1::WatchFilmsResponse response;
  int films = 0;
  int64_t bytes = 0;
  while (reader->Read(&response)) {
    films += response.events_size();
    bytes += static_cast<int64_t>(response.ByteSizeLong());
    if (response.snapshot_complete()) break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_EQ(films, kFilms);
  // One second of burst, then 1 MiB/s: never faster than that.
  const double floor = static_cast<double>(bytes) / (1 << 20) - 1.0;
  EXPECT_GE(seconds, floor * 0.9) << bytes << " bytes in " << seconds << " s";
  context.TryCancel();
  while (reader->Read(&response)) {
  }
  reader->Finish();
}

}  // namespace
}  // namespace reel::catalog
