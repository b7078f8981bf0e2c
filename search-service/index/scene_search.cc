// Answering queries from the index: term expansion (prefixes, typos) and
// the three ways of ranking scenes, chosen per query (QueryRun).
#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <numeric>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "search-service/index/positions.h"
#include "search-service/index/scene_index.h"
#include "search-service/index/scene_index_impl.h"
#include "search-service/text/edit_distance.h"
#include "search-service/text/fuzzy_trie.h"

namespace reel::search {

namespace {

// Per-thread scratch arrays indexed by document id, reset by epoch stamps so
// a query costs O(postings touched), not O(documents).
struct Scratch {
  // Per document, what the query has found so far: one struct so a posting
  // touches one cache line, not one per array.
  struct DocState {
    uint32_t seen;  // Query epoch the doc was touched in.
    float score;
    uint8_t matched;  // Positive clauses matched, stop words included.
    uint8_t excluded;
    uint8_t content;  // Clauses matched with a word that is not a stop word.
  };
  struct ClauseState {
    uint32_t seen;  // Clause epoch.
    float score;
  };
  std::vector<DocState> doc;
  std::vector<ClauseState> clause;
  std::vector<uint32_t> touched;
  std::vector<uint32_t> clause_touched;
  std::vector<uint32_t> candidates;
  std::vector<std::pair<float, uint32_t>> blocks;  // (score bound, block)
  std::vector<uint64_t> bits;                      // SortDocIds' bitmap.
  uint32_t epoch = 0;
  uint32_t clause_epoch = 0;

  void Prepare(size_t docs) {
    if (doc.size() < docs) {
      doc.resize(docs, DocState{0, 0, 0, 0, 0});
      clause.resize(docs, ClauseState{0, 0});
    }
    if (++epoch == 0) {  // Wrapped: clear stamps once every 4 billion queries.
      for (DocState& state : doc) state.seen = 0;
      epoch = 1;
    }
    touched.clear();
  }
  // The document's state in this query, zeroed (and the document listed in
  // `touched`) the first time the query touches it.
  DocState& Touch(uint32_t doc_id) {
    DocState& state = doc[doc_id];
    if (state.seen != epoch) {
      state = {epoch, 0, 0, 0, 0};
      touched.push_back(doc_id);
    }
    return state;
  }
  // Sorts doc ids (distinct, each < `docs`): a long list through a bitmap
  // of every doc, O(docs / 64 + n), where a comparison sort of thousands
  // of ids costs more than the query around it.
  void SortDocIds(std::vector<uint32_t>& ids, size_t docs) {
    if (ids.size() < 256 || ids.size() * 16 < docs / 64) {
      std::sort(ids.begin(), ids.end());
      return;
    }
    bits.assign((docs + 63) / 64, 0);
    for (uint32_t id : ids) bits[id / 64] |= uint64_t{1} << (id % 64);
    ids.clear();
    for (size_t w = 0; w < bits.size(); ++w) {
      for (uint64_t word = bits[w]; word != 0; word &= word - 1) {
        ids.push_back(static_cast<uint32_t>(w * 64 + std::countr_zero(word)));
      }
    }
  }
  uint32_t NextClause() {
    if (++clause_epoch == 0) {
      for (ClauseState& state : clause) state.seen = 0;
      clause_epoch = 1;
    }
    clause_touched.clear();
    return clause_epoch;
  }
};

thread_local Scratch scratch;

// Sloppy phrase matching (Lucene's distance): term k at position p_k gives
// the value p_k - k; the phrase occurs where one value per term fits in a
// window of width <= slop (an exact phrase: all equal). Counts, per field,
// the occurrences of the first term that take part in such a window.
// `occ[k]` holds term k's occurrences, sorted; `values` is scratch.
bool SloppyPhraseFrequency(const std::vector<absl::Span<const uint32_t>>& occ,
                           int slop, uint32_t fields,
                           std::array<uint32_t, kFieldCount>* tf,
                           std::vector<std::pair<int64_t, uint32_t>>* values) {
  values->clear();
  for (uint32_t k = 0; k < occ.size(); ++k) {
    for (uint32_t occurrence : occ[k]) {
      if (!(fields & (1u << OccurrenceField(occurrence)))) continue;
      // The field is in the high bits: windows never span two fields.
      values->emplace_back(static_cast<int64_t>(occurrence) - k, k);
    }
  }
  std::sort(values->begin(), values->end());
  std::array<int, kMaxQueryTerms> in_window{};
  size_t covered = 0;
  size_t left = 0;
  size_t counted = 0;  // values before it were counted (or cannot be)
  bool any = false;
  for (size_t right = 0; right < values->size(); ++right) {
    if (in_window[(*values)[right].second]++ == 0) ++covered;
    while ((*values)[right].first - (*values)[left].first > slop) {
      if (--in_window[(*values)[left].second] == 0) --covered;
      ++left;
    }
    if (covered < occ.size()) continue;
    for (counted = std::max(counted, left); counted <= right; ++counted) {
      if ((*values)[counted].second != 0) continue;
      const uint32_t first = static_cast<uint32_t>((*values)[counted].first);
      ++(*tf)[OccurrenceField(first)];
      any = true;
    }
  }
  return any;
}

// Whether a clause has a word that is not a stop word.
bool ClauseCounts(const Clause& clause) { return HasContent(clause); }

// The query as searched: fields whose weight is 0 are not searched, so a
// word found only there neither matches nor counts.
// Empty when every field is searched (the query is used as it is).
std::optional<ParsedQuery> WithSearchableFields(const ParsedQuery& query,
                                                const RankingOptions& ranking) {
  uint8_t searchable = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    if (ranking.field_weights[f] > 0) searchable |= 1u << f;
  }
  if (searchable == kAllFields) return std::nullopt;
  ParsedQuery searched = query;
  for (Clause& clause : searched.clauses) {
    clause.fields &= searchable;
    for (Clause& alternative : clause.alternatives) {
      alternative.fields &= searchable;
    }
  }
  return searched;
}

}  // namespace

double SceneIndex::Impl::Idf(uint32_t stem) const {
  const double n = live_docs_;
  const double df = postings_[stem].live_docs;
  return std::log(1.0 + (n - df + 0.5) / (df + 0.5));
}

std::vector<SceneIndex::Impl::Expansion> SceneIndex::Impl::Expand(
    const QueryTerm& term, const RankingOptions& ranking,
    std::optional<Correction>* correction, bool* typos_capped) const {
  // Every offer, in order; per stem the best is kept at the end (and how
  // it was reached, for explanations). Most words make one offer, so a
  // vector sorted once beats a hash map built per term.
  std::vector<Expansion> offers;
  auto offer = [&](uint32_t stem, double weight,
                   Expansion::Kind kind = Expansion::kWord, int distance = 0) {
    offers.push_back({stem, weight, kind, static_cast<uint8_t>(distance)});
  };
  if (std::optional<uint32_t> stem = stems_.Find(term.stem)) {
    offer(*stem, 1.0);
  }
  // Typo expansions are capped (the closest kept); a prefix covers every
  // word of its dictionary range, so that it matches every scene holding
  // one and total_matches stays exact, whatever order the words were
  // indexed in.
  auto offer_surface = [&](absl::string_view surface, double weight,
                           Expansion::Kind kind, int distance = 0) {
    std::optional<uint32_t> word = words_.Find(surface);
    if (!word.has_value()) return;
    offer(word_stems_[*word], weight, kind, distance);
  };
  if (term.prefix) {
    auto offer_prefixed = [&](auto begin, auto end) {
      for (auto it = begin;
           it != end && absl::StartsWith(words_[*it], term.folded); ++it) {
        const absl::string_view surface = words_[*it];
        const bool word = surface == term.folded;
        offer_surface(surface, word ? 1.0 : ranking.prefix_penalty,
                      word ? Expansion::kWord : Expansion::kPrefix);
      }
    };
    offer_prefixed(std::lower_bound(dictionary_.begin(), dictionary_.end(),
                                    term.folded, WordOrder{&words_}),
                   dictionary_.end());
    offer_prefixed(pending_.lower_bound(term.folded), pending_.end());
  }
  // Weights by edit distance, computed once per term, not per typo.
  std::array<double, 4> typo_weight{};
  for (int d = 1; d < static_cast<int>(typo_weight.size()); ++d) {
    typo_weight[d] = std::pow(ranking.typo_penalty, d);
  }
  auto offer_typo = [&](absl::string_view surface, int distance) {
    std::optional<uint32_t> word = words_.Find(surface);
    if (!word.has_value()) return;
    const uint32_t stem = word_stems_[*word];
    if (correction != nullptr) {
      const uint32_t live_docs = postings_[stem].live_docs;
      const std::optional<Correction>& kept = *correction;
      if (live_docs > 0 &&
          (!kept.has_value() || distance < kept->distance ||
           (distance == kept->distance &&
            (live_docs > kept->live_docs ||
             (live_docs == kept->live_docs && surface < kept->word))))) {
        *correction = Correction{std::string(surface), distance, live_docs};
      }
    }
    offer(stem,
          distance < static_cast<int>(typo_weight.size())
              ? typo_weight[distance]
              : std::pow(ranking.typo_penalty, distance),
          Expansion::kTypo, distance);
  };
  // Typos are looked for only when the word, as typed, is not in the index
  // (neither as a word nor by its stem): a real word is taken as meant, which
  // keeps "shoes" from matching "shots" and saves the fuzzy walk.
  if (term.max_typos > 0 && !words_.contains(term.folded) &&
      !stems_.contains(term.stem)) {
    // Every word typos lead to, from the dictionary (in its order) and the
    // recent words the first-letter rule allows.
    struct Typo {
      absl::string_view surface;
      int distance;
    };
    std::vector<Typo> typos;
    for (const text::FuzzyMatch& match :
         DictionaryTrie()->Lookup(term.folded, term.max_typos)) {
      if (match.distance > 0) {
        typos.push_back({words_[dictionary_[match.index]], match.distance});
      }
    }
    for (const std::string& prefix : text::FuzzyPrefixes(term.folded)) {
      for (auto it = pending_.lower_bound(prefix);
           it != pending_.end() && absl::StartsWith(words_[*it], prefix);
           ++it) {
        const absl::string_view surface = words_[*it];
        const int distance =
            text::FuzzyDistance(term.folded, surface, term.max_typos);
        if (distance > 0) typos.push_back({surface, distance});
      }
    }
    const size_t cap = static_cast<size_t>(std::max(0, ranking.max_expansions));
    if (typos.size() > cap) {
      // The closest words are kept (then dictionary order); the cut is
      // reported, never silent.
      std::stable_sort(
          typos.begin(), typos.end(),
          [](const Typo& a, const Typo& b) { return a.distance < b.distance; });
      typos.resize(cap);
      if (typos_capped != nullptr) *typos_capped = true;
    }
    for (const Typo& typo : typos) offer_typo(typo.surface, typo.distance);
  }
  if (offers.size() <= 1) return offers;
  // By stem, the highest weight first; among equal weights the first
  // offered (stable), as a stem reached two ways keeps its first best way.
  std::stable_sort(offers.begin(), offers.end(),
                   [](const Expansion& a, const Expansion& b) {
                     if (a.stem != b.stem) return a.stem < b.stem;
                     return a.weight > b.weight;
                   });
  offers.erase(std::unique(offers.begin(), offers.end(),
                           [](const Expansion& a, const Expansion& b) {
                             return a.stem == b.stem;
                           }),
               offers.end());
  return offers;
}

// One Search call. Three paths share the scoring, filtering and ranking
// below; the constructor picks one:
// - one word with one stem (the commonest query) scores its postings
//   straight into the top-k, best block first, skipping blocks that cannot
//   reach it (ScoreSingleStem);
// - several words without a phrase count every match first, then score
//   only the scenes that can rank, best clause first (ScoreCoordinated);
// - anything else, phrases included, scores clause by clause into per-scene
//   totals and ranks those (ScoreGeneral, RankTouched).
struct SceneIndex::Impl::QueryRun {
  // Rank: more matched clauses first, then score, then film name, then
  // scene order, so equal inputs always give the same order.
  struct Ranked {
    float score;
    uint32_t matched;
    uint32_t doc;
  };
  struct ByRank {
    const QueryRun* run;
    bool operator()(const Ranked& a, const Ranked& b) const {
      return run->Better(a, b);
    }
  };
  // What each positive clause matched, for highlighting.
  struct HighlightClause {
    uint8_t fields;
    std::vector<std::vector<Expansion>> expansions;  // Per term.
  };

  // `facets_only`: collect every match only to count facets (no hits).
  QueryRun(const Impl& index, const ParsedQuery& query,
           const SearchOptions& options, bool facets_only = false);
  SearchResult Run();

  // Saturated BM25F pseudo-frequency of one posting restricted to
  // `fields`, or a negative value when it has no occurrence there.
  // Per posting on every path: always inlined.
  ABSL_ATTRIBUTE_ALWAYS_INLINE float SaturatedTf(const Doc& doc,
                                                 const Postings& postings,
                                                 size_t i,
                                                 uint32_t fields) const;
  double Saturate(double tf) const { return tf * (k1 + 1) / (tf + k1); }
  // The saturated pseudo-frequency no posting of the block can exceed.
  float BlockBound(const Postings::Block& block, uint32_t fields) const;
  // The same for the whole list (Postings::summary and the last block).
  float ListBound(const Postings& postings, uint32_t fields) const {
    if (postings.blocks.empty()) return 0;
    const float last = BlockBound(postings.blocks.back(), fields);
    if (postings.summary == nullptr) return last;
    return std::max(BlockBound(*postings.summary, fields), last);
  }
  // Whether a posting's field mask (Postings::FieldMask) meets `fields`.
  static bool InFields(uint32_t mask, uint32_t fields) {
    return (mask & fields) != 0;
  }
  double PseudoFrequency(const Doc& doc,
                         const std::array<uint32_t, kFieldCount>& tf) const;
  // Whether the filters let the film's scenes through (decided once per
  // film). Inline: most queries have no filter, and this is asked per
  // posting.
  bool Allowed(uint32_t film_index) {
    return !filtering || FilterAllows(film_index);
  }
  bool FilterAllows(uint32_t film_index);
  bool Better(const Ranked& a, const Ranked& b) const;
  // Whether a touched scene that no clause excluded is a match: it matched
  // a clause with content (any word) or every one (all words); when the
  // query is stop words only (or they are what is left to search for),
  // one of them, or all of them.
  bool Qualifies(const Scratch::DocState& state) const {
    if (options.matching == WordMatching::kAll) {
      return content_clauses > 0
                 ? state.content >= content_clauses
                 : state.matched >= static_cast<uint32_t>(positive_clauses);
    }
    return content_clauses == 0 || state.content > 0;
  }
  // Counts a matching scene (filters passed) and keeps it if it ranks
  // among the best `limit`.
  void Offer(uint32_t doc_id, uint32_t matched, float score);
  std::vector<std::vector<Expansion>>& ExpansionsOf(const Clause& clause) {
    return clause_expansions[&clause - query.clauses.data()];
  }

  void ExpandClauses();
  // Runs the path chosen for the query.
  void Score();
  void ScoreSingleStem();
  void ScoreCoordinated();
  void ScoreGeneral();
  // Scores one word or phrase (a clause, or one alternative of an OR) into
  // the clause's per-scene best (or straight into the totals when
  // `direct`).
  void ScorePart(const Clause& part,
                 const std::vector<std::vector<Expansion>>& expansions,
                 uint32_t clause_epoch, bool direct, bool counts,
                 bool score_only);
  // Keeps the scene's best value within the clause (a word's typo and
  // prefix expansions, or a phrase's, do not add up).
  void RecordBest(uint32_t clause_epoch, uint32_t doc_id, double value);
  void ScorePhrase(const Clause& clause,
                   const std::vector<std::vector<Expansion>>& expansions,
                   uint32_t clause_epoch);
  void RankTouched();
  // Collects every match, counts facets, orders them by options.sort,
  // skips to options.after and the per-film cap, and keeps the page.
  void RankAll();
  // A match's place in options.sort's order.
  struct OrderKey {
    uint32_t matched;
    float score;
    int year;
    absl::string_view title_key;
    absl::string_view film;
    uint32_t ordinal;
  };
  OrderKey KeyOf(const Ranked& ranked);
  // Whether `a` comes before `b` in options.sort's order.
  bool Before(const OrderKey& a, const OrderKey& b) const;
  void CountFacets(const std::vector<Ranked>& matches);
  // By film; node-based, so OrderKeys may point into it.
  absl::node_hash_map<uint32_t, std::string> title_keys;
  void CollectHits();

  const Impl& index;
  // The query with unsearched fields removed, when there are any.
  const std::optional<ParsedQuery> searched;
  const ParsedQuery& query;  // *searched, or the query as given.
  const SearchOptions& options;
  const RankingOptions& ranking;
  Scratch& s;
  // BM25F per field: tf_f / ((1 - b) + b * length_f / average_f), weighted
  // and summed, then saturated, with the per-field constants taken out of
  // the loops.
  std::array<double, kFieldCount> average{};
  std::array<float, kFieldCount> length_factor, weight;
  float base_norm;
  float k1;
  bool default_shape;
  const SearchFilter& filter;
  bool filtering;
  absl::flat_hash_map<uint32_t, bool> film_allowed;
  SearchResult result;
  size_t limit;
  std::vector<Ranked> heap;  // Worst of the best `limit` on top.
  std::vector<HighlightClause> highlight_clauses;
  // Clauses with a word that is not a stop word; 0 also when those match
  // nothing and stop words are searched for instead (see Run()).
  int content_clauses;
  int positive_clauses = 0;  // Clauses that are not exclusions.
  // Content clauses first, so stop-word clauses can skip unmatched scenes.
  std::vector<const Clause*> ordered;
  // Dictionary stems per clause and term.
  std::vector<std::vector<std::vector<Expansion>>> clause_expansions;
  // For an OR clause, per alternative and term (empty for other clauses;
  // empty altogether when the query has no OR).
  std::vector<std::vector<std::vector<std::vector<Expansion>>>>
      alternative_expansions;
  bool single_stem;
  bool coordinated;
  // Another order, a per-film cap, facets or a page after the first: every
  // match is collected and ordered (RankAll) instead of a top-k.
  bool full_order;
  // Every match is collected only to count facets (no hits).
  const bool facets_only;
};

SceneIndex::Impl::QueryRun::QueryRun(const Impl& index,
                                     const ParsedQuery& parsed,
                                     const SearchOptions& options,
                                     bool facets_only)
    : index(index),
      searched(WithSearchableFields(parsed, options.ranking)),
      query(searched.has_value() ? *searched : parsed),
      options(options),
      ranking(options.ranking),
      s(scratch),
      filter(options.filter),
      facets_only(facets_only) {
  s.Prepare(index.docs_.size());
  for (int f = 0; f < kFieldCount; ++f) {
    average[f] = index.AverageLength(f);
    length_factor[f] = static_cast<float>(ranking.b / average[f]);
    weight[f] = static_cast<float>(ranking.field_weights[f]);
  }
  base_norm = static_cast<float>(1.0 - ranking.b);
  k1 = static_cast<float>(ranking.k1);
  default_shape = ranking.field_weights == kDefaultRanking.field_weights &&
                  ranking.b == kDefaultRanking.b;
  filtering = !filter.film_names.empty() || filter.year_min != 0 ||
              filter.year_max != 0 || !filter.genres.empty() ||
              !filter.directors.empty();
  // A later page of the relevance order is the top (skipped + page) cut
  // after the skipped hits: the same path as the first page, so the same
  // scores and order (top-k selection is exact).
  limit = facets_only ? 0
                      : static_cast<size_t>(std::max(0, options.max_results) +
                                            std::max(0, options.skip));
  heap.reserve(limit + 1);
  content_clauses = query.required_clause_count();
  for (const Clause& clause : query.clauses) {
    if (!clause.excluded) ++positive_clauses;
  }
  for (const Clause& clause : query.clauses) {
    if (ClauseCounts(clause)) ordered.push_back(&clause);
  }
  for (const Clause& clause : query.clauses) {
    if (!ClauseCounts(clause)) ordered.push_back(&clause);
  }
  ExpandClauses();
  // (A lone stop word, "then", counts as a match: nothing else could.)
  single_stem = query.clauses.size() == 1 && !query.clauses[0].phrase &&
                !query.clauses[0].excluded &&
                query.clauses[0].alternatives.empty() &&
                ExpansionsOf(query.clauses[0])[0].size() == 1;
  // Several words, no phrase: the ranking puts scenes matching more clauses
  // first, so a first pass only counts (every match, for total_matches) and
  // finds the fewest clauses a top-k scene can match; only scenes matching
  // that many are scored, each list walked against them in doc order.
  full_order = facets_only || options.sort != SortOrder::kRelevance ||
               options.max_scenes_per_film > 0 || options.after.has_value();
  if (full_order) single_stem = false;
  coordinated =
      !full_order && !single_stem && limit > 0 && query.clauses.size() > 1 &&
      std::none_of(query.clauses.begin(), query.clauses.end(),
                   [](const Clause& clause) {
                     return clause.phrase || !clause.alternatives.empty();
                   });
}

void SceneIndex::Impl::QueryRun::ExpandClauses() {
  clause_expansions.clear();
  alternative_expansions.clear();
  result.corrections.clear();
  result.typo_capped_terms.clear();
  auto expand = [&](const QueryTerm& term, bool excluded) {
    std::optional<Impl::Correction> correction;
    bool typos_capped = false;
    std::vector<Expansion> expansions = index.Expand(
        term, ranking, excluded ? nullptr : &correction, &typos_capped);
    if (correction.has_value()) {
      result.corrections.push_back(
          {term.folded, correction->word, correction->distance});
    }
    if (typos_capped) result.typo_capped_terms.push_back(term.folded);
    return expansions;
  };
  // Sized once: most queries are a few words without OR, and every
  // allocation here is paid per query.
  const bool any_or = std::any_of(
      query.clauses.begin(), query.clauses.end(),
      [](const Clause& clause) { return !clause.alternatives.empty(); });
  clause_expansions.reserve(query.clauses.size());
  if (any_or) alternative_expansions.reserve(query.clauses.size());
  for (const Clause& clause : query.clauses) {
    auto& expansions = clause_expansions.emplace_back();
    expansions.reserve(clause.terms.size());
    for (const QueryTerm& term : clause.terms) {
      expansions.push_back(expand(term, clause.excluded));
    }
    if (!any_or) continue;  // Only an OR clause reads its alternatives.
    auto& alternatives = alternative_expansions.emplace_back();
    for (const Clause& alternative : clause.alternatives) {
      auto& terms = alternatives.emplace_back();
      for (const QueryTerm& term : alternative.terms) {
        terms.push_back(expand(term, false));
      }
    }
  }
}

void SceneIndex::Impl::QueryRun::Score() {
  if (single_stem) {
    ScoreSingleStem();
  } else if (coordinated) {
    ScoreCoordinated();
  } else {
    ScoreGeneral();
    if (full_order) {
      RankAll();
    } else {
      RankTouched();
    }
  }
}

SceneIndex::Impl::QueryRun::OrderKey SceneIndex::Impl::QueryRun::KeyOf(
    const Ranked& ranked) {
  const Doc& doc = index.docs_[ranked.doc];
  const FilmRecord& film = *index.films_[doc.film].film;
  // Only the title order compares titles: other orders leave the key's
  // title empty and save lowering every matching film's title.
  absl::string_view title_key;
  if (options.sort == SortOrder::kTitle) {
    auto [it, inserted] = title_keys.try_emplace(doc.film);
    if (inserted) it->second = absl::AsciiStrToLower(film.title());
    title_key = it->second;
  }
  return {ranked.matched, ranked.score, film.year(),
          title_key,      film.name(),  doc.ordinal};
}

bool SceneIndex::Impl::QueryRun::Before(const OrderKey& a,
                                        const OrderKey& b) const {
  switch (options.sort) {
    case SortOrder::kYearAscending:
    case SortOrder::kYearDescending:
      if (a.year != b.year) {
        if (a.year == 0 || b.year == 0) return b.year == 0;  // Unknown last.
        return options.sort == SortOrder::kYearAscending ? a.year < b.year
                                                         : a.year > b.year;
      }
      break;
    case SortOrder::kTitle:
      if (a.title_key != b.title_key) return a.title_key < b.title_key;
      break;
    case SortOrder::kRelevance:
      break;
  }
  if (a.matched != b.matched) return a.matched > b.matched;
  if (a.score != b.score) return a.score > b.score;
  if (a.film != b.film) return a.film < b.film;
  return a.ordinal < b.ordinal;
}

void SceneIndex::Impl::QueryRun::CountFacets(
    const std::vector<Ranked>& matches) {
  // The scenes of one film share its values: count matching scenes per
  // film, then add each film's values once, in the order films first
  // match (so a value's spelling is the first matching film's).
  std::vector<std::pair<uint32_t, int64_t>> films;  // (film, scenes)
  absl::flat_hash_map<uint32_t, size_t> film_slot;
  for (const Ranked& match : matches) {
    const uint32_t film = index.docs_[match.doc].film;
    auto [it, inserted] = film_slot.try_emplace(film, films.size());
    if (inserted) films.push_back({film, 0});
    ++films[it->second].second;
  }
  struct Tally {
    absl::string_view display;
    int64_t scenes = 0;
  };
  // Keyed by the folded value the index keeps per film.
  absl::flat_hash_map<absl::string_view, Tally> genres, directors;
  absl::flat_hash_map<int, int64_t> years;
  std::vector<absl::string_view> seen;  // One film's values counted so far.
  auto count = [&seen](const std::vector<std::string>& folded,
                       const std::vector<std::string>& display, int64_t scenes,
                       absl::flat_hash_map<absl::string_view, Tally>* tallies) {
    seen.clear();
    for (size_t i = 0;
         i < folded.size() && i < static_cast<size_t>(display.size()); ++i) {
      const absl::string_view key = folded[i];
      // A value a film lists twice ("Drama", "drama") counts its scenes
      // once.
      if (key.empty() ||
          std::find(seen.begin(), seen.end(), key) != seen.end()) {
        continue;
      }
      seen.push_back(key);
      Tally& tally = (*tallies)[key];
      if (tally.scenes == 0) tally.display = display[static_cast<int>(i)];
      tally.scenes += scenes;
    }
  };
  for (const auto& [film_index, scenes] : films) {
    const FilmInfo& info = index.films_[film_index];
    const FilmRecord& film = *info.film;
    if (options.facets.genres > 0) {
      count(info.genres, film.genres(), scenes, &genres);
    }
    if (options.facets.directors > 0) {
      count(info.directors, film.directors(), scenes, &directors);
    }
    if (options.facets.years > 0 && film.year() != 0) {
      years[film.year()] += scenes;
    }
  }
  // The top n of a facet, most scenes first, then by value: selected over
  // views, so only the n kept become strings.
  struct Candidate {
    int64_t scenes;
    absl::string_view value;
  };
  std::vector<Candidate> candidates;
  auto top = [&candidates](int n, std::vector<FacetCount>* out) {
    auto before = [](const Candidate& a, const Candidate& b) {
      if (a.scenes != b.scenes) return a.scenes > b.scenes;
      return a.value < b.value;
    };
    const size_t kept = std::min(candidates.size(), static_cast<size_t>(n));
    std::partial_sort(candidates.begin(), candidates.begin() + kept,
                      candidates.end(), before);
    for (size_t i = 0; i < kept; ++i) {
      out->push_back({std::string(candidates[i].value), candidates[i].scenes});
    }
  };
  candidates.clear();
  for (const auto& [key, tally] : genres) {
    candidates.push_back({tally.scenes, tally.display});
  }
  top(options.facets.genres, &result.genre_facets);
  candidates.clear();
  for (const auto& [key, tally] : directors) {
    candidates.push_back({tally.scenes, tally.display});
  }
  top(options.facets.directors, &result.director_facets);
  // Years as text, for the same order by value as before.
  std::vector<std::string> year_text;
  year_text.reserve(years.size());
  candidates.clear();
  for (const auto& [year, scenes] : years) {
    year_text.push_back(std::to_string(year));
    candidates.push_back({scenes, year_text.back()});
  }
  top(options.facets.years, &result.year_facets);
}

void SceneIndex::Impl::QueryRun::RankAll() {
  std::vector<Ranked> matches;
  for (uint32_t doc_id : s.touched) {
    const Scratch::DocState& state = s.doc[doc_id];
    if (state.excluded || !Qualifies(state) ||
        !Allowed(index.docs_[doc_id].film)) {
      continue;
    }
    matches.push_back({state.score, state.matched, doc_id});
  }
  result.total_matches = static_cast<int64_t>(matches.size());
  CountFacets(matches);
  if (facets_only) return;  // No hits: nothing to order.
  std::vector<std::pair<OrderKey, Ranked>> ordered_matches;
  ordered_matches.reserve(matches.size());
  for (const Ranked& match : matches) {
    ordered_matches.emplace_back(KeyOf(match), match);
  }
  std::sort(ordered_matches.begin(), ordered_matches.end(),
            [this](const auto& a, const auto& b) {
              return Before(a.first, b.first);
            });
  std::optional<OrderKey> after;
  if (options.after.has_value()) {
    const ResultPosition& p = *options.after;
    after = OrderKey{static_cast<uint32_t>(p.matched_clauses),
                     p.score,
                     p.year,
                     p.title_key,
                     p.film,
                     static_cast<uint32_t>(p.scene_ordinal)};
  }
  // The cap counts scenes in order from the first page on, so every page
  // leaves out the same scenes.
  absl::flat_hash_map<uint32_t, int> shown_per_film;
  heap.clear();
  for (const auto& [key, match] : ordered_matches) {
    if (options.max_scenes_per_film > 0 &&
        ++shown_per_film[index.docs_[match.doc].film] >
            options.max_scenes_per_film) {
      continue;
    }
    if (after.has_value() && !Before(*after, key)) continue;
    if (heap.size() == limit) {
      result.more = true;
      break;
    }
    heap.push_back(match);
  }
}

SearchResult SceneIndex::Impl::QueryRun::Run() {
  Score();
  // When the other words match nothing, the stop words are what is left to
  // search for ("up fabricating" still finds the film "Up").
  const bool stop_word_clause = std::any_of(
      query.clauses.begin(), query.clauses.end(), [](const Clause& clause) {
        return !clause.excluded && !ClauseCounts(clause);
      });
  if (result.total_matches == 0 && content_clauses > 0 && stop_word_clause) {
    content_clauses = 0;
    s.Prepare(index.docs_.size());
    heap.clear();
    highlight_clauses.clear();
    result = SearchResult();
    ExpandClauses();
    Score();
  }
  CollectHits();
  return std::move(result);
}

inline float SceneIndex::Impl::QueryRun::SaturatedTf(const Doc& doc,
                                                     const Postings& postings,
                                                     size_t i,
                                                     uint32_t fields) const {
  // A coded posting's counts and fields are read from the code's table
  // entry; an escaped one's are copied out.
  const uint8_t code = postings.tf_codes[i];
  FieldTf escaped;
  const uint8_t* field_tf;
  uint32_t matched;
  if (ABSL_PREDICT_TRUE(code != kTfEscape)) {
    field_tf = DecodeFieldTf(code).data();
    matched = FieldMaskOf(code) & fields;
  } else {
    escaped = postings.EscapedTf(i);
    field_tf = escaped.data();
    matched = NonZeroFields(field_tf) & fields;
  }
  if (matched == 0) return -1.0f;
  // The usual case of one matching field folds the two divisions into one.
  if ((matched & (matched - 1)) == 0) {
    const int only = std::countr_zero(matched);
    const float weighted = weight[only] * field_tf[only];
    const float norm = base_norm + length_factor[only] * doc.length[only];
    return weighted * (k1 + 1) / (weighted + k1 * norm);
  }
  float total = 0;
  for (; matched != 0; matched &= matched - 1) {
    const int f = std::countr_zero(matched);
    total += weight[f] * field_tf[f] /
             (base_norm + length_factor[f] * doc.length[f]);
  }
  return total * (k1 + 1) / (total + k1);
}

float SceneIndex::Impl::QueryRun::BlockBound(const Postings::Block& block,
                                             uint32_t fields) const {
  float total = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    if ((fields & (1u << f)) && block.max_tf[f] != 0) {
      total += weight[f] * block.max_tf[f] /
               (base_norm + length_factor[f] * block.min_length[f]);
    }
  }
  if (default_shape) {
    // Scores shrink as averages grow: only growth loosens the bound.
    double growth = 1.0;
    for (int f = 0; f < kFieldCount; ++f) {
      if (block.min_average[f] != 0xFFFF) {
        growth = std::max(growth, average[f] / block.min_average[f]);
      }
    }
    total = std::min(
        total, static_cast<float>(block.max_reference_tf * growth * 1.0001));
  }
  return total * (k1 + 1) / (total + k1);
}

double SceneIndex::Impl::QueryRun::PseudoFrequency(
    const Doc& doc, const std::array<uint32_t, kFieldCount>& tf) const {
  double total = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    if (tf[f] == 0) continue;
    total += weight[f] * tf[f] / (base_norm + length_factor[f] * doc.length[f]);
  }
  return total;
}

bool SceneIndex::Impl::QueryRun::FilterAllows(uint32_t film_index) {
  auto [it, inserted] = film_allowed.try_emplace(film_index, false);
  if (!inserted) return it->second;
  const FilmInfo& info = index.films_[film_index];
  const FilmRecord& film = *info.film;
  bool ok = true;
  if (!filter.film_names.empty()) {
    ok = std::find(filter.film_names.begin(), filter.film_names.end(),
                   film.name()) != filter.film_names.end();
  }
  if (ok && filter.year_min != 0)
    ok = film.year() != 0 && film.year() >= filter.year_min;
  if (ok && filter.year_max != 0)
    ok = film.year() != 0 && film.year() <= filter.year_max;
  auto any_of = [](const std::vector<std::string>& wanted,
                   const std::vector<std::string>& have) {
    for (const std::string& w : wanted) {
      if (std::find(have.begin(), have.end(), FoldForFilter(w)) != have.end())
        return true;
    }
    return false;
  };
  if (ok && !filter.genres.empty()) ok = any_of(filter.genres, info.genres);
  if (ok && !filter.directors.empty())
    ok = any_of(filter.directors, info.directors);
  it->second = ok;
  return ok;
}

bool SceneIndex::Impl::QueryRun::Better(const Ranked& a,
                                        const Ranked& b) const {
  if (a.matched != b.matched) return a.matched > b.matched;
  if (a.score != b.score) return a.score > b.score;
  const Doc& da = index.docs_[a.doc];
  const Doc& db = index.docs_[b.doc];
  if (da.film != db.film) {
    const FilmInfo& fa = index.films_[da.film];
    const FilmInfo& fb = index.films_[db.film];
    if (fa.name_key != fb.name_key && fa.name_key != 0 && fb.name_key != 0) {
      return fa.name_key < fb.name_key;
    }
    return fa.film->name() < fb.film->name();
  }
  return da.ordinal < db.ordinal;
}

void SceneIndex::Impl::QueryRun::Offer(uint32_t doc_id, uint32_t matched,
                                       float score) {
  ++result.total_matches;
  if (limit == 0) return;
  const Ranked candidate{score, matched, doc_id};
  if (heap.size() < limit) {
    heap.push_back(candidate);
    std::push_heap(heap.begin(), heap.end(), ByRank{this});
  } else if (Better(candidate, heap.front())) {
    std::pop_heap(heap.begin(), heap.end(), ByRank{this});
    heap.back() = candidate;
    std::push_heap(heap.begin(), heap.end(), ByRank{this});
  }
}

void SceneIndex::Impl::QueryRun::ScoreSingleStem() {
  const Clause& clause = query.clauses[0];
  const Expansion& expansion = ExpansionsOf(clause)[0][0];
  const Postings& postings = index.postings_[expansion.stem];
  const float scale =
      static_cast<float>(expansion.weight * index.Idf(expansion.stem));
  const uint8_t matched = 1;
  const size_t size = postings.size();
  // Blocks are scored best bound first: the top-k fills with strong
  // scenes early, and once no block left can beat its worst, the rest are
  // only counted (total_matches stays exact). The order changes nothing
  // else: ranking ties are broken by film and scene, not by visit order.
  std::vector<std::pair<float, uint32_t>>& blocks = s.blocks;
  blocks.clear();
  for (uint32_t block = 0; block * kBlockSize < size; ++block) {
    blocks.emplace_back(BlockBound(postings.blocks[block], clause.fields),
                        block);
  }
  // A max-heap by bound: only the blocks that get scored are popped.
  auto lower_bound_first = [](const auto& a, const auto& b) {
    return a.first < b.first;
  };
  std::make_heap(blocks.begin(), blocks.end(), lower_bound_first);
  auto remaining = blocks.end();
  while (remaining != blocks.begin()) {
    // The margin covers rounding.
    if (limit == 0 ||
        (heap.size() == limit &&
         1.0001f * scale * blocks.front().first < heap.front().score)) {
      break;
    }
    std::pop_heap(blocks.begin(), remaining, lower_bound_first);
    --remaining;
    const size_t begin = remaining->second * kBlockSize;
    std::array<uint32_t, kBlockSize> ids;
    const size_t count = postings.DecodeBlock(remaining->second, ids.data());
    // A block's scenes are scattered over a large index: ask for all of
    // them at once, so their cache misses overlap instead of queueing.
    for (size_t j = 0; j < count; ++j) {
      __builtin_prefetch(&index.docs_[ids[j]]);
      __builtin_prefetch(&index.live_[ids[j]]);
    }
    for (size_t j = 0; j < count; ++j) {
      const size_t i = begin + j;
      const uint32_t doc_id = ids[j];
      if (!index.live_[doc_id]) continue;
      const Doc& doc = index.docs_[doc_id];
      const float tf = SaturatedTf(doc, postings, i, clause.fields);
      if (tf < 0 || !Allowed(doc.film)) continue;
      const float score = scale * tf;
      // Most postings fall short of the k-th best: count them and go on.
      if (limit > 0 && heap.size() == limit && score < heap.front().score) {
        ++result.total_matches;
        continue;
      }
      Offer(doc_id, matched, score);
    }
  }
  // Every block left cannot beat the k-th best: count its matches only.
  // Unscoped and unfiltered, every live posting is a match, and the list
  // keeps that count.
  if (clause.fields == kAllFields && !filtering) {
    result.total_matches = postings.live_docs;
    remaining = blocks.begin();
  }
  for (auto it = blocks.begin(); it != remaining; ++it) {
    const size_t begin = it->second * kBlockSize;
    std::array<uint32_t, kBlockSize> ids;
    const size_t count = postings.DecodeBlock(it->second, ids.data());
    for (size_t j = 0; j < count; ++j) {
      const size_t i = begin + j;
      const uint32_t doc_id = ids[j];
      if (index.live_[doc_id] &&
          InFields(postings.FieldMask(i), clause.fields) &&
          Allowed(index.docs_[doc_id].film)) {
        ++result.total_matches;
      }
    }
  }
  if (options.collect_matched_stems) {
    highlight_clauses.push_back(
        {clause.fields, std::move(ExpansionsOf(clause))});
  }
}

void SceneIndex::Impl::QueryRun::ScoreCoordinated() {
  // Stop words make matches only in a query of nothing else.
  const bool stop_words_match = content_clauses == 0;
  // Every word required: the content clauses shortest list first, and each
  // later one galloped only to the scenes all earlier ones matched.
  const bool intersect =
      options.matching == WordMatching::kAll && !stop_words_match;
  std::vector<const Clause*> counting;
  counting.reserve(ordered.size());
  for (const Clause* clause : ordered) {
    if (!clause->excluded && ClauseCounts(*clause)) counting.push_back(clause);
  }
  const size_t content_count = counting.size();
  if (intersect) {
    auto list_length = [&](const Clause* clause) {
      size_t length = 0;
      for (const Expansion& expansion : ExpansionsOf(*clause)[0]) {
        length += index.postings_[expansion.stem].size();
      }
      return length;
    };
    std::stable_sort(counting.begin(), counting.end(),
                     [&](const Clause* a, const Clause* b) {
                       return list_length(a) < list_length(b);
                     });
  }
  for (const Clause* clause : ordered) {
    if (clause->excluded || !ClauseCounts(*clause)) counting.push_back(clause);
  }
  uint8_t content_counted = 0;
  for (size_t c = 0; c < counting.size(); ++c) {
    const Clause& clause = *counting[c];
    const bool counts = ClauseCounts(clause);
    if (!clause.excluded && !counts && !stop_words_match) continue;
    const std::vector<Expansion>& expansions = ExpansionsOf(clause)[0];
    const bool several = expansions.size() > 1;
    const uint32_t clause_epoch = several ? s.NextClause() : 0;
    if (intersect && c > 0 && c < content_count) {
      // The scenes every earlier content clause matched, ascending.
      std::vector<uint32_t>& survivors = s.candidates;
      survivors.clear();
      for (uint32_t doc_id : s.touched) {
        if (s.doc[doc_id].content == content_counted) {
          survivors.push_back(doc_id);
        }
      }
      if (!std::is_sorted(survivors.begin(), survivors.end())) {
        s.SortDocIds(survivors, index.docs_.size());
      }
      for (const Expansion& expansion : expansions) {
        const Postings& postings = index.postings_[expansion.stem];
        size_t i = 0;
        for (uint32_t doc_id : survivors) {
          const bool found = postings.SkipTo(&i, doc_id);
          if (i == postings.size()) break;
          if (!found || (clause.fields != kAllFields &&
                         !InFields(postings.FieldMask(i), clause.fields))) {
            continue;
          }
          if (several) {
            if (s.clause[doc_id].seen == clause_epoch) continue;
            s.clause[doc_id].seen = clause_epoch;
          }
          Scratch::DocState& state = s.doc[doc_id];
          ++state.matched;
          ++state.content;
        }
      }
      ++content_counted;
      continue;
    }
    for (const Expansion& expansion : expansions) {
      const Postings& postings = index.postings_[expansion.stem];
      postings.ForEach([&](size_t i, uint32_t doc_id) {
        if (!index.live_[doc_id]) return;
        if (clause.fields != kAllFields &&
            !InFields(postings.FieldMask(i), clause.fields)) {
          return;
        }
        if (several) {
          if (s.clause[doc_id].seen == clause_epoch) return;
          s.clause[doc_id].seen = clause_epoch;
        }
        Scratch::DocState& state = s.Touch(doc_id);
        if (clause.excluded) {
          state.excluded = 1;
        } else {
          ++state.matched;
          if (counts) ++state.content;
        }
      });
    }
    if (counts && !clause.excluded) ++content_counted;
  }
  // Stop words do not make a match, but count where present, like any
  // clause, in the scenes the other words matched ("in fear" ranks "In
  // Fear" above "Cradle of Fear"). Their lists are long and those scenes
  // few: gallop to each.
  if (!stop_words_match) {
    std::vector<uint32_t>& matched_docs = s.candidates;
    matched_docs.clear();
    for (uint32_t doc_id : s.touched) {
      const Scratch::DocState& state = s.doc[doc_id];
      if (!state.excluded && Qualifies(state)) matched_docs.push_back(doc_id);
    }
    bool sorted = false;  // Sorted only if some list is galloped.
    for (const Clause* clause_ptr : ordered) {
      const Clause& clause = *clause_ptr;
      if (clause.excluded || ClauseCounts(clause)) continue;
      const uint32_t clause_epoch = s.NextClause();
      for (const Expansion& expansion : ExpansionsOf(clause)[0]) {
        const Postings& postings = index.postings_[expansion.stem];
        if (matched_docs.size() * 8 >= postings.size()) {
          // Matches are a good share of the list: one pass over the list,
          // looking each scene up in the query's state, costs less than
          // sorting the matches and galloping to each.
          postings.ForEach([&](size_t i, uint32_t doc_id) {
            Scratch::DocState& state = s.doc[doc_id];
            if (state.seen != s.epoch || state.excluded || !Qualifies(state) ||
                s.clause[doc_id].seen == clause_epoch ||
                !InFields(postings.FieldMask(i), clause.fields)) {
              return;
            }
            s.clause[doc_id].seen = clause_epoch;
            ++state.matched;
          });
          continue;
        }
        if (!sorted) {
          if (!std::is_sorted(matched_docs.begin(), matched_docs.end())) {
            s.SortDocIds(matched_docs, index.docs_.size());
          }
          sorted = true;
        }
        size_t i = 0;
        for (uint32_t doc_id : matched_docs) {
          const bool found = postings.SkipTo(&i, doc_id);
          if (i == postings.size()) break;
          if (!found || s.clause[doc_id].seen == clause_epoch ||
              !InFields(postings.FieldMask(i), clause.fields)) {
            continue;
          }
          s.clause[doc_id].seen = clause_epoch;
          ++s.doc[doc_id].matched;
        }
      }
    }
  }
  // Matches per number of clauses matched.
  std::vector<uint32_t> with_matched(query.clauses.size() + 1, 0);
  uint32_t total = 0;
  for (uint32_t doc_id : s.touched) {
    Scratch::DocState& state = s.doc[doc_id];
    if (state.excluded || !Qualifies(state) ||
        !Allowed(index.docs_[doc_id].film)) {
      state.excluded = 1;  // Not a match: never a candidate.
      continue;
    }
    ++total;
    ++with_matched[state.matched];
  }
  // The fewest clauses matched among the best `limit` (all matches if
  // there are fewer).
  uint32_t fewest = 0;
  for (uint32_t at_least = 0, m = with_matched.size(); m-- > 0;) {
    at_least += with_matched[m];
    fewest = m;
    if (at_least >= limit) break;
  }
  std::vector<uint32_t>& candidates = s.candidates;
  candidates.clear();
  for (uint32_t doc_id : s.touched) {
    Scratch::DocState& state = s.doc[doc_id];
    if (!state.excluded && state.matched >= fewest) {
      candidates.push_back(doc_id);
    }
  }
  if (!std::is_sorted(candidates.begin(), candidates.end())) {
    s.SortDocIds(candidates, index.docs_.size());
  }
  // Score the candidates clause by clause, the clause that can add most
  // first (MaxScore): once the rest cannot lift a candidate to the k-th
  // best partial score of its rank, it is dropped, and later (usually
  // stop-word) lists are galloped through for the few left.
  struct Scored {
    const Clause* clause;
    float bound;  // The most the clause adds to a scene's score.
  };
  std::vector<Scored> scoring;
  for (const Clause* clause_ptr : ordered) {
    if (clause_ptr->excluded) continue;
    float bound = 0;
    for (const Expansion& expansion : ExpansionsOf(*clause_ptr)[0]) {
      const Postings& postings = index.postings_[expansion.stem];
      bound = std::max(bound, static_cast<float>(expansion.weight *
                                                 index.Idf(expansion.stem)) *
                                  ListBound(postings, clause_ptr->fields));
    }
    scoring.push_back({clause_ptr, bound});
  }
  std::stable_sort(
      scoring.begin(), scoring.end(),
      [](const Scored& a, const Scored& b) { return a.bound > b.bound; });
  // Scenes ranked above every scene matching `fewest` clauses are fewer
  // than `limit`; the others compete for the places left.
  size_t above = 0;
  for (uint32_t doc_id : candidates) {
    if (s.doc[doc_id].matched > fewest) ++above;
  }
  std::vector<float> contenders;
  for (size_t next = 0; next < scoring.size(); ++next) {
    const Clause& clause = *scoring[next].clause;
    const std::vector<Expansion>& expansions = ExpansionsOf(clause)[0];
    const bool several = expansions.size() > 1;
    const uint32_t clause_epoch = several ? s.NextClause() : 0;
    for (const Expansion& expansion : expansions) {
      const Postings& postings = index.postings_[expansion.stem];
      const float scale =
          static_cast<float>(expansion.weight * index.Idf(expansion.stem));
      auto score = [&](size_t i, uint32_t doc_id) {
        const float tf =
            SaturatedTf(index.docs_[doc_id], postings, i, clause.fields);
        if (tf < 0) return;
        const float value = scale * tf;
        if (!several) {
          s.doc[doc_id].score += value;
        } else if (s.clause[doc_id].seen != clause_epoch) {
          s.clause[doc_id] = {clause_epoch, value};
          s.clause_touched.push_back(doc_id);
        } else if (value > s.clause[doc_id].score) {
          s.clause[doc_id].score = value;
        }
      };
      const size_t size = postings.size();
      size_t i = 0;
      if (candidates.size() * 8 < size) {
        // Few candidates, a long list: gallop to each.
        for (uint32_t doc_id : candidates) {
          const bool found = postings.SkipTo(&i, doc_id);
          if (i == size) break;
          if (found) score(i, doc_id);
        }
      } else {
        // Comparable sizes: merge the two ascending lists.
        Postings::Reader docs(postings);
        size_t c = 0;
        while (i < size && c < candidates.size()) {
          const uint32_t doc_id = docs[i];
          if (doc_id < candidates[c]) {
            ++i;
          } else if (doc_id > candidates[c]) {
            ++c;
          } else {
            score(i, doc_id);
            ++i;
            ++c;
          }
        }
      }
    }
    if (several) {
      for (uint32_t doc_id : s.clause_touched) {
        s.doc[doc_id].score += s.clause[doc_id].score;
      }
    }
    // The most the clauses still to come can add.
    float rest = 0;
    for (size_t later = next + 1; later < scoring.size(); ++later) {
      rest += scoring[later].bound;
    }
    if (next + 1 == scoring.size() || candidates.size() <= limit) continue;
    contenders.clear();
    for (uint32_t doc_id : candidates) {
      if (s.doc[doc_id].matched == fewest) {
        contenders.push_back(s.doc[doc_id].score);
      }
    }
    const size_t places = limit - above;  // >= 1, by the choice of fewest
    if (contenders.size() <= places) continue;
    std::nth_element(contenders.begin(), contenders.begin() + (places - 1),
                     contenders.end(), std::greater<float>());
    const float threshold = contenders[places - 1];
    // Partial scores only grow, so `threshold` is at most the final k-th
    // best; the margin covers rounding in the sums.
    std::erase_if(candidates, [&](uint32_t doc_id) {
      const Scratch::DocState& state = s.doc[doc_id];
      return state.matched == fewest &&
             1.0001f * (state.score + rest) < threshold;
    });
  }
  for (const Clause* clause_ptr : ordered) {
    if (clause_ptr->excluded || !options.collect_matched_stems) continue;
    highlight_clauses.push_back(
        {clause_ptr->fields, std::move(ExpansionsOf(*clause_ptr))});
  }
  for (uint32_t doc_id : candidates) {
    Offer(doc_id, s.doc[doc_id].matched, s.doc[doc_id].score);
  }
  result.total_matches = total;
  s.touched.clear();  // Ranked already: the general pass has nothing to do.
}

void SceneIndex::Impl::QueryRun::RecordBest(uint32_t clause_epoch,
                                            uint32_t doc_id, double value) {
  if (s.clause[doc_id].seen != clause_epoch) {
    s.clause[doc_id].seen = clause_epoch;
    s.clause[doc_id].score = static_cast<float>(value);
    s.clause_touched.push_back(doc_id);
  } else if (value > s.clause[doc_id].score) {
    s.clause[doc_id].score = static_cast<float>(value);
  }
}

// Phrase: documents holding every term, whose positions line up within one
// field. The rarest term drives the candidate walk.
void SceneIndex::Impl::QueryRun::ScorePhrase(
    const Clause& clause, const std::vector<std::vector<Expansion>>& expansions,
    uint32_t clause_epoch) {
  double idf_sum = 0;
  std::vector<size_t> order(expansions.size());
  std::iota(order.begin(), order.end(), 0);
  auto size_of = [&](size_t k) {
    size_t total = 0;
    for (const Expansion& e : expansions[k])
      total += index.postings_[e.stem].size();
    return total;
  };
  for (size_t k = 0; k < expansions.size(); ++k) {
    double best_idf = 0;
    for (const Expansion& e : expansions[k])
      best_idf = std::max(best_idf, index.Idf(e.stem));
    idf_sum += best_idf;
  }
  const size_t driver = *std::min_element(
      order.begin(), order.end(),
      [&](size_t a, size_t b) { return size_of(a) < size_of(b); });
  // A forward-only cursor per (term, expansion): candidates come in
  // ascending order from each driver expansion, so each postings list is
  // galloped through once per driver expansion, not searched per doc.
  // Each also remembers where in `positions` some posting of the current
  // block starts, so reading postings in doc order decodes each list's
  // bytes about once instead of from its block's start every time.
  struct Cursor {
    size_t i = 0;      // The posting SkipTo reached...
    bool on = false;   // ...and whether it is the document looked for.
    size_t known = 0;  // A posting whose offset is known...
    size_t at = 0;     // ...and that offset.
  };
  std::vector<std::vector<Cursor>> cursors(expansions.size());
  // The fields of term k in a document, across its expansions (0 if it
  // has none). Leaves each expansion's cursor at the document or past it.
  auto fields_of = [&](size_t k, uint32_t doc_id) {
    uint32_t fields = 0;
    for (size_t e = 0; e < expansions[k].size(); ++e) {
      const Postings& p = index.postings_[expansions[k][e].stem];
      Cursor& cursor = cursors[k][e];
      cursor.on = p.SkipTo(&cursor.i, doc_id);
      if (cursor.on) fields |= p.FieldMask(cursor.i);
    }
    return fields;
  };
  // Occurrences of term k, in `fields`, in the document fields_of(k)
  // last looked at, decoded into `buffer` (sorted).
  auto occurrences =
      [&](size_t k, uint32_t doc_id, uint32_t fields,
          std::vector<uint32_t>* buffer) -> absl::Span<const uint32_t> {
    buffer->clear();
    int found = 0;
    for (size_t e = 0; e < expansions[k].size(); ++e) {
      const Postings& p = index.postings_[expansions[k][e].stem];
      Cursor& cursor = cursors[k][e];
      const size_t i = cursor.i;
      if (!cursor.on) continue;
      // Skip to the posting from the known one if it is in this block
      // and not past it, else from the block's start.
      if (cursor.known > i || cursor.known / kBlockSize != i / kBlockSize) {
        cursor.known = i - i % kBlockSize;
        cursor.at = p.blocks[i / kBlockSize].position_start;
      }
      for (; cursor.known < i; ++cursor.known) {
        cursor.at = SkipPositions(p.positions.data(), cursor.at);
      }
      cursor.at = DecodePositions(p.positions.data(), cursor.at, p.Tf(i).data(),
                                  kFieldCount, fields, buffer);
      ++cursor.known;
      ++found;
    }
    if (found > 1) std::sort(buffer->begin(), buffer->end());
    return *buffer;
  };
  std::vector<std::vector<uint32_t>> buffers(expansions.size());
  std::vector<absl::Span<const uint32_t>> occ(expansions.size());
  std::vector<std::pair<int64_t, uint32_t>> sloppy;  // Scratch.
  for (const Expansion& e : expansions[driver]) {
    for (size_t k = 0; k < expansions.size(); ++k) {
      cursors[k].assign(expansions[k].size(), Cursor{});
    }
    const Postings& p = index.postings_[e.stem];
    Postings::Reader driver_docs(p);
    for (size_t d = 0; d < p.size(); ++d) {
      const uint32_t doc_id = driver_docs[d];
      if (!index.live_[doc_id] || s.clause[doc_id].seen == clause_epoch)
        continue;
      // The other terms first (most candidates fail there), the driver
      // last; positions are decoded only once every term is in a field
      // the phrase may match in.
      uint32_t common = clause.fields;
      for (size_t k = 0; k < expansions.size() && common != 0; ++k) {
        if (k != driver) common &= fields_of(k, doc_id);
      }
      if (common != 0) common &= fields_of(driver, doc_id);
      if (common == 0) continue;
      for (size_t k = 0; k < expansions.size(); ++k) {
        occ[k] = occurrences(k, doc_id, common, &buffers[k]);
      }
      std::array<uint32_t, kFieldCount> tf{};
      bool any = false;
      if (clause.slop > 0) {
        any = SloppyPhraseFrequency(occ, clause.slop, clause.fields, &tf,
                                    &sloppy);
      } else {
        for (uint32_t start : occ[0]) {
          const uint32_t field = OccurrenceField(start);
          if (!(clause.fields & (1u << field))) continue;
          bool lined_up = true;
          for (size_t k = 1; k < occ.size() && lined_up; ++k) {
            lined_up = std::binary_search(occ[k].begin(), occ[k].end(),
                                          start + static_cast<uint32_t>(k));
          }
          if (lined_up) {
            ++tf[field];
            any = true;
          }
        }
      }
      if (!any) continue;
      RecordBest(clause_epoch, doc_id,
                 idf_sum * Saturate(PseudoFrequency(index.docs_[doc_id], tf)));
    }
  }
}

// Clause by clause, each scene's score summed over clauses (a clause's
// best expansion counting once), phrases checked by position.
void SceneIndex::Impl::QueryRun::ScoreGeneral() {
  for (const Clause* clause_ptr : ordered) {
    const Clause& clause = *clause_ptr;
    const size_t clause_index = &clause - query.clauses.data();
    const uint32_t clause_epoch = s.NextClause();
    const bool counts = ClauseCounts(clause);
    // A stop-word clause ("the") only adds to scenes that content clauses
    // matched (its score, and one matched clause): on its own it does not
    // make a match, and its postings are the longest of all.
    const bool score_only = !counts && !clause.excluded && content_clauses > 0;
    // Counting facets needs the matches, not their scores or order.
    if (facets_only && score_only) continue;
    if (clause.alternatives.empty()) {
      std::vector<std::vector<Expansion>> expansions =
          std::move(ExpansionsOf(clause));
      // A word with one stem scores each scene once: add straight to the
      // totals. Otherwise a scene keeps its best match within the clause
      // (typo and prefix expansions of one word do not add up).
      const bool direct = !clause.phrase && !clause.excluded &&
                          expansions.size() == 1 && expansions[0].size() == 1;
      ScorePart(clause, expansions, clause_epoch, direct, counts, score_only);
      if (!clause.excluded) {
        highlight_clauses.push_back({clause.fields, std::move(expansions)});
      }
    } else {
      // OR: a scene keeps its best alternative; the clause counts once.
      auto& alternatives = alternative_expansions[clause_index];
      for (size_t a = 0; a < clause.alternatives.size(); ++a) {
        ScorePart(clause.alternatives[a], alternatives[a], clause_epoch,
                  /*direct=*/false, counts, score_only);
        highlight_clauses.push_back(
            {clause.alternatives[a].fields, std::move(alternatives[a])});
      }
    }
    if (clause.excluded) {
      for (uint32_t doc_id : s.clause_touched) {
        s.Touch(doc_id);
        s.doc[doc_id].excluded = 1;
      }
      continue;
    }
    for (uint32_t doc_id : s.clause_touched) {
      Scratch::DocState& state = s.Touch(doc_id);
      state.score += s.clause[doc_id].score;
      ++state.matched;
      if (counts) ++state.content;
    }
  }
}

void SceneIndex::Impl::QueryRun::ScorePart(
    const Clause& part, const std::vector<std::vector<Expansion>>& expansions,
    uint32_t clause_epoch, bool direct, bool counts, bool score_only) {
  if (part.phrase) {
    ScorePhrase(part, expansions, clause_epoch);
    return;
  }
  auto record = [&](uint32_t doc_id, double value) {
    if (direct) {
      Scratch::DocState& state = s.Touch(doc_id);
      state.score += static_cast<float>(value);
      ++state.matched;
      if (counts) ++state.content;
      return;
    }
    RecordBest(clause_epoch, doc_id, value);
  };
  for (const Expansion& expansion : expansions[0]) {
    const Postings& postings = index.postings_[expansion.stem];
    const double scale = expansion.weight * index.Idf(expansion.stem);
    auto score = [&](size_t i, uint32_t doc_id) {
      if (!index.live_[doc_id]) return;
      if (facets_only) {  // Which scenes match, not how well.
        if (InFields(postings.FieldMask(i), part.fields)) {
          record(doc_id, 0.0);
        }
        return;
      }
      const Doc& doc = index.docs_[doc_id];
      const float tf = SaturatedTf(doc, postings, i, part.fields);
      if (tf >= 0) record(doc_id, scale * tf);
    };
    const size_t size = postings.size();
    if (score_only && s.touched.size() * 8 < size) {
      // A stop word's list is long and the scenes it may add to are few:
      // gallop to each of them instead of reading the whole list. `touched`
      // is ascending within each clause's run of additions; a step back
      // starts the gallop over.
      size_t i = 0;
      uint32_t previous = 0;
      for (uint32_t doc_id : s.touched) {
        if (doc_id < previous) i = 0;
        previous = doc_id;
        if (postings.SkipTo(&i, doc_id)) score(i, doc_id);
      }
      continue;
    }
    postings.ForEach([&](size_t i, uint32_t doc_id) {
      if (!score_only || s.doc[doc_id].seen == s.epoch) score(i, doc_id);
    });
  }
}

// Ranks the scenes ScoreGeneral touched.
void SceneIndex::Impl::QueryRun::RankTouched() {
  // A scene must match a clause with content, not only stop words (all of
  // them, for WordMatching::kAll).
  for (uint32_t doc_id : s.touched) {  // Empty after the single-stem path.
    if (s.doc[doc_id].excluded || !Qualifies(s.doc[doc_id]) ||
        !Allowed(index.docs_[doc_id].film)) {
      continue;
    }
    const Ranked& worst = heap.empty() ? Ranked{} : heap.front();
    if (heap.size() == limit && limit > 0 &&
        (s.doc[doc_id].matched < worst.matched ||
         (s.doc[doc_id].matched == worst.matched &&
          s.doc[doc_id].score < worst.score))) {
      ++result.total_matches;  // Short of the k-th best.
      continue;
    }
    Offer(doc_id, s.doc[doc_id].matched, s.doc[doc_id].score);
  }
}

void SceneIndex::Impl::QueryRun::CollectHits() {
  if (full_order) {
    // RankAll kept the page in order.
  } else {
    std::sort(heap.begin(), heap.end(), ByRank{this});
    result.more = result.total_matches > static_cast<int64_t>(heap.size());
    // The hits of earlier pages (SearchOptions::skip).
    const size_t skipped =
        std::min(heap.size(), static_cast<size_t>(std::max(0, options.skip)));
    heap.erase(heap.begin(), heap.begin() + skipped);
  }
  if (result.more && !heap.empty()) {  // Only a next page needs it.
    const OrderKey key = KeyOf(heap.back());
    result.last_position = {static_cast<int>(key.matched),
                            key.score,
                            key.year,
                            std::string(key.title_key),
                            std::string(key.film),
                            static_cast<int>(key.ordinal)};
  }

  result.hits.reserve(heap.size());
  for (const Ranked& ranked : heap) {
    const uint32_t doc_id = ranked.doc;
    const Doc& doc = index.docs_[doc_id];
    SceneHit& hit = result.hits.emplace_back();
    hit.film = index.films_[doc.film].film;
    hit.scene_index = static_cast<int>(doc.ordinal);
    hit.score = ranked.score;
    hit.matched_clauses = static_cast<int>(ranked.matched);
    if (!options.collect_matched_stems) continue;
    // Mark a term's looser matches (typos, prefixes) only where the scene
    // lacks the word itself, so "shoes" does not light up "shots"; and mark
    // a stem only in the fields that hold it, so the highlighter analyses
    // no field in vain.
    for (const HighlightClause& clause : highlight_clauses) {
      for (const std::vector<Expansion>& term : clause.expansions) {
        // Per expansion, the fields of this scene that hold it (bit mask).
        std::vector<uint32_t> present(term.size(), 0);
        bool has_exact = false;
        for (size_t k = 0; k < term.size(); ++k) {
          const Postings& postings = index.postings_[term[k].stem];
          const size_t i = postings.Find(doc_id);
          if (i == postings.size()) continue;
          const FieldTf field_tf = postings.Tf(i);
          for (int f = 0; f < kFieldCount; ++f) {
            if (field_tf[f] != 0) present[k] |= 1u << f;
          }
          if (term[k].weight >= 1.0 && (present[k] & clause.fields) != 0) {
            has_exact = true;
          }
        }
        for (size_t k = 0; k < term.size(); ++k) {
          if (has_exact && term[k].weight < 1.0) continue;
          const uint32_t fields = present[k] & clause.fields;
          for (int f = 0; f < kFieldCount; ++f) {
            if (fields & (1u << f)) {
              hit.matched_stems[f].emplace_back(index.stems_[term[k].stem]);
            }
          }
        }
      }
    }
    for (auto& stems : hit.matched_stems) {
      std::sort(stems.begin(), stems.end());
      stems.erase(std::unique(stems.begin(), stems.end()), stems.end());
    }
  }
  // After the loop (which skips on without matched stems). Explanations
  // analyse the texts; they share the query's expansions, computed once.
  if (options.load_texts || options.explain) LoadTexts(&result.hits);
  if (options.explain) index.ExplainHits(query, ranking, &result.hits);
}

SearchResult SceneIndex::Impl::Search(const ParsedQuery& query,
                                      const SearchOptions& options) const {
  SearchResult result = QueryRun(*this, query, options).Run();
  const FacetRequest& facets = options.facets;
  const bool ordered_all = options.sort != SortOrder::kRelevance ||
                           options.max_scenes_per_film > 0 ||
                           options.after.has_value();
  if (!ordered_all &&
      (facets.genres > 0 || facets.directors > 0 || facets.years > 0)) {
    // The hits came from a top-k path that does not visit every match; the
    // facets need them all, so they take a counting pass of their own.
    SearchResult counted =
        QueryRun(*this, query, options, /*facets_only=*/true).Run();
    result.genre_facets = std::move(counted.genre_facets);
    result.director_facets = std::move(counted.director_facets);
    result.year_facets = std::move(counted.year_facets);
  }
  return result;
}

}  // namespace reel::search
