#include "tests/testing/temp_dir.h"

#include <cstdlib>
#include <filesystem>

namespace reel::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
      "/reel-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::abort();  // Tests cannot run without scratch space.
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Join(const std::string& name) const {
  return path_ + "/" + name;
}

std::string SharedDataDir() {
  if (const char* dir = std::getenv("REEL_SHARED_DIR"); dir && *dir) {
    return dir;
  }
  return std::string(REEL_SOURCE_DIR) + "/../shared";
}

}  // namespace reel::testing
