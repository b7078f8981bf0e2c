// Posting lists' document ids, coded per block in 1, 2 or 4 bytes: every
// way of reading them agrees with the plain ascending ids they were built
// from, whatever the gaps, and dense lists take the narrow widths.
#include "search-service/index/postings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace reel::search {
namespace {

// A list built as the index builds one (ids only; no counts or positions
// beyond a code per posting, which size() counts).
void Build(const std::vector<uint32_t>& ids, Postings* postings) {
  for (uint32_t id : ids) {
    if (postings->size() % kBlockSize == 0) postings->StartBlock();
    postings->AppendDoc(id);
    postings->tf_codes.push_back(1);
  }
}

// Ascending ids whose gaps are drawn from `gaps` (each >= 1).
std::vector<uint32_t> Ids(std::mt19937& random, size_t count,
                          const std::vector<uint32_t>& gaps,
                          uint32_t first = 0) {
  std::vector<uint32_t> ids;
  uint32_t id = first;
  for (size_t i = 0; i < count; ++i) {
    ids.push_back(id);
    id += gaps[random() % gaps.size()];
  }
  return ids;
}

void ExpectReadsBack(const Postings& postings, const std::vector<uint32_t>& ids,
                     std::mt19937& random) {
  ASSERT_EQ(postings.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(postings.Doc(i), ids[i]);
  std::vector<uint32_t> decoded(kBlockSize);
  for (size_t b = 0; b * kBlockSize < ids.size(); ++b) {
    const size_t count = postings.DecodeBlock(b, decoded.data());
    ASSERT_EQ(count, std::min(kBlockSize, ids.size() - b * kBlockSize));
    for (size_t j = 0; j < count; ++j) {
      ASSERT_EQ(decoded[j], ids[b * kBlockSize + j]);
    }
  }
  Postings::Reader reader(postings);
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(reader[i], ids[i]);
  for (size_t n = 0; n < 200 && !ids.empty(); ++n) {  // Jumps back and forth.
    const size_t i = random() % ids.size();
    ASSERT_EQ(reader[i], ids[i]);
  }
  // SkipTo from every kind of start, to targets present, absent, before
  // and past the list, as std::lower_bound finds them, saying whether it
  // landed on the target.
  const uint32_t top = ids.empty() ? 10 : ids.back() + 10;
  for (size_t n = 0; n < 2000; ++n) {
    const size_t from = random() % (ids.size() + 1);
    const uint32_t target = random() % (top + 1);
    const size_t want = std::max<size_t>(
        from, std::lower_bound(ids.begin(), ids.end(), target) - ids.begin());
    size_t at = from;
    const bool found = postings.SkipTo(&at, target);
    ASSERT_EQ(at, want) << "from " << from << " target " << target;
    ASSERT_EQ(found, want < ids.size() && ids[want] == target)
        << "from " << from << " target " << target;
  }
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(postings.Find(ids[i]), i);
  if (!ids.empty() && ids[0] > 0) {
    EXPECT_EQ(postings.Find(ids[0] - 1), ids.size());
  }
}

TEST(PostingsTest, EmptyAndSingleLists) {
  std::mt19937 random(1);
  Postings empty;
  ExpectReadsBack(empty, {}, random);
  for (uint32_t id : {0u, 1u, 255u, 65536u, 0xFFFFFFFEu}) {
    Postings one;
    Build({id}, &one);
    ExpectReadsBack(one, {id}, random);
  }
}

// Gaps that fit one byte, two, four, and mixes that widen a block midway
// (a far id after near ones), across many blocks.
TEST(PostingsTest, EveryWidthAndWideningReadBack) {
  std::mt19937 random(2);
  const std::vector<std::vector<uint32_t>> gap_sets = {
      {1},           {1, 2, 3},        {10, 15},   {300, 1000},
      {70000},       {1, 1, 1, 300},   {1, 90000}, {1, 2, 5000, 1},
      {0x10000000u}, {1, 1, 1, 1, 200}};
  for (const auto& gaps : gap_sets) {
    for (size_t count : {1u, 15u, 16u, 17u, 33u, 500u}) {
      const size_t max_count = std::min<size_t>(count, 14);  // 0x10000000 gaps
      const size_t n = gaps[0] == 0x10000000u ? max_count : count;
      const std::vector<uint32_t> ids = Ids(random, n, gaps, random() % 100);
      Postings postings;
      Build(ids, &postings);
      SCOPED_TRACE(testing::Message() << "gaps[0] " << gaps[0] << " n " << n);
      ExpectReadsBack(postings, ids, random);
    }
  }
}

// A dense list (the long lists that hold most postings) takes about 1.25
// bytes per id, a sparse one 2, a very sparse one 4 and a bit.
TEST(PostingsTest, WidthFollowsDensity) {
  std::mt19937 random(3);
  for (const auto& [gaps, most_bytes] :
       std::vector<std::pair<std::vector<uint32_t>, double>>{
           {{1, 2, 3, 5, 8}, 1.25}, {{100, 2000}, 2.25}, {{100000}, 4.25}}) {
    const std::vector<uint32_t> ids = Ids(random, 1600, gaps);
    Postings postings;
    Build(ids, &postings);
    EXPECT_LE(static_cast<double>(postings.doc_bytes.size()) / ids.size(),
              most_bytes)
        << gaps[0];
  }
}

// Escaped counts are found by counting the escapes before a posting in its
// block (a word at a time in full blocks): every posting's counts read back,
// in full and partial blocks, escapes first, last, everywhere or nowhere.
TEST(PostingsTest, EscapedCountsReadBack) {
  std::mt19937 random(4);
  for (int percent : {0, 5, 50, 100}) {
    for (size_t count : {1u, 15u, 16u, 31u, 300u}) {
      Postings postings;
      std::vector<FieldTf> want;
      for (size_t i = 0; i < count; ++i) {
        if (postings.size() % kBlockSize == 0) postings.StartBlock();
        postings.AppendDoc(static_cast<uint32_t>(i));
        FieldTf tf{};
        if (static_cast<int>(random() % 100) < percent) {
          // No code holds a field counted 200 times.
          tf = {200, static_cast<uint8_t>(random() % 256), 1, 0, 7};
          postings.tf_codes.push_back(kTfEscape);
          postings.escaped_tf.append(tf.data(), kFieldCount);
        } else {
          tf = {static_cast<uint8_t>(1 + random() % 3), 0, 0, 0, 0};
          postings.tf_codes.push_back(EncodeFieldTf(tf.data()));
        }
        want.push_back(tf);
      }
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(postings.Tf(i), want[i])
            << "posting " << i << " of " << count << ", " << percent << "%";
      }
    }
  }
}

}  // namespace
}  // namespace reel::search
