// Turns a ranked SceneHit into the wire SceneHit: names, score, rank, and a
// highlight per field that matched, with the matched words' spans given in
// UTF-8 bytes, UTF-16 code units and code points of the snippet.
//
// A field longer than the snippet length (in code points) is cut to a
// window around its first match, on word boundaries as the analyser sees
// words, with "…" (U+2026) at each cut end, which counts toward the length;
// shorter ones are returned whole. Thread-safe.
//
// Finding the matched words does not analyse a whole field: a cheap scan
// (see MatchedWordSpans) picks the space-separated pieces that could hold a
// matched stem and only those are analysed, which gives exactly the spans a
// full analysis would.
#ifndef REEL_SEARCH_SERVICE_API_HIGHLIGHTER_H_
#define REEL_SEARCH_SERVICE_API_HIGHLIGHTER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "reel/search/v1/search.pb.h"
#include "search-service/index/scene_index.h"
#include "search-service/text/analyzer.h"

namespace reel::search {

// Snippet lengths, in code points, ellipses included. The default keeps an
// English snippet near the 320 bytes that earlier servers cut at.
inline constexpr int kDefaultSnippetLength = 320;
inline constexpr int kMinSnippetLength = 20;
inline constexpr int kMaxSnippetLength = 2000;

// [begin, end) of a matched word in a field's text, in bytes.
struct ByteSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
  bool operator==(const ByteSpan&) const = default;
};

// The words of `text` whose analysed stem is in `stems` (sorted, distinct),
// in text order, one span per word (a word's alternates share its span):
// the same as analysing all of `text` and keeping the tokens whose stem is
// in `stems`, but only pieces of the text that can hold one are analysed.
// `tokens` is scratch space.
std::vector<ByteSpan> MatchedWordSpans(absl::string_view text,
                                       const std::vector<std::string>& stems,
                                       const text::Analyzer& analyzer,
                                       std::vector<text::Token>* tokens);

// Highlights of film-level fields (film title, synopsis) already built for
// one response: hits of the same film with the same matched stems (and
// snippet length) get the same highlight, so it is built once. Holds pointers
// to the films, which the response's SearchResult keeps alive; and the
// analyser's scratch tokens, reused from hit to hit. Not thread-safe: one per
// response.
class HighlightCache {
 public:
  // The cached highlight for (film, field, stems, snippet_length): the
  // highlight, or nullptr with *found set when the field has no match;
  // *found false when absent.
  const reel::search::v1::Highlight* Find(const FilmRecord* film, Field field,
                                          const std::vector<std::string>& stems,
                                          int snippet_length,
                                          bool* found) const;
  // Stores the result for (film, field, stems, snippet_length); `highlight`
  // nullptr means "no match in this field".
  void Insert(const FilmRecord* film, Field field,
              const std::vector<std::string>& stems, int snippet_length,
              const reel::search::v1::Highlight* highlight);

  std::vector<text::Token>* scratch_tokens() { return &tokens_; }

 private:
  struct Entry {
    std::vector<std::string> stems;
    int snippet_length = 0;
    bool has_highlight = false;
    reel::search::v1::Highlight highlight;
  };
  absl::flat_hash_map<std::pair<const void*, int>, std::vector<Entry>> entries_;
  std::vector<text::Token> tokens_;
};

// The highlight of `text` with its matched words `spans` (in text order, at
// least one; from MatchedWordSpans): the whole text when it has at most
// `snippet_length` code points (0: kDefaultSnippetLength; others are
// clamped to the limits), else a window of at most that many code points,
// ellipses included. The window starts at most a quarter of the length
// before the first match's word (earlier when the field ends within the
// length, to fill it), and its ends fall between words: never inside a word (a
// hyphenated or apostrophe compound counts as one) or a code point, unless the
// first match's word alone is longer than the length. `tokens` is scratch
// space.
void BuildHighlight(absl::string_view text, const std::vector<ByteSpan>& spans,
                    reel::search::v1::HighlightField field, int snippet_length,
                    const text::Analyzer& analyzer,
                    std::vector<text::Token>* tokens,
                    reel::search::v1::Highlight* out);

// Fills `out`, with snippets of at most `snippet_length` code points (see
// BuildHighlight). With a cache, film-level highlights are reused from
// earlier hits of the same response (and stored for later ones).
void BuildHit(const SceneHit& hit, int rank, const text::Analyzer& analyzer,
              reel::search::v1::SceneHit* out, HighlightCache* cache = nullptr,
              int snippet_length = kDefaultSnippetLength);

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_API_HIGHLIGHTER_H_
