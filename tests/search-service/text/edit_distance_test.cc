#include "search-service/text/edit_distance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "search-service/text/fuzzy_trie.h"
#include "search-service/text/utf8.h"

namespace reel::text {

void PrintTo(const FuzzyMatch& match, std::ostream* os) {
  *os << "{index " << match.index << ", distance " << match.distance << "}";
}

namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The bytes of each code point (or ill-formed subpart) of s.
std::vector<std::string> Pieces(absl::string_view s) {
  std::vector<std::string> out;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  for (size_t i = 0; i < s.size();) {
    int len;
    DecodeUtf8(p, s.size(), i, &len);
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// Reference: full-matrix optimal string alignment distance, on symbols that
// are the pieces of each string.
int ReferenceOsa(absl::string_view a_utf8, absl::string_view b_utf8) {
  const std::vector<std::string> a = Pieces(a_utf8), b = Pieces(b_utf8);
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

TEST(EditDistanceTest, TypicalTypos) {
  EXPECT_TRUE(WithinEditDistance("ballerna", "ballerina", 1));   // deletion
  EXPECT_TRUE(WithinEditDistance("lermontof", "lermontov", 1));  // substitution
  EXPECT_TRUE(WithinEditDistance("balllet", "ballet", 1));       // insertion
  EXPECT_TRUE(WithinEditDistance("dacne", "dance", 1));  // transposition
  EXPECT_TRUE(WithinEditDistance("ballet", "ballet", 0));
  EXPECT_FALSE(WithinEditDistance("dacne", "dance", 0));
  EXPECT_FALSE(WithinEditDistance("balerna", "ballerina", 1));
  EXPECT_TRUE(WithinEditDistance("balerna", "ballerina", 2));
  EXPECT_FALSE(WithinEditDistance("ballet", "bullets", 1));
  EXPECT_TRUE(WithinEditDistance("", "ab", 2));
  EXPECT_FALSE(WithinEditDistance("", "abc", 2));
}

TEST(EditDistanceTest, BoundedDistanceCapsAtMaxPlusOne) {
  EXPECT_EQ(BoundedEditDistance("kitten", "sitting", 5), 3);
  EXPECT_EQ(BoundedEditDistance("kitten", "sitting", 2), 3);
  EXPECT_EQ(BoundedEditDistance("kitten", "sitting", 1), 2);
  EXPECT_EQ(BoundedEditDistance("abcdef", "abcdefghij", 2), 3);  // length gap
  EXPECT_EQ(BoundedEditDistance("dacne", "dance", 3), 1);
  // Optimal string alignment: no substring is edited twice.
  EXPECT_EQ(BoundedEditDistance("ca", "abc", 5), 3);
  EXPECT_EQ(BoundedEditDistance("x", "y", -1), 1);  // negative max acts as 0
}

TEST(EditDistanceTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(BoundedEditDistance("café", "cafe", 3), 1);
  EXPECT_EQ(BoundedEditDistance("émile", "emile", 3), 1);
  EXPECT_EQ(BoundedEditDistance("😀a", "a😀", 3), 1);
  EXPECT_EQ(BoundedEditDistance("москва", "моксва", 3), 1);
  EXPECT_TRUE(WithinEditDistance("ballerína", "ballerina", 1));
  // Ill-formed bytes do not crash and count as one code point each.
  EXPECT_EQ(BoundedEditDistance("a\xFF"
                                "b",
                                "ab", 3),
            1);
}

TEST(EditDistanceTest, AgreesWithFullMatrixOnRandomStrings) {
  std::mt19937 rng(3);
  const std::vector<std::string> alphabet = {"a", "b", "c", "é", "😀"};
  auto random_word = [&] {
    std::string s;
    const int n = rng() % 9;
    for (int i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int round = 0; round < 20000; ++round) {
    const std::string a = random_word(), b = random_word();
    const int k = rng() % 4;
    const int reference = ReferenceOsa(a, b);
    ASSERT_EQ(BoundedEditDistance(a, b, k), std::min(reference, k + 1))
        << a << " / " << b << " k=" << k;
    ASSERT_EQ(WithinEditDistance(a, b, k), reference <= k);
  }
}

TEST(EditDistanceTest, MaxTyposForCountsCodePoints) {
  EXPECT_EQ(MaxTyposFor(""), 0);
  EXPECT_EQ(MaxTyposFor("dan"), 0);
  EXPECT_EQ(MaxTyposFor("shoe"), 0);
  EXPECT_EQ(MaxTyposFor("café"), 0);  // 4 code points, 5 bytes
  EXPECT_EQ(MaxTyposFor("dance"), 1);
  EXPECT_EQ(MaxTyposFor("émile"), 1);
  EXPECT_EQ(MaxTyposFor("ballerna"), 1);   // 8
  EXPECT_EQ(MaxTyposFor("lermontof"), 2);  // 9
  EXPECT_EQ(MaxTyposFor("ballerína"), 2);
}

TEST(FuzzyTrieTest, FindsTyposInADictionary) {
  const std::vector<std::string> dict = {
      "balance", "ballerina", "ballet",    "ballets", "dance",
      "danced",  "dancer",    "lermontov", "lemon",   "vicky"};
  EXPECT_THAT(FuzzyTrie(dict).Lookup("ballerna", 1),
              ElementsAre(FuzzyMatch{1, 1}));
  EXPECT_THAT(FuzzyTrie(dict).Lookup("lermontof", 2),
              ElementsAre(FuzzyMatch{7, 1}));
  EXPECT_THAT(FuzzyTrie(dict).Lookup("dacne", 1),
              ElementsAre(FuzzyMatch{4, 1}));
  EXPECT_THAT(
      FuzzyTrie(dict).Lookup("dance", 1),
      ElementsAre(FuzzyMatch{4, 0}, FuzzyMatch{5, 1}, FuzzyMatch{6, 1}));
  EXPECT_THAT(FuzzyTrie(dict).Lookup("ballet", 0),
              ElementsAre(FuzzyMatch{2, 0}));
  EXPECT_THAT(FuzzyTrie(dict).Lookup("xyz", 1), IsEmpty());
  EXPECT_THAT(FuzzyTrie(std::vector<std::string>{}).Lookup("dance", 1),
              IsEmpty());
  // Ill-formed dictionary terms are not supported but must not crash.
  const std::vector<std::string> bad = {"\xE2",
                                        "\xE2"
                                        "a",
                                        "\xE2\x80", "\xE2\x80\x99", "\xFF\xFF"};
  EXPECT_THAT(FuzzyTrie(bad).Lookup("\xE2", 0), Contains(FuzzyMatch{0, 0}));
  // Duplicates each match, and an empty trie matches nothing.
  const std::vector<std::string> twice = {"ballet", "ballet", "balm"};
  EXPECT_THAT(FuzzyTrie(twice).Lookup("balet", 1),
              ElementsAre(FuzzyMatch{0, 1}, FuzzyMatch{1, 1}));
  EXPECT_THAT(FuzzyTrie().Lookup("", 3), IsEmpty());
}

// The first-letter rule, on the alphabet's pieces: the term starts
// with the query's first piece, or with its first two swapped.
bool FirstLetterRuleHolds(const std::vector<std::string>& query,
                          const std::vector<std::string>& term) {
  if (query.empty() || term.empty() || term[0] == query[0]) return true;
  return query.size() >= 2 && term.size() >= 2 && term[0] == query[1] &&
         term[1] == query[0];
}

TEST(FuzzyTrieTest, PrefixesOfTheFirstLetterRule) {
  EXPECT_THAT(FuzzyPrefixes("ballet"), ElementsAre("b", "ab"));
  EXPECT_THAT(FuzzyPrefixes("éa"), ElementsAre("é", "aé"));
  EXPECT_THAT(FuzzyPrefixes("llama"), ElementsAre("l"));
  EXPECT_THAT(FuzzyPrefixes("x"), ElementsAre("x"));
  EXPECT_THAT(FuzzyPrefixes(""), IsEmpty());
  EXPECT_EQ(FuzzyDistance("ballet", "abllet", 1), 1);
  EXPECT_EQ(FuzzyDistance("ballet", "vallet", 1), -1);
  EXPECT_EQ(FuzzyDistance("ballet", "ballot", 1), 1);
  EXPECT_EQ(FuzzyDistance("ballet", "balloon", 1), -1);
}

TEST(FuzzyTrieTest, TheFirstLetterIsNotATypoUnlessSwapped) {
  const std::vector<std::string> dict = {"allerina", "ballerina", "cellerina",
                                         "vallerina"};
  // Each is one edit from "ballerina", but only a match that keeps its first
  // letter counts.
  EXPECT_THAT(FuzzyTrie(dict).Lookup("ballerina", 1),
              ElementsAre(FuzzyMatch{1, 0}));
  // A swap of the first two letters is forgiven.
  EXPECT_THAT(FuzzyTrie(dict).Lookup("abllerina", 1),
              ElementsAre(FuzzyMatch{0, 1}, FuzzyMatch{1, 1}));
}

// Exhaustive comparison with brute force: results must be exact.
TEST(FuzzyTrieTest, AgreesWithBruteForce) {
  std::mt19937 rng(5);
  // The query may hold ill-formed pieces ("\xE2\x80" and "\xE2" are
  // distinct); dictionary terms are well-formed, as Analyzer output is.
  const std::vector<std::string> alphabet = {
      "a", "b", "c", "d", "é", "😀", "\xFF", "\xE2", "\xE2\x80"};
  const size_t well_formed = 6;
  auto random_word = [&](int max_len, size_t letters) {
    std::string s;
    const int n = rng() % (max_len + 1);
    for (int i = 0; i < n; ++i) s += alphabet[rng() % letters];
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> dict;
    const int size = rng() % 400;
    for (int i = 0; i < size; ++i) {
      dict.push_back(random_word(7, well_formed));
    }
    std::sort(dict.begin(), dict.end());  // duplicates kept on purpose
    for (int q = 0; q < 10; ++q) {
      const std::string query = random_word(8, alphabet.size());
      const int k = rng() % 4;
      std::vector<FuzzyMatch> expected;
      for (size_t i = 0; i < dict.size(); ++i) {
        const int d = ReferenceOsa(query, dict[i]);
        const bool match =
            d <= k && FirstLetterRuleHolds(Pieces(query), Pieces(dict[i]));
        if (match) expected.push_back({i, d});
        ASSERT_EQ(FuzzyDistance(query, dict[i], k), match ? d : -1)
            << "query=" << query << " term=" << dict[i] << " k=" << k;
      }
      ASSERT_EQ(FuzzyTrie(dict).Lookup(query, k), expected)
          << "query=" << query << " k=" << k;
    }
  }
}

}  // namespace
}  // namespace reel::text
