// Checks, in ASan+UBSan builds only (REEL_SANITIZE=address,undefined), that
// the sanitizers the test tier relies on are really on and fatal: a heap
// overflow and a signed overflow each end the process with a report. Without
// -fno-sanitize-recover, UBSan would print and carry on, and the case below
// would fail.
#include <cstdlib>
#include <limits>
#include <memory>

#include "gtest/gtest.h"

namespace reel::testing {
namespace {

// Opaque to the optimiser, so the bad operations below are really executed.
template <typename T>
T Launder(T value) {
  asm volatile("" : "+r"(value));
  return value;
}

TEST(AsanUbsanActiveTest, HeapOverflowIsFatal) {
  EXPECT_DEATH(
      {
        auto buffer = std::make_unique<char[]>(8);
        buffer[Launder(8)] = 1;
        std::exit(0);
      },
      "heap-buffer-overflow");
}

TEST(AsanUbsanActiveTest, SignedOverflowIsFatal) {
  EXPECT_DEATH(
      {
        int value = Launder(std::numeric_limits<int>::max());
        value += Launder(1);
        Launder(value);
        std::exit(0);  // Reached only if UBSan let the overflow pass.
      },
      "signed integer overflow");
}

}  // namespace
}  // namespace reel::testing
