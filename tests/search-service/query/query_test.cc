#include "search-service/query/query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace reel::search {
namespace {

using ::reel::testing::StatusIs;
using ::testing::HasSubstr;

class QueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analyzer_ = text::Analyzer::Create().value().release();
  }
  absl::StatusOr<ParsedQuery> Parse(absl::string_view query) {
    return ParseQuery(query, *analyzer_);
  }
  static inline const text::Analyzer* analyzer_ = nullptr;
};

TEST_F(QueryTest, WordsPhrasesPrefixesExclusionsAndScopes) {
  ASSERT_OK_AND_ASSIGN(
      ParsedQuery query,
      Parse("Dancing title:audition -\"red shoes\" film:lermon* ballet"));
  ASSERT_EQ(query.clauses.size(), 5u);
  EXPECT_EQ(query.clauses[0].terms[0].folded, "dancing");
  EXPECT_EQ(query.clauses[0].terms[0].stem, "danc");
  EXPECT_EQ(query.clauses[0].terms[0].max_typos, 1);
  EXPECT_EQ(query.clauses[0].fields, kAllFields);
  EXPECT_EQ(query.clauses[1].fields, 1 << kSceneTitle);
  EXPECT_TRUE(query.clauses[2].excluded);
  EXPECT_TRUE(query.clauses[2].phrase);
  EXPECT_EQ(query.clauses[2].terms.size(), 2u);
  EXPECT_EQ(query.clauses[2].terms[0].max_typos, 0);  // No typos in quotes.
  EXPECT_EQ(query.clauses[3].fields, 1 << kFilmTitle);
  EXPECT_TRUE(query.clauses[3].terms[0].prefix);
  EXPECT_EQ(query.clauses[3].terms[0].max_typos, 0);
  // The last bare word matches as a prefix too (search-as-you-type)...
  EXPECT_TRUE(query.clauses[4].terms[0].prefix);
  // ...but not once the user typed a space after it.
  ASSERT_OK_AND_ASSIGN(ParsedQuery done, Parse("ballet "));
  EXPECT_FALSE(done.clauses[0].terms[0].prefix);
  EXPECT_EQ(query.required_clause_count(), 4);
}

TEST_F(QueryTest, TypoBudgetFollowsWordLength) {
  ASSERT_OK_AND_ASSIGN(ParsedQuery query, Parse("shoe dance lermontovs "));
  EXPECT_EQ(query.clauses[0].terms[0].max_typos, 0);  // 4 letters.
  EXPECT_EQ(query.clauses[1].terms[0].max_typos, 1);  // 5 letters.
  EXPECT_EQ(query.clauses[2].terms[0].max_typos, 2);  // "lermontov", 9.
  ASSERT_OK_AND_ASSIGN(ParsedQuery asked,
                       ParseQuery("\"ballerina dances\"", *analyzer_, true));
  EXPECT_EQ(asked.clauses[0].terms[0].max_typos, 2);
}

TEST_F(QueryTest, HyphenatedWordIsAPhrase) {
  ASSERT_OK_AND_ASSIGN(ParsedQuery query, Parse("sixteen-year-old "));
  ASSERT_EQ(query.clauses.size(), 1u);
  EXPECT_TRUE(query.clauses[0].phrase);
  EXPECT_EQ(query.clauses[0].terms.size(), 3u);
}

TEST_F(QueryTest, MalformedQueriesSayWhereAndWhy) {
  EXPECT_THAT(
      Parse("red \"shoes"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("unbalanced quote (no closing \") at byte 4")));
  EXPECT_THAT(Parse("red genre:drama"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown field \"genre\"")));
  EXPECT_THAT(Parse("red - shoes"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'-' must be followed by a word or phrase at "
                                 "byte 4")));
  EXPECT_THAT(Parse("title: x"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("at byte 5")));
  EXPECT_THAT(Parse("   "), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("no words")));
  EXPECT_THAT(Parse("-red -shoes"), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("only excluded")));
  EXPECT_THAT(Parse("\"\""), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("empty phrase at byte 0")));
  EXPECT_THAT(Parse(std::string(1025, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("1025 bytes; the limit is 1024")));
  std::string many;
  for (int i = 0; i < 33; ++i) many += "word ";
  EXPECT_THAT(Parse(many), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("more than 32 terms")));
}

}  // namespace
}  // namespace reel::search
