// Validation of a SearchScenesRequest into the engine's terms. Every problem
// is INVALID_ARGUMENT naming the field ("filter.year_min: ...").
#ifndef REEL_SEARCH_SERVICE_API_SEARCH_REQUEST_H_
#define REEL_SEARCH_SERVICE_API_SEARCH_REQUEST_H_

#include "absl/status/statusor.h"
#include "reel/search/v1/search.pb.h"
#include "search-service/api/highlighter.h"
#include "search-service/index/scene_index.h"
#include "search-service/query/query.h"
#include "search-service/text/analyzer.h"

namespace reel::search {

struct ValidatedSearch {
  ParsedQuery query;
  SearchOptions options;
  // Longest highlight snippet, in code points (the request's, or the
  // default for 0).
  int snippet_length = kDefaultSnippetLength;
  // A digest of the fields that decide what matches and in which order
  // (query, filter, field_weights, typos_in_phrases, sort,
  // max_scenes_per_film): a page token only continues the request it came
  // from.
  uint64_t fingerprint = 0;
};

absl::StatusOr<ValidatedSearch> ValidateSearchRequest(
    const reel::search::v1::SearchScenesRequest& request,
    const text::Analyzer& analyzer, int default_max_results,
    int max_results_limit);

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_API_SEARCH_REQUEST_H_
