// The search service's text analysis: UTF-8 text -> tokens, each with a
// folded surface term (prefix and typo matching), an English stem (term
// matching), a word position (phrases) and byte offsets (highlights). The
// index and the query parser must both use it, so a query is analysed
// exactly as the indexed text was.
//
// Tokenisation rules (a hand-written scanner over UTF-8 using ICU character
// properties; see analyzer.cc for why not ICU's BreakIterator):
//  - A word is a run of letters, digits and combining marks/format
//    characters: "16mm", "1940s", "Ballerína". Everything else separates
//    words (spaces, punctuation, symbols, emoji, en/em dashes, ill-formed
//    UTF-8 bytes). Digits joined by "." or "," form one number: "3.5",
//    "1,000" -> "1000".
//  - Apostrophes (' ’ ‘ ʼ ´ `) between two letters/digits join: the word's
//    term is the concatenation without them ("don't" -> "dont",
//    "Entr'acte" -> "entracte"). A final "'s" is dropped ("Lermontov's" ->
//    "lermontov"; the token's offsets still cover "Lermontov's"). Unless the
//    tail is a contraction (n't 're 've 'll 'd 'm), each apostrophe part is
//    also emitted as an alternate at the same position: "entr", "acte";
//    "O'Brien" -> "obrien" + "o", "brien".
//  - Hyphens (- U+2010 U+2011) between letters/digits split a compound into
//    parts, each its own token at its own position: "sixteen-year-old" ->
//    "sixteen"@p, "year"@p+1, "old"@p+2; plus the whole compound joined as
//    an alternate at the first part's position ("sixteenyearold"@p, so
//    "email" finds "e-mail"), unless all parts are numbers ("1939-1945").
//  - Dotted single-letter acronyms are one token: "U.S." -> "us",
//    "E.T." -> "et", "a.m." -> "am".
//  - Han ideographs and Hiragana are one token per character (no
//    dictionary segmentation); other scripts follow the rules above.
//
// Folding (Token::term): Unicode NFKC case folding (full folding: "Straße"
// -> "strasse", ligatures and full-width forms expand), then removal of
// Latin/Greek/Cyrillic combining diacritics ("Ballerína" -> "ballerina",
// "Émile" -> "emile") and a few letters that do not decompose (ł ø đ ħ ı æ
// œ þ ð). Pure-ASCII words take a table fast path; Latin-1/Latin Extended
// letters use a table precomputed from ICU at Create(); only other scripts
// call ICU. Terms longer than kMaxTermBytes are truncated (at a code-point
// boundary).
//
// Stemming (Token::stem): Snowball "english" (Porter2) on ASCII-letter
// terms ("dances", "dancing", "danced" -> "danc"); other terms (numbers,
// non-Latin) are their own stem. Stop words are kept (see stop_words.h).
//
// Thread safety: an Analyzer is immutable after Create(); all methods are
// const and may be called concurrently. Snowball stemmers are not
// thread-safe, so each thread lazily creates its own (thread_local), freed
// at thread exit.
#ifndef REEL_SEARCH_SERVICE_TEXT_ANALYZER_H_
#define REEL_SEARCH_SERVICE_TEXT_ANALYZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reel::text {

namespace text_internal {
struct AnalyzerImpl;  // analyzer.cc
}  // namespace text_internal

struct Token {
  std::string term;  // folded surface form: "dancing", "lermontov"
  std::string stem;  // matching key: "danc"
  // Word index within the analysed text; alternates share the position of
  // the primary token they accompany.
  uint32_t position = 0;
  // [begin_byte, end_byte) of the source word in the original UTF-8 text.
  uint32_t begin_byte = 0;
  uint32_t end_byte = 0;
  // An extra token at an existing position (apostrophe parts, a joined
  // hyphenated compound). Index alternates; a phrase query should be built
  // from primary tokens only (alternate == false), which are exactly one
  // per position.
  bool alternate = false;

  bool operator==(const Token&) const = default;
};

// Turns UTF-8 text into Tokens by the rules above. Create() once and share:
// immutable and thread-safe. Index and queries must use the same rules.
class Analyzer {
 public:
  // Longest term kept, in bytes; longer words are truncated.
  static constexpr size_t kMaxTermBytes = 128;

  // Loads the ICU normalisers and checks the Snowball English stemmer.
  // Fails (kInternal) only if ICU data or libstemmer is broken.
  static absl::StatusOr<std::unique_ptr<Analyzer>> Create();

  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Replaces *out with the tokens of `utf8`, ordered by position (a
  // position's primary token comes first, then its alternates). Positions
  // start at 0. Reuses *out's strings, so calling it in a loop with the
  // same vector allocates almost nothing. Ill-formed UTF-8 separates words
  // and never crashes. Only the first 4 GiB are analysed (uint32 offsets).
  void Analyze(absl::string_view utf8, std::vector<Token>* out) const;

  // Analyze without stemming: every Token::stem is left empty. For a caller
  // that already knows the stems of most words (the index maps each word it
  // has seen to its stem) and calls Stem(token.term) for the rest, which
  // saves the stemmer's work on every repeated word.
  void AnalyzeUnstemmed(absl::string_view utf8, std::vector<Token>* out) const;

  // Folds one word as Analyze folds a token's text: case, compatibility
  // forms, diacritics. No splitting and no apostrophe or hyphen handling:
  // FoldTerm("Ballerína") == "ballerina". Idempotent. To turn query text
  // into terms, prefer Analyze (it applies the same splitting rules as the
  // index); FoldTerm suits pieces that are already one word.
  std::string FoldTerm(absl::string_view word) const;

  // The stem of a folded term, as in Token::stem: Stem("dancing") == "danc".
  std::string Stem(absl::string_view folded) const;

 private:
  using Impl = text_internal::AnalyzerImpl;
  explicit Analyzer(std::unique_ptr<const Impl> impl);

  std::unique_ptr<const Impl> impl_;
};

}  // namespace reel::text

#endif  // REEL_SEARCH_SERVICE_TEXT_ANALYZER_H_
