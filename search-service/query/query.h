// The parsed form of a SearchScenes query, and its parser.
//
// Syntax (documented for users in proto/reel/search/v1/search.proto):
//   word           a term; its stem matches ("dances" finds "dancing")
//   "a phrase"     consecutive terms in one field
//   "a phrase"~N   the phrase's terms in one field, at most N position moves
//                  apart (Lucene's sloppy phrase; N from 0 to kMaxPhraseSlop)
//   word*          every term that starts with "word" (at least
//                  kMinPrefixLetters letters)
//   a OR b         either a or b: one clause with alternatives; each side is
//                  a word or a phrase, optionally scoped, never excluded.
//                  OR binds tighter than juxtaposition: "red OR blue shoes"
//                  is [red|blue] [shoes]. Lowercase "or" is a word.
//   -word -"a b"   exclude scenes that match
//   field:word     restrict to a field: title, description, context, film,
//   field:"a b"    synopsis
// The last bare word of a query that does not end in a space also matches as
// a prefix when it has 2 letters or more (search-as-you-type), also when it
// is the last alternative of an OR ("red OR blu"). A word that the index
// does not hold as typed matches with one typo when it has 5-8 letters, two
// when longer (the first letter is not a typo unless swapped with the
// second); quoted phrases allow none unless asked.
//
// Other engines' syntax is never reinterpreted: INVALID_ARGUMENT, naming the
// operator and its byte offset, for AND, NOT, &&, | and ||, a leading + or !,
// field:(...) and other grouping parentheses, word^N boosts, [a TO b] and
// {a TO b} ranges, /regex/, fuzzy word~ and word~N, and wildcards (? or *
// before or inside a word). Natural punctuation still works as before: "?"
// or "!" ending a word, apostrophes and hyphens inside words, a parenthesised
// part within one word ("film(s)", "(1938)"), commas and periods.
#ifndef REEL_SEARCH_SERVICE_QUERY_QUERY_H_
#define REEL_SEARCH_SERVICE_QUERY_QUERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "search-service/text/analyzer.h"

namespace reel::search {

// The indexed fields of a scene document.
enum Field : uint8_t {
  kSceneTitle = 0,
  kDescription = 1,
  kContext = 2,
  kFilmTitle = 3,
  kSynopsis = 4,
};
inline constexpr int kFieldCount = 5;
inline constexpr uint8_t kAllFields = (1 << kFieldCount) - 1;

// Limits on a query; beyond them the query is INVALID_ARGUMENT.
inline constexpr size_t kMaxQueryBytes = 1024;
inline constexpr int kMaxQueryTerms = 32;
// A prefix (word*) covers every indexed word it starts; one letter would
// read a large share of the index, so it needs at least this many letters.
// The search-as-you-type prefix of a shorter final word is not added.
inline constexpr int kMinPrefixLetters = 2;

struct QueryTerm {
  std::string folded;   // Case- and accent-folded word, e.g. "ballerina".
  std::string stem;     // Its stem, e.g. "ballerina".
  bool prefix = false;  // Also match terms that start with `folded`.
  int max_typos = 0;    // Edits allowed when matching `folded`.
  bool stop_word = false;
};

struct Clause {
  // One term, or a phrase's terms in order; empty when `alternatives` is set.
  std::vector<QueryTerm> terms;
  bool phrase = false;
  // Phrase slop ("a b"~N): the phrase matches when its terms occur in one
  // field with at most N position moves, Lucene's sloppy-phrase distance: for
  // term i at position p_i, max_i(p_i - i) - min_i(p_i - i) <= N (so "a b"~2
  // also matches "b a"). 0: exact phrase. Only a phrase has slop ("red"~2 is
  // the word red).
  int slop = 0;
  bool excluded = false;
  // Bit i set: Field i may match. For an OR clause, the union of its
  // alternatives' fields (each alternative keeps its own).
  uint8_t fields = kAllFields;
  // OR: the clause matches when any alternative does (each alternative is a
  // plain clause: a word or a phrase, with its own field scope; never
  // excluded, never nested; at least two). It counts as ONE clause for
  // ranking by matched clauses.
  std::vector<Clause> alternatives;
};
// The largest phrase slop; beyond it the query is INVALID_ARGUMENT.
inline constexpr int kMaxPhraseSlop = 16;

// Whether `clause` (or one of its alternatives) has a word that is not a stop
// word.
bool HasContent(const Clause& clause);

struct ParsedQuery {
  std::vector<Clause> clauses;
  // Positive clauses that are not only stop words (an OR clause counts once,
  // when any alternative has content): a scene matching all of them ranks
  // above scenes matching fewer.
  int required_clause_count() const;
};

struct ParseOptions {
  // Allow typos inside quoted phrases too.
  bool typos_in_phrases = false;
  // Accept OR and phrase slop above 0, i.e. produce Clause::alternatives and
  // Clause::slop. Off, both are INVALID_ARGUMENT ("... is not supported
  // yet"), for a searcher that does not evaluate them; their syntax is still
  // checked, and "a b"~0 (an exact phrase) is accepted.
  bool allow_or_and_slop = false;
};

// Parses `query`. INVALID_ARGUMENT ("query: ... at byte N") for an empty
// query, unbalanced quote, unknown field, dangling '-' or ':', misplaced OR,
// bad phrase slop, an unsupported operator of another engine's syntax, too
// many bytes or terms (alternatives' terms count), or a query with only
// excluded clauses.
absl::StatusOr<ParsedQuery> ParseQuery(absl::string_view query,
                                       const text::Analyzer& analyzer,
                                       const ParseOptions& options);
// The same with ParseOptions{.typos_in_phrases = typos_in_phrases}.
absl::StatusOr<ParsedQuery> ParseQuery(absl::string_view query,
                                       const text::Analyzer& analyzer,
                                       bool typos_in_phrases = false);

// The field a scope name selects ("title", "description", "context", "film",
// "synopsis"), or -1.
int FieldFromScope(absl::string_view scope);

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_QUERY_QUERY_H_
