#include "search-service/text/utf8.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unicode/unistr.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "search-service/text/analyzer.h"
#include "tests/testing/status_matchers.h"

namespace reel::text {
namespace {

// UTF-16 length of `utf8` as ICU converts it (U+FFFD per maximal subpart).
uint32_t IcuUtf16Length(absl::string_view utf8) {
  return icu::UnicodeString::fromUTF8(
             icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())))
      .length();
}

TEST(Utf16OffsetMapperTest, CountsSurrogatePairsAndMultiByteCharacters) {
  // é: 2 bytes, 1 unit; ’: 3 bytes, 1 unit; 😀: 4 bytes, 2 units.
  const std::string text = "é’😀a";
  Utf16OffsetMapper mapper(text);
  EXPECT_EQ(mapper.ToUtf16(0), 0u);
  EXPECT_EQ(mapper.ToUtf16(2), 1u);
  EXPECT_EQ(mapper.ToUtf16(5), 2u);
  EXPECT_EQ(mapper.ToUtf16(9), 4u);
  EXPECT_EQ(mapper.ToUtf16(10), 5u);
  EXPECT_EQ(mapper.Utf16Length(), 5u);
}

TEST(Utf16OffsetMapperTest, HandlesBackwardInsideAndPastEndOffsets) {
  const std::string text = "ab😀cd";
  Utf16OffsetMapper mapper(text);
  EXPECT_EQ(mapper.ToUtf16(7), 5u);
  EXPECT_EQ(mapper.ToUtf16(1), 1u);  // backwards: restarts
  EXPECT_EQ(mapper.ToUtf16(4), 2u);  // inside 😀: its start
  EXPECT_EQ(mapper.ToUtf16(6), 4u);  // after 😀
  EXPECT_EQ(mapper.ToUtf16(100), 6u);
}

TEST(Utf16OffsetMapperTest, IllFormedSubpartsAreOneUnitEach) {
  EXPECT_EQ(Utf16OffsetMapper("\xFF\xFE").Utf16Length(), 2u);
  EXPECT_EQ(Utf16OffsetMapper("\xE2\x80").Utf16Length(), 1u);  // truncated
  EXPECT_EQ(Utf16OffsetMapper("\xC0\xAF").Utf16Length(), 2u);  // overlong
  EXPECT_EQ(Utf16OffsetMapper("a\xF0\x9F\x98").Utf16Length(), 2u);
  EXPECT_EQ(CountCodePoints("a\xF0\x9F\x98"), 2u);
}

TEST(Utf16OffsetMapperTest, AgreesWithIcuOnRandomText) {
  std::mt19937 rng(11);
  const std::vector<std::string> pieces = {"a",
                                           "bc ",
                                           "é",
                                           "’",
                                           "😀",
                                           "漢",
                                           "\xFF",
                                           "\xE2\x80",
                                           "\xC3",
                                           "\xF0\x9F",
                                           "long ascii run of text ",
                                           "\xED\xA0\x80"};
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    std::vector<size_t> boundaries = {0};
    const int n = rng() % 12;
    for (int i = 0; i < n; ++i) {
      text += pieces[rng() % pieces.size()];
      boundaries.push_back(text.size());
    }
    Utf16OffsetMapper mapper(text);
    EXPECT_EQ(mapper.Utf16Length(), IcuUtf16Length(text)) << text;
    // No piece starts with a continuation byte, so every piece boundary
    // is a code-point (or ill-formed subpart) boundary.
    for (size_t b : boundaries) {
      EXPECT_EQ(mapper.ToUtf16(b), IcuUtf16Length(text.substr(0, b))) << text;
    }
  }
}

TEST(Utf16OffsetMapperTest, MapsTokenOffsetsForJavaScript) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Analyzer> analyzer, Analyzer::Create());
  const std::string text = "Émile’s 😀 café and 😀😀 Lermontov";
  std::vector<Token> tokens;
  analyzer->Analyze(text, &tokens);
  const icu::UnicodeString utf16 = icu::UnicodeString::fromUTF8(text);
  Utf16OffsetMapper mapper(text);
  std::vector<std::string> highlighted;
  for (const Token& t : tokens) {
    const uint32_t begin = mapper.ToUtf16(t.begin_byte);
    const uint32_t end = mapper.ToUtf16(t.end_byte);
    std::string piece;
    utf16.tempSubStringBetween(begin, end).toUTF8String(piece);
    highlighted.push_back(piece);
  }
  EXPECT_THAT(highlighted,
              ::testing::ElementsAre("Émile’s", "café", "and", "Lermontov"));
  EXPECT_EQ(mapper.ToUtf16(tokens.back().begin_byte), 25u);
}

}  // namespace
}  // namespace reel::text
