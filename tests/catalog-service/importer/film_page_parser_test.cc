#include "catalog-service/importer/film_page_parser.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::reel::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

std::string ReadSeedPage() {
  std::ifstream in(reel::testing::SharedDataDir() + "/seed/the-red-shoes.txt",
                   std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> SceneTitles(const v1::Film& film) {
  std::vector<std::string> titles;
  for (const v1::Scene& scene : film.scenes()) titles.push_back(scene.title());
  return titles;
}

TEST(FilmPageParserTest, ParsesTheRedShoes) {
  const std::string page = ReadSeedPage();
  ASSERT_THAT(page, Not(IsEmpty())) << "seed page missing";
  ASSERT_OK_AND_ASSIGN(v1::Film film, ParseFilmPage(page));

  EXPECT_EQ(film.title(), "The Red Shoes");
  EXPECT_THAT(film.synopsis(), StartsWith("In this classic drama, Vicky Page"));
  EXPECT_THAT(film.synopsis(), ::testing::EndsWith("serious consequences."));
  EXPECT_EQ(film.year(), 0);
  EXPECT_THAT(film.name(), IsEmpty());
  EXPECT_THAT(film.quotes(), IsEmpty());

  ASSERT_EQ(film.soundtracks_size(), 2);
  EXPECT_EQ(film.soundtracks(0).title(), "The Red Shoes Ballet");
  EXPECT_EQ(film.soundtracks(0).artist(), "Cinematography");
  EXPECT_EQ(film.soundtracks(0).description(),
            "The climactic ballet performance");
  EXPECT_EQ(film.soundtracks(1).title(), "Entr'acte");
  EXPECT_EQ(film.soundtracks(1).artist(), "Walter Goehr");
  EXPECT_EQ(film.soundtracks(1).description(), "Interlude during the film");

  EXPECT_THAT(
      SceneTitles(film),
      ElementsAre("The Audition", "The First Rehearsal", "The Dancer's Choice",
                  "The Dream Sequence", "The Premiere Night",
                  "The Confrontation", "The Tragic Fall", "The Isolation",
                  "The Final Decision"));
  for (int i = 0; i < film.scenes_size(); ++i) {
    const v1::Scene& scene = film.scenes(i);
    EXPECT_EQ(scene.scene_id(), "s" + std::to_string(i + 1));
    EXPECT_THAT(scene.description(), Not(IsEmpty())) << scene.title();
    EXPECT_THAT(scene.context(), Not(IsEmpty())) << scene.title();
    EXPECT_THAT(scene.context(), Not(StartsWith("Context"))) << scene.title();
  }
  EXPECT_THAT(film.scenes(0).description(),
              StartsWith("In a high-stakes audition"));
  EXPECT_THAT(film.scenes(0).context(),
              StartsWith("This scene highlights Vicky's determination"));
  EXPECT_THAT(film.scenes(8).context(),
              ::testing::EndsWith("pursuit of identity and autonomy."));

  const std::string everything = film.DebugString();
  EXPECT_THAT(everything, Not(HasSubstr("Download App")));
  EXPECT_THAT(everything, Not(HasSubstr("Brian Easdale")));
  EXPECT_THAT(everything, Not(HasSubstr("from Movie")));
}

TEST(FilmPageParserTest, LineEndsBomAndBlankLinesDoNotMatter) {
  const std::string page = ReadSeedPage();
  ASSERT_OK_AND_ASSIGN(v1::Film expected, ParseFilmPage(page));
  const std::string crlf = absl::StrReplaceAll(page, {{"\n", "\r\n"}});
  const std::string noisy =
      "\xEF\xBB\xBF\n\n" + absl::StrReplaceAll(page, {{"\n", "  \n\n \n"}});
  for (const std::string& variant : {crlf, noisy}) {
    ASSERT_OK_AND_ASSIGN(v1::Film film, ParseFilmPage(variant));
    EXPECT_TRUE(MessageDifferencer::Equals(film, expected))
        << film.DebugString();
  }
}

TEST(FilmPageParserTest, SceneWithoutContextKeepsTheNextSceneApart) {
  ASSERT_OK_AND_ASSIGN(v1::Film film, ParseFilmPage(R"(Up
A balloon film.
Memorable Scenes from Movie Up
Married Life
Carl and Ellie grow old together in the house they love.
The Balloons
Carl ties thousands of balloons to the house and lifts it away.
Context: The adventure begins.
)"));
  ASSERT_EQ(film.scenes_size(), 2);
  EXPECT_EQ(film.scenes(0).title(), "Married Life");
  EXPECT_THAT(film.scenes(0).description(), StartsWith("Carl and Ellie"));
  EXPECT_THAT(film.scenes(0).context(), IsEmpty());
  EXPECT_EQ(film.scenes(1).scene_id(), "s2");
  EXPECT_EQ(film.scenes(1).title(), "The Balloons");
  EXPECT_EQ(film.scenes(1).context(), "The adventure begins.");
}

TEST(FilmPageParserTest, ProseAfterADescriptionContinuesIt) {
  ASSERT_OK_AND_ASSIGN(v1::Film film, ParseFilmPage(R"(Up
Memorable Scenes from Movie Up
Married Life
Carl and Ellie meet as children.
They grow old together in the house they love.
Context: It sets up the loss.
Download App
It also sets up the promise.
)"));
  ASSERT_EQ(film.scenes_size(), 1);
  EXPECT_EQ(film.scenes(0).description(),
            "Carl and Ellie meet as children.\n"
            "They grow old together in the house they love.");
  EXPECT_EQ(film.scenes(0).context(),
            "It sets up the loss.\nIt also sets up the promise.");
  EXPECT_THAT(film.synopsis(), IsEmpty());
}

TEST(FilmPageParserTest, ReadsQuotesWithAndWithoutSpeaker) {
  ASSERT_OK_AND_ASSIGN(v1::Film film, ParseFilmPage(R"(The Red Shoes
Dialogues from Movie The Red Shoes
Quotes from Movie The Red Shoes
Lermontov: Why do you want to dance?
Vicky: Why do you want to live?
The red shoes are never tired.
)"));
  ASSERT_EQ(film.quotes_size(), 3);
  EXPECT_EQ(film.quotes(0).character(), "Lermontov");
  EXPECT_EQ(film.quotes(0).text(), "Why do you want to dance?");
  EXPECT_EQ(film.quotes(1).character(), "Vicky");
  EXPECT_EQ(film.quotes(2).character(), "");
  EXPECT_EQ(film.quotes(2).text(), "The red shoes are never tired.");
}

TEST(FilmPageParserTest, SoundtrackMatchesTitlesAcrossQuoteStyles) {
  ASSERT_OK_AND_ASSIGN(v1::Film film,
                       ParseFilmPage("Film\n"
                                     "Sound Tracks from Film by Someone\n"
                                     "Entr\u2019acte\n"
                                     "Entr'acte by Walter Goehr, Interlude, "
                                     "reprised at the end\n"
                                     "Lonely Title\n"
                                     "Stand by Me\n"
                                     "Stand by Me by Ben E. King\n"));
  ASSERT_EQ(film.soundtracks_size(), 3);
  EXPECT_EQ(film.soundtracks(0).title(), "Entr\u2019acte");
  EXPECT_EQ(film.soundtracks(0).artist(), "Walter Goehr");
  EXPECT_EQ(film.soundtracks(0).description(),
            "Interlude, reprised at the end");
  EXPECT_EQ(film.soundtracks(1).title(), "Lonely Title");
  EXPECT_THAT(film.soundtracks(1).artist(), IsEmpty());
  EXPECT_EQ(film.soundtracks(2).title(), "Stand by Me");
  EXPECT_EQ(film.soundtracks(2).artist(), "Ben E. King");
  EXPECT_THAT(film.soundtracks(2).description(), IsEmpty());
}

TEST(FilmPageParserTest, SkipsEmptyAndUnknownSections) {
  ASSERT_OK_AND_ASSIGN(v1::Film film, ParseFilmPage(R"(Film
First paragraph.
Second paragraph.
Trivia from Movie Film
It was shot in 1947.
Quotes from Movie Film
Sound Tracks from Film by Nobody
Memorable Scenes from Movie Film
)"));
  EXPECT_EQ(film.synopsis(), "First paragraph.\nSecond paragraph.");
  EXPECT_THAT(film.quotes(), IsEmpty());
  EXPECT_THAT(film.soundtracks(), IsEmpty());
  EXPECT_THAT(film.scenes(), IsEmpty());
}

TEST(FilmPageParserTest, PageWithoutTitleIsAnErrorNamingTheLine) {
  EXPECT_THAT(ParseFilmPage(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("line 1: ")));
  EXPECT_THAT(
      ParseFilmPage("\r\n  \r\nDownload App\r\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no title")));
  EXPECT_THAT(
      ParseFilmPage("\n\nMemorable Scenes from Movie X\nA\nB\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("line 3: the page has no title: it starts with the "
                         "section heading")));
}

TEST(FilmPageParserTest, ContextBeforeAnySceneIsAnErrorNamingTheLine) {
  EXPECT_THAT(ParseFilmPage("Film\nMemorable Scenes from Movie Film\n"
                            "Context: orphan\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 3: \"Context:\"")));
}

// Found by tests/fuzz/film_page_parser_fuzzer: a page that is not UTF-8
// (a Latin-1 save, a stray byte) parsed into a film whose strings no proto3
// peer can parse, so the import failed far from the page. It is now an error
// naming the line and byte.
TEST(FilmPageParserTest, TextThatIsNotUtf8IsAnErrorNamingTheLine) {
  EXPECT_THAT(ParseFilmPage("Film\nA synopsis.\nEventually Vi\xFF\xFF"
                            "cky\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 3: byte 14 of the line is not UTF-8")));
  EXPECT_THAT(ParseFilmPage("Caf\xE9\n"),  // Latin-1 e-acute.
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1: byte 4 ")));
  // Overlong, surrogate and past-U+10FFFF sequences are not UTF-8 either.
  for (const char* bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                          "\xF4\x90\x80\x80", "\xE2\x82"}) {
    EXPECT_THAT(ParseFilmPage(absl::StrCat("Film ", bad, " x\n")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("line 1: byte 6 ")))
        << absl::CHexEscape(bad);
  }
  // Every script, and a no-break space before a line end, still parses.
  absl::StatusOr<v1::Film> film = ParseFilmPage(
      "Caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x8E\xAC\xC2\xA0\n"
      "voil\xC3\xA0\n");
  ASSERT_TRUE(film.ok()) << film.status();
  EXPECT_EQ(film->synopsis(), "voil\xC3\xA0");
}

}  // namespace
}  // namespace reel::catalog
