#include "search-service/text/analyzer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "search-service/text/stop_words.h"
#include "tests/testing/status_matchers.h"

namespace reel::text {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class AnalyzerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto analyzer = Analyzer::Create();
    ASSERT_OK(analyzer.status());
    analyzer_ = analyzer->release();
  }
  static void TearDownTestSuite() {
    delete analyzer_;
    analyzer_ = nullptr;
  }

  static std::vector<Token> Analyze(absl::string_view text) {
    std::vector<Token> tokens;
    analyzer_->Analyze(text, &tokens);
    return tokens;
  }

  // Terms of the primary tokens (one per position).
  static std::vector<std::string> Terms(absl::string_view text) {
    std::vector<std::string> terms;
    for (const Token& t : Analyze(text)) {
      if (!t.alternate) terms.push_back(t.term);
    }
    return terms;
  }

  static std::vector<std::string> Stems(absl::string_view text) {
    std::vector<std::string> stems;
    for (const Token& t : Analyze(text)) {
      if (!t.alternate) stems.push_back(t.stem);
    }
    return stems;
  }

  // "term@position[+]=source" for every token, '+' marking alternates.
  static std::vector<std::string> Describe(absl::string_view text) {
    std::vector<std::string> out;
    for (const Token& t : Analyze(text)) {
      out.push_back(
          t.term + "@" + std::to_string(t.position) + (t.alternate ? "+" : "") +
          "=" +
          std::string(text.substr(t.begin_byte, t.end_byte - t.begin_byte)));
    }
    return out;
  }

  static Analyzer* analyzer_;
};

Analyzer* AnalyzerTest::analyzer_ = nullptr;

TEST_F(AnalyzerTest, EmptyAndSeparatorOnlyTextHasNoTokens) {
  EXPECT_THAT(Analyze(""), IsEmpty());
  EXPECT_THAT(Analyze("  -- ... , ' ’ — 😀 \t\n"), IsEmpty());
}

TEST_F(AnalyzerTest, FoldsCaseAndDiacritics) {
  EXPECT_THAT(Terms("Ballerína ÉMILE Straße naïve Łódź Ærø CAFÉ"),
              ElementsAre("ballerina", "emile", "strasse", "naive", "lodz",
                          "aero", "cafe"));
  // Decomposed input (e + U+0301) folds like the precomposed one.
  EXPECT_THAT(Terms("Balleri\u0301na Cafe\u0301"),
              ElementsAre("ballerina", "cafe"));
  // Compatibility forms: ligature, full-width, superscript.
  EXPECT_THAT(Terms("ﬁne ＡＢＣ x²"), ElementsAre("fine", "abc", "x2"));
  // Greek and Cyrillic are case-folded and lose their accents.
  EXPECT_THAT(Terms("Ἀθῆναι Москва"), ElementsAre("αθηναι", "москва"));
}

TEST_F(AnalyzerTest, FoldTermMatchesAnalyzeAndIsIdempotent) {
  EXPECT_EQ(analyzer_->FoldTerm("Ballerína"), "ballerina");
  EXPECT_EQ(analyzer_->FoldTerm("Émile"), "emile");
  EXPECT_EQ(analyzer_->FoldTerm("STRASSE"), "strasse");
  EXPECT_EQ(analyzer_->FoldTerm("Straße"), "strasse");
  EXPECT_EQ(analyzer_->FoldTerm("DAN"), "dan");
  for (const char* word : {"Ballerína", "Ǆemal", "İstanbul", "ﬁne", "Ὀδυσσεύς",
                           "Ærø", "Москва", "ŉ", "漢字"}) {
    const std::string once = analyzer_->FoldTerm(word);
    EXPECT_EQ(analyzer_->FoldTerm(once), once) << word;
  }
}

// Words of code points below U+0250 are folded from a table built at
// Create(); a Greek letter forces the ICU path. Both must agree.
TEST_F(AnalyzerTest, LatinTableAgreesWithIcuPath) {
  for (char32_t cp = 0xA0; cp < 0x250; ++cp) {
    std::string ch;
    if (cp < 0x800) {
      ch = {static_cast<char>(0xC0 | (cp >> 6)),
            static_cast<char>(0x80 | (cp & 0x3F))};
    }
    EXPECT_EQ(analyzer_->FoldTerm("a" + ch + "b\u0394"),
              analyzer_->FoldTerm("a" + ch + "b") + "\u03b4")
        << "U+" << std::hex << static_cast<int>(cp);
  }
}

TEST_F(AnalyzerTest, PossessiveIsDropped) {
  EXPECT_THAT(Describe("Lermontov's ballet"),
              ElementsAre("lermontov@0=Lermontov's", "ballet@1=ballet"));
  EXPECT_THAT(Describe("Lermontov’s ballet"),
              ElementsAre("lermontov@0=Lermontov’s", "ballet@1=ballet"));
  EXPECT_THAT(Terms("the dancers' shoes"),
              ElementsAre("the", "dancers", "shoes"));
  EXPECT_THAT(Terms("1990's"), ElementsAre("1990"));
}

TEST_F(AnalyzerTest, ContractionsJoinWithoutParts) {
  EXPECT_THAT(Describe("don't can't we've I'll"),
              ElementsAre("dont@0=don't", "cant@1=can't", "weve@2=we've",
                          "ill@3=I'll"));
}

TEST_F(AnalyzerTest, ApostropheWordsAddTheirPartsAtTheSamePosition) {
  EXPECT_THAT(Describe("the Entr'acte begins"),
              ElementsAre("the@0=the", "entracte@1=Entr'acte", "entr@1+=Entr",
                          "acte@1+=acte", "begins@2=begins"));
  EXPECT_THAT(Describe("O’Brien’s"),
              ElementsAre("obrien@0=O’Brien’s", "o@0+=O", "brien@0+=Brien"));
}

TEST_F(AnalyzerTest, LeadingAndTrailingApostrophesAreNotPartOfWords) {
  EXPECT_THAT(Describe("'tis ‘Tom’"), ElementsAre("tis@0=tis", "tom@1=Tom"));
}

TEST_F(AnalyzerTest, HyphenatedWordsSplitIntoPositionsPlusJoinedAlternate) {
  EXPECT_THAT(Describe("a sixteen-year-old girl"),
              ElementsAre("a@0=a", "sixteen@1=sixteen",
                          "sixteenyearold@1+=sixteen-year-old", "year@2=year",
                          "old@3=old", "girl@4=girl"));
  EXPECT_THAT(Describe("mother-in-law's e‐mail"),
              ElementsAre("mother@0=mother", "motherinlaw@0+=mother-in-law's",
                          "in@1=in", "law@2=law's", "e@3=e", "email@3+=e‐mail",
                          "mail@4=mail"));
  // All-numeric compounds get no joined form; dashes and double hyphens
  // separate.
  EXPECT_THAT(Describe("1939-1945"), ElementsAre("1939@0=1939", "1945@1=1945"));
  EXPECT_THAT(
      Terms("1939–1945 war—peace wait--what -x- y-"),
      ElementsAre("1939", "1945", "war", "peace", "wait", "what", "x", "y"));
}

TEST_F(AnalyzerTest, NumbersAreKept) {
  EXPECT_THAT(Terms("16mm film, 1940s, 3.5 stars, £1,000,000 and 2."),
              ElementsAre("16mm", "film", "1940s", "3.5", "stars", "1000000",
                          "and", "2"));
  EXPECT_THAT(Stems("16mm 1940s"), ElementsAre("16mm", "1940s"));
}

TEST_F(AnalyzerTest, DottedAcronymsAreOneToken) {
  EXPECT_THAT(Describe("the U.S. Army at 5 a.m. (E.T)"),
              ElementsAre("the@0=the", "us@1=U.S.", "army@2=Army", "at@3=at",
                          "5@4=5", "am@5=a.m.", "et@6=E.T"));
  // Not acronyms: abbreviations, initials with spaces, sentence ends.
  EXPECT_THAT(Terms("Mr. J. Smith. End.Next"),
              ElementsAre("mr", "j", "smith", "end", "next"));
}

// Plain ASCII words take a shorter path; whatever follows a word decides
// whether it may, and the result must be what the general rules give.
TEST_F(AnalyzerTest, AsciiWordsEndWhereTheGeneralRulesEndThem) {
  EXPECT_THAT(
      Describe("Ab. x,y caf\u00e9 word\u2019s abc123 Tea-Time a.m. End"),
      ElementsAre("ab@0=Ab", "x@1=x", "y@2=y", "cafe@3=caf\u00e9",
                  "word@4=word\u2019s", "abc123@5=abc123", "tea@6=Tea",
                  "teatime@6+=Tea-Time", "time@7=Time", "am@8=a.m.",
                  "end@9=End"));
  EXPECT_THAT(Stems("Dancing, dancers; danced!"),
              ElementsAre("danc", "dancer", "danc"));
}

TEST_F(AnalyzerTest, StemsWithPorter2) {
  EXPECT_THAT(Stems("dances dancing danced dance"),
              ElementsAre("danc", "danc", "danc", "danc"));
  EXPECT_THAT(Stems("Ballerinas ballerina shoes"),
              ElementsAre("ballerina", "ballerina", "shoe"));
  EXPECT_EQ(analyzer_->Stem("dancing"), "danc");
  EXPECT_EQ(analyzer_->Stem("ballet"), "ballet");
  // Short words, numbers and non-Latin terms are their own stem.
  EXPECT_EQ(analyzer_->Stem("is"), "is");
  EXPECT_EQ(analyzer_->Stem("1940s"), "1940s");
  EXPECT_EQ(analyzer_->Stem("москва"), "москва");
  // The term keeps the surface form for prefix and typo matching.
  const std::vector<Token> tokens = Analyze("Dancing");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].term, "dancing");
  EXPECT_EQ(tokens[0].stem, "danc");
}

TEST_F(AnalyzerTest, UnstemmedAnalysisDiffersOnlyInTheMissingStems) {
  const std::string text =
      "Vicky's dancing in Lermontov's ballet — the well-known "
      "Ballerína dances; 1948 café";
  const std::vector<Token> stemmed = Analyze(text);
  std::vector<Token> unstemmed;
  analyzer_->AnalyzeUnstemmed(text, &unstemmed);
  ASSERT_EQ(unstemmed.size(), stemmed.size());
  for (size_t i = 0; i < stemmed.size(); ++i) {
    EXPECT_EQ(unstemmed[i].stem, "") << i;
    Token restored = unstemmed[i];
    restored.stem = analyzer_->Stem(restored.term);
    EXPECT_EQ(restored, stemmed[i]) << i;
  }
}

TEST_F(AnalyzerTest, StopWordsAreKeptInPhrases) {
  const std::vector<Token> tokens = Analyze("forget anything but ballet");
  ASSERT_EQ(tokens.size(), 4u);
  for (uint32_t i = 0; i < tokens.size(); ++i) {
    EXPECT_EQ(tokens[i].position, i);
    EXPECT_FALSE(tokens[i].alternate);
  }
  EXPECT_TRUE(IsStopWord("but"));
  EXPECT_TRUE(IsStopWord("the"));
  EXPECT_TRUE(IsStopWord("dont"));
  EXPECT_FALSE(IsStopWord("ballet"));
  EXPECT_FALSE(IsStopWord("anything"));
  EXPECT_FALSE(IsStopWord(""));
  EXPECT_FALSE(IsStopWord("The"));  // takes folded terms
}

TEST_F(AnalyzerTest, HanAndHiraganaAreOneTokenPerCharacter) {
  EXPECT_THAT(Describe("漢字 ひら Tokyo東京"),
              ElementsAre("漢@0=漢", "字@1=字", "ひ@2=ひ", "ら@3=ら",
                          "tokyo@4=Tokyo", "東@5=東", "京@6=京"));
}

TEST_F(AnalyzerTest, FormatCharactersStayInsideWords) {
  // ZERO WIDTH JOINER and SOFT HYPHEN continue a word and fold away; ZERO
  // WIDTH SPACE separates.
  EXPECT_THAT(Describe("Bismarck\u200D fires bal\u00ADlet a\u200Bb"),
              ElementsAre("bismarck@0=Bismarck\u200D", "fires@1=fires",
                          "ballet@2=bal\u00ADlet", "a@3=a", "b@4=b"));
}

TEST_F(AnalyzerTest, OffsetsRoundTripToTheOriginalWords) {
  const std::string text =
      "Vicky’s Entr'acte: a sixteen-year-old ballerína, 16mm — U.S. café.";
  std::vector<Token> tokens = Analyze(text);
  ASSERT_FALSE(tokens.empty());
  uint32_t expected_position = 0;
  for (const Token& t : tokens) {
    ASSERT_LT(t.begin_byte, t.end_byte);
    ASSERT_LE(t.end_byte, text.size());
    if (t.alternate) continue;
    EXPECT_EQ(t.position, expected_position++);
    // The source of a primary token analyses to that token alone.
    const std::string source =
        text.substr(t.begin_byte, t.end_byte - t.begin_byte);
    EXPECT_THAT(Terms(source), ElementsAre(t.term)) << source;
  }
}

TEST_F(AnalyzerTest, LongWordsAreTruncatedOnACodePointBoundary) {
  const std::string word = "a" + std::string(300, 'b');
  const std::vector<Token> tokens = Analyze(word + " end");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].term.size(), Analyzer::kMaxTermBytes);
  EXPECT_EQ(tokens[0].end_byte, word.size());
  std::string accented;
  for (int i = 0; i < 200; ++i) accented += "é";
  const std::vector<Token> folded = Analyze("x" + accented + "é");
  ASSERT_EQ(folded.size(), 1u);
  // ASCII after folding; and a multi-byte term is cut between code points.
  EXPECT_EQ(folded[0].term.size(), Analyzer::kMaxTermBytes);
  // 101 + 2n bytes: the cut falls inside an alpha and backs off by one.
  const std::vector<Token> greek =
      Analyze(std::string(101, 'x') + "ααααααααααααααααααααααααα");
  ASSERT_EQ(greek.size(), 1u);
  EXPECT_EQ(greek[0].term.size(), Analyzer::kMaxTermBytes - 1);
}

TEST_F(AnalyzerTest, InvalidUtf8SeparatesWordsAndNeverCrashes) {
  const std::string text =
      "abc\xFF\xFE"
      "def \xC3 ghi\xE2\x80 caf\xC3\xA9\xC3";
  EXPECT_THAT(Describe(text), ElementsAre("abc@0=abc", "def@1=def", "ghi@2=ghi",
                                          "cafe@3=caf\xC3\xA9"));
  // Overlong encodings and surrogates are ill-formed too.
  EXPECT_THAT(Terms("a\xC0\xAF"
                    "b\xED\xA0\x80"
                    "c"),
              ElementsAre("a", "b", "c"));

  std::mt19937 rng(7);
  std::vector<Token> tokens;
  const char alphabet[] = "ab'-.,\xC3\xA9\xE2\x80\x99\xF0\x9F\x98\x80\xFF ";
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 24, '\0');
    for (char& c : s) {
      c = rng() % 3 == 0 ? static_cast<char>(rng())
                         : alphabet[rng() % (sizeof(alphabet) - 1)];
    }
    analyzer_->Analyze(s, &tokens);
    uint32_t last_position = 0;
    for (const Token& t : tokens) {
      ASSERT_LT(t.begin_byte, t.end_byte);
      ASSERT_LE(t.end_byte, s.size());
      ASSERT_FALSE(t.term.empty());
      ASSERT_FALSE(t.stem.empty());
      ASSERT_GE(t.position, last_position);
      last_position = t.position;
    }
  }
}

TEST_F(AnalyzerTest, ReusedOutputVectorGivesTheSameTokens) {
  std::vector<Token> reused;
  analyzer_->Analyze("a sixteen-year-old Entr'acte with many many words",
                     &reused);
  analyzer_->Analyze("Ballet dancers", &reused);
  EXPECT_EQ(reused, Analyze("Ballet dancers"));
  analyzer_->Analyze("", &reused);
  EXPECT_THAT(reused, IsEmpty());
}

TEST_F(AnalyzerTest, IsThreadSafe) {
  const std::string text =
      "In this classic drama, Vicky Page is an aspiring ballerina torn "
      "between her dedication to dance and her desire to love. Lermontov’s "
      "sixteen-year-old Entr'acte dancers danced.";
  const std::vector<Token> expected = Analyze(text);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::vector<Token> tokens;
      for (int round = 0; round < 2000; ++round) {
        analyzer_->Analyze(text, &tokens);
        if (tokens != expected) ++mismatches[i];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

TEST_F(AnalyzerTest, TwoAnalyzersAgree) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Analyzer> other, Analyzer::Create());
  std::vector<Token> tokens;
  other->Analyze("Émile’s dancing shoes", &tokens);
  EXPECT_EQ(tokens, Analyze("Émile’s dancing shoes"));
}

}  // namespace
}  // namespace reel::text
