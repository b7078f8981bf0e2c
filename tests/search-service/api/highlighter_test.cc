// The highlighter against the obvious implementation: analysing the whole
// field and marking every token whose stem matched. MatchedWordSpans skips
// the pieces of a field that cannot hold a matched stem; these tests check
// that it finds exactly the same words on every field of the test corpus
// and on the analyser's awkward cases, and that reusing film-level
// highlights within a response changes nothing on the wire. Snippets of
// long fields are checked against the contract: at most the length in code
// points, cut between words with "…" and a flag at each cut end only, and
// spans that slice the matched words out of the snippet as sent.
#include "search-service/api/highlighter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

// A hit on scene `scene` of `film`, its texts loaded as a search loads them.
SceneHit HitOn(const std::shared_ptr<const FilmRecord>& film, int scene) {
  SceneHit hit;
  hit.film = film;
  hit.texts = *film->LoadTexts();
  hit.scene_index = scene;
  return hit;
}

constexpr absl::string_view kEllipsis = "\u2026";

// The reference: analyse everything, keep one span per matching word.
std::vector<ByteSpan> FullAnalysisSpans(absl::string_view text,
                                        const std::vector<std::string>& stems,
                                        const text::Analyzer& analyzer) {
  std::vector<text::Token> tokens;
  analyzer.Analyze(text, &tokens);
  std::vector<ByteSpan> spans;
  for (const text::Token& token : tokens) {
    if (!std::binary_search(stems.begin(), stems.end(), token.stem)) continue;
    if (!spans.empty() && spans.back().begin == token.begin_byte) continue;
    spans.push_back({token.begin_byte, token.end_byte});
  }
  return spans;
}

// Code points and UTF-16 units in the first `bytes` bytes of valid UTF-8,
// decoded here independently of the highlighter.
int CodePoints(absl::string_view text, size_t bytes) {
  int count = 0;
  for (size_t i = 0; i < bytes; ++i) {
    count += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  }
  return count;
}
int Utf16Units(absl::string_view text, size_t bytes) {
  int units = 0;
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned char c = text[i];
    if ((c & 0xC0) == 0x80) continue;
    units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

std::string Describe(absl::string_view text,
                     const std::vector<ByteSpan>& spans) {
  std::string out;
  for (const ByteSpan& span : spans) {
    absl::StrAppend(&out, "[", text.substr(span.begin, span.end - span.begin),
                    "]");
  }
  return out;
}

class HighlighterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    analyzer_ = text::Analyzer::Create().value().release();
  }
  static void TearDownTestSuite() {
    delete analyzer_;
    analyzer_ = nullptr;
  }

  // Checks MatchedWordSpans against the reference for one stem at a time
  // (every stem the text holds), for all of them at once, and for a few
  // random subsets; returns how many stems it checked.
  static int CheckText(absl::string_view text, std::mt19937* random) {
    std::vector<text::Token> tokens;
    analyzer_->Analyze(text, &tokens);
    std::set<std::string> distinct;
    for (const text::Token& token : tokens) distinct.insert(token.stem);
    const std::vector<std::string> all(distinct.begin(), distinct.end());
    std::vector<std::vector<std::string>> sets;
    for (const std::string& stem : all) sets.push_back({stem});
    sets.push_back(all);
    for (int i = 0; i < 3 && all.size() > 2; ++i) {
      std::set<std::string> subset;
      for (int j = 0; j < 3; ++j) subset.insert(all[(*random)() % all.size()]);
      sets.emplace_back(subset.begin(), subset.end());
    }
    // A stem that is absent must find nothing.
    sets.push_back({"zzzzq"});
    std::vector<text::Token> scratch;
    for (const std::vector<std::string>& stems : sets) {
      const std::vector<ByteSpan> expected =
          FullAnalysisSpans(text, stems, *analyzer_);
      const std::vector<ByteSpan> actual =
          MatchedWordSpans(text, stems, *analyzer_, &scratch);
      EXPECT_EQ(Describe(text, actual), Describe(text, expected))
          << "stems " << ::testing::PrintToString(stems) << " in: " << text;
      EXPECT_EQ(actual, expected);
    }
    return static_cast<int>(all.size());
  }

  // The stems of `words`, sorted and distinct, as a query would match them.
  static std::vector<std::string> StemsOf(absl::string_view words) {
    std::vector<text::Token> tokens;
    analyzer_->Analyze(words, &tokens);
    std::set<std::string> stems;
    for (const text::Token& token : tokens) stems.insert(token.stem);
    return {stems.begin(), stems.end()};
  }

  // The highlight of `text` for `stems` (which must match), snippets of at
  // most `length` code points; checked against the contract.
  static v1::Highlight Snippet(absl::string_view text,
                               const std::vector<std::string>& stems,
                               int length) {
    std::vector<text::Token> tokens;
    const std::vector<ByteSpan> spans =
        MatchedWordSpans(text, stems, *analyzer_, &tokens);
    v1::Highlight highlight;
    if (spans.empty()) {
      ADD_FAILURE() << "no match for " << ::testing::PrintToString(stems);
      return highlight;
    }
    BuildHighlight(text, spans, v1::HIGHLIGHT_FIELD_DESCRIPTION, length,
                   *analyzer_, &tokens, &highlight);
    CheckSnippet(text, spans, length, highlight);
    return highlight;
  }

  // The contract of a snippet of `text` (matched words `spans`) at most
  // `length` code points long.
  static void CheckSnippet(absl::string_view text,
                           const std::vector<ByteSpan>& spans, int length,
                           const v1::Highlight& highlight) {
    SCOPED_TRACE(absl::StrCat("length ", length, ", snippet \"",
                              highlight.snippet(), "\" of: ", text));
    const std::string& snippet = highlight.snippet();
    ASSERT_LE(CodePoints(snippet, snippet.size()), length);
    const int text_code_points = CodePoints(text, text.size());
    if (text_code_points <= length) {
      EXPECT_EQ(snippet, text);
      EXPECT_FALSE(highlight.cut_before());
      EXPECT_FALSE(highlight.cut_after());
    } else {
      EXPECT_TRUE(highlight.cut_before() || highlight.cut_after());
    }
    // The text shown, without the ellipses, and where it is in `text`.
    absl::string_view body = snippet;
    ASSERT_EQ(absl::ConsumePrefix(&body, kEllipsis), highlight.cut_before());
    ASSERT_EQ(absl::ConsumeSuffix(&body, kEllipsis), highlight.cut_after());
    const size_t prefix = highlight.cut_before() ? kEllipsis.size() : 0;
    const ByteSpan first = spans.front();
    size_t begin = absl::string_view::npos;
    if (!highlight.cut_before()) {
      begin = 0;
    } else if (!highlight.cut_after()) {
      begin = text.size() - body.size();
    } else {
      // The occurrence that holds the first match.
      for (size_t at = text.find(body); at != absl::string_view::npos;
           at = text.find(body, at + 1)) {
        if (at <= first.begin && first.begin < at + body.size()) {
          begin = at;
          break;
        }
      }
    }
    ASSERT_NE(begin, absl::string_view::npos);
    ASSERT_EQ(text.substr(begin, body.size()), body);
    const size_t end = begin + body.size();
    EXPECT_EQ(highlight.cut_before(), begin > 0);
    EXPECT_EQ(highlight.cut_after(), end < text.size());
    // Words as the analyser sees them, a compound with its parts.
    std::vector<text::Token> tokens;
    analyzer_->Analyze(text, &tokens);
    std::vector<ByteSpan> words;
    std::sort(tokens.begin(), tokens.end(),
              [](const text::Token& a, const text::Token& b) {
                return a.begin_byte < b.begin_byte;
              });
    for (const text::Token& token : tokens) {
      if (!words.empty() && token.begin_byte < words.back().end) {
        words.back().end = std::max(words.back().end, token.end_byte);
      } else {
        words.push_back({token.begin_byte, token.end_byte});
      }
    }
    ByteSpan first_word;
    for (const ByteSpan& word : words) {
      if (word.begin <= first.begin && first.end <= word.end) first_word = word;
    }
    // Only a first match whose word cannot fit is cut inside a word.
    const bool fits = CodePoints(text.substr(first_word.begin),
                                 first_word.end - first_word.begin) +
                          2 <=
                      length;
    if (fits) {
      EXPECT_LE(begin, first.begin);
      EXPECT_GE(end, first.end);
      for (const ByteSpan& word : words) {
        EXPECT_FALSE(word.begin < begin && begin < word.end)
            << "starts inside "
            << text.substr(word.begin, word.end - word.begin);
        EXPECT_FALSE(word.begin < end && end < word.end)
            << "ends inside " << text.substr(word.begin, word.end - word.begin);
      }
      // A cut end is a word's own end: no spaces or punctuation before "…".
      auto is_word_begin = [&](size_t at) {
        return std::any_of(words.begin(), words.end(),
                           [at](const ByteSpan& w) { return w.begin == at; });
      };
      auto is_word_end = [&](size_t at) {
        return std::any_of(words.begin(), words.end(),
                           [at](const ByteSpan& w) { return w.end == at; });
      };
      if (highlight.cut_before()) {
        EXPECT_TRUE(is_word_begin(begin));
      }
      if (highlight.cut_after()) {
        EXPECT_TRUE(is_word_end(end));
        // Cut no more than needed: the next word would not have fit.
        for (const ByteSpan& word : words) {
          if (word.begin < end) continue;
          EXPECT_GT(CodePoints(snippet, snippet.size()) +
                        CodePoints(text.substr(end), word.end - end),
                    length)
              << "room for " << text.substr(word.begin, word.end - word.begin);
          break;
        }
        // At most a quarter of the length before the first match's word.
        if (highlight.cut_before()) {
          EXPECT_LE(CodePoints(text.substr(begin), first_word.begin - begin),
                    length / 4);
        }
      }
    }
    // The spans: every match in the window, in all three units, pointing at
    // the matched words in the snippet as sent.
    int i = 0;
    for (const ByteSpan& span : spans) {
      const size_t span_begin = std::max<size_t>(span.begin, begin);
      const size_t span_end = std::min<size_t>(span.end, end);
      if (span_begin >= span_end) continue;
      ASSERT_LT(i, highlight.spans_size());
      const v1::Span& wire = highlight.spans(i++);
      const size_t start_byte = prefix + span_begin - begin;
      const size_t end_byte = prefix + span_end - begin;
      EXPECT_EQ(wire.start_byte(), start_byte);
      EXPECT_EQ(wire.end_byte(), end_byte);
      EXPECT_EQ(snippet.substr(start_byte, end_byte - start_byte),
                text.substr(span_begin, span_end - span_begin));
      EXPECT_EQ(wire.start_utf16(), Utf16Units(snippet, start_byte));
      EXPECT_EQ(wire.end_utf16(), Utf16Units(snippet, end_byte));
      EXPECT_EQ(wire.start_code_point(), CodePoints(snippet, start_byte));
      EXPECT_EQ(wire.end_code_point(), CodePoints(snippet, end_byte));
    }
    EXPECT_EQ(i, highlight.spans_size());
    EXPECT_GE(i, 1);
  }

  static const text::Analyzer* analyzer_;
};

const text::Analyzer* HighlighterTest::analyzer_ = nullptr;

TEST_F(HighlighterTest, FindsTheSameWordsAsAFullAnalysisOnTheAwkwardCases) {
  std::mt19937 random(7);
  const std::vector<std::string> texts = {
      "dying lying tying skies skis idly gently ugly early only singly",
      "The U.S. e-mail cost $3.50 or 1,000 francs at 10.30 a.m. in the "
      "U.S.S.R.",
      "O'Brien's Entr'acte don't sixteen-year-old mother-in-law's "
      "rock'n'roll Alzheimer's-suffering Lermontov's-ballet-master's "
      "a`b-c's",
      "Ballerína Émilie’s café ﬁlm Straße ŁÓDŹ Ærø naïve Ὀδυσσεύς Москва",
      "東京の夜 and ひらがな with 한국어 mixed in",
      "  leading and  double   spaces and trailing  ",
      "tabs\tand\nnewlines\r\nwithout spaces: dance\tdancing\ndanced",
      std::string("ill\xC3 formed \xFF\xFE bytes \xE2\x82 dance \xC3") +
          "\xA9tude",
      "possibility capability responsibility nobility agency happily "
      "generously relational conditional hopping hoping",
      "zero\xE2\x80\x8Bwidth soft\xC2\xADhyphen co\xE2\x80\x90operate "
      "non\xE2\x80\x91stop",
      "punctuation!dance?dancing;danced:(dances)[dancer]{dancers}\"dance\"",
      "a I x 1 22 333 ab abs bus gas yes yearly youth sayings says",
  };
  for (const std::string& text : texts) CheckText(text, &random);
}

TEST_F(HighlighterTest, FindsTheSameWordsAsAFullAnalysisOnTheCorpus) {
  // REEL_HIGHLIGHT_CORPUS (a path under the shared data folder, e.g.
  // corpus/films-dev.jsonl.gz) widens the check to another corpus.
  const char* other = std::getenv("REEL_HIGHLIGHT_CORPUS");
  std::vector<Film> films =
      testing::LoadSharedFilms(other ? other : "corpus/films-small.jsonl");
  for (Film& film : testing::LoadSharedFilms("seed/the-red-shoes.txt")) {
    films.push_back(std::move(film));
  }
  ASSERT_GT(films.size(), 100u);
  std::mt19937 random(42);
  int stems = 0;
  for (const Film& film : films) {
    stems += CheckText(film.title(), &random);
    stems += CheckText(film.synopsis(), &random);
    for (const auto& scene : film.scenes()) {
      stems += CheckText(scene.title(), &random);
      stems += CheckText(scene.description(), &random);
      stems += CheckText(scene.context(), &random);
    }
    if (HasFailure()) break;
  }
  EXPECT_GT(stems, 10000);
}

// Hits of every scene of the seed film, each with stems matched in every
// field: BuildHit with a per-response cache gives the same messages as
// building every hit from scratch, and a different stem set is not served
// another set's highlight.
TEST_F(HighlighterTest, CachedFilmHighlightsAreIdenticalToFreshOnes) {
  std::vector<Film> films = testing::LoadSharedFilms("seed/the-red-shoes.txt");
  ASSERT_EQ(films.size(), 1u);
  auto film = std::make_shared<const Film>(std::move(films[0]));
  ASSERT_GT(film->scenes_size(), 3);
  ASSERT_FALSE(film->synopsis().empty());
  const auto record = FilmRecord::FromFilm(*film);
  const std::vector<std::vector<std::string>> stem_sets = {
      {"danc", "red", "shoe"}, {"ballet"}, {"red"}, {"zzzzq"}};
  std::vector<SceneHit> hits;
  for (const std::vector<std::string>& stems : stem_sets) {
    for (int s = 0; s < film->scenes_size(); ++s) {
      SceneHit hit = HitOn(record, s);
      hit.score = 1.0 / (s + 1);
      for (auto& field_stems : hit.matched_stems) field_stems = stems;
      hits.push_back(hit);
    }
  }
  HighlightCache cache;
  int highlights[2] = {0, 0};  // Film title, synopsis.
  std::set<std::string> distinct[2];
  for (size_t i = 0; i < hits.size(); ++i) {
    v1::SceneHit fresh;
    v1::SceneHit cached;
    BuildHit(hits[i], static_cast<int>(i) + 1, *analyzer_, &fresh);
    BuildHit(hits[i], static_cast<int>(i) + 1, *analyzer_, &cached, &cache);
    EXPECT_EQ(cached.SerializeAsString(), fresh.SerializeAsString())
        << "hit " << i << "\n"
        << cached.DebugString() << "\nvs\n"
        << fresh.DebugString();
    for (const v1::Highlight& highlight : cached.highlights()) {
      const int f = highlight.field() == v1::HIGHLIGHT_FIELD_FILM_TITLE ? 0
                    : highlight.field() == v1::HIGHLIGHT_FIELD_SYNOPSIS ? 1
                                                                        : -1;
      if (f < 0) continue;
      ++highlights[f];
      distinct[f].insert(highlight.SerializeAsString());
    }
  }
  // "The Red Shoes" matches the first and third sets ("Red Shoes", "Red");
  // the synopsis ("...dedication to dance... anything but ballet") the
  // first two; one distinct highlight per set, on every scene of the film.
  EXPECT_EQ(highlights[0], 2 * film->scenes_size());
  EXPECT_EQ(distinct[0].size(), 2u);
  EXPECT_EQ(highlights[1], 2 * film->scenes_size());
  EXPECT_EQ(distinct[1].size(), 2u);
}

TEST_F(HighlighterTest, AFieldUpToTheLengthIsWholeWithoutEllipsis) {
  // 20 code points in 23 bytes: the length counts code points.
  const std::string text = "Ballerína café naïve";
  const v1::Highlight whole = Snippet(text, StemsOf("café"), 20);
  EXPECT_EQ(whole.snippet(), text);
  EXPECT_FALSE(whole.cut_before());
  EXPECT_FALSE(whole.cut_after());
  ASSERT_EQ(whole.spans_size(), 1);
  EXPECT_EQ(whole.spans(0).start_byte(), 11);
  EXPECT_EQ(whole.spans(0).start_code_point(), 10);
  // One code point more is cut: before the match's word, as the window
  // ends with the field.
  const v1::Highlight cut = Snippet(text + "!", StemsOf("café"), 20);
  EXPECT_EQ(cut.snippet(), "…café naïve!");
  EXPECT_TRUE(cut.cut_before());
  EXPECT_FALSE(cut.cut_after());
  ASSERT_EQ(cut.spans_size(), 1);
  EXPECT_EQ(cut.spans(0).start_byte(), 3);
  EXPECT_EQ(cut.spans(0).end_byte(), 8);
  EXPECT_EQ(cut.spans(0).start_utf16(), 1);
  EXPECT_EQ(cut.spans(0).end_utf16(), 5);
  EXPECT_EQ(cut.spans(0).start_code_point(), 1);
  EXPECT_EQ(cut.spans(0).end_code_point(), 5);
}

TEST_F(HighlighterTest, CutsBetweenWordsWithAnEllipsisWhereCut) {
  const std::string text =
      "At dawn the company rehearses, and Vicky dances the ballet of the "
      "red shoes until she cannot stop; the curtain falls on an empty stage.";
  // In the middle: cut at both ends, at most a quarter of the length before
  // the match ("dances the " would be 11), never inside a word.
  const v1::Highlight middle = Snippet(text, StemsOf("ballet"), 40);
  EXPECT_EQ(middle.snippet(), "…the ballet of the red shoes until she…");
  EXPECT_TRUE(middle.cut_before());
  EXPECT_TRUE(middle.cut_after());
  // At the start: nothing cut before.
  const v1::Highlight start = Snippet(text, StemsOf("dawn"), 40);
  EXPECT_EQ(start.snippet(), "At dawn the company rehearses, and…");
  EXPECT_FALSE(start.cut_before());
  EXPECT_TRUE(start.cut_after());
  // Near the end: the window ends with the field and reaches further back
  // to fill the length.
  const v1::Highlight end = Snippet(text, StemsOf("stage"), 40);
  EXPECT_EQ(end.snippet(), "…the curtain falls on an empty stage.");
  EXPECT_TRUE(end.cut_before());
  EXPECT_FALSE(end.cut_after());
  // Every match inside the window is marked; those outside are not.
  const v1::Highlight two = Snippet(text, StemsOf("the stop"), 40);
  std::vector<std::string> marked;
  for (const v1::Span& span : two.spans()) {
    marked.push_back(two.snippet().substr(span.start_byte(),
                                          span.end_byte() - span.start_byte()));
  }
  EXPECT_EQ(two.snippet(), "At dawn the company rehearses, and…");
  EXPECT_THAT(marked, ::testing::ElementsAre("the"));
}

TEST_F(HighlighterTest, OffsetsCountTheEllipsisAndMultiByteText) {
  // Emoji (4 bytes, 2 UTF-16 units), accents (2 bytes) and kana and kanji
  // (3 bytes) before and after the match, inside and outside the window.
  const std::string text =
      "Ὀδυσσεύς 🩰 naïve Straße ﬁlm 東京 🩰 Ballerína "
      "dances "
      "🩰 "
      "café "
      "東京の夜 naïve Ὀδυσσεύς 🩰 Straße ﬁlm";
  const v1::Highlight highlight = Snippet(text, StemsOf("café"), 40);
  EXPECT_EQ(highlight.snippet(),
            "…dances 🩰 café 東京の夜 naïve Ὀδυσσεύς…");
  ASSERT_EQ(highlight.spans_size(), 1);
  const v1::Span& span = highlight.spans(0);
  // Before: "…" 3 bytes, "dances " 7, "🩰 " 5; "café" 5.
  EXPECT_EQ(span.start_byte(), 15);
  EXPECT_EQ(span.end_byte(), 20);
  // "…" 1 unit, "dances " 7, "🩰 " 3; "café" 4.
  EXPECT_EQ(span.start_utf16(), 11);
  EXPECT_EQ(span.end_utf16(), 15);
  // "…" 1 code point, "dances " 7, "🩰 " 2; "café" 4.
  EXPECT_EQ(span.start_code_point(), 10);
  EXPECT_EQ(span.end_code_point(), 14);
  // Every length and every matched word of the text keeps the contract.
  for (const std::string& stem : StemsOf(text)) {
    for (int length = kMinSnippetLength; length <= 70; ++length) {
      Snippet(text, {stem}, length);
    }
  }
}

TEST_F(HighlighterTest, CompoundsAndHanCharactersAreWordsToCutAround) {
  const std::vector<std::string> texts = {
      // Hyphen and apostrophe compounds are one word each: never cut inside.
      "the sixteen-year-old mother-in-law's rock'n'roll Entr'acte O'Brien's "
      "Alzheimer's-suffering e-mail U.S.S.R. 1,000.50 don't co‐operate "
      "non‑stop sixteen-year-old mother-in-law's the end",
      // No spaces: each Han character or kana is a word of its own.
      "東京の夜はとても長いので、私たちはバレエを踊り続けた。赤い靴の物語。",
      // Punctuation and several spaces between the words.
      "  (dance)  \"ballet\";  red--shoes...   [Vicky]  {Lermontov}  ",
  };
  for (const std::string& text : texts) {
    for (const std::string& stem : StemsOf(text)) {
      for (int length = kMinSnippetLength; length <= 60; ++length) {
        Snippet(text, {stem}, length);
      }
      if (HasFailure()) return;
    }
  }
  const v1::Highlight compound =
      Snippet(texts[0], StemsOf("year"), kMinSnippetLength);
  EXPECT_EQ(compound.snippet(), "…sixteen-year-old…");
}

TEST_F(HighlighterTest, AWordLongerThanTheSnippetIsCutAtACodePoint) {
  const std::string word(60, 'a');
  const std::string text = "Some text before " + word + "é and after.";
  const v1::Highlight highlight = Snippet(text, StemsOf(word + "é"), 20);
  EXPECT_EQ(highlight.snippet(), "…" + std::string(18, 'a') + "…");
  ASSERT_EQ(highlight.spans_size(), 1);
  EXPECT_EQ(highlight.spans(0).start_byte(), 3);
  EXPECT_EQ(highlight.spans(0).end_byte(), 21);
  // Never inside a code point: a word of two-byte letters is cut between
  // two of them.
  std::string accented;
  for (int i = 0; i < 40; ++i) accented += "é";
  const v1::Highlight multi_byte =
      Snippet("x " + accented + " y", StemsOf(accented), 20);
  std::string expected = "…";
  for (int i = 0; i < 18; ++i) expected += "é";
  EXPECT_EQ(multi_byte.snippet(), expected + "…");
}

TEST_F(HighlighterTest, LengthsOutsideTheLimitsAreClamped) {
  std::string text;
  while (CodePoints(text, text.size()) < 3000) text += "dancing é ";
  std::vector<text::Token> tokens;
  const std::vector<ByteSpan> spans =
      MatchedWordSpans(text, StemsOf("dance"), *analyzer_, &tokens);
  for (auto [asked, used] : {std::pair<int, int>{0, kDefaultSnippetLength},
                             {5, kMinSnippetLength},
                             {kMaxSnippetLength + 1, kMaxSnippetLength},
                             {-1, kDefaultSnippetLength}}) {
    v1::Highlight highlight;
    BuildHighlight(text, spans, v1::HIGHLIGHT_FIELD_SYNOPSIS, asked, *analyzer_,
                   &tokens, &highlight);
    CheckSnippet(text, spans, used, highlight);
    // Full to within a word ("dancing é").
    EXPECT_GT(CodePoints(highlight.snippet(), highlight.snippet().size()),
              used - 10)
        << asked;
  }
}

// Every field of the test corpus at a few lengths. At the default, an
// English snippet stays within the 320 bytes earlier servers cut at, give or
// take the ellipses' extra bytes: the responses' size does not move.
TEST_F(HighlighterTest, CorpusSnippetsKeepTheContract) {
  std::vector<Film> films =
      testing::LoadSharedFilms("corpus/films-small.jsonl");
  ASSERT_GT(films.size(), 100u);
  std::mt19937 random(11);
  int cut = 0;
  size_t longest_ascii = 0;
  for (const Film& film : films) {
    std::vector<const std::string*> fields = {&film.title(), &film.synopsis()};
    for (const auto& scene : film.scenes()) {
      fields.push_back(&scene.description());
      fields.push_back(&scene.context());
    }
    for (const std::string* field : fields) {
      const std::vector<std::string> stems = StemsOf(*field);
      if (stems.empty()) continue;
      const std::string& stem = stems[random() % stems.size()];
      for (int length : {kMinSnippetLength, 57, 160, kDefaultSnippetLength}) {
        const v1::Highlight highlight = Snippet(*field, {stem}, length);
        if (length != kDefaultSnippetLength) continue;
        cut += highlight.cut_before() || highlight.cut_after();
        if (std::all_of(field->begin(), field->end(),
                        [](char c) { return c >= 0; })) {
          longest_ascii = std::max(longest_ascii, highlight.snippet().size());
        }
      }
      if (HasFailure()) return;
    }
  }
  EXPECT_GT(cut, 50);
  EXPECT_LE(longest_ascii, kDefaultSnippetLength + 4u);
}

// BuildHit scans a field that is cut only up to the end of its window; its
// highlights are those of the whole field's matches, windowed, on every
// field of the test corpus, for single stems, several and all of them.
TEST_F(HighlighterTest, HitHighlightsEqualThoseOfTheWholeFieldsMatches) {
  std::vector<Film> films =
      testing::LoadSharedFilms("corpus/films-small.jsonl");
  ASSERT_GT(films.size(), 100u);
  std::mt19937 random(5);
  int compared = 0;
  int cut = 0;
  std::vector<text::Token> tokens;
  for (Film& loaded : films) {
    const auto record = FilmRecord::FromFilm(loaded);
    for (int s = 0; s < loaded.scenes_size(); ++s) {
      SceneHit hit = HitOn(record, s);
      for (int f = 0; f < kFieldCount; ++f) {
        const std::vector<std::string> all =
            StemsOf(hit.text(static_cast<Field>(f)));
        if (all.empty()) continue;
        std::set<std::string> some = {all[random() % all.size()],
                                      all[random() % all.size()]};
        hit.matched_stems[f] =
            random() % 4 == 0
                ? all
                : std::vector<std::string>(some.begin(), some.end());
      }
      for (int length : {kMinSnippetLength, 57, kDefaultSnippetLength}) {
        v1::SceneHit built;
        BuildHit(hit, 1, *analyzer_, &built, nullptr, length);
        std::vector<v1::Highlight> expected;
        for (int f = 0; f < kFieldCount; ++f) {
          const absl::string_view text = hit.text(static_cast<Field>(f));
          const std::vector<ByteSpan> spans =
              MatchedWordSpans(text, hit.matched_stems[f], *analyzer_, &tokens);
          if (spans.empty()) continue;
          BuildHighlight(text, spans,
                         static_cast<v1::HighlightField>(
                             v1::HIGHLIGHT_FIELD_SCENE_TITLE + f),
                         length, *analyzer_, &tokens, &expected.emplace_back());
        }
        ASSERT_EQ(built.highlights_size(), expected.size())
            << built.DebugString();
        for (size_t i = 0; i < expected.size(); ++i) {
          EXPECT_EQ(built.highlights(static_cast<int>(i)).SerializeAsString(),
                    expected[i].SerializeAsString())
              << built.highlights(static_cast<int>(i)).DebugString() << "\nvs\n"
              << expected[i].DebugString();
          cut += expected[i].cut_after();
          ++compared;
        }
        if (HasFailure()) return;
      }
    }
  }
  EXPECT_GT(compared, 1000);
  EXPECT_GT(cut, 100);
}

TEST_F(HighlighterTest, CachedHighlightsAreKeptApartByLength) {
  std::vector<Film> films = testing::LoadSharedFilms("seed/the-red-shoes.txt");
  ASSERT_EQ(films.size(), 1u);
  auto film = std::make_shared<const Film>(std::move(films[0]));
  ASSERT_GT(CodePoints(film->synopsis(), film->synopsis().size()), 40);
  SceneHit hit = HitOn(FilmRecord::FromFilm(*film), 0);
  hit.matched_stems[kSynopsis] = {"ballet"};
  HighlightCache cache;
  v1::SceneHit long_hit;
  v1::SceneHit short_hit;
  BuildHit(hit, 1, *analyzer_, &long_hit, &cache, 2000);
  BuildHit(hit, 2, *analyzer_, &short_hit, &cache, 40);
  ASSERT_EQ(long_hit.highlights_size(), 1);
  ASSERT_EQ(short_hit.highlights_size(), 1);
  EXPECT_EQ(long_hit.highlights(0).snippet(), film->synopsis());
  EXPECT_TRUE(short_hit.highlights(0).cut_before() ||
              short_hit.highlights(0).cut_after());
}

}  // namespace
}  // namespace reel::search
