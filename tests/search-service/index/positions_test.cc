// The posting position codec: random postings round-trip, one after
// another, including fields whose frequency saturates.
#include "search-service/index/positions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <vector>

namespace reel::search {
namespace {

constexpr int kFields = 5;

struct Posting {
  std::vector<uint32_t> occurrences;
  std::array<uint8_t, kFields> tf{};
};

Posting RandomPosting(std::mt19937& rng) {
  Posting posting;
  for (int f = 0; f < kFields; ++f) {
    if (rng() % 2 == 0) continue;
    // Mostly a few occurrences; sometimes past the saturation point, at
    // positions up to the 24 bits an occurrence holds.
    const int count = rng() % 10 == 0 ? 250 + rng() % 20 : 1 + rng() % 4;
    const uint32_t span = rng() % 3 == 0 ? 0xFFFFFF : 2000;
    std::vector<uint32_t> positions;
    while (positions.size() < static_cast<size_t>(count)) {
      positions.push_back(rng() % span);
      std::sort(positions.begin(), positions.end());
      positions.erase(std::unique(positions.begin(), positions.end()),
                      positions.end());
    }
    for (uint32_t position : positions) {
      posting.occurrences.push_back(Occurrence(f, position));
    }
    posting.tf[f] = static_cast<uint8_t>(std::min(count, 255));
  }
  return posting;
}

TEST(PositionsTest, RandomPostingsRoundTrip) {
  std::mt19937 rng(7);
  std::vector<Posting> postings;
  PositionBytes bytes;
  std::vector<size_t> starts;
  for (int i = 0; i < 2000; ++i) {
    postings.push_back(RandomPosting(rng));
    starts.push_back(bytes.size());
    AppendPositions(postings.back().occurrences, postings.back().tf.data(),
                    &bytes);
  }
  int saturated = 0;
  size_t at = 0;
  for (size_t i = 0; i < postings.size(); ++i) {
    ASSERT_EQ(at, starts[i]) << i;
    std::vector<uint32_t> decoded = {42};  // Decoding appends.
    const size_t end = DecodePositions(bytes.data(), at, postings[i].tf.data(),
                                       kFields, 0x1F, &decoded);
    decoded.erase(decoded.begin());
    EXPECT_EQ(decoded, postings[i].occurrences) << i;
    EXPECT_EQ(SkipPositions(bytes.data(), at), end) << i;
    // Only some fields: the others' occurrences are stepped over.
    const uint32_t fields = i % 31 + 1;
    std::vector<uint32_t> some, wanted;
    EXPECT_EQ(DecodePositions(bytes.data(), at, postings[i].tf.data(), kFields,
                              fields, &some),
              end);
    for (uint32_t occurrence : postings[i].occurrences) {
      if (fields & (1u << OccurrenceField(occurrence))) {
        wanted.push_back(occurrence);
      }
    }
    EXPECT_EQ(some, wanted) << i;
    at = end;
    for (uint8_t tf : postings[i].tf) saturated += tf == kSaturatedTf;
  }
  EXPECT_EQ(at, bytes.size());
  EXPECT_GT(saturated, 50);  // The escape is exercised.
}

TEST(PositionsTest, SmallPositionsTakeOneByteEach) {
  const std::vector<uint32_t> occurrences = {Occurrence(1, 3), Occurrence(1, 9),
                                             Occurrence(4, 100)};
  const std::array<uint8_t, kFields> tf = {0, 2, 0, 0, 1};
  PositionBytes bytes;
  AppendPositions(occurrences, tf.data(), &bytes);
  // The length, then 3 and 9 - 3 in field 1, and 100 in field 4.
  EXPECT_THAT(bytes, ::testing::ElementsAre(3, 3, 6, 100));
}

}  // namespace
}  // namespace reel::search
