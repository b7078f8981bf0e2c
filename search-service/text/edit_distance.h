// Typo tolerance: bounded Damerau-Levenshtein distance on folded terms and
// an exact fuzzy lookup in a sorted term dictionary.
//
// The distance is the "optimal string alignment" (restricted) Damerau-
// Levenshtein distance: insertion, deletion, substitution and transposition
// of two ADJACENT code points each cost 1, and no substring is edited twice
// ("ca" -> "abc" is 3, not 2). That is what search engines mean by a typo.
// Strings are compared as Unicode code points (an "é" is one edit, not two
// bytes); each ill-formed UTF-8 subpart counts as one code point, equal
// only to the same bytes.
// Pass folded terms (Token::term) so case and accents are not typos.
//
// All functions are thread-safe (no shared state).
#ifndef REEL_SEARCH_SERVICE_TEXT_EDIT_DISTANCE_H_
#define REEL_SEARCH_SERVICE_TEXT_EDIT_DISTANCE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace reel::text {

// The distance between `a` and `b` if it is <= max_edits, else
// max_edits + 1. Banded dynamic programme: O(max_edits * length) time, exits
// as soon as a whole row exceeds max_edits; ASCII strings skip decoding.
// max_edits < 0 is treated as 0.
int BoundedEditDistance(absl::string_view a, absl::string_view b,
                        int max_edits);

// BoundedEditDistance(a, b, max_edits) <= max_edits.
// WithinEditDistance("ballerna", "ballerina", 1) and
// WithinEditDistance("lermontof", "lermontov", 1) are true, as is
// WithinEditDistance("dacne", "dance", 1) (one transposition).
bool WithinEditDistance(absl::string_view a, absl::string_view b,
                        int max_edits);

// Typos allowed for a query term, by its code-point length: 0 below 5,
// 1 for 5 to 8, 2 above 8.
int MaxTyposFor(absl::string_view term);

struct FuzzyMatch {
  size_t index;  // into the dictionary
  int distance;  // 0..max_edits

  bool operator==(const FuzzyMatch&) const = default;
};

// All dictionary terms within `max_edits` of `query` whose first letter is
// the query's, or whose first two letters are the query's first two swapped,
// in dictionary order, exactly (no heuristic misses). People rarely mistype
// the first letter, and fixing it keeps the walk to one branch of the trie
// instead of all of them (the same rule as a prefix length of 1 in other
// engines, with the first transposition still forgiven). An empty query or
// term is exempt from the rule. The dictionary must be sorted by byte
// order (std::string's operator<), which for UTF-8 is code-point order;
// duplicates are allowed. Terms must be well-formed UTF-8 (Analyzer output
// always is); an ill-formed term never crashes the walk but may be missed.
// The query may be anything. The walk treats the sorted array as a trie: DP
// rows are shared along common prefixes, and once a prefix's row exceeds
// max_edits every term with that prefix is skipped with a binary search.
// Cost is roughly proportional to the number of prefixes within max_edits
// of some prefix of the query, not to the dictionary size.
std::vector<FuzzyMatch> FuzzyLookup(absl::string_view query, int max_edits,
                                    absl::Span<const std::string> sorted_terms);

// One term, by FuzzyLookup's rules: the distance if it is within max_edits
// and the first-letter rule holds, else -1. For a few unsorted or
// non-indexable terms (a small buffer of recent words, say).
int FuzzyDistance(absl::string_view query, absl::string_view term,
                  int max_edits);

// The byte prefixes a term must start with to pass the first-letter rule
// against `query`: its first code point, and its first two swapped (one
// prefix when they are equal or the query has one; none when it is empty,
// where every term passes). Lets a sorted container be scanned by range.
std::vector<std::string> FuzzyPrefixes(absl::string_view query);

// Same, over any random-access sorted dictionary: `term_at(i)` for
// i in [0, num_terms) must return the i-th term; the returned view need only
// stay valid until the next call.
std::vector<FuzzyMatch> FuzzyLookup(
    absl::string_view query, int max_edits, size_t num_terms,
    absl::FunctionRef<absl::string_view(size_t)> term_at);

}  // namespace reel::text

#endif  // REEL_SEARCH_SERVICE_TEXT_EDIT_DISTANCE_H_
