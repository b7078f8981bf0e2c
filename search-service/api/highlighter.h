// Turns a ranked SceneHit into the wire SceneHit: names, score, rank, and a
// highlight per field that matched, with the matched words' spans given in
// UTF-8 bytes, UTF-16 code units and code points of the snippet.
//
// Long fields are cut to a window around the first match, on word
// boundaries; short ones are returned whole. Thread-safe.
#ifndef REEL_SEARCH_SERVICE_API_HIGHLIGHTER_H_
#define REEL_SEARCH_SERVICE_API_HIGHLIGHTER_H_

#include "reel/search/v1/search.pb.h"
#include "search-service/index/scene_index.h"
#include "search-service/text/analyzer.h"

namespace reel::search {

// Snippets longer than this (in bytes) are windowed around the first match.
inline constexpr size_t kMaxSnippetBytes = 320;

void BuildHit(const SceneHit& hit, int rank, const text::Analyzer& analyzer,
              reel::search::v1::SceneHit* out);

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_API_HIGHLIGHTER_H_
