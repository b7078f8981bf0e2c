#include "search-service/index/compact_vector.h"

#include <malloc.h>

#include <array>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace reel::search {
namespace {

static_assert(sizeof(CompactVector<uint32_t>) == 16);

template <typename T>
void ExpectSame(const CompactVector<T>& got, const std::vector<T>& want) {
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(got.empty(), want.empty());
  ASSERT_GE(got.capacity(), got.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << i;
  ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin(), want.end()));
}

TEST(CompactVectorTest, StartsEmptyAndHoldsNothing) {
  CompactVector<uint32_t> values;
  EXPECT_TRUE(values.empty());
  EXPECT_EQ(values.capacity(), 0u);
  EXPECT_EQ(values.data(), nullptr);
  values.shrink_to_fit();
  EXPECT_EQ(values.begin(), values.end());
}

// Random appends, resizes and shrinks agree with std::vector throughout.
TEST(CompactVectorTest, AgreesWithStdVector) {
  std::mt19937 random(11);
  CompactVector<uint32_t> got;
  std::vector<uint32_t> want;
  for (int step = 0; step < 20000; ++step) {
    switch (random() % 8) {
      case 0: {
        const std::array<uint32_t, 5> run = {static_cast<uint32_t>(random()), 1,
                                             2, 3,
                                             static_cast<uint32_t>(random())};
        const size_t n = random() % run.size();
        got.append(run.data(), n);
        want.insert(want.end(), run.begin(), run.begin() + n);
        break;
      }
      case 1: {  // Shrink by resize, then grow and write the new values.
        const size_t size = random() % (want.size() + 3);
        got.resize(size);
        const size_t old = std::min(size, want.size());
        want.resize(size);
        for (size_t i = old; i < size; ++i) got[i] = want[i] = random();
        break;
      }
      case 2:
        got.shrink_to_fit();
        ASSERT_EQ(got.empty(), got.capacity() == 0);
        break;
      default: {
        const uint32_t value = random();
        got.push_back(value);
        want.push_back(value);
        ASSERT_EQ(got.back(), value);
      }
    }
    ExpectSame(got, want);
  }
}

// Capacity is what malloc really gave: the index's memory statistics read
// it, so it must count the rounding and never more than the block holds.
TEST(CompactVectorTest, CapacityIsTheAllocatorsBlock) {
  CompactVector<uint32_t> values;
  for (uint32_t i = 0; i < 1000; ++i) {
    values.push_back(i);
    ASSERT_LE(values.capacity() * sizeof(uint32_t),
              malloc_usable_size(values.data()));
    ASSERT_GT((values.capacity() + 1) * sizeof(uint32_t),
              malloc_usable_size(values.data()));
  }
  values.shrink_to_fit();
  EXPECT_LT(values.capacity(), 1000u + 16 / sizeof(uint32_t) + 1);
  values.resize(0);
  values.shrink_to_fit();
  EXPECT_EQ(values.capacity(), 0u);
  EXPECT_EQ(values.data(), nullptr);
}

TEST(CompactVectorTest, MovesTakeTheStorage) {
  CompactVector<uint8_t> from;
  const uint8_t bytes[] = {1, 2, 3};
  from.append(bytes, 3);
  const uint8_t* storage = from.data();
  CompactVector<uint8_t> to(std::move(from));
  EXPECT_EQ(to.data(), storage);
  EXPECT_EQ(to.size(), 3u);
  EXPECT_TRUE(from.empty());  // NOLINT(bugprone-use-after-move): specified.
  CompactVector<uint8_t> other;
  other.push_back(9);
  other = std::move(to);
  EXPECT_EQ(other.data(), storage);
  ExpectSame(other, std::vector<uint8_t>{1, 2, 3});
  // A vector of them (the index's lists) grows by moving them.
  std::vector<CompactVector<uint32_t>> lists(3);
  lists[1].push_back(42);
  lists.resize(1000);
  EXPECT_EQ(lists[1].size(), 1u);
  EXPECT_EQ(lists[1][0], 42u);
}

// A value type like the lists' blocks: structs copy whole.
TEST(CompactVectorTest, HoldsTriviallyCopyableStructs) {
  struct Pair {
    uint16_t a;
    float b;
  };
  CompactVector<Pair> pairs;
  for (int i = 0; i < 100; ++i)
    pairs.emplace_back(Pair{static_cast<uint16_t>(i), i * 0.5f});
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(pairs[i].a, i);
    EXPECT_EQ(pairs[i].b, i * 0.5f);
  }
}

}  // namespace
}  // namespace reel::search
