#include "catalog-service/importer/page_text.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace reel::catalog {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";
constexpr absl::string_view kNoBreakSpace = "\xC2\xA0";

absl::string_view Trim(absl::string_view text) {
  while (true) {
    const size_t size = text.size();
    text = absl::StripAsciiWhitespace(text);
    if (absl::ConsumePrefix(&text, kNoBreakSpace) ||
        absl::ConsumeSuffix(&text, kNoBreakSpace) || text.size() != size) {
      continue;
    }
    return text;
  }
}

// Removes one character from the front of `*text` and returns it in the
// form used for loose comparison: ASCII lower case, straight quotes.
char TakeLooseChar(absl::string_view* text) {
  struct Quote {
    absl::string_view curly;
    char straight;
  };
  static constexpr Quote kQuotes[] = {{"\xE2\x80\x98", '\''},  // ‘
                                      {"\xE2\x80\x99", '\''},  // ’
                                      {"\xCA\xBC", '\''},      // ʼ
                                      {"\xE2\x80\x9C", '"'},   // “
                                      {"\xE2\x80\x9D", '"'}};  // ”
  for (const Quote& quote : kQuotes) {
    if (absl::ConsumePrefix(text, quote.curly)) return quote.straight;
  }
  const char c = absl::ascii_tolower(static_cast<unsigned char>(text->front()));
  text->remove_prefix(1);
  return c;
}

struct HeadingPrefix {
  absl::string_view prefix;
  PageSection section;
};

// Matched case-insensitively against the start of a line; the rest of the
// line (the film's title, the composer) is not needed.
constexpr HeadingPrefix kHeadingPrefixes[] = {
    {"Dialogues from Movie", PageSection::kQuotes},
    {"Quotes from Movie", PageSection::kQuotes},
    {"Sound Tracks from", PageSection::kSoundtracks},
    {"Soundtracks from", PageSection::kSoundtracks},
    {"Memorable Scenes from Movie", PageSection::kScenes},
};

constexpr absl::string_view kSiteChrome[] = {"Download App"};

// Longer lines are prose, whatever they start with.
constexpr size_t kMaxHeadingBytes = 512;
constexpr size_t kMaxTitleBytes = 160;
constexpr int kMaxTitleWords = 16;
constexpr int kMaxOtherHeadingWords = 3;

}  // namespace

std::vector<PageLine> SplitPageLines(absl::string_view text) {
  absl::ConsumePrefix(&text, kBom);
  std::vector<PageLine> lines;
  int number = 0;
  size_t start = 0;
  while (true) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == absl::string_view::npos) end = text.size();
    ++number;
    const absl::string_view line = Trim(text.substr(start, end - start));
    if (!line.empty()) lines.push_back({number, line});
    if (end == text.size()) break;
    // "\r\n" is one line end; a lone "\r" or "\n" is one too.
    const bool crlf =
        text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n';
    start = end + (crlf ? 2 : 1);
  }
  return lines;
}

bool ConsumeLoosePrefix(absl::string_view* text, absl::string_view prefix) {
  absl::string_view rest = *text;
  while (!prefix.empty()) {
    if (rest.empty() || TakeLooseChar(&rest) != TakeLooseChar(&prefix)) {
      return false;
    }
  }
  *text = rest;
  return true;
}

bool IsSectionHeading(absl::string_view line, PageSection* section) {
  if (line.size() > kMaxHeadingBytes) return false;
  for (const HeadingPrefix& heading : kHeadingPrefixes) {
    if (!absl::StartsWithIgnoreCase(line, heading.prefix)) continue;
    const absl::string_view rest = line.substr(heading.prefix.size());
    if (rest.empty() || rest.front() == ' ') {
      *section = heading.section;
      return true;
    }
  }
  // Other "<Few Words> from Movie X" headings start sections we do not keep.
  constexpr absl::string_view kFromMovie = " from movie";
  const std::string lower_copy = absl::AsciiStrToLower(line);
  const absl::string_view lower = lower_copy;
  const size_t from = lower.find(kFromMovie);
  const size_t after = from + kFromMovie.size();
  if (from == absl::string_view::npos || from == 0 ||
      (after < lower.size() && lower[after] != ' ') ||
      !absl::ascii_isupper(static_cast<unsigned char>(line.front()))) {
    return false;
  }
  const std::vector<absl::string_view> words =
      absl::StrSplit(line.substr(0, from), ' ', absl::SkipEmpty());
  if (static_cast<int>(words.size()) > kMaxOtherHeadingWords) return false;
  *section = PageSection::kOther;
  return true;
}

bool IsSiteChrome(absl::string_view line) {
  for (absl::string_view chrome : kSiteChrome) {
    if (absl::EqualsIgnoreCase(line, chrome)) return true;
  }
  return false;
}

bool LooksLikeTitle(absl::string_view line) {
  if (line.size() > kMaxTitleBytes || absl::EndsWith(line, ".")) return false;
  const std::vector<absl::string_view> words =
      absl::StrSplit(line, ' ', absl::SkipEmpty());
  return static_cast<int>(words.size()) <= kMaxTitleWords;
}

}  // namespace reel::catalog
