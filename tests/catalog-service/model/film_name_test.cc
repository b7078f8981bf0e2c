#include "catalog-service/model/film_name.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"

namespace reel::catalog {
namespace {

using ::reel::testing::IsOk;
using ::reel::testing::IsOkAndHolds;
using ::reel::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class GoodFilmIdTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoodFilmIdTest, IsAccepted) {
  EXPECT_THAT(ValidateFilmId(GetParam()), IsOk());
  EXPECT_THAT(ParseFilmName("films/" + GetParam()), IsOkAndHolds(GetParam()));
  EXPECT_THAT(ParseFilmName(FilmName(GetParam())), IsOkAndHolds(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(
    CorpusStyleIds, GoodFilmIdTest,
    ::testing::Values("wp:The_Spider_and_the_Fly_(1949_film)", "the-red-shoes",
                      "a", "0", "Z", "wp:Am%C3%A9lie",
                      "wp:Hello,_Dolly!_(film)", "wp:Schindler's_List",
                      "wp:Romeo_+_Juliet", "tt0040725", "x.y~z", "-._~:%()!,'+",
                      std::string(kMaxFilmIdBytes, 'a')));

TEST(ValidateFilmIdTest, EmptyIsRequired) {
  EXPECT_THAT(ValidateFilmId(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "film_id: is required"));
}

TEST(ValidateFilmIdTest, TooLongIsRejectedWithItsSize) {
  EXPECT_THAT(ValidateFilmId(std::string(kMaxFilmIdBytes + 1, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "film_id: is 129 bytes; the limit is 128"));
}

TEST(ValidateFilmIdTest, DisallowedCharactersAreNamedByPositionAndByte) {
  EXPECT_THAT(ValidateFilmId("a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("film_id: "),
                             HasSubstr("character 1 (byte 0x2f)"))));
  EXPECT_THAT(ValidateFilmId("red shoes"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("film_id: "),
                             HasSubstr("character 3 (byte 0x20)"))));
  EXPECT_THAT(ValidateFilmId("caf\xc3\xa9"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("film_id: "),
                             HasSubstr("character 3 (byte 0xc3)"))));
  EXPECT_THAT(ValidateFilmId(std::string("a\0b", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("character 1 (byte 0x00)")));
}

TEST(ValidateFilmIdTest, RejectsEachCharacterOutsideTheAlphabet) {
  for (const char c : std::string("/ \t\n?#&=\"<>\\[]{}|^`@$;*")) {
    EXPECT_THAT(
        ValidateFilmId(std::string("ok") + c),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("character 2")))
        << "character '" << c << "'";
  }
}

TEST(ValidateFilmIdTest, UsesTheGivenFieldName) {
  EXPECT_THAT(ValidateFilmId("", "films[3].name"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "films[3].name: is required"));
  EXPECT_THAT(ValidateFilmId("a b", "request.film_id"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("request.film_id: character 1")));
}

TEST(ParseFilmNameTest, ReturnsTheId) {
  EXPECT_THAT(ParseFilmName("films/the-red-shoes"),
              IsOkAndHolds("the-red-shoes"));
  EXPECT_THAT(ParseFilmName("films/wp:The_Spider_and_the_Fly_(1949_film)"),
              IsOkAndHolds("wp:The_Spider_and_the_Fly_(1949_film)"));
}

TEST(ParseFilmNameTest, EmptyIsRequired) {
  EXPECT_THAT(ParseFilmName(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                          AllOf(StartsWith("name: is required"),
                                                HasSubstr("films/{film_id}"))));
}

TEST(ParseFilmNameTest, PrefixWithoutIdIsRejected) {
  EXPECT_THAT(ParseFilmName("films/"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("name: is required")));
}

TEST(ParseFilmNameTest, WrongPrefixIsRejected) {
  for (const char* name :
       {"the-red-shoes", "film/red", "Films/red", "FILMS/red", "/films/red",
        " films/red", "scenes/red", "films"}) {
    EXPECT_THAT(
        ParseFilmName(name),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 AllOf(StartsWith("name: "), HasSubstr("films/{film_id}"))))
        << name;
  }
}

TEST(ParseFilmNameTest, WrongPrefixMessageEscapesAndTruncatesTheInput) {
  const std::string long_name = "x\n" + std::string(200, 'y');
  absl::StatusOr<std::string> parsed = ParseFilmName(long_name);
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("x\\n"));
  EXPECT_THAT(parsed.status().message(),
              ::testing::Not(HasSubstr(std::string(100, 'y'))));
  EXPECT_THAT(parsed.status().message(), ::testing::Not(HasSubstr("\n")));
}

TEST(ParseFilmNameTest, BadIdsAreRejected) {
  EXPECT_THAT(ParseFilmName("films/a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("name: "),
                             HasSubstr("character 1 (byte 0x2f)"))));
  EXPECT_THAT(
      ParseFilmName("films/red shoes"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte 0x20")));
  EXPECT_THAT(ParseFilmName("films/" + std::string(129, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "name: is 129 bytes; the limit is 128"));
  EXPECT_THAT(
      ParseFilmName("films/caf\xc3\xa9"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte 0xc3")));
  EXPECT_THAT(ParseFilmName("films//x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("character 0 (byte 0x2f)")));
}

TEST(ParseFilmNameTest, DotAndDotDotAreNotIds) {
  EXPECT_THAT(ParseFilmName("films/.", "film.name"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("film.name: "), HasSubstr("\".\""))));
  EXPECT_THAT(ValidateFilmId(".."),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("film_id: \"..\" is not allowed")));
  EXPECT_THAT(ValidateFilmId("..."), IsOk());
  EXPECT_THAT(ValidateFilmId(".a"), IsOk());
}

TEST(ParseFilmNameTest, UsesTheGivenFieldName) {
  EXPECT_THAT(
      ParseFilmName("nope", "film.name"),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("film.name: ")));
  EXPECT_THAT(
      ParseFilmName("films/a b", "film.name"),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("film.name: ")));
}

TEST(FilmNameTest, PrefixesTheId) {
  EXPECT_EQ(FilmName("the-red-shoes"), "films/the-red-shoes");
  EXPECT_EQ(FilmName("wp:The_Spider_and_the_Fly_(1949_film)"),
            "films/wp:The_Spider_and_the_Fly_(1949_film)");
}

}  // namespace
}  // namespace reel::catalog
