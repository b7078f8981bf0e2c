#include "search-service/query/query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/status_matchers.h"

namespace reel::search {
namespace {

using ::reel::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The folded terms of a clause, in order.
std::vector<std::string> Folded(const Clause& clause) {
  std::vector<std::string> folded;
  for (const QueryTerm& term : clause.terms) folded.push_back(term.folded);
  return folded;
}

class QueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analyzer_ = text::Analyzer::Create().value().release();
  }
  absl::StatusOr<ParsedQuery> Parse(absl::string_view query) {
    return ParseQuery(query, *analyzer_);
  }
  // With OR and phrase slop, as for a searcher that evaluates them.
  absl::StatusOr<ParsedQuery> ParseFull(absl::string_view query) {
    return ParseQuery(query, *analyzer_,
                      ParseOptions{.allow_or_and_slop = true});
  }
  // The INVALID_ARGUMENT message for `query`, parsed with OR and slop.
  std::string ErrorOf(absl::string_view query) {
    absl::StatusOr<ParsedQuery> parsed = ParseFull(query);
    if (parsed.ok()) return "(parsed)";
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) {
      return parsed.status().ToString();
    }
    return std::string(parsed.status().message());
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

// Words of letters and other scripts' characters take a shorter path
// through the parser; one joined by non-ASCII punctuation is still a phrase,
// so it is not the word being typed (no prefix), and a word after it is.
TEST_F(QueryTest, NonAsciiPunctuationInsideAWordMakesAPhrase) {
  ASSERT_OK_AND_ASSIGN(ParsedQuery joined, Parse("red\u2014shoes"));
  ASSERT_EQ(joined.clauses.size(), 1u);
  EXPECT_TRUE(joined.clauses[0].phrase);
  EXPECT_THAT(Folded(joined.clauses[0]), ElementsAre("red", "shoes"));
  EXPECT_FALSE(joined.clauses[0].terms[1].prefix);

  ASSERT_OK_AND_ASSIGN(ParsedQuery typed, Parse("red\u2014shoes bal"));
  ASSERT_EQ(typed.clauses.size(), 2u);
  EXPECT_TRUE(typed.clauses[1].terms[0].prefix);
  ASSERT_OK_AND_ASSIGN(ParsedQuery accented, Parse("ballerin\u00e9"));
  ASSERT_EQ(accented.clauses.size(), 1u);
  EXPECT_FALSE(accented.clauses[0].phrase);
  EXPECT_TRUE(accented.clauses[0].terms[0].prefix);
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

TEST_F(QueryTest, OrJoinsNeighboursIntoOneClause) {
  ASSERT_OK_AND_ASSIGN(ParsedQuery query, ParseFull("red OR blue shoes"));
  ASSERT_EQ(query.clauses.size(), 2u);
  const Clause& either = query.clauses[0];
  EXPECT_TRUE(either.terms.empty());
  EXPECT_FALSE(either.phrase);
  EXPECT_FALSE(either.excluded);
  EXPECT_EQ(either.fields, kAllFields);
  ASSERT_EQ(either.alternatives.size(), 2u);
  EXPECT_THAT(Folded(either.alternatives[0]), ElementsAre("red"));
  EXPECT_THAT(Folded(either.alternatives[1]), ElementsAre("blue"));
  EXPECT_TRUE(either.alternatives[0].alternatives.empty());
  EXPECT_EQ(either.alternatives[1].terms[0].max_typos, 0);  // 4 letters.
  EXPECT_THAT(Folded(query.clauses[1]), ElementsAre("shoes"));
  EXPECT_TRUE(query.clauses[1].alternatives.empty());
  // The OR clause counts once.
  EXPECT_EQ(query.required_clause_count(), 2);
}

TEST_F(QueryTest, OrBindsTighterThanJuxtaposition) {
  ASSERT_OK_AND_ASSIGN(ParsedQuery query,
                       ParseFull("ballet red OR blue OR green shoes "));
  ASSERT_EQ(query.clauses.size(), 3u);
  EXPECT_THAT(Folded(query.clauses[0]), ElementsAre("ballet"));
  ASSERT_EQ(query.clauses[1].alternatives.size(), 3u);
  EXPECT_THAT(Folded(query.clauses[1].alternatives[0]), ElementsAre("red"));
  EXPECT_THAT(Folded(query.clauses[1].alternatives[1]), ElementsAre("blue"));
  EXPECT_THAT(Folded(query.clauses[1].alternatives[2]), ElementsAre("green"));
  EXPECT_THAT(Folded(query.clauses[2]), ElementsAre("shoes"));
  // Two OR groups side by side stay two clauses.
  ASSERT_OK_AND_ASSIGN(ParsedQuery two, ParseFull("a OR b c OR d "));
  ASSERT_EQ(two.clauses.size(), 2u);
  EXPECT_EQ(two.clauses[0].alternatives.size(), 2u);
  EXPECT_EQ(two.clauses[1].alternatives.size(), 2u);
  // No space needed around OR next to a phrase.
  ASSERT_OK_AND_ASSIGN(ParsedQuery tight, ParseFull("\"red shoes\"OR\"blue\""));
  ASSERT_EQ(tight.clauses.size(), 1u);
  EXPECT_EQ(tight.clauses[0].alternatives.size(), 2u);
}

TEST_F(QueryTest, OrAlternativesKeepPhrasesScopesAndSlop) {
  ASSERT_OK_AND_ASSIGN(
      ParsedQuery query,
      ParseFull("title:red OR description:\"blue shoes\"~3 OR ballet*"));
  ASSERT_EQ(query.clauses.size(), 1u);
  const Clause& either = query.clauses[0];
  ASSERT_EQ(either.alternatives.size(), 3u);
  EXPECT_EQ(either.alternatives[0].fields, 1 << kSceneTitle);
  EXPECT_FALSE(either.alternatives[0].phrase);
  EXPECT_EQ(either.alternatives[1].fields, 1 << kDescription);
  EXPECT_TRUE(either.alternatives[1].phrase);
  EXPECT_EQ(either.alternatives[1].slop, 3);
  EXPECT_THAT(Folded(either.alternatives[1]), ElementsAre("blue", "shoes"));
  EXPECT_EQ(either.alternatives[2].fields, kAllFields);
  EXPECT_TRUE(either.alternatives[2].terms[0].prefix);
  // The clause's own fields are the union of its alternatives'.
  EXPECT_EQ(either.fields, kAllFields);
  ASSERT_OK_AND_ASSIGN(ParsedQuery scoped,
                       ParseFull("title:red OR film:blue shoes"));
  EXPECT_EQ(scoped.clauses[0].fields, (1 << kSceneTitle) | (1 << kFilmTitle));
}

TEST_F(QueryTest, LowercaseOrIsAStopWord) {
  ASSERT_OK_AND_ASSIGN(ParsedQuery query, ParseFull("red or blue "));
  ASSERT_EQ(query.clauses.size(), 3u);
  EXPECT_TRUE(query.clauses[1].terms[0].stop_word);
  for (const Clause& clause : query.clauses) {
    EXPECT_TRUE(clause.alternatives.empty());
  }
  // So is "Or", and OR inside a phrase is a word of the phrase.
  ASSERT_OK_AND_ASSIGN(ParsedQuery mixed, ParseFull("red Or blue "));
  EXPECT_EQ(mixed.clauses.size(), 3u);
  ASSERT_OK_AND_ASSIGN(ParsedQuery quoted, ParseFull("\"red OR blue\""));
  ASSERT_EQ(quoted.clauses.size(), 1u);
  EXPECT_THAT(Folded(quoted.clauses[0]), ElementsAre("red", "or", "blue"));
  // "ORANGE" and "OR," are words, not the operator.
  ASSERT_OK_AND_ASSIGN(ParsedQuery orange, ParseFull("red ORANGE OR, blue"));
  EXPECT_EQ(orange.clauses.size(), 4u);
}

TEST_F(QueryTest, MisplacedOrSaysWhere) {
  EXPECT_EQ(ErrorOf("OR red"),
            "query: OR must come between two words or phrases, as in red OR "
            "blue at byte 0");
  EXPECT_THAT(ErrorOf("red OR"), HasSubstr("two words or phrases"));
  EXPECT_THAT(ErrorOf("red OR"), HasSubstr("at byte 4"));
  EXPECT_THAT(ErrorOf("red OR  "), HasSubstr("at byte 4"));
  EXPECT_THAT(ErrorOf("red OR ,"), HasSubstr("at byte 4"));
  EXPECT_THAT(ErrorOf("red OR OR blue"),
              AllOf(HasSubstr("two words or phrases"), HasSubstr("at byte 7")));
  EXPECT_THAT(ErrorOf(", OR red"), HasSubstr("at byte 2"));
  EXPECT_EQ(ErrorOf("-red OR blue"),
            "query: OR cannot join an excluded word or phrase (-word is always "
            "excluded) at byte 5");
  EXPECT_THAT(
      ErrorOf("red OR -blue"),
      AllOf(HasSubstr("OR cannot join an excluded"), HasSubstr("at byte 4")));
  EXPECT_THAT(ErrorOf("red OR -\"blue shoes\""), HasSubstr("at byte 4"));
  EXPECT_THAT(ErrorOf("shoes red OR blue OR -green"),
              AllOf(HasSubstr("OR cannot join"), HasSubstr("at byte 18")));
}

TEST_F(QueryTest, PhraseSlop) {
  ASSERT_OK_AND_ASSIGN(ParsedQuery query,
                       ParseFull("\"red shoes\"~2 -\"ballet dancer\"~16 "
                                 "title:\"the audition\"~0 \"dance\"~5"));
  ASSERT_EQ(query.clauses.size(), 4u);
  EXPECT_TRUE(query.clauses[0].phrase);
  EXPECT_EQ(query.clauses[0].slop, 2);
  EXPECT_THAT(Folded(query.clauses[0]), ElementsAre("red", "shoes"));
  EXPECT_TRUE(query.clauses[1].excluded);
  EXPECT_EQ(query.clauses[1].slop, kMaxPhraseSlop);
  EXPECT_EQ(query.clauses[2].slop, 0);
  EXPECT_EQ(query.clauses[2].fields, 1 << kSceneTitle);
  // A one-word "phrase" has nothing to move: the word, without slop.
  EXPECT_FALSE(query.clauses[3].phrase);
  EXPECT_EQ(query.clauses[3].slop, 0);
  EXPECT_THAT(Folded(query.clauses[3]), ElementsAre("dance"));
  // A plain phrase has none; the next clause may follow the number directly.
  ASSERT_OK_AND_ASSIGN(ParsedQuery plain, ParseFull("\"red shoes\"~1\"a b\""));
  ASSERT_EQ(plain.clauses.size(), 2u);
  EXPECT_EQ(plain.clauses[0].slop, 1);
  EXPECT_EQ(plain.clauses[1].slop, 0);
  // Leading zeros are fine.
  ASSERT_OK_AND_ASSIGN(ParsedQuery zeros, ParseFull("\"red shoes\"~007"));
  EXPECT_EQ(zeros.clauses[0].slop, 7);
}

TEST_F(QueryTest, BadPhraseSlopSaysWhere) {
  const std::string need_number =
      "query: '~' after a phrase must be followed by a number of position "
      "moves from 0 to 16, as in \"red shoes\"~2 at byte ";
  EXPECT_EQ(ErrorOf("\"red shoes\"~"), need_number + "11");
  EXPECT_EQ(ErrorOf("ballet \"red shoes\"~ dance"), need_number + "18");
  EXPECT_EQ(ErrorOf("\"red shoes\"~x"), need_number + "11");
  EXPECT_EQ(ErrorOf("\"red shoes\"~-1"), need_number + "11");
  EXPECT_EQ(ErrorOf("\"red shoes\"~2.5"), need_number + "11");
  EXPECT_EQ(ErrorOf("\"red shoes\"~2x"), need_number + "11");
  EXPECT_EQ(ErrorOf("\"red shoes\"~17"),
            "query: phrase slop 17 is out of range (0 to 16) at byte 11");
  EXPECT_THAT(ErrorOf("\"red shoes\"~99999999999999999999"),
              HasSubstr("phrase slop 99999999999999999999 is out of range"));
  // Apart from the phrase, '~' is not slop.
  EXPECT_EQ(ErrorOf("\"red shoes\" ~2"),
            "query: ~ is not supported (phrase slop goes right after the "
            "quote: \"red shoes\"~2) at byte 12");
}

TEST_F(QueryTest, FuzzyWordsAreRejectedBecauseTyposAreBuiltIn) {
  EXPECT_EQ(ErrorOf("ballerina~2"),
            "query: fuzzy word~ is not supported (Reel already matches "
            "misspelt words with one or two typos) at byte 9");
  EXPECT_THAT(ErrorOf("red ballerina~"),
              AllOf(HasSubstr("fuzzy word~"), HasSubstr("at byte 13")));
  EXPECT_THAT(ErrorOf("title:ballerina~1"),
              AllOf(HasSubstr("fuzzy word~"), HasSubstr("at byte 15")));
}

TEST_F(QueryTest, OrAndSlopAreRejectedUntilAllowed) {
  EXPECT_THAT(Parse("red OR blue"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("OR is not supported yet at byte 4")));
  EXPECT_THAT(
      Parse("ballet \"red shoes\"~2"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("phrase slop (\"...\"~N) is not supported yet at "
                         "byte 18")));
  // Their syntax is still checked first...
  EXPECT_THAT(Parse("OR red"), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("two words or phrases")));
  EXPECT_THAT(
      Parse("\"red shoes\"~17"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
  // ...and what needs no new evaluation parses.
  ASSERT_OK_AND_ASSIGN(ParsedQuery exact, Parse("\"red shoes\"~0 \"red\"~3"));
  EXPECT_EQ(exact.clauses.size(), 2u);
  EXPECT_EQ(exact.clauses[0].slop, 0);
  ASSERT_OK_AND_ASSIGN(ParsedQuery words, Parse("red or blue"));
  EXPECT_EQ(words.clauses.size(), 3u);
  // The boolean overload is the options one with only typos_in_phrases.
  ASSERT_OK_AND_ASSIGN(ParsedQuery typos,
                       ParseQuery("\"ballerina dances\"", *analyzer_,
                                  ParseOptions{.typos_in_phrases = true,
                                               .allow_or_and_slop = true}));
  EXPECT_EQ(typos.clauses[0].terms[0].max_typos, 2);
}

TEST_F(QueryTest, OtherEnginesOperatorsAreNamedWithTheirOffset) {
  EXPECT_EQ(ErrorOf("red AND shoes"),
            "query: AND is not supported (scenes with all the words rank "
            "first; to require every word, set matching to "
            "WORD_MATCHING_ALL; write \"and\" to search for the word) at "
            "byte 4");
  EXPECT_EQ(ErrorOf("red NOT shoes"),
            "query: NOT is not supported (use -word or -\"a phrase\" to "
            "exclude; write \"not\" to search for the word) at byte 4");
  EXPECT_EQ(ErrorOf("red && shoes"),
            "query: && is not supported (scenes with all the words rank "
            "first; to require every word, set matching to "
            "WORD_MATCHING_ALL) at byte 4");
  EXPECT_EQ(ErrorOf("red||shoes"),
            "query: || is not supported (use OR) at byte 3");
  EXPECT_EQ(ErrorOf("red | shoes"),
            "query: | is not supported (use OR) at byte 4");
  EXPECT_EQ(ErrorOf("red !shoes"),
            "query: ! is not supported (use -word to exclude) at byte 4");
  EXPECT_EQ(ErrorOf("red +shoes"),
            "query: + is not supported (every word counts: scenes with all "
            "the words rank first) at byte 4");
  EXPECT_THAT(ErrorOf("red +\"blue shoes\""),
              AllOf(StartsWith("query: + is not"), HasSubstr("at byte 4")));
  EXPECT_THAT(ErrorOf("red -+shoes"),
              AllOf(StartsWith("query: + is not"), HasSubstr("at byte 5")));
  EXPECT_THAT(ErrorOf("red title:+shoes"),
              AllOf(StartsWith("query: + is not"), HasSubstr("at byte 10")));
  EXPECT_EQ(ErrorOf("red title:(shoes dance)"),
            "query: title:(...) is not supported (scope each word or phrase: "
            "title:red title:\"red shoes\") at byte 4");
  EXPECT_THAT(
      ErrorOf("-film:(red)"),
      AllOf(StartsWith("query: film:(...) is not"), HasSubstr("at byte 1")));
  EXPECT_EQ(ErrorOf("(red OR blue) shoes"),
            "query: ( grouping is not supported (OR joins its neighbours: red "
            "OR blue shoes) at byte 0");
  EXPECT_THAT(ErrorOf("shoes -(red blue)"),
              AllOf(StartsWith("query: ( grouping"), HasSubstr("at byte 7")));
  EXPECT_THAT(ErrorOf("shoes ( red )"),
              AllOf(StartsWith("query: ( grouping"), HasSubstr("at byte 6")));
  EXPECT_THAT(ErrorOf("shoes red(blue green)"),
              AllOf(StartsWith("query: ( grouping"), HasSubstr("at byte 9")));
  EXPECT_EQ(ErrorOf("ballet^2 shoes"),
            "query: ^ boost is not supported (field_weights weighs fields) at "
            "byte 6");
  EXPECT_THAT(ErrorOf("\"red shoes\"^2"),
              AllOf(StartsWith("query: ^ boost"), HasSubstr("at byte 11")));
  EXPECT_EQ(ErrorOf("murder [1930 TO 1940]"),
            "query: [a TO b] range is not supported (filter years with "
            "year_min and year_max) at byte 7");
  EXPECT_THAT(
      ErrorOf("murder {a TO b}"),
      AllOf(StartsWith("query: {a TO b} range"), HasSubstr("at byte 7")));
  EXPECT_EQ(ErrorOf("red /sho.s/"),
            "query: /regex/ is not supported (search for words, or a prefix: "
            "dan*) at byte 4");
  EXPECT_EQ(ErrorOf("bal?et"),
            "query: wildcard ? is not supported (only a trailing * matches, as "
            "a prefix: dan*) at byte 3");
  EXPECT_THAT(ErrorOf("red b*llet"),
              AllOf(StartsWith("query: wildcard *"), HasSubstr("at byte 5")));
  EXPECT_THAT(ErrorOf("red *llet"),
              AllOf(StartsWith("query: wildcard *"), HasSubstr("at byte 4")));
  EXPECT_THAT(ErrorOf("red ?allet"),
              AllOf(StartsWith("query: wildcard ?"), HasSubstr("at byte 4")));
  // The offset is in bytes: "é" is two.
  EXPECT_THAT(ErrorOf("café AND tea"), HasSubstr("at byte 6"));
  // They are rejected with or without OR and slop.
  EXPECT_THAT(Parse("red AND shoes"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("AND is not supported")));
  EXPECT_THAT(Parse("b*llet"), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("wildcard *")));
}

TEST_F(QueryTest, NaturalPunctuationIsNotAnOperator) {
  struct Case {
    const char* query;
    std::vector<std::string> words;  // All clauses' terms, in order.
  };
  const std::vector<Case> cases = {
      {"who's there?", {"who", "there"}},
      {"run!", {"run"}},
      {"really?! no", {"really", "no"}},
      {"what ? why !", {"what", "why"}},
      {"wow !!! ok", {"wow", "ok"}},
      {"spider-man", {"spider", "man"}},
      {"o'brien", {"obrien"}},
      {"red, shoes. dance", {"red", "shoes", "dance"}},
      {"tom & jerry", {"tom", "jerry"}},
      {"rock&roll", {"rock", "roll"}},
      {"ac/dc 24/7", {"ac", "dc", "24", "7"}},
      {"film(s) (1948)", {"film", "s", "1948"}},
      {"smile :)", {"smile"}},
      {"[applause]", {"applause"}},
      {"c++ +", {"c"}},
      {"and not or to", {"and", "not", "or", "to"}},
      {"dan* ", {"dan"}},
      // Inside quotes every character is text for the analyzer.
      {"\"red AND (shoes || +x~2\"", {"red", "and", "shoes", "x", "2"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    absl::StatusOr<ParsedQuery> parsed = ParseFull(c.query);
    ASSERT_OK(parsed.status());
    std::vector<std::string> words;
    for (const Clause& clause : parsed->clauses) {
      EXPECT_TRUE(clause.alternatives.empty());
      EXPECT_EQ(clause.slop, 0);
      for (const std::string& word : Folded(clause)) words.push_back(word);
    }
    EXPECT_EQ(words, c.words);
  }
  // A '?' or '!' ending the last word leaves it a bare word being typed.
  ASSERT_OK_AND_ASSIGN(ParsedQuery question, ParseFull("red shoes?"));
  EXPECT_EQ(question.clauses.size(), 2u);
  EXPECT_TRUE(question.clauses[1].terms[0].prefix);
}

TEST_F(QueryTest, APrefixNeedsTwoLetters) {
  // Typed: an error naming the minimum. As you type: the word itself.
  EXPECT_THAT(Parse("red s*"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a prefix needs at least 2 letters "
                                 "(\"s*\" would read every scene with a "
                                 "word starting so) at byte 4")));
  EXPECT_THAT(Parse("\xC3\xA9*"),  // One letter in two bytes.
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("at least 2 letters")));
  ASSERT_OK_AND_ASSIGN(ParsedQuery typing, Parse("red s"));
  EXPECT_FALSE(typing.clauses[1].terms[0].prefix);
  ASSERT_OK_AND_ASSIGN(ParsedQuery two, Parse("red sh"));
  EXPECT_TRUE(two.clauses[1].terms[0].prefix);
  ASSERT_OK_AND_ASSIGN(ParsedQuery typed, Parse("sh*"));
  EXPECT_TRUE(typed.clauses[0].terms[0].prefix);
}

TEST_F(QueryTest, LastBareWordAsPrefixAlsoInsideOr) {
  ASSERT_OK_AND_ASSIGN(ParsedQuery typing, ParseFull("shoes red OR blu"));
  ASSERT_EQ(typing.clauses.size(), 2u);
  EXPECT_FALSE(typing.clauses[0].terms[0].prefix);
  const Clause& either = typing.clauses[1];
  EXPECT_FALSE(either.alternatives[0].terms[0].prefix);
  EXPECT_TRUE(either.alternatives[1].terms[0].prefix);
  // Not after a space, nor when the last alternative is not a bare word.
  ASSERT_OK_AND_ASSIGN(ParsedQuery done, ParseFull("red OR blu "));
  EXPECT_FALSE(done.clauses[0].alternatives[1].terms[0].prefix);
  ASSERT_OK_AND_ASSIGN(ParsedQuery phrase, ParseFull("red OR \"blue sh\""));
  EXPECT_FALSE(phrase.clauses[0].alternatives[0].terms[0].prefix);
  EXPECT_FALSE(phrase.clauses[0].alternatives[1].terms[1].prefix);
  // An OR that is not last leaves the last bare word as before.
  ASSERT_OK_AND_ASSIGN(ParsedQuery after, ParseFull("red OR blue sho"));
  EXPECT_FALSE(after.clauses[0].alternatives[1].terms[0].prefix);
  EXPECT_TRUE(after.clauses[1].terms[0].prefix);
}

TEST_F(QueryTest, TermLimitCountsAlternatives) {
  std::string query = "w0";
  for (int i = 1; i < kMaxQueryTerms; ++i) absl::StrAppend(&query, " OR w", i);
  ASSERT_OK_AND_ASSIGN(ParsedQuery full, ParseFull(query));
  EXPECT_EQ(full.clauses[0].alternatives.size(),
            static_cast<size_t>(kMaxQueryTerms));
  const size_t last = query.size() + 4;
  absl::StrAppend(&query, " OR w", kMaxQueryTerms);
  EXPECT_EQ(ErrorOf(query),
            absl::StrCat("query: more than 32 terms at byte ", last));
  EXPECT_THAT(
      ErrorOf("a b c d e f g h i j k l m n o p q r s t u v w x y z A B C D "
              "OR \"E F G\""),
      HasSubstr("more than 32 terms"));
}

TEST_F(QueryTest, ExistingSyntaxIsUnchangedWithOrAndSlopAllowed) {
  for (const char* text :
       {"Dancing title:audition -\"red shoes\" film:lermon* ballet",
        "sixteen-year-old ", "the red shoes", "shoe dance lermontovs "}) {
    SCOPED_TRACE(text);
    ASSERT_OK_AND_ASSIGN(ParsedQuery before, Parse(text));
    ASSERT_OK_AND_ASSIGN(ParsedQuery after, ParseFull(text));
    ASSERT_EQ(before.clauses.size(), after.clauses.size());
    for (size_t i = 0; i < before.clauses.size(); ++i) {
      const Clause& a = before.clauses[i];
      const Clause& b = after.clauses[i];
      EXPECT_EQ(Folded(a), Folded(b));
      EXPECT_EQ(a.phrase, b.phrase);
      EXPECT_EQ(a.excluded, b.excluded);
      EXPECT_EQ(a.fields, b.fields);
      EXPECT_EQ(b.slop, 0);
      EXPECT_TRUE(b.alternatives.empty());
      for (size_t t = 0; t < a.terms.size(); ++t) {
        EXPECT_EQ(a.terms[t].prefix, b.terms[t].prefix);
        EXPECT_EQ(a.terms[t].max_typos, b.terms[t].max_typos);
        EXPECT_EQ(a.terms[t].stop_word, b.terms[t].stop_word);
      }
    }
    EXPECT_EQ(before.required_clause_count(), after.required_clause_count());
  }
  // Stop words: a query of only stop words still parses, and needs nothing.
  ASSERT_OK_AND_ASSIGN(ParsedQuery stop, ParseFull("the OR a"));
  EXPECT_EQ(stop.required_clause_count(), 0);
  EXPECT_FALSE(HasContent(stop.clauses[0]));
  ASSERT_OK_AND_ASSIGN(ParsedQuery some, ParseFull("the OR ballet"));
  EXPECT_EQ(some.required_clause_count(), 1);
  EXPECT_TRUE(HasContent(some.clauses[0]));
}

}  // namespace
}  // namespace reel::search
