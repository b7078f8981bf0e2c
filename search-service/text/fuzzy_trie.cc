#include "search-service/text/fuzzy_trie.h"

#include <algorithm>
#include <utility>

#include "search-service/text/code_points.h"

namespace reel::text {

FuzzyTrie::FuzzyTrie() : FuzzyTrie(absl::Span<const std::string>()) {}

FuzzyTrie::FuzzyTrie(absl::Span<const std::string> sorted_terms)
    : FuzzyTrie(sorted_terms.size(),
                [sorted_terms](size_t i) -> absl::string_view {
                  return sorted_terms[i];
                }) {}

FuzzyTrie::FuzzyTrie(size_t count,
                     absl::FunctionRef<absl::string_view(size_t)> term_at) {
  nodes_.push_back({0, 0, 0});  // The root: the empty prefix.
  // Sorted input builds the trie in preorder: each term shares a prefix
  // with the one before, closes the nodes below it, and opens the rest.
  // Shared bytes are found first; only the new tail is decoded.
  std::vector<uint32_t> open = {0};  // The previous term's path.
  std::vector<size_t> ends;          // Its code points' end offsets.
  absl::string_view previous;
  for (size_t i = 0; i < count; ++i) {
    const absl::string_view term = term_at(i);
    const size_t shared_bytes =
        std::mismatch(previous.begin(),
                      previous.begin() + std::min(previous.size(), term.size()),
                      term.begin())
            .first -
        previous.begin();
    size_t common =
        std::upper_bound(ends.begin(), ends.end(), shared_bytes) - ends.begin();
    // An ill-formed piece may end where it does because of the byte after
    // it, which differs here: decode it again.
    if (common > 0 && nodes_[open[common]].label >= kIllFormedBase) --common;
    while (open.size() > common + 1) {
      nodes_[open.back()].next = static_cast<uint32_t>(nodes_.size());
      open.pop_back();
    }
    ends.resize(common);
    const auto* bytes = reinterpret_cast<const uint8_t*>(term.data());
    for (size_t at = common == 0 ? 0 : ends.back(); at < term.size();) {
      int len;
      const int32_t c = DecodeOne(bytes, term.size(), at, &len);
      at += len;
      ends.push_back(at);
      open.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back({c, 0, static_cast<uint32_t>(i)});
    }
    previous = term;
  }
  while (!open.empty()) {
    nodes_[open.back()].next = static_cast<uint32_t>(nodes_.size());
    open.pop_back();
  }
  nodes_.push_back({0, static_cast<uint32_t>(nodes_.size() + 1),
                    static_cast<uint32_t>(count)});
  nodes_.shrink_to_fit();
}

size_t FuzzyTrie::memory_bytes() const {
  return nodes_.capacity() * sizeof(Node);
}

// Depth-first walk keeping one dynamic-programming row per depth: row d,
// cell j = distance between the first d code points of the path and
// query[0, j). A child whose row minimum exceeds max_edits is dead with its
// whole subtree (the minimum never decreases along a path: a transposition
// reads row d-1, but row d already holds a value no larger).
class FuzzyTrie::Walker {
 public:
  Walker(const std::vector<Node>& nodes, absl::string_view query, int max_edits)
      : nodes_(nodes), k_(std::max(0, max_edits)) {
    Decode(query, &query_);
    width_ = query_.size() + 1;
    rows_.resize(width_);
    for (size_t j = 0; j < width_; ++j) {
      rows_[j] = std::min(static_cast<int>(j), k_ + 1);
    }
  }

  std::vector<FuzzyMatch> Run() {
    Visit(0, 0, 0);
    // Preorder is dictionary order, unless ill-formed terms broke the
    // byte-order = code-point-order assumption.
    if (!std::is_sorted(matches_.begin(), matches_.end(),
                        [](const FuzzyMatch& a, const FuzzyMatch& b) {
                          return a.index < b.index;
                        })) {
      std::sort(matches_.begin(), matches_.end(),
                [](const FuzzyMatch& a, const FuzzyMatch& b) {
                  return a.index < b.index;
                });
    }
    return std::move(matches_);
  }

 private:
  // The only label a child of the node at depth d may have under the
  // first-letter rule, or -1 for any: below a first letter that is the
  // query's second (not its first), only the query's first may follow.
  int32_t FirstLetterRule(size_t d) const {
    if (d == 1 && query_.size() >= 2 && path_[0] != query_[0]) {
      return query_[0];
    }
    return -1;
  }

  static uint64_t LetterBit(int32_t c) { return uint64_t{1} << (c & 63); }

  // The node at depth d, whose row (minimum row_min) is computed.
  void Visit(uint32_t node, size_t d, int row_min) {
    const int* row = &rows_[d * width_];
    const int32_t only = FirstLetterRule(d);
    const uint32_t first = nodes_[node].first_term;
    const uint32_t own_end = nodes_[node + 1].first_term;
    if (first < own_end && row[width_ - 1] <= k_ && only < 0) {
      for (uint32_t i = first; i < own_end; ++i) {
        matches_.push_back({i, row[width_ - 1]});
      }
    }
    const uint32_t end = nodes_[node].next;
    if (node + 1 == end) return;
    // With the budget spent (row_min == k), a child keeps a cell within it
    // only by matching the query letter after a cell at k. (A transposition
    // it would complete also needs that letter: its source cell in the row
    // above is below k, so the cell beneath it here is at k.) Those letters,
    // hashed into a 64-bit mask, let most children be skipped unrowed.
    uint64_t letters = ~uint64_t{0};
    if (row_min == k_) {
      letters = 0;
      // Only cells in the band |d - j| <= k can be at k.
      const size_t lo = d > static_cast<size_t>(k_) ? d - k_ : 0;
      const size_t hi = std::min(width_ - 2, d + k_);
      for (size_t j = lo; j <= hi && width_ >= 2; ++j) {
        if (row[j] == k_) letters |= LetterBit(query_[j]);
      }
      if (letters == 0) return;
    }
    for (uint32_t child = node + 1; child < end; child = nodes_[child].next) {
      const int32_t c = nodes_[child].label;
      if (d == 0 && !query_.empty()) {
        // At the root only the query's first two letters lead anywhere.
        if (c != query_[0] && (query_.size() < 2 || c != query_[1])) continue;
      } else if (only >= 0 && c != only) {
        continue;
      }
      if ((letters & LetterBit(c)) == 0) continue;
      const int child_min = ComputeRow(d, c);
      if (child_min > k_) continue;
      if (path_.size() <= d) path_.resize(d + 1);
      path_[d] = c;
      Visit(child, d + 1, child_min);
    }
  }

  // Computes the row for the path plus c, at depth i = d + 1; returns its
  // minimum. Only the band |i - j| <= k can hold a value within the budget;
  // the cells just outside it are set to k + 1 and the rest never change
  // from it, so reads from the rows above never see stale values.
  int ComputeRow(size_t d, int32_t c) {
    if (rows_.size() < (d + 2) * width_) {
      rows_.resize((d + 2) * width_, k_ + 1);
    }
    const int inf = k_ + 1;
    const int i = static_cast<int>(d) + 1;
    const int n = static_cast<int>(width_) - 1;
    const int* prev = &rows_[d * width_];
    const int* prev2 = d >= 1 ? &rows_[(d - 1) * width_] : nullptr;
    int* cur = &rows_[(d + 1) * width_];
    const int32_t* query = query_.data();
    const int32_t before = d >= 1 ? path_[d - 1] : -1;
    const int lo = std::max(1, i - k_);
    const int hi = std::min(n, i + k_);
    cur[0] = std::min(i, inf);
    if (lo > 1) cur[lo - 1] = inf;
    int row_min = cur[0];
    for (int j = lo; j <= hi; ++j) {
      int v = prev[j - 1] + (c != query[j - 1] ? 1 : 0);
      v = std::min(v, prev[j] + 1);
      v = std::min(v, cur[j - 1] + 1);
      if (prev2 != nullptr && j > 1 && c == query[j - 2] &&
          before == query[j - 1]) {
        v = std::min(v, prev2[j - 2] + 1);
      }
      v = std::min(v, inf);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (hi < n) cur[hi + 1] = inf;
    return row_min;
  }

  const std::vector<Node>& nodes_;
  const int k_;
  CodePoints query_;
  size_t width_ = 0;
  CodePoints path_;  // The code points leading to the current node.
  std::vector<int> rows_;
  std::vector<FuzzyMatch> matches_;
};

std::vector<FuzzyMatch> FuzzyTrie::Lookup(absl::string_view query,
                                          int max_edits) const {
  return Walker(nodes_, query, max_edits).Run();
}

}  // namespace reel::text
