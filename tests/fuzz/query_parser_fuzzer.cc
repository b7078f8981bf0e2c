// Fuzzes ParseQuery (search-service/query/query.h) and runs every query that
// parses against a small index. The first byte's low bit is
// typos_in_phrases; the rest is the query. Invariants beyond "no crash":
//  - a rejected query is INVALID_ARGUMENT naming the field ("query: ...");
//  - an accepted query is within kMaxQueryBytes and kMaxQueryTerms, has a
//    positive clause, no empty clause, and field sets within kAllFields;
//  - parsing is deterministic;
//  - the index answers it without crashing, with at most max_results hits,
//    ranked best first, inside their films, and the same answer twice.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "search-service/query/query.h"
#include "tests/fuzz/fuzz_checks.h"
#include "tests/fuzz/fuzz_index.h"

namespace reel::fuzz {
namespace {

void FuzzQuery(absl::string_view query, bool typos_in_phrases) {
  const SearchFixture& fixture = Fixture();
  absl::StatusOr<search::ParsedQuery> parsed =
      search::ParseQuery(query, *fixture.analyzer, typos_in_phrases);
  if (!parsed.ok()) {
    CheckNamedError(parsed.status(), {"query: "});
    return;
  }
  Check(query.size() <= search::kMaxQueryBytes, "an oversized query parsed");
  Check(!parsed->clauses.empty(), "a parsed query has no clause");
  size_t terms = 0;
  bool positive = false;
  for (const search::Clause& clause : parsed->clauses) {
    Check(!clause.terms.empty(), "a clause has no term");
    Check(clause.fields != 0 && clause.fields <= search::kAllFields,
          "a clause has no field or an unknown one");
    Check(clause.phrase || clause.terms.size() == 1,
          "a clause that is not a phrase has several terms");
    positive |= !clause.excluded;
    terms += clause.terms.size();
    for (const search::QueryTerm& term : clause.terms) {
      Check(!term.folded.empty(), "a term is empty");
      Check(term.max_typos >= 0 && term.max_typos <= 2,
            "a term allows an unexpected number of typos");
    }
  }
  Check(positive, "a query of only exclusions parsed");
  Check(terms <= static_cast<size_t>(search::kMaxQueryTerms),
        "a query over the term limit parsed");
  Check(parsed->required_clause_count() >= 0 &&
            parsed->required_clause_count() <=
                static_cast<int>(parsed->clauses.size()),
        "required_clause_count is out of range");

  absl::StatusOr<search::ParsedQuery> again =
      search::ParseQuery(query, *fixture.analyzer, typos_in_phrases);
  Check(again.ok() && again->clauses.size() == parsed->clauses.size(),
        "parsing the same query twice differs");

  search::SearchOptions options;
  options.max_results = 3;
  const search::SearchResult result = fixture.index->Search(*parsed, options);
  CheckResult(result, options);
  const search::SearchResult repeat = fixture.index->Search(*parsed, options);
  Check(repeat.total_matches == result.total_matches &&
            repeat.hits.size() == result.hits.size(),
        "the same search twice differs");
}

}  // namespace
}  // namespace reel::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = reel::fuzz::SilenceProtobufLogs();
  (void)quiet;
  if (size == 0) return 0;
  reel::fuzz::FuzzQuery(
      absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1),
      (data[0] & 1) != 0);
  return 0;
}
