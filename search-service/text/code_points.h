// Code points as the typo layer compares them: well-formed UTF-8 decodes to
// its scalar values, and each ill-formed subpart to one value above
// U+10FFFF that encodes its bytes, so decoding is one-to-one and an
// ill-formed piece equals only the same bytes. Internal to reel_text.
#ifndef REEL_SEARCH_SERVICE_TEXT_CODE_POINTS_H_
#define REEL_SEARCH_SERVICE_TEXT_CODE_POINTS_H_

#include <cstddef>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "search-service/text/utf8.h"

namespace reel::text {

using CodePoints = absl::InlinedVector<int32_t, 32>;

// The first value an ill-formed subpart decodes to.
inline constexpr int32_t kIllFormedBase = 0x110000;

// The code point at p[i] (i < n), its byte length in *len.
inline int32_t DecodeOne(const uint8_t* p, size_t n, size_t i, int* len) {
  const int32_t cp = DecodeUtf8(p, n, i, len);
  if (cp >= 0) return cp;
  int32_t bytes = 0;
  for (int b = 0; b < *len; ++b) bytes = (bytes << 8) | p[i + b];
  return kIllFormedBase + ((*len << 24) | bytes);
}

// Appends the code points of `s` to *out.
inline void Decode(absl::string_view s, CodePoints* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    int len;
    out->push_back(DecodeOne(p, n, i, &len));
    i += len;
  }
}

}  // namespace reel::text

#endif  // REEL_SEARCH_SERVICE_TEXT_CODE_POINTS_H_
