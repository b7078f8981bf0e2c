#include "search-service/query/query.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "search-service/text/edit_distance.h"
#include "search-service/text/stop_words.h"

namespace reel::search {
namespace {

absl::Status QueryError(absl::string_view problem, size_t at) {
  return absl::InvalidArgumentError(
      absl::StrCat("query: ", problem, " at byte ", at));
}

// "query: <op> is not supported (<why>) at byte N": another engine's syntax,
// which Reel rejects rather than reading as words.
absl::Status NotSupported(absl::string_view op, absl::string_view why,
                          size_t at) {
  return QueryError(absl::StrCat(op, " is not supported (", why, ")"), at);
}

// UTF-8 code points in `text` (its bytes that do not continue one).
int CodePoints(absl::string_view text) {
  int count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

bool IsSpace(char c) {
  return absl::ascii_isspace(static_cast<unsigned char>(c));
}

// A byte that can be part of a word: an ASCII letter or digit, or any byte of
// a multi-byte UTF-8 character (the analyzer decides what those are).
bool IsWordByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return absl::ascii_isalnum(byte) || byte >= 0x80;
}

constexpr size_t kNoOr = absl::string_view::npos;

constexpr absl::string_view kOrPlacement =
    "OR must come between two words or phrases, as in red OR blue";

// Splits the query into clauses, one token of syntax at a time.
class Parser {
 public:
  Parser(absl::string_view query, const text::Analyzer& analyzer,
         const ParseOptions& options)
      : query_(query), analyzer_(analyzer), options_(options) {}

  absl::StatusOr<ParsedQuery> Parse() {
    if (query_.size() > kMaxQueryBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("query: is ", query_.size(), " bytes; the limit is ",
                       kMaxQueryBytes));
    }
    ParsedQuery parsed;
    parsed.clauses.reserve(4);  // Most queries: a few words, one allocation.
    // The last bare word so far: its clause and, in an OR clause, its
    // alternative (else -1).
    int last_bare_clause = -1;
    int last_bare_alternative = -1;
    // The byte offset of an OR still waiting for its right-hand side, or
    // kNoOr.
    size_t pending_or = kNoOr;
    while (true) {
      while (pos_ < query_.size() && IsSpace(query_[pos_])) ++pos_;
      if (pos_ >= query_.size()) break;
      const size_t start = pos_;
      const absl::string_view token = TokenAt(start);
      if (token == "OR") {
        if (absl::Status status = CheckOr(parsed, pending_or, start);
            !status.ok()) {
          return status;
        }
        pending_or = start;
        pos_ += token.size();
        last_bare_clause = -1;
        continue;
      }
      if (absl::Status status = RejectOperatorWord(token, start);
          !status.ok()) {
        return status;
      }
      Clause clause;
      // Most queries are plain words: letters, digits and other scripts'
      // characters only, which no operator, scope or foreign syntax can be
      // made of, so they skip those checks.
      const bool plain =
          !token.empty() && std::all_of(token.begin(), token.end(), IsWordByte);
      if (plain) {
        if (absl::Status status = ParseWord(&clause, /*plain=*/true);
            !status.ok()) {
          return status;
        }
        // (Not bare when other scripts' punctuation made it a phrase.)
        const bool bare = !clause.phrase;
        if (!AddClause(std::move(clause), start, bare, &parsed, &pending_or,
                       &last_bare_clause, &last_bare_alternative)) {
          return add_error_;
        }
        continue;
      }
      if (query_[pos_] == '-') {
        clause.excluded = true;
        if (++pos_ >= query_.size() || IsSpace(query_[pos_])) {
          return QueryError("'-' must be followed by a word or phrase", start);
        }
      }
      if (absl::Status status = ParseScope(&clause); !status.ok()) {
        return status;
      }
      bool bare = false;
      if (query_[pos_] == '"') {
        if (absl::Status status = ParsePhrase(&clause); !status.ok()) {
          return status;
        }
      } else {
        if (absl::Status status = ParseWord(&clause); !status.ok()) {
          return status;
        }
        bare = !clause.phrase && !clause.excluded;
      }
      if (!AddClause(std::move(clause), start, bare, &parsed, &pending_or,
                     &last_bare_clause, &last_bare_alternative)) {
        return add_error_;
      }
    }
    if (pending_or != kNoOr) return QueryError(kOrPlacement, pending_or);
    if (parsed.clauses.empty()) {
      return absl::InvalidArgumentError("query: has no words to search for");
    }
    bool positive = false;
    for (const Clause& clause : parsed.clauses) positive |= !clause.excluded;
    if (!positive) {
      return absl::InvalidArgumentError(
          "query: has only excluded terms; add a term to search for");
    }
    // Search-as-you-type: the word being typed also matches as a prefix,
    // also when it is the last alternative of an OR.
    if (last_bare_clause >= 0 && !IsSpace(query_.back())) {
      Clause& clause = parsed.clauses[last_bare_clause];
      QueryTerm& term =
          last_bare_alternative >= 0
              ? clause.alternatives[last_bare_alternative].terms[0]
              : clause.terms[0];
      // One letter is too early to expand: it matches as the word itself.
      if (!term.stop_word && CodePoints(term.folded) >= kMinPrefixLetters) {
        term.prefix = true;
      }
    }
    return parsed;
  }

 private:
  // Adds a parsed word or phrase clause at byte `start` to `parsed`, or to
  // the OR clause waiting for it. False (with add_error_ set) when it breaks
  // a limit or an OR's rules.
  bool AddClause(Clause clause, size_t start, bool bare, ParsedQuery* parsed,
                 size_t* pending_or, int* last_bare_clause,
                 int* last_bare_alternative) {
    if (clause.terms.empty()) return true;  // Punctuation only.
    term_count_ += static_cast<int>(clause.terms.size());
    if (term_count_ > kMaxQueryTerms) {
      add_error_ = QueryError(
          absl::StrCat("more than ", kMaxQueryTerms, " terms"), start);
      return false;
    }
    if (*pending_or != kNoOr) {
      if (clause.excluded) {
        add_error_ = QueryError(
            "OR cannot join an excluded word or phrase (-word is always "
            "excluded)",
            *pending_or);
        return false;
      }
      Clause& group = parsed->clauses.back();
      if (group.alternatives.empty()) {
        Clause first = std::move(group);
        group = Clause();
        group.fields = first.fields;
        group.alternatives.push_back(std::move(first));
      }
      group.fields |= clause.fields;
      group.alternatives.push_back(std::move(clause));
      *pending_or = kNoOr;
      *last_bare_clause =
          bare ? static_cast<int>(parsed->clauses.size()) - 1 : -1;
      *last_bare_alternative = static_cast<int>(group.alternatives.size()) - 1;
      return true;
    }
    parsed->clauses.push_back(std::move(clause));
    *last_bare_clause =
        bare ? static_cast<int>(parsed->clauses.size()) - 1 : -1;
    *last_bare_alternative = -1;
    return true;
  }

  // The run of bytes at `start` up to a space, a quote or the end: what a
  // word clause reads, and what an operator word must be all of.
  absl::string_view TokenAt(size_t start) const {
    size_t end = start;
    while (end < query_.size() && !IsSpace(query_[end]) && query_[end] != '"') {
      ++end;
    }
    return query_.substr(start, end - start);
  }

  // An OR at `at` is in place when it follows a positive clause directly.
  absl::Status CheckOr(const ParsedQuery& parsed, size_t pending_or,
                       size_t at) const {
    if (pending_or != kNoOr || parsed.clauses.empty()) {
      return QueryError(kOrPlacement, at);
    }
    if (parsed.clauses.back().excluded) {
      return QueryError(
          "OR cannot join an excluded word or phrase (-word is always "
          "excluded)",
          at);
    }
    if (!options_.allow_or_and_slop) {
      return QueryError("OR is not supported yet", at);
    }
    return absl::OkStatus();
  }

  // Boolean operator words of other engines.
  static absl::Status RejectOperatorWord(absl::string_view token, size_t at) {
    if (token == "AND") {
      return NotSupported(
          "AND",
          "scenes with all the words rank first; to require every word, set "
          "matching to WORD_MATCHING_ALL; write \"and\" to search for the "
          "word",
          at);
    }
    if (token == "NOT") {
      return NotSupported(
          "NOT",
          "use -word or -\"a phrase\" to exclude; write \"not\" to search for "
          "the word",
          at);
    }
    return absl::OkStatus();
  }

  // Reads "field:" when the next word is a known or unknown scope.
  absl::Status ParseScope(Clause* clause) {
    size_t end = pos_;
    while (end < query_.size() &&
           absl::ascii_isalpha(static_cast<unsigned char>(query_[end]))) {
      ++end;
    }
    if (end == pos_ || end >= query_.size() || query_[end] != ':') {
      return absl::OkStatus();
    }
    const absl::string_view scope = query_.substr(pos_, end - pos_);
    const int field = FieldFromScope(absl::AsciiStrToLower(scope));
    if (field < 0) {
      return QueryError(
          absl::StrCat("unknown field \"", scope,
                       "\" (use title, description, context, film or "
                       "synopsis)"),
          pos_);
    }
    clause->fields = static_cast<uint8_t>(1 << field);
    const size_t colon = end;
    if (colon + 1 < query_.size() && query_[colon + 1] == '(') {
      return NotSupported(absl::StrCat(scope, ":(...)"),
                          absl::StrCat("scope each word or phrase: ", scope,
                                       ":red ", scope, ":\"red shoes\""),
                          pos_);
    }
    pos_ = end + 1;
    if (pos_ >= query_.size() || IsSpace(query_[pos_])) {
      return QueryError(
          absl::StrCat("\"", scope, ":\" must be followed by a word or phrase"),
          colon);
    }
    return absl::OkStatus();
  }

  absl::Status ParsePhrase(Clause* clause) {
    const size_t open = pos_;
    const size_t close = query_.find('"', open + 1);
    if (close == absl::string_view::npos) {
      return QueryError("unbalanced quote (no closing \")", open);
    }
    pos_ = close + 1;
    std::vector<text::Token>& tokens = tokens_;
    AnalyzePrimary(query_.substr(open + 1, close - open - 1), &tokens);
    if (tokens.empty()) return QueryError("empty phrase", open);
    clause->phrase = tokens.size() > 1;
    clause->terms.reserve(tokens.size());
    for (const text::Token& token : tokens) {
      clause->terms.push_back(MakeTerm(token, options_.typos_in_phrases));
    }
    return ParseSlop(clause);
  }

  // Reads "~N" right after a phrase's closing quote.
  absl::Status ParseSlop(Clause* clause) {
    if (pos_ >= query_.size() || query_[pos_] != '~') return absl::OkStatus();
    const size_t tilde = pos_++;
    int slop = 0;
    while (pos_ < query_.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(query_[pos_]))) {
      slop = std::min(slop * 10 + (query_[pos_] - '0'), kMaxPhraseSlop + 1);
      ++pos_;
    }
    const absl::string_view digits = query_.substr(tilde + 1, pos_ - tilde - 1);
    if (digits.empty() || (pos_ < query_.size() && !IsSpace(query_[pos_]) &&
                           query_[pos_] != '"')) {
      return QueryError(
          absl::StrCat("'~' after a phrase must be followed by a number of "
                       "position moves from 0 to ",
                       kMaxPhraseSlop, ", as in \"red shoes\"~2"),
          tilde);
    }
    if (slop > kMaxPhraseSlop) {
      return QueryError(
          absl::StrCat("phrase slop ", digits, " is out of range (0 to ",
                       kMaxPhraseSlop, ")"),
          tilde);
    }
    if (!clause->phrase) return absl::OkStatus();  // One word: nothing moves.
    if (slop > 0 && !options_.allow_or_and_slop) {
      return QueryError("phrase slop (\"...\"~N) is not supported yet", tilde);
    }
    clause->slop = slop;
    return absl::OkStatus();
  }

  // `plain`: the word is known to hold only word bytes (see Parse).
  absl::Status ParseWord(Clause* clause, bool plain = false) {
    const size_t start = pos_;
    pos_ += TokenAt(start).size();
    if (!plain) {
      if (absl::Status status = RejectForeignSyntax(start, pos_);
          !status.ok()) {
        return status;
      }
    }
    absl::string_view word = query_.substr(start, pos_ - start);
    bool prefix = false;
    if (!word.empty() && word.back() == '*') {
      prefix = true;
      word.remove_suffix(1);
      if (word.empty()) return QueryError("'*' must follow a word", start);
    }
    std::vector<text::Token>& tokens = tokens_;
    AnalyzePrimary(word, &tokens);
    // A hyphenated word ("sixteen-year-old") is searched as a phrase.
    clause->phrase = tokens.size() > 1;
    clause->terms.reserve(tokens.size());
    for (const text::Token& token : tokens) {
      clause->terms.push_back(MakeTerm(token, !clause->phrase));
    }
    if (prefix && !clause->terms.empty()) {
      QueryTerm& term = clause->terms.back();
      if (CodePoints(term.folded) < kMinPrefixLetters) {
        return QueryError(absl::StrCat("a prefix needs at least ",
                                       kMinPrefixLetters, " letters (\"", word,
                                       "*\" would read every scene "
                                       "with a word starting so)"),
                          start);
      }
      term.prefix = true;
      term.max_typos = 0;
    }
    return absl::OkStatus();
  }

  // Rejects other engines' operators in the word [begin, end) (after any '-'
  // and scope). Punctuation that only separates or ends words ("there?",
  // "run!", "o'brien", "spider-man", "film(s)") is left to the analyzer.
  absl::Status RejectForeignSyntax(size_t begin, size_t end) const {
    const absl::string_view word = query_.substr(begin, end - begin);
    const char lead = word[0];
    if (lead == '+' || lead == '!') {
      // "+word", "+\"a b\"", "!word": required and negated terms. A lone
      // "+" or "!" (or "!?") is punctuation.
      size_t next = begin;
      while (next < query_.size() && query_[next] == lead) ++next;
      if (next < query_.size() &&
          (IsWordByte(query_[next]) || query_[next] == '"' ||
           query_[next] == '(' || query_[next] == '-')) {
        return lead == '+' ? NotSupported("+",
                                          "every word counts: scenes with all "
                                          "the words rank first",
                                          begin)
                           : NotSupported("!", "use -word to exclude", begin);
      }
    }
    if (lead == '/' && word.size() > 1) {
      return NotSupported("/regex/", "search for words, or a prefix: dan*",
                          begin);
    }
    for (size_t i = 0; i < word.size(); ++i) {
      const size_t at = begin + i;
      const char next = i + 1 < word.size() ? word[i + 1] : '\0';
      switch (word[i]) {
        case '(':
          // Parentheses closed within the word group nothing: "film(s)".
          if (word.find(')', i + 1) == absl::string_view::npos) {
            return NotSupported(
                "( grouping", "OR joins its neighbours: red OR blue shoes", at);
          }
          break;
        case '[':
        case '{':
          if (word.find(word[i] == '[' ? ']' : '}', i + 1) ==
              absl::string_view::npos) {
            return NotSupported(
                absl::StrCat(absl::string_view(&word[i], 1), "a TO b",
                             word[i] == '[' ? "]" : "}", " range"),
                "filter years with year_min and year_max", at);
          }
          break;
        case '^':
          return NotSupported("^ boost", "field_weights weighs fields", at);
        case '~':
          if (i == 0) {
            return NotSupported(
                "~", "phrase slop goes right after the quote: \"red shoes\"~2",
                at);
          }
          return NotSupported(
              "fuzzy word~",
              "Reel already matches misspelt words with one or two typos", at);
        case '|':
          return next == '|' ? NotSupported("||", "use OR", at)
                             : NotSupported("|", "use OR", at);
        case '&':
          if (next == '&') {
            return NotSupported(
                "&&",
                "scenes with all the words rank first; to require every word, "
                "set matching to WORD_MATCHING_ALL",
                at);
          }
          break;
        case '?':
        case '*':
          // A trailing '*' is a prefix and a trailing '?' punctuation; one
          // before a letter or digit is a wildcard.
          if (IsWordByte(next)) {
            return NotSupported(
                absl::StrCat("wildcard ", absl::string_view(&word[i], 1)),
                "only a trailing * matches, as a prefix: dan*", at);
          }
          break;
        default:
          break;
      }
    }
    return absl::OkStatus();
  }

  // Query terms come from primary tokens only: one per position, so that a
  // phrase's terms line up with indexed positions.
  void AnalyzePrimary(absl::string_view text, std::vector<text::Token>* out) {
    analyzer_.Analyze(text, out);
    std::erase_if(*out,
                  [](const text::Token& token) { return token.alternate; });
  }

  QueryTerm MakeTerm(const text::Token& token, bool allow_typos) const {
    QueryTerm term;
    term.folded = token.term;
    term.stem = token.stem;
    term.stop_word = text::IsStopWord(token.term);
    term.max_typos =
        allow_typos && !term.stop_word ? text::MaxTyposFor(token.term) : 0;
    return term;
  }

  const absl::string_view query_;
  const text::Analyzer& analyzer_;
  const ParseOptions options_;
  // Reused by every word and phrase: the analyzer refills its tokens'
  // strings in place instead of allocating a vector per word.
  std::vector<text::Token> tokens_;
  absl::Status add_error_;  // Why AddClause() refused a clause.
  size_t pos_ = 0;
  int term_count_ = 0;
};

}  // namespace

bool HasContent(const Clause& clause) {
  for (const QueryTerm& term : clause.terms) {
    if (!term.stop_word) return true;
  }
  for (const Clause& alternative : clause.alternatives) {
    if (HasContent(alternative)) return true;
  }
  return false;
}

int ParsedQuery::required_clause_count() const {
  int count = 0;
  for (const Clause& clause : clauses) {
    if (!clause.excluded && HasContent(clause)) ++count;
  }
  return count;
}

int FieldFromScope(absl::string_view scope) {
  if (scope == "title") return kSceneTitle;
  if (scope == "description") return kDescription;
  if (scope == "context") return kContext;
  if (scope == "film") return kFilmTitle;
  if (scope == "synopsis") return kSynopsis;
  return -1;
}

absl::StatusOr<ParsedQuery> ParseQuery(absl::string_view query,
                                       const text::Analyzer& analyzer,
                                       const ParseOptions& options) {
  return Parser(query, analyzer, options).Parse();
}

absl::StatusOr<ParsedQuery> ParseQuery(absl::string_view query,
                                       const text::Analyzer& analyzer,
                                       bool typos_in_phrases) {
  return ParseQuery(query, analyzer,
                    ParseOptions{.typos_in_phrases = typos_in_phrases});
}

}  // namespace reel::search
