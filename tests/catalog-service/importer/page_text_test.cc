#include "catalog-service/importer/page_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reel::catalog {
namespace {

std::vector<std::string> Texts(const std::vector<PageLine>& lines) {
  std::vector<std::string> texts;
  for (const PageLine& line : lines) texts.emplace_back(line.text);
  return texts;
}

std::vector<int> Numbers(const std::vector<PageLine>& lines) {
  std::vector<int> numbers;
  for (const PageLine& line : lines) numbers.push_back(line.number);
  return numbers;
}

TEST(SplitPageLinesTest, TrimsAndNumbersNonBlankLines) {
  const auto lines = SplitPageLines("\xEF\xBB\xBF  a \r\n\r\n\t\nb\xC2\xA0\rc");
  EXPECT_THAT(Texts(lines), ::testing::ElementsAre("a", "b", "c"));
  EXPECT_THAT(Numbers(lines), ::testing::ElementsAre(1, 4, 5));
}

TEST(SplitPageLinesTest, EmptyTextHasNoLines) {
  EXPECT_TRUE(SplitPageLines("").empty());
  EXPECT_TRUE(SplitPageLines("\n \r\n").empty());
}

TEST(ConsumeLoosePrefixTest, IgnoresCaseAndQuoteStyle) {
  absl::string_view text = "Entr\u2019acte BY Walter Goehr";
  EXPECT_TRUE(ConsumeLoosePrefix(&text, "entr'acte by "));
  EXPECT_EQ(text, "Walter Goehr");
  absl::string_view other = "Entracte by X";
  EXPECT_FALSE(ConsumeLoosePrefix(&other, "Entr'acte by "));
  EXPECT_EQ(other, "Entracte by X");
  absl::string_view shorter = "Entr";
  EXPECT_FALSE(ConsumeLoosePrefix(&shorter, "Entr'acte"));
}

TEST(IsSectionHeadingTest, KnowsTheSiteSections) {
  PageSection section;
  ASSERT_TRUE(IsSectionHeading("Dialogues from Movie The Red Shoes", &section));
  EXPECT_EQ(section, PageSection::kQuotes);
  ASSERT_TRUE(IsSectionHeading("quotes from movie Up", &section));
  EXPECT_EQ(section, PageSection::kQuotes);
  ASSERT_TRUE(IsSectionHeading(
      "Sound Tracks from The Red Shoes by Brian Easdale", &section));
  EXPECT_EQ(section, PageSection::kSoundtracks);
  ASSERT_TRUE(IsSectionHeading("Memorable Scenes from Movie Up", &section));
  EXPECT_EQ(section, PageSection::kScenes);
  ASSERT_TRUE(IsSectionHeading("Trivia from Movie Up", &section));
  EXPECT_EQ(section, PageSection::kOther);
}

TEST(IsSectionHeadingTest, ProseIsNotAHeading) {
  PageSection section;
  EXPECT_FALSE(IsSectionHeading("The Red Shoes", &section));
  EXPECT_FALSE(IsSectionHeading(
      "Later that night the dancers walk home from movie night.", &section));
  EXPECT_FALSE(IsSectionHeading("Quotes from Moviegoers", &section));
}

TEST(IsSiteChromeTest, MatchesWholeLinesOnly) {
  EXPECT_TRUE(IsSiteChrome("Download App"));
  EXPECT_TRUE(IsSiteChrome("download app"));
  EXPECT_FALSE(IsSiteChrome("Download App now to see the scene"));
}

TEST(LooksLikeTitleTest, ShortUnpunctuatedLinesAreTitles) {
  EXPECT_TRUE(LooksLikeTitle("The Audition"));
  EXPECT_TRUE(LooksLikeTitle("Who Killed Him?"));
  EXPECT_FALSE(LooksLikeTitle("She dances."));
  EXPECT_FALSE(LooksLikeTitle(
      "In a high stakes audition the film rolls depict her intense "
      "preparation and the atmosphere is thick with tension"));
}

}  // namespace
}  // namespace reel::catalog
