// UTF-8 helpers for the text layer: a strict decoder and a byte-offset to
// UTF-16-offset mapper for JavaScript clients (highlight spans).
//
// Ill-formed input never crashes: the decoder reports each "maximal
// subpart" of an ill-formed sequence (Unicode 15 §3.9, the policy of ICU,
// WHATWG's TextDecoder and therefore of browsers) as one error, which a
// client sees as one U+FFFD, i.e. one UTF-16 code unit.
#ifndef REEL_SEARCH_SERVICE_TEXT_UTF8_H_
#define REEL_SEARCH_SERVICE_TEXT_UTF8_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace reel::text {

// Decodes the code point starting at `s[i]` (requires i < n). Returns it and
// sets `*len` to its byte length (1..4); for an ill-formed sequence returns
// -1 and sets `*len` to the length of its maximal subpart (>= 1).
inline int32_t DecodeUtf8(const uint8_t* s, size_t n, size_t i, int* len) {
  const uint8_t b0 = s[i];
  if (b0 < 0x80) {
    *len = 1;
    return b0;
  }
  *len = 1;
  if (b0 < 0xC2 || b0 > 0xF4) return -1;
  if (b0 < 0xE0) {
    if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return -1;
    *len = 2;
    return ((b0 & 0x1F) << 6) | (s[i + 1] & 0x3F);
  }
  // The second byte's valid range excludes overlongs and surrogates.
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 == 0xE0) lo = 0xA0;
  if (b0 == 0xED) hi = 0x9F;
  if (b0 == 0xF0) lo = 0x90;
  if (b0 == 0xF4) hi = 0x8F;
  if (i + 1 >= n || s[i + 1] < lo || s[i + 1] > hi) return -1;
  if (i + 2 >= n || (s[i + 2] & 0xC0) != 0x80) {
    *len = 2;
    return -1;
  }
  if (b0 < 0xF0) {
    *len = 3;
    return ((b0 & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
  }
  if (i + 3 >= n || (s[i + 3] & 0xC0) != 0x80) {
    *len = 3;
    return -1;
  }
  *len = 4;
  return ((b0 & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) |
         ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
}

// Maps UTF-8 byte offsets within one string to UTF-16 code-unit offsets
// (what JavaScript's String indices count). A code point above U+FFFF is two
// units; an ill-formed subpart is one unit (U+FFFD). An offset that falls
// inside a multi-byte sequence maps to the start of that sequence; offsets
// past the end are clamped to the end.
//
// Queries in non-decreasing order cost O(bytes advanced) in total (a cursor
// moves forward, skipping ASCII 8 bytes at a time); a query behind the
// cursor restarts from the beginning. The text must outlive the mapper.
// Not thread-safe (the cursor mutates); use one per thread.
class Utf16OffsetMapper {
 public:
  explicit Utf16OffsetMapper(absl::string_view utf8) : text_(utf8) {}

  uint32_t ToUtf16(size_t byte_offset);

  // Length of the whole text in UTF-16 code units.
  uint32_t Utf16Length() { return ToUtf16(text_.size()); }

 private:
  absl::string_view text_;
  size_t byte_ = 0;     // cursor: a code-point boundary in text_
  uint32_t utf16_ = 0;  // UTF-16 units in text_[0, byte_)
};

// Number of code points in `utf8` (each ill-formed subpart counts as one).
size_t CountCodePoints(absl::string_view utf8);

}  // namespace reel::text

#endif  // REEL_SEARCH_SERVICE_TEXT_UTF8_H_
