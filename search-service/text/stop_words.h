// A small English stop-word list for ranking. Stop words are NOT removed by
// the Analyzer (phrases such as "forget anything but ballet" need them);
// the ranker may down-weight or skip them for non-phrase queries.
#ifndef REEL_SEARCH_SERVICE_TEXT_STOP_WORDS_H_
#define REEL_SEARCH_SERVICE_TEXT_STOP_WORDS_H_

#include "absl/strings/string_view.h"

namespace reel::text {

// True if `term` (a folded term, i.e. Token::term: lower case, no
// diacritics, apostrophes removed: "dont", "its") is an English stop word.
// 112 words: articles, pronouns, auxiliaries, common prepositions and
// conjunctions. Thread-safe; a binary search over a static sorted table.
bool IsStopWord(absl::string_view term);

}  // namespace reel::text

#endif  // REEL_SEARCH_SERVICE_TEXT_STOP_WORDS_H_
