// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with its
// contents when the object goes out of scope.
#ifndef REEL_TESTS_TESTING_TEMP_DIR_H_
#define REEL_TESTS_TESTING_TEMP_DIR_H_

#include <string>

namespace reel::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Join(const std::string& name) const;

 private:
  std::string path_;
};

// Where the shared corpus and seed live: $REEL_SHARED_DIR, else "../shared"
// relative to the source tree (the layout CI and developers use).
std::string SharedDataDir();

}  // namespace reel::testing

#endif  // REEL_TESTS_TESTING_TEMP_DIR_H_
