#include "search-service/index/term_table.h"

#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace reel::search {
namespace {

using ::testing::Eq;
using ::testing::Optional;

TEST(TermTableTest, IdsAreDenseInInsertionOrderAndStable) {
  TermTable table;
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Insert("shoes"), std::make_pair(0u, true));
  EXPECT_EQ(table.Insert("red"), std::make_pair(1u, true));
  EXPECT_EQ(table.Insert("shoes"), std::make_pair(0u, false));
  EXPECT_EQ(table.Insert(""), std::make_pair(2u, true));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table[0], "shoes");
  EXPECT_EQ(table[1], "red");
  EXPECT_EQ(table[2], "");
  EXPECT_THAT(table.Find("red"), Optional(Eq(1u)));
  EXPECT_THAT(table.Find(""), Optional(Eq(2u)));
  EXPECT_EQ(table.Find("re"), std::nullopt);
  EXPECT_EQ(table.Find("shoe"), std::nullopt);
  EXPECT_FALSE(table.contains("shoesx"));
}

TEST(TermTableTest, TermsThatAreNotPlainWordsRoundTrip) {
  TermTable table;
  const std::vector<std::string> terms = {std::string("a\0b", 3),
                                          std::string("a\0c", 3),
                                          "ballerina",
                                          "ballerin",
                                          "\xC3\xA9t\xC3\xA9",
                                          std::string(70000, 'x'),
                                          std::string(1, '\0')};
  for (const std::string& term : terms) EXPECT_TRUE(table.Insert(term).second);
  for (size_t i = 0; i < terms.size(); ++i) {
    EXPECT_EQ(table[static_cast<uint32_t>(i)], terms[i]);
    EXPECT_THAT(table.Find(terms[i]), Optional(Eq(i)));
  }
  EXPECT_EQ(table.Find(std::string("a", 1)), std::nullopt);
}

// Many terms, many rehashes: every term is found under its own id after
// the table grew, and nothing absent is found. A map of strings is the
// reference.
TEST(TermTableTest, AgreesWithAMapOfStringsThroughGrowth) {
  TermTable table;
  absl::flat_hash_map<std::string, uint32_t> reference;
  std::mt19937 random(7);
  std::uniform_int_distribution<int> length(0, 12), letter('a', 'f');
  for (int i = 0; i < 200000; ++i) {
    std::string term;
    for (int n = length(random); n > 0; --n)
      term += static_cast<char>(letter(random));
    const auto [id, added] = table.Insert(term);
    const auto [it, reference_added] =
        reference.try_emplace(term, static_cast<uint32_t>(reference.size()));
    ASSERT_EQ(added, reference_added) << term;
    ASSERT_EQ(id, it->second) << term;
  }
  table.ShrinkToFit();
  ASSERT_EQ(table.size(), reference.size());
  for (const auto& [term, id] : reference) {
    ASSERT_THAT(table.Find(term), Optional(Eq(id))) << term;
    ASSERT_EQ(table[id], term);
  }
  for (int i = 0; i < 1000; ++i) {
    const std::string absent = absl::StrCat("g", i);
    EXPECT_EQ(table.Find(absent), std::nullopt) << absent;
  }
}

// The point of the table: short words cost far less than a map of strings
// (32-byte strings, plus a slot of string and id).
TEST(TermTableTest, ShortWordsCostLittleMemory) {
  TermTable table;
  absl::flat_hash_map<std::string, uint32_t> map;
  size_t term_bytes = 0;
  for (int i = 0; i < 50000; ++i) {
    const std::string term = absl::StrCat("word", i);
    term_bytes += term.size();
    table.Insert(term);
    map.emplace(term, i);
  }
  table.ShrinkToFit();
  // Bytes, a 4-byte offset, and the set's slots (4 + 1 bytes each, at
  // least 1 / load factor of them per term).
  EXPECT_GE(table.memory_bytes(), term_bytes + 50000 * (4 + 5));
  EXPECT_LE(table.memory_bytes(), term_bytes + 50000 * (4 + 2 * 5 + 1));
  const size_t map_bytes =
      map.capacity() * (sizeof(std::pair<const std::string, uint32_t>) + 1);
  EXPECT_LT(table.memory_bytes(), map_bytes / 2);
}

}  // namespace
}  // namespace reel::search
