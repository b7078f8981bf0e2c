#include "search-service/text/stop_words.h"

#include <algorithm>
#include <iterator>

#include "absl/container/flat_hash_set.h"

namespace reel::text {
namespace {

// Sorted (byte order), so a reader finds a word at a glance.
constexpr absl::string_view kStopWords[] = {
    "a",      "about",  "after",  "again",  "all",     "am",   "an",
    "and",    "any",    "are",    "as",     "at",      "be",   "been",
    "before", "being",  "both",   "but",    "by",      "can",  "could",
    "did",    "do",     "does",   "doing",  "dont",    "down", "during",
    "each",   "few",    "for",    "from",   "further", "had",  "has",
    "have",   "having", "he",     "her",    "here",    "hers", "him",
    "his",    "how",    "i",      "if",     "in",      "into", "is",
    "it",     "its",    "itself", "me",     "more",    "most", "my",
    "no",     "nor",    "not",    "of",     "off",     "on",   "once",
    "only",   "or",     "other",  "our",    "ours",    "out",  "over",
    "own",    "same",   "she",    "should", "so",      "some", "such",
    "than",   "that",   "the",    "their",  "them",    "then", "there",
    "these",  "they",   "this",   "those",  "through", "to",   "too",
    "under",  "until",  "up",     "very",   "was",     "we",   "were",
    "what",   "when",   "where",  "which",  "while",   "who",  "whom",
    "why",    "will",   "with",   "would",  "you",     "your", "yours",
};
static_assert(std::is_sorted(std::begin(kStopWords), std::end(kStopWords)));

}  // namespace

bool IsStopWord(absl::string_view term) {
  if (term.empty() || term.size() > 7) return false;
  // Asked for every query word and every indexed one: one hash probe
  // instead of a binary search's seven string comparisons.
  static const auto* const kSet = new absl::flat_hash_set<absl::string_view>(
      std::begin(kStopWords), std::end(kStopWords));
  return kSet->contains(term);
}

}  // namespace reel::text
