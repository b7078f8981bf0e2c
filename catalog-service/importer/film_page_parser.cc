#include "catalog-service/importer/film_page_parser.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "catalog-service/importer/page_text.h"
#include "common/status/status_macros.h"

namespace reel::catalog {
namespace {

using Lines = std::vector<PageLine>;

struct Section {
  PageSection kind;
  Lines lines;
};

constexpr absl::string_view kContextLabel = "Context:";
// "Character: line" only when the part before ": " is this short.
constexpr size_t kMaxCharacterBytes = 64;

absl::Status LineError(const PageLine& line, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", line.number, ": ", what));
}

// Offset of the first byte of `text` that does not start a well-formed UTF-8
// sequence (RFC 3629: no overlongs, surrogates or code points past
// U+10FFFF), or npos. Film text travels in proto3 strings, which must be
// UTF-8: a page in another encoding would import as a film no peer can read.
size_t FirstInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t k) {
      return static_cast<unsigned char>(text[k]);
    };
    const unsigned char lead = byte(i);
    size_t length;
    unsigned char min = 0x80, max = 0xBF;  // Bounds of the second byte.
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) min = 0xA0;  // Overlong.
      if (lead == 0xED) max = 0x9F;  // Surrogates.
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) min = 0x90;  // Overlong.
      if (lead == 0xF4) max = 0x8F;  // Past U+10FFFF.
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    if (byte(i + 1) < min || byte(i + 1) > max) return i;
    for (size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return i;
    }
    i += length;
  }
  return absl::string_view::npos;
}

// "Name: line" -> {character "Name", text "line"}; anything else is the
// text alone. A colon deep inside a sentence does not make a speaker.
void ParseQuote(absl::string_view line, v1::Quote* quote) {
  const size_t colon = line.find(": ");
  if (colon != absl::string_view::npos && colon > 0 &&
      colon <= kMaxCharacterBytes &&
      line.substr(0, colon).find_first_of(".!?\"") == absl::string_view::npos) {
    quote->set_character(std::string(line.substr(0, colon)));
    quote->set_text(
        std::string(absl::StripLeadingAsciiWhitespace(line.substr(colon + 1))));
    return;
  }
  quote->set_text(std::string(line));
}

void ParseQuotes(const Lines& lines, v1::Film* film) {
  for (const PageLine& line : lines) ParseQuote(line.text, film->add_quotes());
}

// Entries are a title line, then "TITLE by ARTIST, DESCRIPTION". A title line
// without its detail line still makes an entry.
void ParseSoundtracks(const Lines& lines, v1::Film* film) {
  v1::SoundtrackEntry* pending = nullptr;
  for (const PageLine& line : lines) {
    absl::string_view details = line.text;
    if (pending != nullptr &&
        ConsumeLoosePrefix(&details, absl::StrCat(pending->title(), " by "))) {
      const size_t comma = details.find(", ");
      pending->set_artist(std::string(details.substr(0, comma)));
      if (comma != absl::string_view::npos) {
        pending->set_description(std::string(details.substr(comma + 2)));
      }
      pending = nullptr;
      continue;
    }
    pending = film->add_soundtracks();
    pending->set_title(std::string(line.text));
  }
}

void AppendParagraph(std::string* text, absl::string_view paragraph) {
  if (!text->empty()) text->push_back('\n');
  text->append(paragraph.data(), paragraph.size());
}

// Each scene is a title line, a description line and an optional
// "Context: ..." line. Prose lines that follow a description or a context
// continue it, so multi-paragraph scenes stay one scene.
absl::Status ParseScenes(const Lines& lines, v1::Film* film) {
  v1::Scene* scene = nullptr;
  for (const PageLine& line : lines) {
    if (absl::StartsWithIgnoreCase(line.text, kContextLabel)) {
      if (scene == nullptr) {
        return LineError(line, "\"Context:\" line before any scene title");
      }
      const absl::string_view context = absl::StripLeadingAsciiWhitespace(
          line.text.substr(kContextLabel.size()));
      if (!context.empty()) AppendParagraph(scene->mutable_context(), context);
      continue;
    }
    if (scene != nullptr && scene->description().empty() &&
        scene->context().empty()) {
      scene->set_description(std::string(line.text));
      continue;
    }
    if (scene != nullptr && !LooksLikeTitle(line.text)) {
      AppendParagraph(scene->context().empty() ? scene->mutable_description()
                                               : scene->mutable_context(),
                      line.text);
      continue;
    }
    scene = film->add_scenes();
    scene->set_scene_id(absl::StrCat("s", film->scenes_size()));
    scene->set_title(std::string(line.text));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Film> ParseFilmPage(absl::string_view text) {
  Lines lines;
  for (const PageLine& line : SplitPageLines(text)) {
    if (const size_t bad = FirstInvalidUtf8(line.text);
        bad != absl::string_view::npos) {
      return LineError(line, absl::StrCat("byte ", bad + 1,
                                          " of the line is not UTF-8; save "
                                          "the page as UTF-8"));
    }
    if (!IsSiteChrome(line.text)) lines.push_back(line);
  }
  if (lines.empty()) {
    return LineError({1, ""}, "the page has no title: it has no text");
  }
  PageSection kind;
  if (IsSectionHeading(lines.front().text, &kind)) {
    return LineError(lines.front(),
                     absl::StrCat("the page has no title: it starts with the "
                                  "section heading \"",
                                  lines.front().text, "\""));
  }

  v1::Film film;
  film.set_title(std::string(lines.front().text));
  std::vector<std::string> synopsis;
  std::vector<Section> sections;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (IsSectionHeading(lines[i].text, &kind)) {
      sections.push_back({kind, {}});
    } else if (sections.empty()) {
      synopsis.emplace_back(lines[i].text);
    } else {
      sections.back().lines.push_back(lines[i]);
    }
  }
  film.set_synopsis(absl::StrJoin(synopsis, "\n"));

  for (const Section& section : sections) {
    switch (section.kind) {
      case PageSection::kQuotes:
        ParseQuotes(section.lines, &film);
        break;
      case PageSection::kSoundtracks:
        ParseSoundtracks(section.lines, &film);
        break;
      case PageSection::kScenes:
        REEL_RETURN_IF_ERROR(ParseScenes(section.lines, &film));
        break;
      case PageSection::kOther:
        break;
    }
  }
  return film;
}

}  // namespace reel::catalog
