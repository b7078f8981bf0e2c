// The parsed form of a SearchScenes query, and its parser.
//
// Syntax (documented for users in proto/reel/search/v1/search.proto):
//   word           a term; its stem matches ("dances" finds "dancing")
//   "a phrase"     consecutive terms in one field
//   word*          every term that starts with "word"
//   -word -"a b"   exclude scenes that match
//   field:word     restrict to a field: title, description, context, film,
//   field:"a b"    synopsis
// The last bare word of a query that does not end in a space also matches as
// a prefix (search-as-you-type). A word that the index does not hold as
// typed matches with one typo when it has 5-8 letters, two when longer (the
// first letter is not a typo unless swapped with the second); quoted phrases
// allow none unless asked.
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

struct QueryTerm {
  std::string folded;   // Case- and accent-folded word, e.g. "ballerina".
  std::string stem;     // Its stem, e.g. "ballerina".
  bool prefix = false;  // Also match terms that start with `folded`.
  int max_typos = 0;    // Edits allowed when matching `folded`.
  bool stop_word = false;
};

struct Clause {
  std::vector<QueryTerm> terms;  // One term, or a phrase's terms in order.
  bool phrase = false;
  bool excluded = false;
  uint8_t fields = kAllFields;  // Bit i set: Field i may match.
};

struct ParsedQuery {
  std::vector<Clause> clauses;
  // Positive clauses that are not only stop words: a scene matching all of
  // them ranks above scenes matching fewer.
  int required_clause_count() const;
};

// Parses `query`. INVALID_ARGUMENT ("query: ... at byte N") for an empty
// query, unbalanced quote, unknown field, dangling '-' or ':', too many bytes
// or terms, or a query with only excluded clauses.
absl::StatusOr<ParsedQuery> ParseQuery(absl::string_view query,
                                       const text::Analyzer& analyzer,
                                       bool typos_in_phrases = false);

// The field a scope name selects ("title", "description", "context", "film",
// "synopsis"), or -1.
int FieldFromScope(absl::string_view scope);

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_QUERY_QUERY_H_
