#include "catalog-service/model/film_update.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/testing/status_matchers.h"

namespace reel::catalog {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::FieldMask;
using ::reel::catalog::v1::Film;
using ::reel::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

MATCHER_P(EqualsProto, expected, "equals " + expected.ShortDebugString()) {
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(expected, arg)) return true;
  *result_listener << "differs: " << diff;
  return false;
}

FieldMask Mask(std::initializer_list<std::string> paths) {
  FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  return mask;
}

std::vector<std::string> FieldNames(const FilmFields& fields) {
  std::vector<std::string> names;
  for (const FieldDescriptor* field : fields) names.push_back(field->name());
  return names;
}

const FieldDescriptor* FilmField(const std::string& name) {
  return Film::descriptor()->FindFieldByName(name);
}

Film Stored() {
  Film film;
  film.set_name("films/red");
  film.set_title("The Red Shoes");
  film.set_original_title("The Red Shoes");
  film.set_year(1948);
  film.add_directors("Michael Powell");
  film.add_directors("Emeric Pressburger");
  film.add_genres("drama");
  film.set_synopsis("A ballerina.");
  film.add_soundtracks()->set_title("Ballet");
  film.add_quotes()->set_text("Why do you want to dance?");
  auto* scene = film.add_scenes();
  scene->set_scene_id("s1");
  scene->set_title("Ballet");
  scene->set_description("Long.");
  film.add_cast("Moira Shearer");
  film.add_aliases("Die roten Schuhe");
  film.set_source_url("https://example.org/red");
  film.set_revision(7);
  film.set_etag("r7");
  film.mutable_create_time()->set_seconds(100);
  film.mutable_update_time()->set_seconds(200);
  return film;
}

// --- ResolveUpdateMask ---

TEST(ResolveUpdateMaskTest, EmptyMaskIsRequired) {
  EXPECT_THAT(ResolveUpdateMask(FieldMask()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith("update_mask: is required")));
}

TEST(ResolveUpdateMaskTest, NamesTopLevelFieldsInOrder) {
  ASSERT_OK_AND_ASSIGN(FilmFields fields, ResolveUpdateMask(Mask({"title"})));
  EXPECT_THAT(fields, ElementsAre(FilmField("title")));

  ASSERT_OK_AND_ASSIGN(fields,
                       ResolveUpdateMask(Mask({"scenes", "title", "year"})));
  EXPECT_THAT(FieldNames(fields), ElementsAre("scenes", "title", "year"));
}

TEST(ResolveUpdateMaskTest, AcceptsEveryMutableField) {
  for (const char* name :
       {"title", "original_title", "year", "directors", "genres", "synopsis",
        "soundtracks", "quotes", "scenes", "cast", "aliases", "source_url"}) {
    ASSERT_OK_AND_ASSIGN(FilmFields fields, ResolveUpdateMask(Mask({name})));
    EXPECT_THAT(FieldNames(fields), ElementsAre(name));
  }
}

TEST(ResolveUpdateMaskTest, StarMeansEveryMutableField) {
  ASSERT_OK_AND_ASSIGN(FilmFields fields, ResolveUpdateMask(Mask({"*"})));
  EXPECT_THAT(
      FieldNames(fields),
      UnorderedElementsAreArray({"title", "original_title", "year", "directors",
                                 "genres", "synopsis", "soundtracks", "quotes",
                                 "scenes", "cast", "aliases", "source_url"}));
}

TEST(ResolveUpdateMaskTest, UnknownFieldIsRejected) {
  EXPECT_THAT(ResolveUpdateMask(Mask({"title", "rating"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "update_mask.paths[1]: \"rating\" is not a Film field"));
  EXPECT_THAT(ResolveUpdateMask(Mask({"Title"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "update_mask.paths[0]: \"Title\" is not a Film field"));
  EXPECT_THAT(ResolveUpdateMask(Mask({""})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith("update_mask.paths[0]: ")));
}

TEST(ResolveUpdateMaskTest, NestedPathIsRejected) {
  EXPECT_THAT(
      ResolveUpdateMask(Mask({"scenes.title"})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "update_mask.paths[0]: \"scenes.title\" is a sub-field path; "
               "name the whole top-level field"));
  EXPECT_THAT(
      ResolveUpdateMask(Mask({"year", "create_time.seconds"})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(::testing::StartsWith("update_mask.paths[1]: "),
                                ::testing::HasSubstr("sub-field"))));
}

TEST(ResolveUpdateMaskTest, OutputOnlyFieldsAreRejected) {
  for (const char* name :
       {"name", "revision", "etag", "create_time", "update_time"}) {
    EXPECT_THAT(ResolveUpdateMask(Mask({"title", name})),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("update_mask.paths[1]: \"", name,
                                      "\" is output only")));
  }
}

TEST(ResolveUpdateMaskTest, RepeatedPathIsRejected) {
  EXPECT_THAT(ResolveUpdateMask(Mask({"title", "year", "title"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "update_mask.paths[2]: \"title\" is named twice"));
}

TEST(ResolveUpdateMaskTest, StarMustBeAlone) {
  EXPECT_THAT(ResolveUpdateMask(Mask({"title", "*"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "update_mask.paths[1]: \"*\" must be the only path"));
  EXPECT_THAT(ResolveUpdateMask(Mask({"*", "title"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "update_mask.paths[0]: \"*\" must be the only path"));
  EXPECT_THAT(ResolveUpdateMask(Mask({"*", "*"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("must be the only path")));
}

// --- ApplyFilmFields ---

TEST(ApplyFilmFieldsTest, CopiesOnlyTheNamedFields) {
  Film patch;
  patch.set_title("Red Shoes");
  patch.set_year(2009);
  patch.add_cast("Somebody");
  Film film = Stored();

  ApplyFilmFields({FilmField("title")}, patch, &film);

  Film expected = Stored();
  expected.set_title("Red Shoes");
  EXPECT_THAT(film, EqualsProto(expected));
}

TEST(ApplyFilmFieldsTest, NamedButUnsetFieldsAreCleared) {
  Film film = Stored();
  ApplyFilmFields({FilmField("year"), FilmField("synopsis"),
                   FilmField("directors"), FilmField("scenes")},
                  Film(), &film);

  Film expected = Stored();
  expected.clear_year();
  expected.clear_synopsis();
  expected.clear_directors();
  expected.clear_scenes();
  EXPECT_THAT(film, EqualsProto(expected));
}

TEST(ApplyFilmFieldsTest, RepeatedFieldsAreReplacedNotAppended) {
  Film patch;
  patch.add_directors("Powell & Pressburger");
  auto* scene = patch.add_scenes();
  scene->set_scene_id("s9");
  scene->set_title("Shoes");
  Film film = Stored();

  ApplyFilmFields({FilmField("directors"), FilmField("scenes")}, patch, &film);

  EXPECT_THAT(film.directors(), ElementsAre("Powell & Pressburger"));
  ASSERT_EQ(film.scenes_size(), 1);
  EXPECT_THAT(film.scenes(0), EqualsProto(patch.scenes(0)));
  EXPECT_EQ(film.title(), "The Red Shoes");
}

TEST(ApplyFilmFieldsTest, AllMutableFieldsReplaceEverythingButOutputOnly) {
  ASSERT_OK_AND_ASSIGN(FilmFields all, ResolveUpdateMask(Mask({"*"})));
  Film patch;
  patch.set_title("New");
  patch.add_genres("ballet");
  patch.set_name("films/other");
  patch.set_revision(99);
  patch.set_etag("r99");
  patch.mutable_create_time()->set_seconds(1);
  patch.mutable_update_time()->set_seconds(2);
  Film film = Stored();

  ApplyFilmFields(all, patch, &film);

  Film expected;
  expected.set_title("New");
  expected.add_genres("ballet");
  expected.set_name("films/red");
  expected.set_revision(7);
  expected.set_etag("r7");
  expected.mutable_create_time()->set_seconds(100);
  expected.mutable_update_time()->set_seconds(200);
  EXPECT_THAT(film, EqualsProto(expected));
}

TEST(ApplyFilmFieldsTest, NoFieldsChangesNothing) {
  Film patch;
  patch.set_title("Ignored");
  Film film = Stored();
  ApplyFilmFields({}, patch, &film);
  EXPECT_THAT(film, EqualsProto(Stored()));
}

// --- ClearOutputOnlyFields ---

TEST(ClearOutputOnlyFieldsTest, ClearsExactlyTheOutputOnlyFields) {
  Film film = Stored();
  ClearOutputOnlyFields(&film);

  Film expected = Stored();
  expected.clear_name();
  expected.clear_revision();
  expected.clear_etag();
  expected.clear_create_time();
  expected.clear_update_time();
  EXPECT_THAT(film, EqualsProto(expected));
  EXPECT_FALSE(film.has_create_time());
  EXPECT_FALSE(film.has_update_time());
  EXPECT_EQ(film.title(), "The Red Shoes");
}

TEST(ClearOutputOnlyFieldsTest, EmptyFilmStaysEmpty) {
  Film film;
  ClearOutputOnlyFields(&film);
  EXPECT_THAT(film, EqualsProto(Film()));
  EXPECT_THAT(film.SerializeAsString(), IsEmpty());
}

}  // namespace
}  // namespace reel::catalog
