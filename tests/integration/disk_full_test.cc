// Disk-full test: the real catalog-service runs with its data dir on faultfs
// with a byte quota. Once the disk is full, writes fail with
// RESOURCE_EXHAUSTED (docs/api.md), reads and watch streams keep working,
// nothing acknowledged is lost, and writes succeed again once space returns,
// without a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/catalog_test_util.h"
#include "tests/integration/faultfs_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::testing::HasSubstr;

using namespace std::chrono_literals;

constexpr auto kWaitTimeout = 30s;
// Room left on the disk when the quota is set: a few large films' worth.
constexpr int64_t kHeadroomBytes = 256 << 10;
// Writes tried while filling the disk, at most.
constexpr int kMaxFillWrites = 200;
// How long writes may take to come back once space returns.
constexpr auto kRecoveryTimeout = 20s;

// About 16 KiB per film, so the headroom fills in a few writes.
Film LargeFilm(const std::string& id) { return TestFilm(id, 4, 4000); }

class DiskFullTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      for (const std::string& log : logs_) {
        std::ifstream file(log);
        std::string text((std::istreambuf_iterator<char>(file)),
                         std::istreambuf_iterator<char>());
        if (text.size() > 6000) text = "..." + text.substr(text.size() - 6000);
        std::cerr << "--- end of " << log << " ---\n" << text << "\n";
      }
    }
  }

  std::string Log(const std::string& name) {
    logs_.push_back(temp_.Join(name));
    return logs_.back();
  }

  // Every acknowledged film is stored at its revision.
  void ExpectAcknowledgedPresent(CatalogService::Stub& stub) {
    for (const auto& [id, revision] : acked_) {
      absl::StatusOr<Film> film = GetFilm(stub, "films/" + id);
      ASSERT_OK(film.status()) << id;
      EXPECT_EQ(film->revision(), revision) << id;
    }
  }

  TempDir temp_;
  std::vector<std::string> logs_;
  std::map<std::string, int64_t> acked_;  // Film id -> revision.
};

TEST_F(DiskFullTest, WritesFailCleanlyAndResumeWhenSpaceReturns) {
  absl::StatusOr<std::unique_ptr<FaultFsProcess>> fs =
      FaultFsProcess::Start({.backing_dir = temp_.Join("backing"),
                             .mountpoint = temp_.Join("mnt"),
                             .log_path = Log("faultfs.log")});
  if (absl::IsFailedPrecondition(fs.status())) {
    GTEST_SKIP() << fs.status().message();
  }
  ASSERT_OK(fs.status());
  const std::string data_dir = (*fs)->mountpoint() + "/catalog";
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<CatalogProcess> catalog,
      CatalogProcess::Start({.data_dir = data_dir,
                             .log_path = Log("catalog-1.log"),
                             .flags = {"--watch_progress_interval=200ms"}}));
  auto stub = catalog->NewStub();
  for (int i = 0; i < 5; ++i) {
    const std::string id = absl::StrCat("before-", i);
    Film stored;
    ASSERT_OK(FromGrpcStatus(CreateFilm(*stub, id, LargeFilm(id), &stored)));
    acked_[id] = stored.revision();
  }
  WatchClient follower(catalog->channel(), 0);

  // The disk fills up.
  ASSERT_OK_AND_ASSIGN(const int64_t used, (*fs)->Counter("used_bytes"));
  ASSERT_OK((*fs)->SetQuota(used + kHeadroomBytes));
  grpc::Status failure;
  int64_t last_acked = 0;
  for (int i = 0; i < kMaxFillWrites; ++i) {
    const std::string id = absl::StrCat("fill-", i);
    Film stored;
    failure = CreateFilm(*stub, id, LargeFilm(id), &stored);
    if (!failure.ok()) break;
    acked_[id] = stored.revision();
    last_acked = stored.revision();
  }
  ASSERT_FALSE(failure.ok()) << "the disk never filled up";
  std::cout << "disk full after " << acked_.size()
            << " films: " << failure.error_code() << " "
            << failure.error_message() << "\n";
  EXPECT_EQ(failure.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << failure.error_message();
  EXPECT_THAT(failure.error_message(), HasSubstr("disk is full"));
  // Still full: the next write fails the same way.
  {
    const grpc::Status again =
        CreateFilm(*stub, "still-full", LargeFilm("still-full"), nullptr);
    EXPECT_EQ(again.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << again.error_message();
  }

  // Reads and watches keep working meanwhile.
  ExpectAcknowledgedPresent(*stub);
  ASSERT_OK_AND_ASSIGN(const std::vector<Film> listed, ListAllFilms(*stub));
  EXPECT_EQ(listed.size(), acked_.size());
  ASSERT_TRUE(follower.WaitForRevision(last_acked, kWaitTimeout))
      << follower.Describe();
  EXPECT_FALSE(follower.WaitForEnd(0ms).has_value()) << follower.Describe();
  {
    WatchClient fresh(catalog->channel(), 0);
    EXPECT_TRUE(fresh.WaitForSnapshot(kWaitTimeout)) << fresh.Describe();
  }

  // Space returns: writes succeed again, without a restart. RocksDB checks
  // for room every few seconds; until then writes keep failing the same way.
  ASSERT_OK((*fs)->SetQuota(0));
  const auto returned = std::chrono::steady_clock::now();
  Film after;
  grpc::Status recovered;
  int attempts = 0;
  do {
    ++attempts;
    recovered = CreateFilm(*stub, "after", LargeFilm("after"), &after);
    if (recovered.ok()) break;
    ASSERT_EQ(recovered.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << recovered.error_message();
    std::this_thread::sleep_for(200ms);  // Polling with a deadline.
  } while (std::chrono::steady_clock::now() - returned < kRecoveryTimeout);
  ASSERT_TRUE(recovered.ok())
      << recovered.error_code() << " " << recovered.error_message();
  std::cout << "writes resumed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - returned)
                   .count()
            << " ms after space returned (" << attempts << " attempts)\n";
  acked_["after"] = after.revision();
  EXPECT_EQ(after.revision(), last_acked + 1);
  ASSERT_TRUE(follower.WaitForRevision(after.revision(), kWaitTimeout))
      << follower.Describe();

  // Nothing acknowledged is lost across a restart either.
  stub.reset();
  ASSERT_OK(catalog->Stop());
  ASSERT_OK_AND_ASSIGN(catalog,
                       CatalogProcess::Start({.data_dir = data_dir,
                                              .log_path = Log("catalog-2.log"),
                                              .flags = {}}));
  stub = catalog->NewStub();
  ExpectAcknowledgedPresent(*stub);
  EXPECT_THAT(HeadRevision(*stub), IsOkAndHolds(after.revision()));
  {
    WatchClient history(catalog->channel(), 1);
    ASSERT_TRUE(history.WaitForRevision(after.revision(), kWaitTimeout))
        << history.Describe();
    const std::vector<FilmEvent> events = history.Events();
    ASSERT_EQ(events.size(), static_cast<size_t>(after.revision() - 1));
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].revision(), static_cast<int64_t>(i) + 2);
    }
  }
  stub.reset();
  ASSERT_OK(catalog->Stop());
}

}  // namespace
}  // namespace reel::testing
