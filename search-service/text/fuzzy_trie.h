// FuzzyTrie: every dictionary term within a few typos of a query word,
// exactly (no heuristic misses), by one walk of a code-point trie.
//
// Distances are those of edit_distance.h (optimal string alignment on code
// points). The first letter is not a typo unless it is swapped with the
// second: a term must start with the query's first code point, or with its
// first two swapped. People rarely mistype the first letter, and keeping it
// confines the walk to one branch of the trie, as a prefix length of 1 does
// in other engines. An empty query or term is exempt from the rule.
//
// The trie is built once from a sorted term array and is immutable after:
// Lookup is thread-safe. Its nodes are one array in preorder, so a node's
// children follow it and a walk reads memory forwards. Cost is proportional
// to the number of trie prefixes within max_edits of some prefix of the
// query, not to the dictionary's size.
#ifndef REEL_SEARCH_SERVICE_TEXT_FUZZY_TRIE_H_
#define REEL_SEARCH_SERVICE_TEXT_FUZZY_TRIE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace reel::text {

struct FuzzyMatch {
  size_t index;  // into the dictionary the trie was built from
  int distance;  // 0..max_edits

  bool operator==(const FuzzyMatch&) const = default;
};

class FuzzyTrie {
 public:
  // An empty dictionary.
  FuzzyTrie();
  // `sorted_terms` must be sorted by byte order (std::string's operator<,
  // code-point order for UTF-8); duplicates are allowed. Terms should be
  // well-formed UTF-8 (Analyzer output always is): an ill-formed term never
  // crashes a lookup but may be missed. The trie keeps indices, not the
  // terms.
  explicit FuzzyTrie(absl::Span<const std::string> sorted_terms);
  // The same, with the terms given by position: term(0) ... term(count - 1).
  FuzzyTrie(size_t count, absl::FunctionRef<absl::string_view(size_t)> term);

  // The terms within `max_edits` (< 0 counts as 0) of `query` that pass the
  // first-letter rule, in dictionary order. The query may be anything.
  std::vector<FuzzyMatch> Lookup(absl::string_view query, int max_edits) const;

  // Bytes held, for index statistics.
  size_t memory_bytes() const;

 private:
  struct Node {
    int32_t label;        // The code point leading here (root: unused).
    uint32_t next;        // One past this node's subtree.
    uint32_t first_term;  // The first term index at or below this node.
  };
  // Preorder, then a sentinel whose first_term is the dictionary's size: a
  // node's own terms are [first_term, the next node's first_term).
  std::vector<Node> nodes_;

  class Walker;
};

}  // namespace reel::text

#endif  // REEL_SEARCH_SERVICE_TEXT_FUZZY_TRIE_H_
