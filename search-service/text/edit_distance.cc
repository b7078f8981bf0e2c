#include "search-service/text/edit_distance.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "search-service/text/code_points.h"
#include "search-service/text/utf8.h"

namespace reel::text {
namespace {

bool IsAscii(absl::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Banded optimal-string-alignment distance, capped at k + 1. Only cells with
// |i - j| <= k are computed; the cell just right of each row's band is set
// to k + 1, so reads from the previous rows never see stale values.
template <typename C>
int BoundedOsa(const C* a, int n, const C* b, int m, int k) {
  const int inf = k + 1;
  if (std::abs(n - m) > k) return inf;
  if (n == 0 || m == 0) return std::max(n, m);  // <= k here
  absl::InlinedVector<int, 3 * 40> buf(3 * (m + 1), inf);
  int* prev2 = buf.data();
  int* prev = prev2 + (m + 1);
  int* cur = prev + (m + 1);
  for (int j = 0; j <= std::min(m, k); ++j) prev[j] = j;
  for (int i = 1; i <= n; ++i) {
    const int lo = std::max(1, i - k);
    const int hi = std::min(m, i + k);
    cur[lo - 1] = (lo == 1 && i <= k) ? i : inf;
    int row_min = cur[lo - 1];
    const C ai = a[i - 1];
    for (int j = lo; j <= hi; ++j) {
      int v = prev[j - 1] + (ai != b[j - 1] ? 1 : 0);
      v = std::min(v, prev[j] + 1);
      v = std::min(v, cur[j - 1] + 1);
      if (i > 1 && j > 1 && ai == b[j - 2] && a[i - 2] == b[j - 1]) {
        v = std::min(v, prev2[j - 2] + 1);
      }
      v = std::min(v, inf);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (hi < m) cur[hi + 1] = inf;
    if (row_min > k) return inf;
    int* const recycled = prev2;
    prev2 = prev;
    prev = cur;
    cur = recycled;
  }
  return std::min(prev[m], inf);
}

// Appends the UTF-8 encoding of `c`, a value from DecodeOne.
void AppendUtf8(int32_t c, std::string* out) {
  if (c >= kIllFormedBase) {
    const int32_t v = c - kIllFormedBase;
    for (int b = (v >> 24) - 1; b >= 0; --b) {
      out->push_back(static_cast<char>((v >> (8 * b)) & 0xFF));
    }
  } else if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace

int BoundedEditDistance(absl::string_view a, absl::string_view b,
                        int max_edits) {
  const int k = std::max(0, max_edits);
  if (IsAscii(a) && IsAscii(b)) {
    return BoundedOsa(reinterpret_cast<const uint8_t*>(a.data()),
                      static_cast<int>(a.size()),
                      reinterpret_cast<const uint8_t*>(b.data()),
                      static_cast<int>(b.size()), k);
  }
  CodePoints ca, cb;
  Decode(a, &ca);
  Decode(b, &cb);
  return BoundedOsa(ca.data(), static_cast<int>(ca.size()), cb.data(),
                    static_cast<int>(cb.size()), k);
}

bool WithinEditDistance(absl::string_view a, absl::string_view b,
                        int max_edits) {
  return BoundedEditDistance(a, b, max_edits) <= std::max(0, max_edits);
}

int MaxTyposFor(absl::string_view term) {
  const size_t length = CountCodePoints(term);
  if (length < 5) return 0;
  if (length <= 8) return 1;
  return 2;
}

int FuzzyDistance(absl::string_view query, absl::string_view term,
                  int max_edits) {
  if (!query.empty() && !term.empty()) {
    // The first-letter rule, on code points as the walk compares them.
    const auto* q = reinterpret_cast<const uint8_t*>(query.data());
    const auto* t = reinterpret_cast<const uint8_t*>(term.data());
    int q_len, t_len;
    const int32_t q0 = DecodeOne(q, query.size(), 0, &q_len);
    const int32_t t0 = DecodeOne(t, term.size(), 0, &t_len);
    if (t0 != q0) {
      if (static_cast<size_t>(q_len) >= query.size() ||
          static_cast<size_t>(t_len) >= term.size()) {
        return -1;
      }
      int unused;
      const int32_t q1 = DecodeOne(q, query.size(), q_len, &unused);
      const int32_t t1 = DecodeOne(t, term.size(), t_len, &unused);
      if (t0 != q1 || t1 != q0) return -1;
    }
  }
  const int distance = BoundedEditDistance(query, term, max_edits);
  return distance <= std::max(0, max_edits) ? distance : -1;
}

std::vector<std::string> FuzzyPrefixes(absl::string_view query) {
  CodePoints q;
  Decode(query.substr(0, std::min<size_t>(query.size(), 8)), &q);
  std::vector<std::string> prefixes;
  if (q.empty()) return prefixes;
  AppendUtf8(q[0], &prefixes.emplace_back());
  if (q.size() >= 2 && q[1] != q[0]) {
    std::string& swapped = prefixes.emplace_back();
    AppendUtf8(q[1], &swapped);
    AppendUtf8(q[0], &swapped);
  }
  return prefixes;
}

}  // namespace reel::text
