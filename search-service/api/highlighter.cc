#include "search-service/api/highlighter.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "search-service/text/utf8.h"

namespace reel::search {
namespace {

using ::reel::search::v1::HighlightField;

constexpr HighlightField kWireField[kFieldCount] = {
    reel::search::v1::HIGHLIGHT_FIELD_SCENE_TITLE,
    reel::search::v1::HIGHLIGHT_FIELD_DESCRIPTION,
    reel::search::v1::HIGHLIGHT_FIELD_CONTEXT,
    reel::search::v1::HIGHLIGHT_FIELD_FILM_TITLE,
    reel::search::v1::HIGHLIGHT_FIELD_SYNOPSIS,
};

// Context shown before the first match in a windowed snippet.
constexpr size_t kLeadBytes = 80;

// Moves `offset` back to the start of the UTF-8 sequence it falls in.
size_t CodePointStart(absl::string_view text, size_t offset) {
  while (offset > 0 && offset < text.size() &&
         (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
    --offset;
  }
  return offset;
}

bool IsAsciiAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// Why a piece of text can be skipped without analysing it.
//
// The analyser never joins anything across an ASCII space (words, acronyms,
// numbers, apostrophe and hyphen joins all need their characters adjacent),
// so analysing the text between two spaces on its own gives exactly the
// tokens (offsets shifted) that analysing the whole text gives there.
//
// In a piece that is all ASCII, every token's term is made of the piece's
// letters and digits, lower-cased, in order, with nothing between them but
// dots of numbers ("3.5") and the apostrophes, hyphens, dots and commas the
// analyser drops: so the term without its dots is a substring of the piece's
// letters and digits, lower-cased ("Lermontov's" -> "lermontovs" holds
// "lermontov"; "e-mail" -> "email"; "U.S." -> "us"). One exception: a
// hyphenated compound's joined term drops each part's possessive "'s"
// ("Alzheimer's-suffering" -> "alzheimersuffering"), so a piece with both an
// apostrophe and a hyphen is always analysed.
//
// A stem is the term itself (numbers, words under three letters), or the
// Snowball English (Porter2) stem of an all-letter term. Porter2 rewrites
// only a word's end, and every rewrite keeps all of the stem but its last
// letter from the word ("dancing" -> "danc", "happy" -> "happi", "agency"
// -> "agenc"+"e"), except three of its exceptional forms: "dying", "lying",
// "tying" -> "die", "lie", "tie", which keep the first letter. So the term
// starts with StemKey(stem), and a piece whose letters and digits contain
// no key of a matched stem cannot hold a match. (highlighter_test checks
// this against a full analysis of every field of the test corpus.)
//
// A piece with any non-ASCII byte is always analysed: folding can turn it
// into ASCII letters ("É" -> "e", "ﬁ" -> "fi").
//
// A piece that may match and holds a single run of ASCII letters and digits
// ("dancing", "(Vicky's" has two) needs no analysis either: nothing in it
// can join the run to anything, so its only token is the run, lower-cased,
// whose stem is Analyzer::Stem of that.
std::string StemKey(absl::string_view stem) {
  size_t length = stem.size() > 1 ? stem.size() - 1 : stem.size();
  if (stem == "die" || stem == "lie" || stem == "tie") length = 1;
  std::string key;
  for (const char c : stem.substr(0, length)) {
    if (c != '.') key.push_back(c);
  }
  return key;
}

bool IsAscii(absl::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

void AddHighlight(absl::string_view text, const std::vector<ByteSpan>& spans,
                  HighlightField field, reel::search::v1::Highlight* out) {
  size_t begin = 0;
  size_t end = text.size();
  if (text.size() > kMaxSnippetBytes) {
    // Window on word boundaries (spaces), starting a little before the
    // first match.
    begin =
        spans.front().begin > kLeadBytes ? spans.front().begin - kLeadBytes : 0;
    if (begin > 0) {
      const size_t space = text.find(' ', begin);
      begin = (space != absl::string_view::npos && space < spans.front().begin)
                  ? space + 1
                  : CodePointStart(text, begin);
    }
    end = std::min(text.size(), begin + kMaxSnippetBytes);
    if (end < text.size()) {
      const size_t space = text.rfind(' ', end);
      end = (space != absl::string_view::npos && space > spans.front().end)
                ? space
                : CodePointStart(text, end);
    }
  }
  const absl::string_view snippet = text.substr(begin, end - begin);
  out->set_field(field);
  out->set_snippet(snippet.data(), snippet.size());
  text::Utf16OffsetMapper utf16(snippet);
  // Code points before a byte offset: the bytes that start a sequence.
  size_t counted_bytes = 0;
  int32_t code_points = 0;
  auto code_points_before = [&](size_t byte_offset) {
    for (; counted_bytes < byte_offset; ++counted_bytes) {
      if ((static_cast<unsigned char>(snippet[counted_bytes]) & 0xC0) != 0x80) {
        ++code_points;
      }
    }
    return code_points;
  };
  for (const ByteSpan& span : spans) {
    if (span.begin < begin || span.end > end) continue;
    auto* wire = out->add_spans();
    const uint32_t start_byte = span.begin - static_cast<uint32_t>(begin);
    const uint32_t end_byte = span.end - static_cast<uint32_t>(begin);
    wire->set_start_byte(static_cast<int32_t>(start_byte));
    wire->set_end_byte(static_cast<int32_t>(end_byte));
    wire->set_start_utf16(static_cast<int32_t>(utf16.ToUtf16(start_byte)));
    wire->set_end_utf16(static_cast<int32_t>(utf16.ToUtf16(end_byte)));
    wire->set_start_code_point(code_points_before(start_byte));
    wire->set_end_code_point(code_points_before(end_byte));
  }
}

// The highlight of one field, or false when none of its words matched.
bool BuildHighlight(absl::string_view text,
                    const std::vector<std::string>& stems, Field field,
                    const text::Analyzer& analyzer,
                    std::vector<text::Token>* tokens,
                    reel::search::v1::Highlight* out) {
  const std::vector<ByteSpan> spans =
      MatchedWordSpans(text, stems, analyzer, tokens);
  if (spans.empty()) return false;
  AddHighlight(text, spans, kWireField[field], out);
  return true;
}

}  // namespace

std::vector<ByteSpan> MatchedWordSpans(absl::string_view text,
                                       const std::vector<std::string>& stems,
                                       const text::Analyzer& analyzer,
                                       std::vector<text::Token>* tokens) {
  std::vector<ByteSpan> spans;
  if (text.empty() || stems.empty()) return spans;
  // Keys of the stems an all-ASCII piece could hold (stems with other bytes
  // come only from pieces that are analysed anyway).
  absl::InlinedVector<std::string, 4> keys;
  for (const std::string& stem : stems) {
    if (IsAscii(stem)) keys.push_back(StemKey(stem));
  }
  // Analyses text[begin, end) and keeps the matching tokens.
  auto analyse = [&](size_t begin, size_t end) {
    analyzer.Analyze(text.substr(begin, end - begin), tokens);
    for (const text::Token& token : *tokens) {
      if (!std::binary_search(stems.begin(), stems.end(), token.stem)) continue;
      const uint32_t token_begin =
          static_cast<uint32_t>(begin) + token.begin_byte;
      // Alternates share their primary's offsets: keep one span per word.
      if (!spans.empty() && spans.back().begin == token_begin) continue;
      spans.push_back(
          {token_begin, static_cast<uint32_t>(begin) + token.end_byte});
    }
  };
  // The current piece's letters and digits, lower case (a longer piece is
  // analysed without looking).
  constexpr size_t kMaxFolded = 128;  // Analyzer::kMaxTermBytes
  char folded[kMaxFolded];
  std::string stem;
  // Adjacent candidate pieces are analysed together: [run_begin, run_end).
  constexpr size_t kNone = absl::string_view::npos;
  size_t run_begin = kNone;
  size_t run_end = 0;
  auto flush = [&] {
    if (run_begin == kNone) return;
    analyse(run_begin, run_end);
    run_begin = kNone;
  };
  const char* const data = text.data();
  size_t pos = 0;
  while (pos < text.size()) {
    const void* space = std::memchr(data + pos, ' ', text.size() - pos);
    const size_t end =
        space == nullptr ? text.size() : static_cast<const char*>(space) - data;
    size_t length = 0;        // Bytes in folded.
    size_t word_begin = 0;    // Of the first run of letters and digits.
    size_t word_end = 0;      // Of the last one.
    int words = 0;            // Runs of letters and digits.
    bool analyse_it = false;  // Needs the analyser to decide.
    bool apostrophe = false;
    bool hyphen = false;
    bool in_word = false;
    for (size_t i = pos; i < end; ++i) {
      const unsigned char c = static_cast<unsigned char>(data[i]);
      if (IsAsciiAlnum(c)) {
        if (!in_word) {
          in_word = true;
          if (++words == 1) word_begin = i;
        }
        word_end = i + 1;
        if (length == kMaxFolded) {
          analyse_it = true;
          break;
        }
        folded[length++] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        continue;
      }
      in_word = false;
      if (c >= 0x80) {
        analyse_it = true;
        break;
      }
      if (c == '\'' || c == '`') apostrophe = true;
      if (c == '-') hyphen = true;
    }
    if (apostrophe && hyphen) analyse_it = true;
    bool may_match = analyse_it;
    if (!may_match && length > 0) {
      const absl::string_view letters(folded, length);
      for (const std::string& key : keys) {
        if (letters.find(key) != absl::string_view::npos) {
          may_match = true;
          break;
        }
      }
    }
    if (may_match && !analyse_it && words == 1) {
      // One ASCII word and nothing the analyser could join to it: its one
      // token is the word, lower-cased, with the word's stem.
      flush();
      stem = analyzer.Stem(absl::string_view(folded, length));
      if (std::binary_search(stems.begin(), stems.end(), stem)) {
        spans.push_back({static_cast<uint32_t>(word_begin),
                         static_cast<uint32_t>(word_end)});
      }
    } else if (may_match) {
      if (run_begin == kNone) run_begin = pos;
      run_end = end;
    } else if (end > pos) {
      flush();
    }
    pos = end + 1;
  }
  flush();
  return spans;
}

const reel::search::v1::Highlight* HighlightCache::Find(
    const reel::catalog::v1::Film* film, Field field,
    const std::vector<std::string>& stems, bool* found) const {
  *found = false;
  auto it = entries_.find(
      std::make_pair(static_cast<const void*>(film), static_cast<int>(field)));
  if (it == entries_.end()) return nullptr;
  for (const Entry& entry : it->second) {
    if (entry.stems != stems) continue;
    *found = true;
    return entry.has_highlight ? &entry.highlight : nullptr;
  }
  return nullptr;
}

void HighlightCache::Insert(const reel::catalog::v1::Film* film, Field field,
                            const std::vector<std::string>& stems,
                            const reel::search::v1::Highlight* highlight) {
  Entry& entry = entries_[std::make_pair(static_cast<const void*>(film),
                                         static_cast<int>(field))]
                     .emplace_back();
  entry.stems = stems;
  if (highlight != nullptr) {
    entry.has_highlight = true;
    entry.highlight = *highlight;
  }
}

void BuildHit(const SceneHit& hit, int rank, const text::Analyzer& analyzer,
              reel::search::v1::SceneHit* out, HighlightCache* cache) {
  out->set_film(hit.film_name());
  out->set_film_title(hit.film->title());
  out->set_year(hit.film->year());
  out->set_scene_id(hit.scene_id());
  out->set_scene_title(hit.scene().title());
  out->set_score(hit.score);
  out->set_rank(rank);
  std::vector<text::Token> local_tokens;
  std::vector<text::Token>* tokens =
      cache != nullptr ? cache->scratch_tokens() : &local_tokens;
  for (int f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    const std::vector<std::string>& stems = hit.matched_stems[f];
    const std::string& text = hit.text(field);
    if (stems.empty() || text.empty()) continue;
    // Film-level fields repeat across the scenes of a film: reuse them.
    const bool film_level = field == kFilmTitle || field == kSynopsis;
    if (cache != nullptr && film_level) {
      bool found;
      const reel::search::v1::Highlight* cached =
          cache->Find(hit.film.get(), field, stems, &found);
      if (found) {
        if (cached != nullptr) *out->add_highlights() = *cached;
        continue;
      }
    }
    reel::search::v1::Highlight* highlight = out->add_highlights();
    const bool matched =
        BuildHighlight(text, stems, field, analyzer, tokens, highlight);
    if (!matched) out->mutable_highlights()->RemoveLast();
    if (cache != nullptr && film_level) {
      cache->Insert(hit.film.get(), field, stems,
                    matched ? highlight : nullptr);
    }
  }
}

}  // namespace reel::search
