// Typo tolerance: bounded Damerau-Levenshtein distance on folded terms, and
// the first-letter rule typo lookups keep (see FuzzyTrie in fuzzy_trie.h).
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

#include "absl/strings/string_view.h"

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

// One term, by FuzzyTrie::Lookup's rules: the distance if it is within
// max_edits and the first-letter rule holds (the term starts with the
// query's first code point or its first two swapped), else -1. For a few
// unsorted terms (a small buffer of recent words, say).
int FuzzyDistance(absl::string_view query, absl::string_view term,
                  int max_edits);

// The byte prefixes a term must start with to pass the first-letter rule
// against `query`: its first code point, and its first two swapped (one
// prefix when they are equal or the query has one; none when it is empty,
// where every term passes). Lets a sorted container be scanned by range.
std::vector<std::string> FuzzyPrefixes(absl::string_view query);

}  // namespace reel::text

#endif  // REEL_SEARCH_SERVICE_TEXT_EDIT_DISTANCE_H_
