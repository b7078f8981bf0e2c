#include "search-service/text/utf8.h"

#include <cstring>

namespace reel::text {

uint32_t Utf16OffsetMapper::ToUtf16(size_t byte_offset) {
  const size_t n = text_.size();
  if (byte_offset > n) byte_offset = n;
  if (byte_offset < byte_) {
    byte_ = 0;
    utf16_ = 0;
  }
  const auto* s = reinterpret_cast<const uint8_t*>(text_.data());
  while (byte_ < byte_offset) {
    // Skip eight ASCII bytes at a time.
    while (byte_ + 8 <= byte_offset) {
      uint64_t word;
      std::memcpy(&word, s + byte_, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      byte_ += 8;
      utf16_ += 8;
    }
    if (byte_ >= byte_offset) break;
    int len;
    const int32_t cp = DecodeUtf8(s, n, byte_, &len);
    if (byte_ + len > byte_offset) break;  // target inside this sequence
    byte_ += len;
    utf16_ += cp > 0xFFFF ? 2 : 1;
  }
  return utf16_;
}

size_t CountCodePoints(absl::string_view utf8) {
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const size_t n = utf8.size();
  size_t count = 0;
  for (size_t i = 0; i < n;) {
    if (s[i] < 0x80) {
      ++i;
    } else {
      int len;
      DecodeUtf8(s, n, i, &len);
      i += len;
    }
    ++count;
  }
  return count;
}

}  // namespace reel::text
