#include "catalog-service/importer/corpus_record_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"

namespace reel::catalog {
namespace {

using ::reel::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::string_view kRecord = R"json(
{"id": "wp:The_Spider_and_the_Fly_(1949_film)",
 "title": "The Spider and the Fly", "year": 1949,
 "directors": ["Robert Hamer"], "genres": ["crime", "world war ii"],
 "synopsis": "In 1913, Fernand Maubert (Eric Portman) ...",
 "scenes": [{"title": "In 1913, Fernand Maubert (Eric Portman)\u2026",
             "description": "In 1913, Fernand Maubert ...", "context": ""},
            {"title": "When she is released\u2026",
             "description": "When she is released from prison ...",
             "context": "why"}],
 "source": "wikipedia-movie-plots/british", "origin": "British",
 "cast": ["Eric Portman", "Guy Rolfe"],
 "url": "https://en.wikipedia.org/wiki/The_Spider_and_the_Fly_(1949_film)"}
)json";

TEST(CorpusRecordParserTest, ParsesEveryField) {
  ASSERT_OK_AND_ASSIGN(CorpusRecord record, ParseCorpusRecord(kRecord));
  EXPECT_EQ(record.film_id, "wp:The_Spider_and_the_Fly_(1949_film)");
  const v1::Film& film = record.film;
  EXPECT_THAT(film.name(), IsEmpty());
  EXPECT_EQ(film.title(), "The Spider and the Fly");
  EXPECT_EQ(film.year(), 1949);
  EXPECT_THAT(film.directors(), ElementsAre("Robert Hamer"));
  EXPECT_THAT(film.genres(), ElementsAre("crime", "world war ii"));
  EXPECT_EQ(film.synopsis(), "In 1913, Fernand Maubert (Eric Portman) ...");
  EXPECT_THAT(film.cast(), ElementsAre("Eric Portman", "Guy Rolfe"));
  EXPECT_EQ(film.source_url(),
            "https://en.wikipedia.org/wiki/The_Spider_and_the_Fly_(1949_film)");
  ASSERT_EQ(film.scenes_size(), 2);
  EXPECT_EQ(film.scenes(0).scene_id(), "s1");
  EXPECT_EQ(film.scenes(0).title(),
            "In 1913, Fernand Maubert (Eric Portman)\u2026");
  EXPECT_EQ(film.scenes(0).description(), "In 1913, Fernand Maubert ...");
  EXPECT_THAT(film.scenes(0).context(), IsEmpty());
  EXPECT_EQ(film.scenes(1).scene_id(), "s2");
  EXPECT_EQ(film.scenes(1).context(), "why");
}

TEST(CorpusRecordParserTest, NullsAndMissingOptionalFieldsAreEmpty) {
  ASSERT_OK_AND_ASSIGN(
      CorpusRecord record,
      ParseCorpusRecord(R"({"id": "bp:1950-x", "title": "X", "year": null,
                            "directors": null, "url": null, "synopsis": null})"));
  EXPECT_EQ(record.film.year(), 0);
  EXPECT_THAT(record.film.directors(), IsEmpty());
  EXPECT_THAT(record.film.source_url(), IsEmpty());
  EXPECT_THAT(record.film.scenes(), IsEmpty());
}

TEST(CorpusRecordParserTest, MissingOrEmptyRequiredFieldsAreNamed) {
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "year": 1950})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("title: missing")));
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": ""})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("title: is empty")));
  EXPECT_THAT(
      ParseCorpusRecord(R"({"title": "X"})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id: missing")));
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": "X",
                            "scenes": [{"title": "t"}, {"description": "d"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("scenes[1].title: missing")));
}

TEST(CorpusRecordParserTest, WrongTypesAreNamed) {
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": 7})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("title: expected a string, got number")));
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": "X", "year": "1950"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("year: expected an integer or null")));
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": "X", "year": 1950.5})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("year")));
  EXPECT_THAT(
      ParseCorpusRecord(R"({"id": "a", "title": "X", "year": 99999999999})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("year: 99999999999 is out of range")));
  EXPECT_THAT(
      ParseCorpusRecord(R"({"id": "a", "title": "X", "cast": ["A", 2]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("cast[1]: expected a string, got number")));
  EXPECT_THAT(
      ParseCorpusRecord(R"({"id": "a", "title": "X", "genres": "drama"})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("genres: expected an array, got string")));
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": "X", "scenes": [1]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("scenes[0]: expected an object")));
}

TEST(CorpusRecordParserTest, InvalidIdIsNamed) {
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a b", "title": "X"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("id: character 1")));
}

TEST(CorpusRecordParserTest, BadJsonIsInvalidArgument) {
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": )"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid JSON at byte")));
  EXPECT_THAT(ParseCorpusRecord("[1, 2]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected a JSON object, got array")));
  EXPECT_THAT(
      ParseCorpusRecord("{\"id\": \"a\", \"title\": \"\xFF\"}"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid JSON")));
}

// Found by tests/fuzz/corpus_record_parser_fuzzer: a number too large for a
// double made nlohmann throw out_of_range, which escaped the parser and
// ended the whole import (std::terminate) instead of rejecting one line.
TEST(CorpusRecordParserTest, NumberTooLargeIsInvalidArgument) {
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": "A", "year": 1E932})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid JSON: number overflow parsing "
                                 "'1E932'")));
  EXPECT_THAT(ParseCorpusRecord(R"({"id": "a", "title": "A", "x": -1e400})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid JSON: number overflow")));
}

}  // namespace
}  // namespace reel::catalog
