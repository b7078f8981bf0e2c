#include "common/version/version.h"

#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace reel::version {
namespace {

// The binaries report what the repository's VERSION file says, not a copy
// that can drift from it.
TEST(VersionTest, IsTheVersionFile) {
  std::ifstream file(REEL_VERSION_FILE);
  ASSERT_TRUE(file) << REEL_VERSION_FILE;
  std::string line;
  std::getline(file, line);
  EXPECT_EQ(std::string(Version()),
            std::string(absl::StripAsciiWhitespace(line)));
}

TEST(VersionTest, LineNamesProgramVersionAndCommit) {
  EXPECT_FALSE(Commit().empty());
  EXPECT_EQ(VersionLine("reelctl"), "reelctl " + std::string(Version()) +
                                        " (commit " + std::string(Commit()) +
                                        ")");
}

}  // namespace
}  // namespace reel::version
