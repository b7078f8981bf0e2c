#include "catalog-service/model/film_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tests/testing/status_matchers.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::testing::IsOk;
using ::reel::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Film Minimal() {
  Film film;
  film.set_title("The Red Shoes");
  return film;
}

Film Full() {
  Film film = Minimal();
  film.set_original_title("The Red Shoes");
  film.set_year(1948);
  film.add_directors("Michael Powell");
  film.add_directors("Emeric Pressburger");
  film.add_genres("drama");
  film.set_synopsis("A ballerina is torn between love and art.");
  auto* track = film.add_soundtracks();
  track->set_title("The Ballet of the Red Shoes");
  track->set_artist("Brian Easdale");
  auto* quote = film.add_quotes();
  quote->set_text("Why do you want to dance?");
  quote->set_character("Lermontov");
  for (const char* id : {"s1", "s2", "Final_scene-3"}) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(id);
    scene->set_title(std::string("Scene ") + id);
    scene->set_description("Something happens.");
    scene->set_context("It matters.");
  }
  film.add_cast("Moira Shearer");
  film.add_aliases("Die roten Schuhe");
  film.set_source_url(
      "https://en.wikipedia.org/wiki/The_Red_Shoes_(1948_film)");
  return film;
}

// INVALID_ARGUMENT whose message starts with "<path>: ".
::testing::Matcher<absl::Status> InvalidAt(const std::string& path) {
  return StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(path + ": "));
}
::testing::Matcher<absl::Status> InvalidAt(const std::string& path,
                                           const std::string& detail) {
  return StatusIs(absl::StatusCode::kInvalidArgument,
                  AllOf(StartsWith(path + ": "), HasSubstr(detail)));
}

TEST(ValidateFilmTest, AcceptsMinimalAndFullFilms) {
  EXPECT_THAT(ValidateFilm(Minimal()), IsOk());
  EXPECT_THAT(ValidateFilm(Full()), IsOk());
}

TEST(ValidateFilmTest, IgnoresOutputOnlyFields) {
  Film film = Minimal();
  film.set_name("not a valid name at all");
  film.set_revision(-5);
  film.set_etag(std::string(5000, 'e'));
  film.mutable_create_time()->set_seconds(-1);
  EXPECT_THAT(ValidateFilm(film), IsOk());
}

TEST(ValidateFilmTest, TitleIsRequired) {
  Film film = Full();
  film.clear_title();
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.title", "is required"));
}

TEST(ValidateFilmTest, WhitespaceOnlyTitleIsRejected) {
  Film film = Minimal();
  for (const std::string blank :
       {" ", "   ", "\t\n", "\xc2\xa0", "\xe3\x80\x80 \xe2\x80\x83"}) {
    film.set_title(blank);
    EXPECT_THAT(ValidateFilm(film), InvalidAt("film.title", "whitespace"))
        << absl::CHexEscape(blank);
  }
  film.set_title(" x ");
  EXPECT_THAT(ValidateFilm(film), IsOk());
}

TEST(ValidateFilmTest, WhitespaceOnlyRequiredNamesAreRejected) {
  Film film = Minimal();
  film.add_directors("  ");
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.directors[0]", "whitespace"));
}

TEST(ValidateFilmTest, TitleLimitIs1024Bytes) {
  Film film = Minimal();
  film.set_title(std::string(1024, 't'));
  EXPECT_THAT(ValidateFilm(film), IsOk());
  film.set_title(std::string(1025, 't'));
  EXPECT_THAT(ValidateFilm(film),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "film.title: is 1025 bytes; the limit is 1024"));
}

TEST(ValidateFilmTest, LimitsCountBytesNotCharacters) {
  Film film = Minimal();
  std::string title;
  for (int i = 0; i < 512; ++i) title += "\xc3\xa9";  // 512 × "é" = 1024 B.
  film.set_title(title);
  EXPECT_THAT(ValidateFilm(film), IsOk());
  film.set_title(title + "x");
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.title", "1025 bytes"));
}

TEST(ValidateFilmTest, YearIsZeroOrWithinRange) {
  Film film = Minimal();
  for (int year : {0, 1870, 1948, 2100}) {
    film.set_year(year);
    EXPECT_THAT(ValidateFilm(film), IsOk()) << year;
  }
  for (int year : {1869, 2101, -1, 1, 99999}) {
    film.set_year(year);
    EXPECT_THAT(ValidateFilm(film),
                InvalidAt("film.year", std::to_string(year) + " is outside"))
        << year;
  }
}

TEST(ValidateFilmTest, OptionalTextLimits) {
  struct Case {
    void (Film::*set)(const std::string&);
    const char* path;
    size_t limit;
  };
  for (const Case& c : {
           Case{&Film::set_original_title, "film.original_title", 1024},
           Case{&Film::set_synopsis, "film.synopsis", 65536},
           Case{&Film::set_source_url, "film.source_url", 2048},
       }) {
    Film film = Minimal();
    (film.*c.set)("");
    EXPECT_THAT(ValidateFilm(film), IsOk()) << c.path;
    (film.*c.set)(std::string(c.limit, 'x'));
    EXPECT_THAT(ValidateFilm(film), IsOk()) << c.path;
    (film.*c.set)(std::string(c.limit + 1, 'x'));
    EXPECT_THAT(
        ValidateFilm(film),
        InvalidAt(c.path, absl::StrCat("is ", c.limit + 1,
                                       " bytes; the limit is ", c.limit)));
  }
}

TEST(ValidateFilmTest, NameListLimits) {
  struct Case {
    google::protobuf::RepeatedPtrField<std::string>* (Film::*list)();
    const char* path;
    int max_count;
    size_t max_bytes;
  };
  for (const Case& c : {
           Case{&Film::mutable_directors, "film.directors", 64, 256},
           Case{&Film::mutable_genres, "film.genres", 64, 256},
           Case{&Film::mutable_cast, "film.cast", 1000, 256},
           Case{&Film::mutable_aliases, "film.aliases", 64, 1024},
       }) {
    SCOPED_TRACE(c.path);
    Film film = Minimal();
    auto* list = (film.*c.list)();
    for (int i = 0; i < c.max_count; ++i) *list->Add() = "name";
    EXPECT_THAT(ValidateFilm(film), IsOk());
    *list->Add() = "one too many";
    EXPECT_THAT(ValidateFilm(film),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat(c.path, ": has ", c.max_count + 1,
                                      " entries; the limit is ", c.max_count)));

    film = Minimal();
    list = (film.*c.list)();
    *list->Add() = "ok";
    *list->Add() = "";
    EXPECT_THAT(ValidateFilm(film),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat(c.path, "[1]: is required")));

    (*list)[1] = std::string(c.max_bytes, 'n');
    EXPECT_THAT(ValidateFilm(film), IsOk());
    (*list)[1] = std::string(c.max_bytes + 1, 'n');
    EXPECT_THAT(ValidateFilm(film),
                InvalidAt(absl::StrCat(c.path, "[1]"),
                          absl::StrCat("is ", c.max_bytes + 1, " bytes")));
  }
}

TEST(ValidateFilmTest, SoundtrackRules) {
  Film film = Minimal();
  film.add_soundtracks()->set_title("Theme");
  film.add_soundtracks()->set_artist("Nobody");  // No title.
  EXPECT_THAT(ValidateFilm(film),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "film.soundtracks[1].title: is required"));

  film.mutable_soundtracks(1)->set_title("Coda");
  film.mutable_soundtracks(1)->set_artist(std::string(1025, 'a'));
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.soundtracks[1].artist"));
  film.mutable_soundtracks(1)->set_artist("Somebody");
  film.mutable_soundtracks(0)->set_description(std::string(4097, 'd'));
  EXPECT_THAT(ValidateFilm(film),
              InvalidAt("film.soundtracks[0].description", "4097 bytes"));
  film.mutable_soundtracks(0)->set_description(std::string(4096, 'd'));
  EXPECT_THAT(ValidateFilm(film), IsOk());

  Film many = Minimal();
  for (int i = 0; i < 1001; ++i) many.add_soundtracks()->set_title("t");
  EXPECT_THAT(ValidateFilm(many),
              InvalidAt("film.soundtracks", "1001 entries"));
}

TEST(ValidateFilmTest, QuoteRules) {
  Film film = Minimal();
  for (int i = 0; i < 3; ++i) film.add_quotes()->set_text("Line");
  film.mutable_quotes(2)->clear_text();
  EXPECT_THAT(ValidateFilm(film), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "film.quotes[2].text: is required"));
  film.mutable_quotes(2)->set_text(std::string(4097, 'q'));
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.quotes[2].text", "4097"));
  film.mutable_quotes(2)->set_text("Line");
  film.mutable_quotes(0)->set_character(std::string(257, 'c'));
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.quotes[0].character", "257"));

  Film many = Minimal();
  for (int i = 0; i < 10000; ++i) many.add_quotes()->set_text("q");
  EXPECT_THAT(ValidateFilm(many), IsOk());
  many.add_quotes()->set_text("q");
  EXPECT_THAT(ValidateFilm(many), InvalidAt("film.quotes", "10001 entries"));
}

TEST(ValidateFilmTest, DuplicateSceneIdsAreRejectedAtTheRepeat) {
  Film film = Full();  // Scenes s1, s2, Final_scene-3.
  film.mutable_scenes(2)->set_scene_id("s1");
  EXPECT_THAT(ValidateFilm(film),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "film.scenes[2].scene_id: duplicate id \"s1\""));

  Film two = Minimal();
  for (int i = 0; i < 2; ++i) {
    auto* scene = two.add_scenes();
    scene->set_scene_id("s1");
    scene->set_title("Scene");
  }
  EXPECT_THAT(ValidateFilm(two),
              InvalidAt("film.scenes[1].scene_id", "duplicate"));
}

TEST(ValidateFilmTest, SceneIdsAreCaseSensitive) {
  Film film = Minimal();
  for (const char* id : {"s1", "S1"}) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(id);
    scene->set_title("Scene");
  }
  EXPECT_THAT(ValidateFilm(film), IsOk());
}

TEST(ValidateFilmTest, SceneIdRules) {
  Film film = Minimal();
  auto* scene = film.add_scenes();
  scene->set_title("Scene");

  EXPECT_THAT(ValidateFilm(film),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "film.scenes[0].scene_id: is required"));
  for (const char* good : {"s1", "A-z_09", "-", "_"}) {
    scene->set_scene_id(good);
    EXPECT_THAT(ValidateFilm(film), IsOk()) << good;
  }
  scene->set_scene_id(std::string(64, 's'));
  EXPECT_THAT(ValidateFilm(film), IsOk());
  scene->set_scene_id(std::string(65, 's'));
  EXPECT_THAT(
      ValidateFilm(film),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "film.scenes[0].scene_id: is 65 bytes; the limit is 64"));
  for (const char* bad : {"s 1", "s/1", "s.1", "s:1", "sc\xc3\xa9ne", "s1\n"}) {
    scene->set_scene_id(bad);
    EXPECT_THAT(ValidateFilm(film),
                InvalidAt("film.scenes[0].scene_id", "[A-Za-z0-9_-]"))
        << bad;
  }
}

TEST(ValidateFilmTest, SceneTextRules) {
  Film film = Minimal();
  for (const char* id : {"s1", "s2"}) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(id);
    scene->set_title("Scene");
  }
  film.mutable_scenes(1)->clear_title();
  EXPECT_THAT(ValidateFilm(film),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "film.scenes[1].title: is required"));
  film.mutable_scenes(1)->set_title(std::string(1025, 't'));
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.scenes[1].title", "1025"));
  film.mutable_scenes(1)->set_title("Scene");

  film.mutable_scenes(0)->set_description(std::string(65536, 'd'));
  film.mutable_scenes(0)->set_context(std::string(16384, 'c'));
  EXPECT_THAT(ValidateFilm(film), IsOk());
  film.mutable_scenes(0)->set_description(std::string(65537, 'd'));
  EXPECT_THAT(ValidateFilm(film),
              InvalidAt("film.scenes[0].description", "65537"));
  film.mutable_scenes(0)->set_description("");
  film.mutable_scenes(0)->set_context(std::string(16385, 'c'));
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.scenes[0].context", "16385"));
}

TEST(ValidateFilmTest, AtMost1000Scenes) {
  Film film = Minimal();
  for (int i = 0; i < 1000; ++i) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", i));
    scene->set_title("Scene");
  }
  EXPECT_THAT(ValidateFilm(film), IsOk());
  auto* scene = film.add_scenes();
  scene->set_scene_id("extra");
  scene->set_title("Scene");
  EXPECT_THAT(ValidateFilm(film),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "film.scenes: has 1001 entries; the limit is 1000"));
}

TEST(ValidateFilmTest, WholeFilmIsLimitedTo4MiB) {
  // Every field within its own limit, but 1000 × 5 KB scenes is too big.
  Film film = Minimal();
  for (int i = 0; i < 1000; ++i) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", i));
    scene->set_title("Scene");
    scene->set_description(std::string(5000, 'd'));
  }
  EXPECT_THAT(ValidateFilm(film),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("film: encodes to "),
                             HasSubstr("the limit is 4194304"))));
  film.mutable_scenes()->DeleteSubrange(800, 200);
  EXPECT_THAT(ValidateFilm(film), IsOk());
}

TEST(ValidateFilmTest, UsesTheGivenPrefix) {
  Film film = Minimal();
  film.clear_title();
  EXPECT_THAT(ValidateFilm(film, "films[7]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "films[7].title: is required"));
  film = Minimal();
  film.add_scenes()->set_title("No id");
  EXPECT_THAT(ValidateFilm(film, "request.film"),
              InvalidAt("request.film.scenes[0].scene_id"));
}

TEST(ValidateFilmTest, ReportsTheFirstProblemInFieldOrder) {
  Film film;            // No title...
  film.set_year(3000);  // ...and a bad year.
  EXPECT_THAT(ValidateFilm(film), InvalidAt("film.title"));
}

}  // namespace
}  // namespace reel::catalog
