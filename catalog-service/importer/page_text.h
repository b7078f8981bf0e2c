// Line-level reading of film pages copied from movie sites: splitting into
// trimmed, numbered lines, and telling section headings and site chrome from
// content. Used by ParseFilmPage; no state, no errors.
#ifndef REEL_CATALOG_SERVICE_IMPORTER_PAGE_TEXT_H_
#define REEL_CATALOG_SERVICE_IMPORTER_PAGE_TEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace reel::catalog {

struct PageLine {
  int number;              // 1-based, as an editor shows it.
  absl::string_view text;  // Trimmed; never empty.
};

// The non-blank lines of `text`, trimmed of ASCII whitespace and no-break
// spaces. Accepts LF, CRLF and CR line ends and drops a leading UTF-8 BOM.
// The views point into `text`.
std::vector<PageLine> SplitPageLines(absl::string_view text);

// If `*text` starts with `prefix`, ignoring ASCII case and treating curly
// quotes and apostrophes as straight ones, removes that start from `*text`
// and returns true; otherwise leaves it alone and returns false. Sites write
// one title both as "Entr'acte" and "Entr’acte".
bool ConsumeLoosePrefix(absl::string_view* text, absl::string_view prefix);

enum class PageSection {
  kQuotes,       // "Dialogues from Movie X", "Quotes from Movie X"
  kSoundtracks,  // "Sound Tracks from X by COMPOSER"
  kScenes,       // "Memorable Scenes from Movie X"
  kOther,        // any other "<Few Words> from Movie X": skipped
};

// Whether `line` is a section heading, and of which section.
bool IsSectionHeading(absl::string_view line, PageSection* section);

// Whether `line` is site navigation ("Download App") rather than content.
bool IsSiteChrome(absl::string_view line);

// Whether `line` reads like a short title rather than a paragraph: short,
// few words, and not ending a sentence with '.'.
bool LooksLikeTitle(absl::string_view line);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_IMPORTER_PAGE_TEXT_H_
