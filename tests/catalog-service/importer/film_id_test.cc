#include "catalog-service/importer/film_id.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "catalog-service/model/film_name.h"
#include "tests/testing/status_matchers.h"

namespace reel::catalog {
namespace {

using ::testing::StartsWith;

TEST(SlugFromTitleTest, LowerCasesAndJoinsWordsWithDashes) {
  EXPECT_EQ(SlugFromTitle("The Red Shoes", 0), "the-red-shoes");
  EXPECT_EQ(SlugFromTitle("  --Hello,   World!!  ", 0), "hello-world");
  EXPECT_EQ(SlugFromTitle("2001: A Space Odyssey", 0), "2001-a-space-odyssey");
}

TEST(SlugFromTitleTest, AppendsYearOnlyWhenKnown) {
  EXPECT_EQ(SlugFromTitle("The Red Shoes", 1948), "the-red-shoes-1948");
  EXPECT_EQ(SlugFromTitle("Hamlet", 0), "hamlet");
}

TEST(SlugFromTitleTest, FoldsDiacritics) {
  EXPECT_EQ(SlugFromTitle("Amélie", 2001), "amelie-2001");
  EXPECT_EQ(SlugFromTitle("Łódź Ghetto", 0), "lodz-ghetto");
  EXPECT_EQ(SlugFromTitle("Die Straße", 0), "die-strasse");
  EXPECT_EQ(SlugFromTitle("Ærø Œuvre", 0), "aero-oeuvre");
}

TEST(SlugFromTitleTest, DropsApostrophesAndSpellsAmpersand) {
  EXPECT_EQ(SlugFromTitle("The King's Speech", 2010), "the-kings-speech-2010");
  EXPECT_EQ(SlugFromTitle("Schindler\u2019s List", 0), "schindlers-list");
  EXPECT_EQ(SlugFromTitle("Pride & Prejudice", 0), "pride-and-prejudice");
}

TEST(SlugFromTitleTest, TitleWithoutLatinLettersGetsStableHashedId) {
  const std::string slug = SlugFromTitle("七人の侍", 1954);
  EXPECT_THAT(slug, StartsWith("film-"));
  EXPECT_THAT(slug, ::testing::EndsWith("-1954"));
  EXPECT_EQ(slug, SlugFromTitle("七人の侍", 1954));
  EXPECT_NE(slug, SlugFromTitle("羅生門", 1954));
  EXPECT_OK(ValidateFilmId(slug));
}

TEST(SlugFromTitleTest, DotsAndBlankTitlesStillGiveValidIds) {
  for (const char* title : {".", "..", "...", " ", "  .  "}) {
    const std::string slug = SlugFromTitle(title, 0);
    EXPECT_OK(ValidateFilmId(slug)) << "\"" << title << "\" -> " << slug;
    EXPECT_NE(slug, ".");
    EXPECT_NE(slug, "..");
  }
}

TEST(SlugFromTitleTest, LongTitleIsCutToFitWithItsYear) {
  std::string title;
  for (int i = 0; i < 60; ++i) title += "word ";
  const std::string slug = SlugFromTitle(title, 1999);
  EXPECT_LE(slug.size(), kMaxFilmIdBytes);
  EXPECT_THAT(slug, ::testing::EndsWith("-1999"));
  EXPECT_EQ(slug.find("--"), std::string::npos);
  EXPECT_OK(ValidateFilmId(slug));
}

TEST(SlugFromTitleTest, InvalidUtf8SeparatesWords) {
  EXPECT_EQ(SlugFromTitle("ab\xFF\xFE"
                          "cd",
                          0),
            "ab-cd");
}

}  // namespace
}  // namespace reel::catalog
