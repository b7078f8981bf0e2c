// Implementation notes.
//
// Why a hand scanner rather than icu::BreakIterator (UAX #29 words)?
//  - Speed: the scanner classifies ASCII bytes with a 128-entry table and
//    calls ICU (u_charType, a trie lookup) only for non-ASCII code points;
//    BreakIterator walks a rule state machine over UText for every
//    character, several times slower, and would still need a second pass.
//  - Policy: the rules we want differ from UAX #29 anyway. UAX #29 keeps
//    "Lermontov's" and "don't" whole but splits "sixteen-year-old" and keeps
//    no acronym rule; we need the possessive dropped, apostrophe parts as
//    alternates, and hyphen parts plus a joined form. Those are rules over
//    the UAX #29 character classes (ALetter/Numeric/Extend/Format/MidLetter),
//    which is what the scanner implements.
//  - Cost: no dictionary segmentation for Thai/Lao/Khmer/Myanmar (a run is
//    one token) and CJK is per character, as Lucene's StandardTokenizer does
//    for Han. The corpus is English.
//
// Folding is NFKC_Casefold, then NFD, drop diacritic marks (and map a few
// non-decomposing letters), then NFC, done with icu::Normalizer2 singletons
// (thread-safe, unlike Transliterator). Only the Latin/Greek/Cyrillic
// diacritic blocks are stripped: Indic and Arabic marks carry meaning.
// Words made only of code points below U+0250 never reach ICU: each such
// code point's folding is precomputed at Create() with the ICU path itself.
#include "search-service/text/analyzer.h"

#include <libstemmer.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "search-service/text/utf8.h"

namespace reel::text {
namespace {

// Character classes of the scanner.
enum Cls : uint8_t {
  kSep = 0,  // separates words (also ill-formed bytes)
  kLetter,   // a letter (not an ideograph)
  kDigit,    // any number character
  kExtend,   // combining mark or format character: continues a word
  kApos,     // joins two letters/digits: ' ’ ‘ ʼ ´ `
  kHyphen,   // splits a compound into positions: - U+2010 U+2011
  kDot,      // '.', joins digits ("3.5") and single-letter acronyms
  kComma,    // ',', joins digits ("1,000"), dropped from the term
  kIdeo,     // Han ideograph or Hiragana: a token by itself
};

constexpr std::array<uint8_t, 128> MakeAsciiClass() {
  std::array<uint8_t, 128> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kLetter;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  t['\''] = kApos;
  t['`'] = kApos;
  t['-'] = kHyphen;
  t['.'] = kDot;
  t[','] = kComma;
  return t;
}
constexpr std::array<uint8_t, 128> kAsciiClass = MakeAsciiClass();

constexpr std::array<char, 128> MakeAsciiLower() {
  std::array<char, 128> t{};
  for (int c = 0; c < 128; ++c) {
    t[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  }
  return t;
}
constexpr std::array<char, 128> kAsciiLower = MakeAsciiLower();

inline bool IsAsciiDigit(uint8_t b) { return b >= '0' && b <= '9'; }
inline bool IsAsciiLetter(uint8_t b) {
  return kAsciiClass[b & 0x7F] == kLetter && b < 0x80;
}

Cls ClassifyNonAscii(int32_t cp) {
  if (cp < 0) return kSep;
  switch (cp) {
    case 0x00B4:  // ´ ACUTE ACCENT, typed as an apostrophe
    case 0x02BC:  // ʼ MODIFIER LETTER APOSTROPHE
    case 0x2018:  // ‘ (also seen as an apostrophe: "Titanic‘s")
    case 0x2019:  // ’
    case 0xFF07:  // ＇
      return kApos;
    case 0x2010:  // HYPHEN
    case 0x2011:  // NON-BREAKING HYPHEN
      return kHyphen;
    case 0x200B:  // ZERO WIDTH SPACE (Cf, but a word break)
    case 0xFEFF:  // BOM / ZWNBSP
      return kSep;
    default:
      break;
  }
  switch (u_charType(cp)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
      return kLetter;
    case U_OTHER_LETTER:
      if ((cp >= 0x3040 && cp <= 0x309F) ||
          u_hasBinaryProperty(cp, UCHAR_IDEOGRAPHIC)) {
        return kIdeo;
      }
      return kLetter;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return kDigit;
    case U_NON_SPACING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_FORMAT_CHAR:
      return kExtend;
    default:
      return kSep;
  }
}

// Combining diacritics removed by folding (after NFD).
bool IsStrippedMark(UChar32 c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

// Case-folded letters that carry a diacritic but have no decomposition.
const char* SpecialLetter(UChar32 c) {
  switch (c) {
    case 0x00E6:
      return "ae";  // æ
    case 0x00F0:
      return "d";  // ð
    case 0x00F8:
      return "o";  // ø
    case 0x00FE:
      return "th";  // þ
    case 0x0111:
      return "d";  // đ
    case 0x0127:
      return "h";  // ħ
    case 0x0131:
      return "i";  // ı
    case 0x0142:
      return "l";  // ł
    case 0x0153:
      return "oe";  // œ
    case 0x0167:
      return "t";  // ŧ
    case 0x02BC:
      return "";  // ʼ (from ŉ): apostrophes are dropped
    default:
      return nullptr;
  }
}

// Cuts `term` to at most Analyzer::kMaxTermBytes on a code-point boundary.
void TruncateTerm(std::string* term) {
  if (term->size() <= Analyzer::kMaxTermBytes) return;
  size_t cut = Analyzer::kMaxTermBytes;
  while (cut > 0 && (static_cast<uint8_t>((*term)[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  term->resize(cut);
}

bool IsAsciiLowerLetters(absl::string_view s) {
  for (const char c : s) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

bool IsAllAsciiDigits(absl::string_view s) {
  for (const char c : s) {
    if (!IsAsciiDigit(static_cast<uint8_t>(c))) return false;
  }
  return !s.empty();
}

// One Snowball stemmer per thread (sb_stemmer keeps state between calls),
// fronted by a direct-mapped cache: Porter2 costs ~200 ns a word and word
// frequencies are Zipfian, so most look-ups hit. Bounded memory: a slot is
// overwritten on a collision.
class ThreadStemmer {
 public:
  ThreadStemmer() : stemmer_(sb_stemmer_new("english", nullptr)) {}
  ~ThreadStemmer() { sb_stemmer_delete(stemmer_); }
  ThreadStemmer(const ThreadStemmer&) = delete;
  ThreadStemmer& operator=(const ThreadStemmer&) = delete;

  bool ok() const { return stemmer_ != nullptr; }

  // Stems `term` (lower-case ASCII letters) into *out.
  void Stem(absl::string_view term, std::string* out) {
    if (term.size() > kMaxCachedBytes) {
      StemUncached(term, out);
      return;
    }
    if (slots_.empty()) slots_.resize(kSlots);
    Slot& slot = slots_[absl::Hash<absl::string_view>()(term) & (kSlots - 1)];
    if (slot.term != term) {
      slot.term.assign(term.data(), term.size());
      StemUncached(term, &slot.stem);
    }
    out->assign(slot.stem);
  }

 private:
  static constexpr size_t kSlots = 1 << 14;      // ~0.6 MB per thread
  static constexpr size_t kMaxCachedBytes = 15;  // fits std::string's SSO

  struct Slot {
    std::string term;
    std::string stem;
  };

  void StemUncached(absl::string_view term, std::string* out) {
    const sb_symbol* stem =
        stemmer_ == nullptr
            ? nullptr
            : sb_stemmer_stem(stemmer_,
                              reinterpret_cast<const sb_symbol*>(term.data()),
                              static_cast<int>(term.size()));
    if (stem == nullptr) {  // out of memory, or no stemmer
      out->assign(term.data(), term.size());
    } else {
      out->assign(reinterpret_cast<const char*>(stem),
                  sb_stemmer_length(stemmer_));
    }
  }

  sb_stemmer* const stemmer_;
  std::vector<Slot> slots_;
};

ThreadStemmer& LocalStemmer() {
  thread_local ThreadStemmer stemmer;
  return stemmer;
}

void StemInto(absl::string_view term, std::string* out) {
  // Porter2 leaves words under 3 letters alone; non-letters are not English.
  if (term.size() < 3 || !IsAsciiLowerLetters(term)) {
    out->assign(term.data(), term.size());
    return;
  }
  LocalStemmer().Stem(term, out);
}

}  // namespace

namespace text_internal {

struct AnalyzerImpl {
  const icu::Normalizer2* nfkc_cf = nullptr;
  const icu::Normalizer2* nfd = nullptr;
  const icu::Normalizer2* nfc = nullptr;

  // Folded UTF-8 of each code point below kLatinEnd (len == kNotTabled:
  // must go through ICU).
  static constexpr int32_t kLatinEnd = 0x250;
  static constexpr uint8_t kNotTabled = 0xFF;
  struct LatinFold {
    char bytes[7];
    uint8_t len;
  };
  std::array<LatinFold, kLatinEnd> latin{};

  // Appends the folding of `utf8` using ICU.
  void FoldSlow(absl::string_view utf8, std::string* out) const {
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString source = icu::UnicodeString::fromUTF8(
        icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    const icu::UnicodeString decomposed =
        nfd->normalize(nfkc_cf->normalize(source, status), status);
    icu::UnicodeString stripped;
    for (int32_t i = 0; i < decomposed.length();) {
      const UChar32 c = decomposed.char32At(i);
      i += U16_LENGTH(c);
      if (IsStrippedMark(c)) continue;
      if (const char* special = SpecialLetter(c)) {
        stripped.append(icu::UnicodeString(special, -1, US_INV));
      } else {
        stripped.append(c);
      }
    }
    const icu::UnicodeString composed = nfc->normalize(stripped, status);
    if (U_FAILURE(status)) {  // not expected; fall back to ASCII lowering
      for (const char c : utf8) {
        const auto b = static_cast<uint8_t>(c);
        out->push_back(b < 0x80 ? kAsciiLower[b] : c);
      }
      return;
    }
    composed.toUTF8String(*out);
  }

  // Appends the folding of `utf8` (any text), via the tables when possible.
  void Fold(absl::string_view utf8, std::string* out) const {
    const size_t mark = out->size();
    const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
    const size_t n = utf8.size();
    for (size_t i = 0; i < n;) {
      if (s[i] < 0x80) {
        out->push_back(kAsciiLower[s[i]]);
        ++i;
        continue;
      }
      int len;
      const int32_t cp = DecodeUtf8(s, n, i, &len);
      if (cp < 0 || cp >= kLatinEnd || latin[cp].len == kNotTabled) {
        out->resize(mark);
        FoldSlow(utf8, out);
        return;
      }
      out->append(latin[cp].bytes, latin[cp].len);
      i += len;
    }
  }
};

}  // namespace text_internal

namespace {

// One Analyze() call: scans the text and appends tokens.
class Tokenizer {
 public:
  Tokenizer(const text_internal::AnalyzerImpl& impl, absl::string_view text,
            bool stem, std::vector<Token>* out)
      : impl_(impl),
        stem_(stem),
        s_(reinterpret_cast<const uint8_t*>(text.data())),
        n_(text.size()),
        out_(out) {}

  void Run() {
    size_t pos = 0;
    while (pos < n_) {
      const uint8_t b = s_[pos];
      if (b < 0x80) {
        const uint8_t c = kAsciiClass[b];
        if (c == kLetter || c == kDigit) {
          pos = ScanWord(pos);
        } else {
          ++pos;
        }
        continue;
      }
      int len;
      const Cls c = Peek(pos, &len);
      if (c == kLetter || c == kDigit) {
        pos = ScanWord(pos);
      } else if (c == kIdeo) {
        pos = EmitIdeograph(pos, len);
      } else {
        pos += len;
      }
    }
    out_->resize(count_);
  }

 private:
  struct Seg {
    uint32_t begin;
    uint32_t end;
    bool non_ascii;
  };

  Cls Peek(size_t pos, int* len) const {
    if (s_[pos] < 0x80) {
      *len = 1;
      return static_cast<Cls>(kAsciiClass[s_[pos]]);
    }
    return ClassifyNonAscii(DecodeUtf8(s_, n_, pos, len));
  }

  // True if the character at `pos` would continue a word.
  bool IsWordChar(size_t pos) const {
    if (pos >= n_) return false;
    int len;
    const Cls c = Peek(pos, &len);
    return c == kLetter || c == kDigit || c == kExtend;
  }

  Token& NewToken() {
    if (count_ == out_->size()) out_->emplace_back();
    Token& token = (*out_)[count_++];
    token.term.clear();
    token.alternate = false;
    return token;
  }

  // "U.S." / "U.S" / "a.m.": single ASCII letters joined by dots, at least
  // two. Emits one token and returns the end, or returns 0.
  size_t TryAcronym(size_t start) {
    size_t pos = start;
    int letters = 0;
    while (pos < n_ && IsAsciiLetter(s_[pos])) {
      if (pos + 1 < n_ && s_[pos + 1] == '.') {
        ++letters;
        pos += 2;
        continue;
      }
      if (letters == 0 || IsWordChar(pos + 1)) return 0;
      ++letters;  // final letter without a dot
      ++pos;
      break;
    }
    if (letters < 2 || IsWordChar(pos)) return 0;
    Token& token = NewToken();
    for (size_t i = start; i < pos; i += 2) {
      token.term.push_back(kAsciiLower[s_[i]]);
    }
    // Stemmed like the same letters written as a word: the index maps each
    // word to one stem, so "U.N.C.L.E." and "uncle" must agree on it.
    StemToken(&token);
    token.position = position_++;
    token.begin_byte = static_cast<uint32_t>(start);
    token.end_byte = static_cast<uint32_t>(pos);
    return pos;
  }

  // Appends the folded text of `seg` (commas between digits dropped).
  void AppendFolded(const Seg& seg, std::string* out) {
    if (!seg.non_ascii) {
      for (uint32_t i = seg.begin; i < seg.end; ++i) {
        if (s_[i] != ',') out->push_back(kAsciiLower[s_[i]]);
      }
      return;
    }
    scratch_.clear();
    for (uint32_t i = seg.begin; i < seg.end; ++i) {
      if (s_[i] != ',') scratch_.push_back(static_cast<char>(s_[i]));
    }
    impl_.Fold(scratch_, out);
  }

  // Most words: ASCII letters only, ended by a character that neither
  // continues nor joins them (not a digit, apostrophe, hyphen or anything
  // non-ASCII), and no acronym ("U.S.", whose first letter a dot follows).
  // Emits the word, the letters in lower case, without the segment
  // bookkeeping of the general path, and returns its end; returns 0 if the
  // word is not one of these (the general path decides it).
  size_t ScanAsciiWord(size_t start) {
    if (start + 1 < n_ && s_[start + 1] == '.') return 0;
    size_t end = start + 1;
    while (end < n_ && IsAsciiLetter(s_[end])) ++end;
    if (end - start > Analyzer::kMaxTermBytes) return 0;
    if (end < n_) {
      const uint8_t after = s_[end];
      if (after >= 0x80) return 0;
      const uint8_t c = kAsciiClass[after];
      if (c == kDigit || c == kApos || c == kHyphen) return 0;
    }
    Token& token = NewToken();
    token.term.resize(end - start);
    char* term = token.term.data();
    for (size_t i = start; i < end; ++i) *term++ = kAsciiLower[s_[i]];
    StemToken(&token);
    token.position = position_++;
    token.begin_byte = static_cast<uint32_t>(start);
    token.end_byte = static_cast<uint32_t>(end);
    return end;
  }

  // Scans the word starting at `start` (a letter or digit) and emits its
  // tokens; returns the position after it.
  size_t ScanWord(size_t start) {
    if (IsAsciiLetter(s_[start])) {
      if (const size_t end = ScanAsciiWord(start)) return end;
      if (const size_t end = TryAcronym(start)) return end;
    }
    segs_.clear();
    part_starts_.clear();
    part_starts_.push_back(0);
    size_t pos = start;
    for (;;) {
      Seg seg{static_cast<uint32_t>(pos), 0, false};
      bool last_digit = false;
      while (pos < n_) {
        const uint8_t b = s_[pos];
        if (b < 0x80) {
          const uint8_t c = kAsciiClass[b];
          if (c == kLetter) {
            last_digit = false;
          } else if (c == kDigit) {
            last_digit = true;
          } else if (!((c == kDot || c == kComma) && last_digit &&
                       pos + 1 < n_ && IsAsciiDigit(s_[pos + 1]))) {
            break;
          }
          ++pos;
          continue;
        }
        int len;
        const Cls c = Peek(pos, &len);
        if (c == kLetter || c == kDigit) {
          last_digit = c == kDigit;
        } else if (c != kExtend) {
          break;
        }
        seg.non_ascii = true;
        pos += len;
      }
      seg.end = static_cast<uint32_t>(pos);
      segs_.push_back(seg);
      // A joiner continues the word only if a letter or digit follows it.
      if (pos >= n_) break;
      int joiner_len;
      const Cls joiner = Peek(pos, &joiner_len);
      if (joiner != kApos && joiner != kHyphen) break;
      if (pos + joiner_len >= n_) break;
      int next_len;
      const Cls next = Peek(pos + joiner_len, &next_len);
      if (next != kLetter && next != kDigit) break;
      if (joiner == kHyphen) part_starts_.push_back(segs_.size());
      pos += joiner_len;
    }
    EmitWord();
    return pos;
  }

  // [first, last) of the segments of part p, without a possessive "'s".
  std::pair<size_t, size_t> PartSegments(size_t p, bool* possessive) const {
    const size_t first = part_starts_[p];
    size_t last =
        p + 1 < part_starts_.size() ? part_starts_[p + 1] : segs_.size();
    *possessive = false;
    if (last - first >= 2) {
      const Seg& tail = segs_[last - 1];
      if (tail.end - tail.begin == 1 &&
          (s_[tail.begin] == 's' || s_[tail.begin] == 'S')) {
        *possessive = true;
        --last;
      }
    }
    return {first, last};
  }

  bool IsContraction(const Seg& seg) const {
    char tail[3] = {0, 0, 0};
    const uint32_t length = seg.end - seg.begin;
    if (length > 2) return false;
    for (uint32_t i = 0; i < length; ++i) {
      tail[i] = kAsciiLower[s_[seg.begin + i] & 0x7F];
    }
    const absl::string_view t(tail, length);
    return t == "t" || t == "re" || t == "ve" || t == "ll" || t == "d" ||
           t == "m";
  }

  void EmitWord() {
    const size_t num_parts = part_starts_.size();
    if (num_parts == 1) {
      EmitPart(0, nullptr);
      return;
    }
    // Fold every part first: the joined alternate goes right after the
    // first part's tokens.
    part_terms_.resize(num_parts);
    joined_.clear();
    bool all_numeric = true;
    for (size_t p = 0; p < num_parts; ++p) {
      bool possessive;
      const auto [first, last] = PartSegments(p, &possessive);
      part_terms_[p].clear();
      for (size_t i = first; i < last; ++i) {
        AppendFolded(segs_[i], &part_terms_[p]);
      }
      TruncateTerm(&part_terms_[p]);
      joined_ += part_terms_[p];
      if (!IsAllAsciiDigits(part_terms_[p])) all_numeric = false;
    }
    TruncateTerm(&joined_);
    const uint32_t first_position = position_;
    for (size_t p = 0; p < num_parts; ++p) {
      EmitPart(p, &part_terms_[p]);
      if (p == 0 && !all_numeric && position_ > first_position) {
        Token& token = NewToken();
        token.term = joined_;
        StemToken(&token);
        token.position = first_position;
        token.begin_byte = segs_.front().begin;
        token.end_byte = segs_.back().end;
        token.alternate = true;
      }
    }
  }

  // Emits part p (its primary token and apostrophe alternates). `folded`,
  // if given, is the part's folded term.
  void EmitPart(size_t p, const std::string* folded) {
    bool possessive;
    const auto [first, last] = PartSegments(p, &possessive);
    const size_t end_seg =
        p + 1 < part_starts_.size() ? part_starts_[p + 1] : segs_.size();
    Token& token = NewToken();
    if (folded != nullptr) {
      token.term = *folded;
    } else {
      for (size_t i = first; i < last; ++i) {
        AppendFolded(segs_[i], &token.term);
      }
      TruncateTerm(&token.term);
    }
    if (token.term.empty()) {  // e.g. only default-ignorable characters
      --count_;
      return;
    }
    StemToken(&token);
    token.position = position_;
    token.begin_byte = segs_[first].begin;
    token.end_byte = segs_[end_seg - 1].end;
    if (last - first >= 2 && !IsContraction(segs_[last - 1])) {
      for (size_t i = first; i < last; ++i) {
        Token& part = NewToken();
        AppendFolded(segs_[i], &part.term);
        TruncateTerm(&part.term);
        if (part.term.empty()) {
          --count_;
          continue;
        }
        StemToken(&part);
        part.position = position_;
        part.begin_byte = segs_[i].begin;
        part.end_byte = segs_[i].end;
        part.alternate = true;
      }
    }
    ++position_;
  }

  // A Han ideograph or kana (with any following marks) is its own token.
  size_t EmitIdeograph(size_t start, int len) {
    size_t pos = start + len;
    int next_len;
    while (pos < n_ && Peek(pos, &next_len) == kExtend) pos += next_len;
    Token& token = NewToken();
    impl_.Fold(absl::string_view(reinterpret_cast<const char*>(s_ + start),
                                 pos - start),
               &token.term);
    if (token.term.empty()) {
      --count_;
      return pos;
    }
    token.stem = token.term;
    token.position = position_++;
    token.begin_byte = static_cast<uint32_t>(start);
    token.end_byte = static_cast<uint32_t>(pos);
    return pos;
  }

  // Sets the token's stem, or leaves it empty when not stemming.
  void StemToken(Token* token) const {
    if (stem_) {
      StemInto(token->term, &token->stem);
    } else {
      token->stem.clear();
    }
  }

  const text_internal::AnalyzerImpl& impl_;
  const bool stem_;
  const uint8_t* const s_;
  const size_t n_;
  std::vector<Token>* const out_;
  size_t count_ = 0;       // tokens written to *out_
  uint32_t position_ = 0;  // next position
  absl::InlinedVector<Seg, 16> segs_;
  absl::InlinedVector<size_t, 8> part_starts_;  // first segment of each part
  std::vector<std::string> part_terms_;
  std::string joined_;
  std::string scratch_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Analyzer>> Analyzer::Create() {
  auto impl = std::make_unique<text_internal::AnalyzerImpl>();
  UErrorCode status = U_ZERO_ERROR;
  impl->nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  impl->nfd = icu::Normalizer2::getNFDInstance(status);
  impl->nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) {
    return absl::InternalError(
        absl::StrCat("ICU normalizer data unavailable: ", u_errorName(status)));
  }
  if (!LocalStemmer().ok()) {
    return absl::InternalError("libstemmer has no \"english\" stemmer");
  }
  // Precompute the folding of every code point below U+0250 with the ICU
  // path, so Latin text never needs ICU at analysis time. Folding is per
  // code point there: the results are base letters (marks stripped), which
  // cannot compose with each other.
  for (int32_t cp = 0; cp < Impl::kLatinEnd; ++cp) {
    Impl::LatinFold& entry = impl->latin[cp];
    entry.len = Impl::kNotTabled;
    if (cp < 0x80) continue;  // ASCII has its own table
    icu::UnicodeString one(static_cast<UChar32>(cp));
    std::string utf8;
    one.toUTF8String(utf8);
    std::string folded;
    impl->FoldSlow(utf8, &folded);
    bool plain = folded.size() <= sizeof(entry.bytes);
    for (const char c : folded) {
      // Results made of combining marks could interact with neighbours.
      if (static_cast<uint8_t>(c) == 0xCC || static_cast<uint8_t>(c) == 0xCD) {
        plain = false;
      }
    }
    if (!plain) continue;
    std::memcpy(entry.bytes, folded.data(), folded.size());
    entry.len = static_cast<uint8_t>(folded.size());
  }
  return std::unique_ptr<Analyzer>(new Analyzer(std::move(impl)));
}

Analyzer::Analyzer(std::unique_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Analyzer::~Analyzer() = default;

void Analyzer::Analyze(absl::string_view utf8, std::vector<Token>* out) const {
  if (utf8.size() > std::numeric_limits<uint32_t>::max()) {
    utf8 = utf8.substr(0, std::numeric_limits<uint32_t>::max());
  }
  Tokenizer(*impl_, utf8, /*stem=*/true, out).Run();
}

void Analyzer::AnalyzeUnstemmed(absl::string_view utf8,
                                std::vector<Token>* out) const {
  if (utf8.size() > std::numeric_limits<uint32_t>::max()) {
    utf8 = utf8.substr(0, std::numeric_limits<uint32_t>::max());
  }
  Tokenizer(*impl_, utf8, /*stem=*/false, out).Run();
}

std::string Analyzer::FoldTerm(absl::string_view word) const {
  std::string out;
  impl_->Fold(word, &out);
  return out;
}

std::string Analyzer::Stem(absl::string_view folded) const {
  std::string out;
  StemInto(folded, &out);
  return out;
}

}  // namespace reel::text
