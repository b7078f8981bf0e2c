#include "search-service/api/highlighter.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
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

constexpr bool IsAsciiAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// What the scan of a piece needs to know of each byte: one table lookup.
enum ByteClass : uint8_t {
  kAlnum = 1,       // ASCII letter or digit.
  kNonAscii = 2,    // Folding may turn it into letters.
  kApostrophe = 4,  // ' or `
  kHyphen = 8,
  kSpace = 16,  // ' ' only: what separates pieces.
  kOther = 32,  // Any other ASCII byte (apostrophes and hyphens too).
};
struct ByteTables {
  uint8_t byte_class[256] = {};
  char lower[256] = {};  // ASCII letters lower-cased; others unchanged.
};
constexpr ByteTables MakeByteTables() {
  ByteTables tables;
  for (int c = 0; c < 256; ++c) {
    const auto byte = static_cast<unsigned char>(c);
    uint8_t byte_class = 0;
    if (IsAsciiAlnum(byte)) byte_class |= kAlnum;
    if (c >= 0x80) byte_class |= kNonAscii;
    if (c == '\'' || c == '`') byte_class |= kApostrophe;
    if (c == '-') byte_class |= kHyphen;
    if (c == ' ') byte_class |= kSpace;
    if (c < 0x80 && !IsAsciiAlnum(byte) && c != ' ') byte_class |= kOther;
    tables.byte_class[c] = byte_class;
    tables.lower[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return tables;
}
constexpr ByteTables kBytes = MakeByteTables();

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
// no key of a matched stem cannot hold a match; nor can a piece with a
// single run of letters and digits (its one term) that does not start with
// one. (highlighter_test checks
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

constexpr absl::string_view kEllipsis = "\u2026";
constexpr size_t kNone = absl::string_view::npos;

bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Eight bytes of text from `at` (at + 8 <= text.size()).
uint64_t Load8(absl::string_view text, size_t at) {
  uint64_t word;
  std::memcpy(&word, text.data() + at, sizeof(word));
  return word;
}
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Code points in text[begin, end): the bytes that start a sequence (as the
// spans' code point offsets count them). Eight bytes at a time: a
// continuation byte is one with its top bit set and the next one clear.
size_t CodePointsIn(absl::string_view text, size_t begin, size_t end) {
  size_t continuations = 0;
  size_t i = begin;
  for (; i + 8 <= end; i += 8) {
    const uint64_t word = Load8(text, i);
    // One bit per continuation byte, at its top; summed into the top byte
    // (no popcount instruction is assumed).
    const uint64_t marks = (word & ~(word << 1) & kHighBits) >> 7;
    continuations += static_cast<size_t>((marks * 0x0101010101010101ULL) >> 56);
  }
  for (; i < end; ++i) continuations += IsContinuation(text[i]);
  return (end - begin) - continuations;
}

// Whether text[begin, end) is all ASCII (one code point per byte).
bool IsAsciiRange(absl::string_view text, size_t begin, size_t end) {
  size_t i = begin;
  uint64_t high = 0;
  for (; i + 8 <= end; i += 8) high |= Load8(text, i);
  for (; i < end; ++i) high |= static_cast<unsigned char>(text[i]);
  return (high & kHighBits) == 0;
}

// `offset` moved forward (at most to the end) or back (at most to 0) by `n`
// code points.
size_t Advance(absl::string_view text, size_t offset, size_t n) {
  if (offset + n <= text.size() && IsAsciiRange(text, offset, offset + n) &&
      (offset + n == text.size() || !IsContinuation(text[offset + n]))) {
    return offset + n;
  }
  for (; n > 0 && offset < text.size(); --n) {
    ++offset;
    while (offset < text.size() && IsContinuation(text[offset])) ++offset;
  }
  return offset;
}
size_t Retreat(absl::string_view text, size_t offset, size_t n) {
  if (n <= offset && IsAsciiRange(text, offset - n, offset)) {
    return offset - n;
  }
  for (; n > 0 && offset > 0; --n) {
    --offset;
    while (offset > 0 && IsContinuation(text[offset])) --offset;
  }
  return offset;
}

// The words of a text as the analyser sees them, where a snippet may be cut:
// a word is a token merged with the tokens overlapping it, so that a
// hyphenated compound ("sixteen-year-old", whose joined alternate covers its
// parts) or an apostrophe word ("Entr'acte") is one word. The analyser never
// joins across an ASCII space, so each space-separated piece is analysed on
// its own, and only the pieces around a cut are.
class Words {
 public:
  Words(absl::string_view text, const text::Analyzer& analyzer,
        std::vector<text::Token>* tokens)
      : text_(text), analyzer_(analyzer), tokens_(tokens) {}

  // The word with begin <= offset < end, if any.
  std::optional<ByteSpan> At(size_t offset) {
    for (const ByteSpan& word : PieceAt(offset)) {
      if (word.begin <= offset && offset < word.end) return word;
    }
    return std::nullopt;
  }

  // The word with begin < offset < end, if any.
  std::optional<ByteSpan> Around(size_t offset) {
    for (const ByteSpan& word : PieceAt(offset)) {
      if (word.begin < offset && offset < word.end) return word;
    }
    return std::nullopt;
  }

  // The first word beginning at or after `offset`, at most `limit`: its
  // begin, or kNone.
  size_t NextBegin(size_t offset, size_t limit) {
    while (offset <= limit && offset < text_.size()) {
      for (const ByteSpan& word : PieceAt(offset)) {
        if (word.begin >= offset) {
          return word.begin <= limit ? word.begin : kNone;
        }
      }
      offset = piece_end_ + 1;  // The piece after the next space.
    }
    return kNone;
  }

  // The last word ending at or before `offset`, at least `limit`: its end,
  // or kNone.
  size_t PreviousEnd(size_t offset, size_t limit) {
    while (offset >= limit && offset > 0) {
      const std::vector<ByteSpan>& words = PieceAt(offset);
      for (auto word = words.rbegin(); word != words.rend(); ++word) {
        if (word->end <= offset) return word->end >= limit ? word->end : kNone;
      }
      if (piece_begin_ == 0) break;
      offset = piece_begin_ - 1;  // The space before the piece.
    }
    return kNone;
  }

 private:
  // The words of the piece holding `offset`: from just after the last space
  // before it to the first space at or after it (so an offset on a space
  // gives the piece before the space).
  const std::vector<ByteSpan>& PieceAt(size_t offset) {
    const size_t space_before =
        offset == 0 ? kNone : text_.rfind(' ', offset - 1);
    const size_t begin = space_before == kNone ? 0 : space_before + 1;
    if (analysed_ && begin == piece_begin_) return words_;
    const size_t space_after = text_.find(' ', begin);
    const size_t end = space_after == kNone ? text_.size() : space_after;
    analysed_ = true;
    piece_begin_ = begin;
    piece_end_ = end;
    words_.clear();
    // Only the words' bounds are wanted: no stems.
    analyzer_.AnalyzeUnstemmed(text_.substr(begin, end - begin), tokens_);
    // Tokens come by position, which orders their begins (a compound's
    // joined alternate begins with its first part and covers the rest), so
    // overlapping tokens are adjacent; sorted here should that change.
    auto by_begin = [](const text::Token& a, const text::Token& b) {
      return a.begin_byte < b.begin_byte;
    };
    if (!std::is_sorted(tokens_->begin(), tokens_->end(), by_begin)) {
      std::sort(tokens_->begin(), tokens_->end(), by_begin);
    }
    for (const text::Token& token : *tokens_) {
      const auto token_begin = static_cast<uint32_t>(begin + token.begin_byte);
      const auto token_end = static_cast<uint32_t>(begin + token.end_byte);
      if (!words_.empty() && token_begin < words_.back().end) {
        words_.back().end = std::max(words_.back().end, token_end);
      } else {
        words_.push_back({token_begin, token_end});
      }
    }
    return words_;
  }

  const absl::string_view text_;
  const text::Analyzer& analyzer_;
  std::vector<text::Token>* const tokens_;
  bool analysed_ = false;
  size_t piece_begin_ = 0;
  size_t piece_end_ = 0;
  std::vector<ByteSpan> words_;
};

// The window [begin, end) of `text` (more than `length` code points) to show
// around `first`, the first match: at most `length` code points with an
// ellipsis counted at each cut end.
ByteSpan Window(absl::string_view text, ByteSpan first, size_t length,
                const text::Analyzer& analyzer,
                std::vector<text::Token>* tokens) {
  Words words(text, analyzer, tokens);
  const size_t size = text.size();
  // The text to show at least: the first match's word (all of a compound
  // it is part of), unless that alone is too long, then the match.
  ByteSpan anchor = words.At(first.begin).value_or(first);
  if (CodePointsIn(text, anchor.begin, anchor.end) + 2 > length) {
    anchor = first;
  }
  // Start a quarter of the length before it, at a word.
  size_t begin = Retreat(text, anchor.begin, length / 4);
  if (begin > 0) {
    const std::optional<ByteSpan> cut = words.Around(begin);
    begin = words.NextBegin(cut.has_value() ? cut->end : begin, anchor.begin);
    if (begin == kNone) begin = anchor.begin;
  }
  // End at the last word that fits, keeping room for a final ellipsis.
  auto end_from = [&](size_t from) {
    const size_t room = length - (from > 0 ? 1 : 0) - 1;
    const size_t end = Advance(text, from, room);
    if (end == size) return end;
    const std::optional<ByteSpan> cut = words.Around(end);
    return words.PreviousEnd(cut.has_value() ? cut->begin : end, anchor.end);
  };
  size_t end = end_from(begin);
  if (end == kNone) {
    // The lead leaves no room for the anchor's word: drop the lead.
    begin = anchor.begin;
    end = end_from(begin);
    // Only a first match too long for the snippet is cut inside a word.
    if (end == kNone) end = Advance(text, begin, length - 2);
  }
  if (end == size) {
    // The field ends within the length: start earlier to fill it.
    const size_t earliest = Retreat(text, size, length - 1);
    const size_t earlier = words.NextBegin(earliest, begin);
    if (earlier != kNone) begin = earlier;
  }
  // What is left at either end may fit whole.
  size_t shown = CodePointsIn(text, begin, end);
  if (end < size) {
    const size_t rest = CodePointsIn(text, end, size);
    if (shown + (begin > 0 ? 1 : 0) + rest <= length) {
      end = size;
      shown += rest;
    }
  }
  if (begin > 0 &&
      CodePointsIn(text, 0, begin) + shown + (end < size ? 1 : 0) <= length) {
    begin = 0;
  }
  return {static_cast<uint32_t>(begin), static_cast<uint32_t>(end)};
}

// Keys of the stems an all-ASCII piece could hold (stems with other bytes
// come only from pieces that are analysed anyway), and their first bytes.
struct StemKeys {
  absl::InlinedVector<std::string, 4> keys;
  bool first_byte[256] = {};
  bool any_first_byte = false;  // A key is empty.

  // Whether a single run of letters and digits, `letters`, may be the term
  // of a stem: it starts with a key.
  bool MayStartWith(char first) const {
    return any_first_byte || first_byte[static_cast<unsigned char>(first)];
  }
  bool MayStart(absl::string_view letters) const {
    if (!MayStartWith(letters.front())) return false;
    for (const std::string& key : keys) {
      if (absl::StartsWith(letters, key)) return true;
    }
    return false;
  }
  // Whether some term of a piece with these letters and digits (more than
  // one run) may be the term of a stem: they hold a key.
  bool MayHold(absl::string_view letters) const {
    for (const std::string& key : keys) {
      if (letters.find(key) != absl::string_view::npos) return true;
    }
    return false;
  }
};
StemKeys KeysOf(const std::vector<std::string>& stems) {
  StemKeys keys;
  for (const std::string& stem : stems) {
    if (!IsAscii(stem)) continue;
    const std::string& key = keys.keys.emplace_back(StemKey(stem));
    if (key.empty()) {
      keys.any_first_byte = true;
    } else {
      keys.first_byte[static_cast<unsigned char>(key.front())] = true;
    }
  }
  return keys;
}

// Appends to `spans` the matched words of the pieces of `text` that begin
// at or after `from` (0, or just after a space) and before `to`, in text
// order (see MatchedWordSpans). With `first_only` it stops after the first
// piece that holds one. Returns where the scan stopped: the beginning of
// the first piece it did not look at (or beyond the text), from which a
// later call continues without finding any word twice.
size_t ScanSpans(absl::string_view text, size_t from, size_t to,
                 bool first_only, const std::vector<std::string>& stems,
                 const StemKeys& keys, const text::Analyzer& analyzer,
                 std::vector<text::Token>* tokens,
                 std::vector<ByteSpan>* spans) {
  // Analyses text[begin, end) and keeps the matching tokens.
  auto analyse = [&](size_t begin, size_t end) {
    analyzer.Analyze(text.substr(begin, end - begin), tokens);
    for (const text::Token& token : *tokens) {
      if (!std::binary_search(stems.begin(), stems.end(), token.stem)) continue;
      const uint32_t token_begin =
          static_cast<uint32_t>(begin) + token.begin_byte;
      // Alternates share their primary's offsets: keep one span per word.
      if (!spans->empty() && spans->back().begin == token_begin) continue;
      spans->push_back(
          {token_begin, static_cast<uint32_t>(begin) + token.end_byte});
    }
  };
  // The current piece's letters and digits, lower case (a longer piece is
  // analysed without looking).
  constexpr size_t kMaxFolded = 128;  // Analyzer::kMaxTermBytes
  char folded[kMaxFolded];
  std::string stem;
  // Adjacent candidate pieces are analysed together: [run_begin, run_end).
  size_t run_begin = kNone;
  size_t run_end = 0;
  // Analyses the run; true when the scan is to stop there.
  auto flush = [&] {
    if (run_begin == kNone) return false;
    analyse(run_begin, run_end);
    run_begin = kNone;
    return first_only && !spans->empty();
  };
  const char* const data = text.data();
  const size_t limit = std::min(to, text.size());
  size_t pos = from;
  while (pos < limit) {
    // The piece's end (the next space), and the classes of its bytes.
    size_t end = pos;
    uint8_t seen = 0;
    for (; end < text.size(); ++end) {
      const uint8_t byte_class =
          kBytes.byte_class[static_cast<unsigned char>(data[end])];
      if (byte_class & kSpace) break;
      seen |= byte_class;
    }
    // Needs the analyser to decide.
    bool analyse_it = (seen & kNonAscii) || (seen & (kApostrophe | kHyphen)) ==
                                                (kApostrophe | kHyphen);
    size_t alnums = 0;      // Letters and digits.
    size_t word_begin = 0;  // Of the first run of letters and digits.
    size_t word_end = 0;    // Of the last one.
    int words = 0;          // Runs of letters and digits.
    if (!analyse_it && seen == kAlnum) {
      // Most pieces: one run of letters and digits, nothing else.
      alnums = end - pos;
      word_begin = pos;
      word_end = end;
      words = 1;
    } else if (!analyse_it && (seen & kAlnum)) {
      bool in_word = false;
      for (size_t i = pos; i < end; ++i) {
        if (!(kBytes.byte_class[static_cast<unsigned char>(data[i])] &
              kAlnum)) {
          in_word = false;
          continue;
        }
        if (!in_word) {
          in_word = true;
          if (++words == 1) word_begin = i;
        }
        word_end = i + 1;
        ++alnums;
      }
    }
    if (alnums > kMaxFolded) analyse_it = true;
    bool may_match = analyse_it;
    size_t length = 0;  // Bytes in folded.
    if (!may_match && alnums > 0) {
      // A single run's only term is all of it, which starts with the key
      // of its stem (most runs fail on their first letter); in other
      // pieces a term may start anywhere.
      if (words == 1) {
        if (keys.MayStartWith(
                kBytes.lower[static_cast<unsigned char>(data[word_begin])])) {
          for (size_t i = word_begin; i < word_end; ++i) {
            folded[length++] =
                kBytes.lower[static_cast<unsigned char>(data[i])];
          }
          may_match = keys.MayStart(absl::string_view(folded, length));
        }
      } else {
        for (size_t i = pos; i < end; ++i) {
          const auto c = static_cast<unsigned char>(data[i]);
          if (kBytes.byte_class[c] & kAlnum) folded[length++] = kBytes.lower[c];
        }
        may_match = keys.MayHold(absl::string_view(folded, length));
      }
    }
    if (may_match && !analyse_it && words == 1) {
      // One ASCII word and nothing the analyser could join to it: its one
      // token is the word, lower-cased, with the word's stem.
      if (flush()) return run_end + 1;
      stem = analyzer.Stem(absl::string_view(folded, length));
      if (std::binary_search(stems.begin(), stems.end(), stem)) {
        spans->push_back({static_cast<uint32_t>(word_begin),
                          static_cast<uint32_t>(word_end)});
        if (first_only) return end + 1;
      }
    } else if (may_match) {
      if (run_begin == kNone) run_begin = pos;
      run_end = end;
    } else if (end > pos) {
      if (flush()) return run_end + 1;
    }
    pos = end + 1;
  }
  if (flush()) return run_end + 1;
  return pos;
}

// The snippet length in code points that `snippet_length` asks for.
size_t SnippetCodePoints(int snippet_length) {
  return static_cast<size_t>(
      snippet_length <= 0
          ? kDefaultSnippetLength
          : std::clamp(snippet_length, kMinSnippetLength, kMaxSnippetLength));
}

// Whether `text` is longer than `length` code points (and so cut).
bool NeedsWindow(absl::string_view text, size_t length) {
  // Bytes are at least code points: most fields need no count.
  return text.size() > length && CodePointsIn(text, 0, text.size()) > length;
}

// Fills `out` with text[window] and the parts of `spans` inside it.
void EmitHighlight(absl::string_view text, const std::vector<ByteSpan>& spans,
                   ByteSpan window, HighlightField field,
                   reel::search::v1::Highlight* out) {
  const bool cut_before = window.begin > 0;
  const bool cut_after = window.end < text.size();
  out->set_field(field);
  std::string* snippet = out->mutable_snippet();
  snippet->clear();
  snippet->reserve(window.end - window.begin + 2 * kEllipsis.size());
  if (cut_before) snippet->append(kEllipsis.data(), kEllipsis.size());
  const size_t prefix = snippet->size();  // Bytes before the text.
  snippet->append(text.data() + window.begin, window.end - window.begin);
  if (cut_after) snippet->append(kEllipsis.data(), kEllipsis.size());
  out->set_cut_before(cut_before);
  out->set_cut_after(cut_after);
  text::Utf16OffsetMapper utf16(*snippet);
  // Code points before a byte offset, counted as the cursor moves on.
  size_t counted_bytes = 0;
  int32_t code_points = 0;
  auto code_points_before = [&](size_t byte_offset) {
    code_points += static_cast<int32_t>(
        CodePointsIn(*snippet, counted_bytes, byte_offset));
    counted_bytes = byte_offset;
    return code_points;
  };
  out->mutable_spans()->Reserve(static_cast<int>(spans.size()));
  for (const ByteSpan& span : spans) {
    // Only a first match longer than the snippet is cut, and kept in part.
    const uint32_t begin = std::max(span.begin, window.begin);
    const uint32_t end = std::min(span.end, window.end);
    if (begin >= end) continue;
    auto* wire = out->add_spans();
    const size_t start_byte = prefix + (begin - window.begin);
    const size_t end_byte = prefix + (end - window.begin);
    wire->set_start_byte(static_cast<int32_t>(start_byte));
    wire->set_end_byte(static_cast<int32_t>(end_byte));
    wire->set_start_utf16(static_cast<int32_t>(utf16.ToUtf16(start_byte)));
    wire->set_end_utf16(static_cast<int32_t>(utf16.ToUtf16(end_byte)));
    wire->set_start_code_point(code_points_before(start_byte));
    wire->set_end_code_point(code_points_before(end_byte));
  }
}

// The highlight of one field, or false when none of its words matched. A
// field that is cut is scanned up to its first match, which places the
// window, and then only as far as the window: words after it would not be
// shown.
bool BuildFieldHighlight(absl::string_view text,
                         const std::vector<std::string>& stems, Field field,
                         int snippet_length, const text::Analyzer& analyzer,
                         std::vector<text::Token>* tokens,
                         reel::search::v1::Highlight* out) {
  if (text.empty() || stems.empty()) return false;
  const StemKeys keys = KeysOf(stems);
  const size_t length = SnippetCodePoints(snippet_length);
  std::vector<ByteSpan> spans;
  if (!NeedsWindow(text, length)) {
    ScanSpans(text, 0, text.size(), /*first_only=*/false, stems, keys, analyzer,
              tokens, &spans);
    if (spans.empty()) return false;
    EmitHighlight(text, spans, {0, static_cast<uint32_t>(text.size())},
                  kWireField[field], out);
    return true;
  }
  const size_t rest = ScanSpans(text, 0, text.size(), /*first_only=*/true,
                                stems, keys, analyzer, tokens, &spans);
  if (spans.empty()) return false;
  const ByteSpan window = Window(text, spans.front(), length, analyzer, tokens);
  ScanSpans(text, rest, window.end, /*first_only=*/false, stems, keys, analyzer,
            tokens, &spans);
  EmitHighlight(text, spans, window, kWireField[field], out);
  return true;
}

}  // namespace

std::vector<ByteSpan> MatchedWordSpans(absl::string_view text,
                                       const std::vector<std::string>& stems,
                                       const text::Analyzer& analyzer,
                                       std::vector<text::Token>* tokens) {
  std::vector<ByteSpan> spans;
  if (text.empty() || stems.empty()) return spans;
  ScanSpans(text, 0, text.size(), /*first_only=*/false, stems, KeysOf(stems),
            analyzer, tokens, &spans);
  return spans;
}

void BuildHighlight(absl::string_view text, const std::vector<ByteSpan>& spans,
                    HighlightField field, int snippet_length,
                    const text::Analyzer& analyzer,
                    std::vector<text::Token>* tokens,
                    reel::search::v1::Highlight* out) {
  const size_t length = SnippetCodePoints(snippet_length);
  ByteSpan window = {0, static_cast<uint32_t>(text.size())};
  if (NeedsWindow(text, length)) {
    window = Window(text, spans.front(), length, analyzer, tokens);
  }
  EmitHighlight(text, spans, window, field, out);
}

const reel::search::v1::Highlight* HighlightCache::Find(
    const FilmRecord* film, Field field, const std::vector<std::string>& stems,
    int snippet_length, bool* found) const {
  *found = false;
  auto it = entries_.find(
      std::make_pair(static_cast<const void*>(film), static_cast<int>(field)));
  if (it == entries_.end()) return nullptr;
  for (const Entry& entry : it->second) {
    if (entry.stems != stems || entry.snippet_length != snippet_length) {
      continue;
    }
    *found = true;
    return entry.has_highlight ? &entry.highlight : nullptr;
  }
  return nullptr;
}

void HighlightCache::Insert(const FilmRecord* film, Field field,
                            const std::vector<std::string>& stems,
                            int snippet_length,
                            const reel::search::v1::Highlight* highlight) {
  Entry& entry = entries_[std::make_pair(static_cast<const void*>(film),
                                         static_cast<int>(field))]
                     .emplace_back();
  entry.stems = stems;
  entry.snippet_length = snippet_length;
  if (highlight != nullptr) {
    entry.has_highlight = true;
    entry.highlight = *highlight;
  }
}

void BuildHit(const SceneHit& hit, int rank, const text::Analyzer& analyzer,
              reel::search::v1::SceneHit* out, HighlightCache* cache,
              int snippet_length) {
  out->set_film(hit.film_name());
  out->set_film_title(hit.film->title());
  out->set_year(hit.film->year());
  out->set_scene_id(std::string(hit.scene_id()));
  out->set_scene_title(std::string(hit.text(kSceneTitle)));
  out->set_score(hit.score);
  out->set_rank(rank);
  std::vector<text::Token> local_tokens;
  std::vector<text::Token>* tokens =
      cache != nullptr ? cache->scratch_tokens() : &local_tokens;
  for (int f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    const std::vector<std::string>& stems = hit.matched_stems[f];
    const absl::string_view text = hit.text(field);
    if (stems.empty() || text.empty()) continue;
    // Film-level fields repeat across the scenes of a film: reuse them.
    const bool film_level = field == kFilmTitle || field == kSynopsis;
    if (cache != nullptr && film_level) {
      bool found;
      const reel::search::v1::Highlight* cached =
          cache->Find(hit.film.get(), field, stems, snippet_length, &found);
      if (found) {
        if (cached != nullptr) *out->add_highlights() = *cached;
        continue;
      }
    }
    reel::search::v1::Highlight* highlight = out->add_highlights();
    const bool matched = BuildFieldHighlight(text, stems, field, snippet_length,
                                             analyzer, tokens, highlight);
    if (!matched) out->mutable_highlights()->RemoveLast();
    if (cache != nullptr && film_level) {
      cache->Insert(hit.film.get(), field, stems, snippet_length,
                    matched ? highlight : nullptr);
    }
  }
}

}  // namespace reel::search
