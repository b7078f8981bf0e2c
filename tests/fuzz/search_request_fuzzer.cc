// Fuzzes ValidateSearchRequest (search-service/api/search_request.h) with
// binary SearchScenesRequest messages, and runs what it accepts against a
// small index. Invariants beyond "no crash":
//  - every error is INVALID_ARGUMENT naming a request field;
//  - an accepted request gives 1..limit results, years that are 0 or in
//    order, finite field weights in 0-100, film filters that are names, a
//    per-film cap in 0-1000 and facet sizes in 0-100;
//  - the index answers it within those options (ranked best first under the
//    relevance order, the cap and facet sizes kept).
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "absl/strings/match.h"
#include "reel/search/v1/search.pb.h"
#include "search-service/api/search_request.h"
#include "tests/fuzz/fuzz_checks.h"
#include "tests/fuzz/fuzz_index.h"

namespace reel::fuzz {
namespace {

constexpr int kDefaultMaxResults = 10;
constexpr int kMaxResultsLimit = 100;

void FuzzRequest(const uint8_t* data, size_t size) {
  search::v1::SearchScenesRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  const SearchFixture& fixture = Fixture();
  absl::StatusOr<search::ValidatedSearch> validated =
      search::ValidateSearchRequest(request, *fixture.analyzer,
                                    kDefaultMaxResults, kMaxResultsLimit);
  if (!validated.ok()) {
    CheckNamedError(validated.status(),
                    {"query: ", "max_results: ", "min_revision: ", "filter.",
                     "field_weights.", "snippet_length: ", "sort: ",
                     "max_scenes_per_film: ", "facets.", "matching: "});
    return;
  }
  const search::SearchOptions& options = validated->options;
  Check(options.max_results >= 1 && options.max_results <= kMaxResultsLimit,
        "accepted max_results is out of range");
  Check(request.max_results() != 0 || options.max_results == kDefaultMaxResults,
        "max_results 0 does not mean the default");
  Check(request.min_revision() >= 0, "a negative min_revision was accepted");
  const search::SearchFilter& filter = options.filter;
  Check(filter.year_min == 0 || filter.year_max == 0 ||
            filter.year_min <= filter.year_max,
        "accepted years are out of order");
  for (const std::string& name : filter.film_names) {
    Check(absl::StartsWith(name, "films/") && name.size() > 6,
          "an accepted film filter is not a film name", name);
  }
  for (double weight : options.ranking.field_weights) {
    Check(std::isfinite(weight) && weight >= 0 && weight <= 100,
          "an accepted field weight is out of range");
  }
  Check(!validated->query.clauses.empty(), "an accepted query has no clause");
  Check(options.max_scenes_per_film >= 0 && options.max_scenes_per_film <= 1000,
        "an accepted max_scenes_per_film is out of range");
  for (int n : {options.facets.genres, options.facets.directors,
                options.facets.years}) {
    Check(n >= 0 && n <= 100, "an accepted facet size is out of range");
  }

  const search::SearchResult result =
      fixture.index->Search(validated->query, options);
  CheckResult(result, options);
}

}  // namespace
}  // namespace reel::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = reel::fuzz::SilenceProtobufLogs();
  (void)quiet;
  reel::fuzz::FuzzRequest(data, size);
  return 0;
}
