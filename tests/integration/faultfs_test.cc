// faultfs itself (tests/faultfs): what a power cut keeps and drops, and the
// byte quota. The power-loss and disk-full tests rely on exactly this.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "tests/integration/faultfs_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(file)),
                     std::istreambuf_iterator<char>());
}

// Writes `bytes` at `offset` of `path` (created if missing); fsyncs if asked.
void WriteAt(const std::string& path, const std::string& bytes, off_t offset,
             bool sync) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), offset),
            static_cast<ssize_t>(bytes.size()))
      << strerror(errno);
  if (sync) {
    ASSERT_EQ(fsync(fd), 0);
  }
  close(fd);
}

void SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0) << dir;
  ASSERT_EQ(fsync(fd), 0);
  close(fd);
}

class FaultFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FaultFsProcess>> fs =
        FaultFsProcess::Start({.backing_dir = temp_.Join("backing"),
                               .mountpoint = temp_.Join("mnt")});
    if (absl::IsFailedPrecondition(fs.status())) {
      GTEST_SKIP() << fs.status().message();
    }
    ASSERT_OK(fs.status());
    fs_ = *std::move(fs);
  }
  std::string Mounted(const std::string& name) const {
    return fs_->mountpoint() + "/" + name;
  }
  std::string Backing(const std::string& name) const {
    return fs_->backing_dir() + "/" + name;
  }

  TempDir temp_;
  std::unique_ptr<FaultFsProcess> fs_;
};

TEST_F(FaultFsTest, PowerCutKeepsSyncedDataAndDropsTheRest) {
  const std::string synced(10000, 'a');  // Spans three 4 KiB blocks.
  WriteAt(Mounted("f"), synced, 0, /*sync=*/true);
  SyncDir(fs_->mountpoint());
  // Overwrites inside the synced size, then grows the file, unsynced.
  WriteAt(Mounted("f"), std::string(100, 'b'), 4090, /*sync=*/false);
  WriteAt(Mounted("f"), std::string(5000, 'c'), 9000, /*sync=*/false);
  ASSERT_EQ(ReadAll(Mounted("f")).size(), 14000u);
  // A second file, synced twice: the later sync wins.
  WriteAt(Mounted("h"), "one", 0, /*sync=*/true);
  WriteAt(Mounted("h"), "two", 0, /*sync=*/true);
  SyncDir(fs_->mountpoint());
  // Data synced, but the new entry's directory was not.
  WriteAt(Mounted("g"), "durable data, lost name", 0, /*sync=*/true);
  ASSERT_EQ(mkdir(Mounted("d").c_str(), 0700), 0);

  ASSERT_OK(fs_->PowerCut());
  EXPECT_LT(open(Mounted("f").c_str(), O_RDONLY), 0) << "the disk is gone";
  ASSERT_OK(fs_->Unmount());

  EXPECT_EQ(ReadAll(Backing("f")), synced);
  EXPECT_FALSE(std::filesystem::exists(Backing("g")));
  EXPECT_EQ(ReadAll(Backing("h")), "two");
  EXPECT_FALSE(std::filesystem::exists(Backing("d")));
}

TEST_F(FaultFsTest, PowerCutUndoesUnsyncedRenamesAndUnlinks) {
  WriteAt(Mounted("current"), "old", 0, /*sync=*/true);
  WriteAt(Mounted("next"), "new", 0, /*sync=*/true);
  WriteAt(Mounted("doomed"), "still here", 0, /*sync=*/true);
  SyncDir(fs_->mountpoint());
  // The rename RocksDB uses to switch CURRENT, and an unlink, both unsynced.
  ASSERT_EQ(rename(Mounted("next").c_str(), Mounted("current").c_str()), 0);
  ASSERT_EQ(unlink(Mounted("doomed").c_str()), 0);
  EXPECT_EQ(ReadAll(Mounted("current")), "new");

  ASSERT_OK(fs_->PowerCut());
  ASSERT_OK(fs_->Unmount());
  EXPECT_EQ(ReadAll(Backing("current")), "old");
  EXPECT_EQ(ReadAll(Backing("next")), "new");
  EXPECT_EQ(ReadAll(Backing("doomed")), "still here");
}

TEST_F(FaultFsTest, SyncedRenameSurvives) {
  WriteAt(Mounted("tmp"), "new", 0, /*sync=*/true);
  ASSERT_EQ(rename(Mounted("tmp").c_str(), Mounted("current").c_str()), 0);
  SyncDir(fs_->mountpoint());
  ASSERT_OK(fs_->PowerCut());
  ASSERT_OK(fs_->Unmount());
  EXPECT_EQ(ReadAll(Backing("current")), "new");
  EXPECT_FALSE(std::filesystem::exists(Backing("tmp")));
}

TEST_F(FaultFsTest, QuotaFailsWritesWithEnospcUntilLifted) {
  WriteAt(Mounted("f"), std::string(1000, 'x'), 0, /*sync=*/true);
  ASSERT_OK(fs_->SetQuota(5000));
  struct statvfs vfs;
  ASSERT_EQ(statvfs(fs_->mountpoint().c_str(), &vfs), 0);
  EXPECT_LE(vfs.f_bavail * vfs.f_frsize, 4000u);

  const int fd = open(Mounted("f").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const std::string more(3000, 'y');
  EXPECT_EQ(pwrite(fd, more.data(), more.size(), 1000), 3000);
  // Like a real disk: a short write up to the limit, then ENOSPC.
  const ssize_t short_write = pwrite(fd, more.data(), more.size(), 4000);
  EXPECT_LT(short_write, 3000);
  EXPECT_EQ(pwrite(fd, more.data(), more.size(),
                   4000 + std::max<ssize_t>(short_write, 0)),
            -1);
  EXPECT_EQ(errno, ENOSPC);
  // Overwriting in place needs no room.
  EXPECT_EQ(pwrite(fd, more.data(), more.size(), 0), 3000);
  ASSERT_OK(fs_->SetQuota(0));
  EXPECT_EQ(pwrite(fd, more.data(), more.size(), 4000), 3000);
  close(fd);
  EXPECT_EQ(*fs_->Counter("used_bytes"), 7000);
}

}  // namespace
}  // namespace reel::testing
