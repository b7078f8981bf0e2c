#include "search-service/text/edit_distance.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "search-service/text/utf8.h"

namespace reel::text {
namespace {

using CodePoints = absl::InlinedVector<int32_t, 32>;

bool IsAscii(absl::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Ill-formed subparts (1 to 3 bytes) decode to values above U+10FFFF that
// encode their bytes, so decoding is one-to-one and AppendUtf8 restores
// the original bytes.
constexpr int32_t kIllFormedBase = 0x110000;

int32_t DecodeOne(const uint8_t* p, size_t n, size_t i, int* len) {
  const int32_t cp = DecodeUtf8(p, n, i, len);
  if (cp >= 0) return cp;
  int32_t bytes = 0;
  for (int b = 0; b < *len; ++b) bytes = (bytes << 8) | p[i + b];
  return kIllFormedBase + ((*len << 24) | bytes);
}

// Appends the code points of `s`.
void Decode(absl::string_view s, CodePoints* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    int len;
    out->push_back(DecodeOne(p, n, i, &len));
    i += len;
  }
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

// Depth-first walk of the trie implied by the sorted dictionary: a node is
// a prefix p (path_) with the index range of the terms that start with it.
// rows_ holds one DP row per depth: row d, cell j = distance between the
// first d code points of p and query[0, j).
//
// A node whose row minimum exceeds k is dead with all its descendants (the
// minimum never decreases along a path: a transposition reads row d-1, but
// row d already holds a value no larger). At a node whose minimum is exactly
// k, the budget is spent: the only matches below it are a few exact
// continuations, looked up by binary search, and every other subtree is
// skipped unseen (the "seek" of a Levenshtein automaton). Only nodes with
// minimum < k enumerate their children.
//
// TermAt: a callable size_t -> absl::string_view (templated so the common
// vector case inlines).
template <typename TermAt>
class FuzzyWalker {
 public:
  FuzzyWalker(absl::string_view query, int max_edits, size_t num_terms,
              TermAt term_at)
      : k_(std::max(0, max_edits)), num_terms_(num_terms), term_at_(term_at) {
    Decode(query, &query_);
    width_ = query_.size() + 1;
    // UTF-8 of every query suffix: suffix j is query_utf8_[suffix_at_[j]...].
    for (const int32_t c : query_) {
      suffix_at_.push_back(query_utf8_.size());
      AppendUtf8(c, &query_utf8_);
    }
    suffix_at_.push_back(query_utf8_.size());
    rows_.resize(width_);
    for (size_t j = 0; j < width_; ++j) {
      rows_[j] = std::min(static_cast<int>(j), k_ + 1);
    }
  }

  std::vector<FuzzyMatch> Run() {
    Visit(0, num_terms_, 0);
    // Tail look-ups can find a term twice (repeated query letters) and out
    // of dictionary order.
    std::sort(matches_.begin(), matches_.end(),
              [](const FuzzyMatch& a, const FuzzyMatch& b) {
                return a.index < b.index;
              });
    matches_.erase(std::unique(matches_.begin(), matches_.end()),
                   matches_.end());
    return std::move(matches_);
  }

 private:
  // Compares the bytes of term i after the current prefix with `key`, as a
  // prefix: 0 if they start with key, else the sign of the comparison.
  int CompareAfterPrefix(size_t i, absl::string_view key) const {
    const absl::string_view term = term_at_(i);
    const size_t skip = std::min(term.size(), prefix_.size());
    const size_t rest = term.size() - skip;
    const auto* a = reinterpret_cast<const uint8_t*>(term.data()) + skip;
    const auto* b = reinterpret_cast<const uint8_t*>(key.data());
    const size_t n = std::min(rest, key.size());
    for (size_t i = 0; i < n; ++i) {  // keys are short: no memcmp call
      if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return rest < key.size() ? -1 : 0;
  }

  // First index in [lo, hi) whose term (after the prefix) is not below key
  // (want_greater = false) or is above it as a prefix (want_greater = true).
  // Gallops from lo: child ranges are usually short.
  size_t Search(size_t lo, size_t hi, absl::string_view key,
                bool want_greater) const {
    auto before = [&](size_t i) {
      const int c = CompareAfterPrefix(i, key);
      return want_greater ? c <= 0 : c < 0;
    };
    size_t step = 1;
    size_t base = lo;
    while (base + step < hi && before(base + step)) {
      base += step;
      step *= 2;
    }
    // The answer is in [base, min(hi, base + step)].
    size_t left = base, right = std::min(hi, base + step);
    while (left < right) {
      const size_t mid = left + (right - left) / 2;
      if (before(mid)) {
        left = mid + 1;
      } else {
        right = mid;
      }
    }
    return left;
  }

  // First index in [lo, hi) whose byte after the prefix is above `byte`,
  // given that term lo has `byte` there and every term is longer than the
  // prefix. Gallops from lo: child ranges are usually short.
  size_t EndOfByte(size_t lo, size_t hi, uint8_t byte) const {
    const size_t at = prefix_.size();
    auto within = [&](size_t i) {
      return static_cast<uint8_t>(term_at_(i)[at]) <= byte;
    };
    size_t step = 1;
    size_t base = lo;  // within(base)
    while (base + step < hi && within(base + step)) {
      base += step;
      step *= 2;
    }
    size_t left = base + 1, right = std::min(hi, base + step);
    while (left < right) {
      const size_t mid = left + (right - left) / 2;
      if (within(mid)) {
        left = mid + 1;
      } else {
        right = mid;
      }
    }
    return left;
  }

  // Computes the row for path_ + c at depth d + 1; returns its minimum.
  int ComputeRow(size_t d, int32_t c) {
    rows_.resize((d + 2) * width_);
    const int inf = k_ + 1;
    const int* prev = &rows_[d * width_];
    const int* prev2 = d >= 1 ? &rows_[(d - 1) * width_] : nullptr;
    int* cur = &rows_[(d + 1) * width_];
    cur[0] = std::min(static_cast<int>(d + 1), inf);
    int row_min = cur[0];
    for (size_t j = 1; j < width_; ++j) {
      int v = prev[j - 1] + (c != query_[j - 1] ? 1 : 0);
      v = std::min(v, prev[j] + 1);
      v = std::min(v, cur[j - 1] + 1);
      if (prev2 != nullptr && j > 1 && c == query_[j - 2] &&
          path_[d - 1] == query_[j - 1]) {
        v = std::min(v, prev2[j - 2] + 1);
      }
      v = std::min(v, inf);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    return row_min;
  }

  // Visits the child path_ + c whose terms are [lo, hi) (non-empty).
  void VisitChild(size_t d, int32_t c, size_t lo, size_t hi) {
    if (ComputeRow(d, c) > k_) return;
    const size_t prefix_size = prefix_.size();
    path_.push_back(c);
    AppendUtf8(c, &prefix_);
    Visit(lo, hi, d + 1);
    path_.pop_back();
    prefix_.resize(prefix_size);
  }

  // The only code point a child of the node at depth d may have under the
  // first-letter rule, or -1 for any: below a first letter that is the
  // query's second (not its first), only the query's first may follow.
  int32_t FirstLetterRule(size_t d) const {
    if (d == 1 && query_.size() >= 2 && path_[0] != query_[0]) {
      return query_[0];
    }
    return -1;
  }

  // Visits the children of the node at depth d, whose terms are [lo, hi)
  // (none equal to the prefix); only the child `only` unless it is -1.
  void EnumerateChildren(size_t d, size_t lo, size_t hi, int32_t only) {
    std::string key;
    while (lo < hi) {
      const absl::string_view term = term_at_(lo);
      const auto* p = reinterpret_cast<const uint8_t*>(term.data());
      int len;
      const int32_t c = DecodeOne(p, term.size(), prefix_.size(), &len);
      size_t end;
      if (c < 0x80) {
        // One byte: the child's terms are those with that byte right after
        // the prefix (every term here is longer than the prefix).
        end = EndOfByte(lo, hi, static_cast<uint8_t>(c));
      } else {
        key.assign(term.data() + prefix_.size(), len);
        end = Search(lo, hi, key, /*want_greater=*/true);
      }
      if (only < 0 || c == only) VisitChild(d, c, lo, end);
      lo = end;
    }
  }

  // Visits the child c of the node at depth d: the terms whose bytes after
  // the prefix start with c's are found by binary search, then enumerated
  // (an ill-formed c's bytes can begin a longer, well-formed code point).
  void VisitChildrenIn(size_t d, size_t lo, size_t hi, int32_t c) {
    std::string key;
    AppendUtf8(c, &key);
    const size_t begin = Search(lo, hi, key, /*want_greater=*/false);
    const size_t end = Search(begin, hi, key, /*want_greater=*/true);
    EnumerateChildren(d, begin, end, c);
  }

  // Node path_ (depth d, row d alive) holding terms [lo, hi).
  void Visit(size_t lo, size_t hi, size_t d) {
    const int* row = &rows_[d * width_];
    // The first letter is not a typo, unless swapped with the second: at the
    // root only the query's first two letters lead anywhere, and below the
    // second one only the first (so that letter alone is no match either).
    const int32_t first_only = FirstLetterRule(d);
    // Terms equal to the prefix sort first.
    while (lo < hi && term_at_(lo).size() == prefix_.size()) {
      if (row[width_ - 1] <= k_ && first_only < 0) {
        matches_.push_back({lo, row[width_ - 1]});
      }
      ++lo;
    }
    if (lo >= hi) return;
    const int row_min = *std::min_element(row, row + width_);
    if (row_min < k_) {
      if (d == 0 && query_.size() >= 1) {
        VisitChildrenIn(d, lo, hi, query_[0]);
        if (query_.size() >= 2 && query_[1] != query_[0]) {
          VisitChildrenIn(d, lo, hi, query_[1]);
        }
      } else if (first_only >= 0) {
        VisitChildrenIn(d, lo, hi, first_only);
      } else {
        EnumerateChildren(d, lo, hi, /*only=*/-1);
      }
      return;
    }
    // row_min == k_: the edit budget is spent, so every match below this
    // node is the prefix followed by an exact copy of the rest of the query
    // from a cell j with row[j] == k_, or by one transposition completed
    // right here (row d-1 may still be below k_) and then an exact copy. No
    // later transposition is possible: it would read a row whose minimum is
    // already k_. So look those few terms up instead of walking.
    absl::InlinedVector<std::string, 8> tails;
    for (size_t j = 0; j + 1 < width_; ++j) {
      if (first_only >= 0 && query_[j] != first_only) continue;
      if (row[j] <= k_) tails.emplace_back(query_utf8_, suffix_at_[j]);
    }
    for (size_t j = 2; d >= 1 && j < width_; ++j) {
      if (first_only >= 0 && query_[j - 2] != first_only) continue;
      if (path_[d - 1] == query_[j - 1] &&
          rows_[(d - 1) * width_ + j - 2] + 1 <= k_) {
        std::string& tail = tails.emplace_back();
        AppendUtf8(query_[j - 2], &tail);
        tail.append(query_utf8_, suffix_at_[j]);
      }
    }
    if (hi - lo <= 8 * tails.size()) {
      // A short range: comparing each term is cheaper than searching.
      for (size_t i = lo; i < hi; ++i) {
        for (const std::string& tail : tails) {
          if (term_at_(i).size() == prefix_.size() + tail.size() &&
              CompareAfterPrefix(i, tail) == 0) {
            matches_.push_back({i, k_});
            break;
          }
        }
      }
      return;
    }
    for (const std::string& tail : tails) FindExact(lo, hi, tail, k_);
  }

  // Records the terms in [lo, hi) equal to prefix_ + tail.
  void FindExact(size_t lo, size_t hi, absl::string_view tail, int distance) {
    for (size_t i = Search(lo, hi, tail, /*want_greater=*/false); i < hi; ++i) {
      const absl::string_view term = term_at_(i);
      if (term.size() != prefix_.size() + tail.size() ||
          CompareAfterPrefix(i, tail) != 0) {
        break;
      }
      matches_.push_back({i, distance});
    }
  }

  const int k_;
  const size_t num_terms_;
  const TermAt term_at_;
  CodePoints query_;
  std::string query_utf8_;
  absl::InlinedVector<size_t, 32> suffix_at_;
  size_t width_ = 0;
  CodePoints path_;     // code points of the current prefix
  std::string prefix_;  // its UTF-8 bytes
  std::vector<int> rows_;
  std::vector<FuzzyMatch> matches_;
};

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

std::vector<FuzzyMatch> FuzzyLookup(
    absl::string_view query, int max_edits, size_t num_terms,
    absl::FunctionRef<absl::string_view(size_t)> term_at) {
  return FuzzyWalker<absl::FunctionRef<absl::string_view(size_t)>>(
             query, max_edits, num_terms, term_at)
      .Run();
}

std::vector<FuzzyMatch> FuzzyLookup(
    absl::string_view query, int max_edits,
    absl::Span<const std::string> sorted_terms) {
  const auto term_at = [sorted_terms](size_t i) -> absl::string_view {
    return sorted_terms[i];
  };
  return FuzzyWalker<decltype(term_at)>(query, max_edits, sorted_terms.size(),
                                        term_at)
      .Run();
}

}  // namespace reel::text
