// SceneIndex: an in-memory inverted index of scenes, ranked with BM25F.
//
// Each scene is a document with five fields: its title, description and
// context, and its film's title and synopsis. Postings keep, per document,
// every occurrence as (field, position), which serves per-field term
// frequencies, phrase matching and field scopes from one list. A film is the
// unit of change: UpsertFilm replaces all of a film's scenes, RemoveFilm
// drops them. Removed documents are tombstoned and skipped; Compact() (run by
// the owner when dead_fraction() grows) rebuilds without them.
//
// Not thread-safe: LiveIndex serialises writers and readers around it.
#ifndef REEL_SEARCH_SERVICE_INDEX_SCENE_INDEX_H_
#define REEL_SEARCH_SERVICE_INDEX_SCENE_INDEX_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "reel/catalog/v1/catalog.pb.h"
#include "search-service/index/film_record.h"
#include "search-service/query/query.h"
#include "search-service/text/analyzer.h"

namespace reel::search {

// BM25F parameters. Weights are per Field (see query.h).
struct RankingOptions {
  std::array<double, kFieldCount> field_weights = {3.0, 1.0, 1.0, 2.0, 0.5};
  double k1 = 1.2;
  double b = 0.75;
  // Score multipliers for looser matches of a query term.
  double typo_penalty = 0.6;    // Per edit.
  double prefix_penalty = 0.8;  // A prefix expansion that is not the word.
  // Most dictionary terms one misspelt word expands to, the closest first
  // (SearchResult::typo_capped_terms names the words cut). A prefix expands
  // to every term it covers.
  int max_expansions = 64;
};

struct SearchFilter {
  std::vector<std::string> film_names;  // Empty: any film.
  int year_min = 0;                     // 0: no bound.
  int year_max = 0;
  std::vector<std::string> genres;     // Case-insensitive, any of.
  std::vector<std::string> directors;  // Case-insensitive, any of.
};

// The order of SearchResult::hits. Every order ends with the relevance
// order (SceneSortKey), so no two hits tie.
enum class SortOrder : uint8_t {
  kRelevance,       // More matched clauses, then the higher score.
  kYearAscending,   // The film's year, oldest first; unknown years last.
  kYearDescending,  // Newest first; unknown years last.
  kTitle,           // The film's title (ASCII case folded), A to Z.
};

// A hit's place in an order, what a page token resumes after. For the
// order it was made in, no two hits of one index state share one.
struct ResultPosition {
  int matched_clauses = 0;
  float score = 0;
  int year = 0;
  std::string title_key;  // The film title as kTitle compares it (kTitle only).
  std::string film;       // Film name.
  int scene_ordinal = 0;
};

// Facet counts to compute over every match: the top N values of each
// (0: none).
struct FacetRequest {
  int genres = 0;
  int directors = 0;
  int years = 0;
};

struct FacetCount {
  std::string value;   // As the first matching film spells it.
  int64_t scenes = 0;  // Matching scenes of films with this value.
};

// Which scenes match a query of several words.
enum class WordMatching {
  // Any word (clause) with content matches; scenes matching more clauses
  // rank first.
  kAny,
  // Every clause with content must match (an OR clause by either side, a
  // phrase as a whole); stop words stay optional and only add to the score.
  // A query of stop words only needs every one of them.
  kAll,
};

struct SearchOptions {
  int max_results = 20;
  WordMatching matching = WordMatching::kAny;
  SortOrder sort = SortOrder::kRelevance;
  // At most this many scenes of one film among the hits, over all pages
  // (0: no limit); total_matches still counts every matching scene.
  int max_scenes_per_film = 0;
  FacetRequest facets;
  // Start after this position of `sort`'s order (the next page).
  std::optional<ResultPosition> after;
  // For the relevance order without a per-film cap: leave out its first
  // `skip` hits (the earlier pages'). Pages then come from the same top-k
  // computation as the first, so they continue it exactly, where a
  // position would meet scores rounded another way.
  int skip = 0;
  // Fill SceneHit::matched_stems (highlighting needs them; a caller that
  // only wants ranked ids saves a look-up per hit and term).
  bool collect_matched_stems = true;
  // Fill SceneHit::texts (what text() and highlights read): the index
  // keeps texts compressed, and decompresses each returned film's once. A
  // caller that only wants ranked ids saves that.
  bool load_texts = true;
  // Fill SceneHit::explanation. Costs only the returned hits: per hit and
  // query term, a few postings look-ups and an analysis of the fields it
  // matched in.
  bool explain = false;
  SearchFilter filter;
  RankingOptions ranking;
};

// How a query term reached the word a scene holds.
enum class MatchForm : uint8_t {
  kExact,   // The word as typed (folded) is there: "dancing" in "dancing".
  kStem,    // Only other words with its stem: "dancing" in "dances".
  kTypo,    // A word typo_distance edits away: "ballerna" in "ballerina".
  kPrefix,  // A longer word the prefix (word*) starts: "balle*" in "ballet".
  kPhrase,  // A word of a phrase, where the whole phrase occurs.
};

// One query term's share of a hit's score, in one field. Under BM25F a
// term's fields are saturated together: with pf_f = field_weight * tf /
// (1 - b + b * length_f / average_f), the term adds form_weight * idf *
// S(sum of pf) (S(x) = x (k1 + 1) / (x + k1)), split over its fields in
// proportion to pf_f. A phrase adds S(sum of its pf) times the sum of its
// words' idfs, split over words by idf and over fields by pf. A word's
// expansions (stem, typos, prefix) and an OR's alternatives do not add up:
// the best counts, and only it is explained.
struct TermExplanation {
  int clause_index = 0;  // Into ParsedQuery::clauses.
  // For an OR clause, the alternative explained (its best), else -1.
  int alternative_index = -1;
  int term_index = 0;        // Into the clause's (or alternative's) terms.
  std::string query_term;    // As typed, folded.
  std::string matched_term;  // The scene's word (folded) it matched.
  Field field = kSceneTitle;
  MatchForm form = MatchForm::kExact;
  int typo_distance = 0;  // Edits, for kTypo.
  // Occurrences in the field of words with the matched stem (of the whole
  // phrase, for kPhrase); words count up to 255.
  int term_frequency = 0;
  double field_weight = 0;  // RankingOptions::field_weights[field].
  double form_weight = 1;   // 1, or the typo or prefix penalty applied.
  double idf = 0;           // Of the matched stem.
  double contribution = 0;  // Its share of SceneHit::score.
};

// What one query clause (a word, a phrase, an OR of them) did for a hit.
struct ClauseExplanation {
  int clause_index = 0;
  // The scene matches it, so it is one of SceneHit::matched_clauses (a
  // clause of stop words too; an excluded clause never).
  bool counted = false;
  double score = 0;  // Its terms' contributions, summed.
};

// Why a hit scored what it did. The contributions of its terms add up to
// SceneHit::score (within float rounding: the ranking sums floats).
struct HitExplanation {
  std::vector<ClauseExplanation> clauses;  // One per query clause, in order.
  std::vector<TermExplanation> terms;      // By clause, term, then field.
};

// The values the relevance order compares, in order: more matched clauses
// first, then the higher score, then the film name (ascending, bytewise),
// then the scene's position in its film. Other orders (SortOrder) compare
// the film's year or title first and end with these. No two hits of one
// search have equal keys.
struct SceneSortKey {
  int matched_clauses = 0;
  float score = 0;  // The float compared; SceneHit::score holds it exactly.
  absl::string_view film;
  int scene_ordinal = 0;
};

// One ranked scene. It shares ownership of the index's copy of its film, so
// the texts highlights are cut from outlive later changes to the index
// without a copy.
struct SceneHit {
  // Name, title, year, directors, genres and scene ids: what the index
  // ranks, filters and identifies hits by.
  std::shared_ptr<const FilmRecord> film;
  // The film's texts; set unless SearchOptions::load_texts was false.
  std::shared_ptr<const FilmTexts> texts;
  int scene_index = 0;  // Into the film's scenes.
  double score = 0;     // The float the ranking compares (see sort_key()).
  int matched_clauses = 0;
  // Stems that matched, per field, for highlighting (sorted, distinct);
  // empty unless SearchOptions::collect_matched_stems.
  std::array<std::vector<std::string>, kFieldCount> matched_stems;
  // Set only with SearchOptions::explain (shared, so hits stay small and
  // cheap to move: most searches ask for none).
  std::shared_ptr<const HitExplanation> explanation;

  SceneSortKey sort_key() const {
    return {matched_clauses, static_cast<float>(score), film_name(),
            scene_index};
  }
  const std::string& film_name() const { return film->name(); }
  absl::string_view scene_id() const { return film->scene_id(scene_index); }
  // The text of one field (film-level fields come from the film); empty
  // for a text field when `texts` is not set.
  absl::string_view text(Field field) const;
};

struct SearchResult {
  std::vector<SceneHit> hits;  // In SearchOptions::sort's order.
  int64_t total_matches = 0;   // Every scene that matched, exactly.
  // Facets over every match (not only the hits), most scenes first, then
  // by value; the top FacetRequest values of each.
  std::vector<FacetCount> genre_facets, director_facets, year_facets;
  // Hits remain after the last one (another page), and its position (set
  // only when `more`).
  bool more = false;
  ResultPosition last_position;
  // Query words that are not in the index and were searched as the words
  // typos lead to: each with the likeliest one ("ballerna" -> "ballerina").
  struct Correction {
    std::string query_term;  // Folded, as the query had it.
    std::string corrected;   // The indexed word.
    int distance = 0;        // Edits.
  };
  std::vector<Correction> corrections;
  // Query words (folded, in query order) more indexed words than
  // RankingOptions::max_expansions were a typo away from: the closest that
  // many were searched, the others not.
  std::vector<std::string> typo_capped_terms;
};

struct IndexStats {
  int64_t films = 0;
  int64_t scenes = 0;
  int64_t terms = 0;
  int64_t memory_bytes = 0;  // The sum of the parts below.
  // Its parts: the posting lists (ids, counts, positions, block bounds),
  // the dictionaries (stems, words, typo trie), the per-scene and per-film
  // records (lengths, liveness, scene lists, the name look-up) and the
  // films kept for results and highlights (texts compressed). Estimates
  // from the containers' capacities, allocator rounding included where the
  // container knows it; per-allocation headers are not counted.
  int64_t postings_bytes = 0;
  int64_t dictionary_bytes = 0;
  int64_t scene_bytes = 0;
  int64_t text_bytes = 0;
};

class SceneIndex {
 public:
  explicit SceneIndex(std::shared_ptr<const text::Analyzer> analyzer);
  ~SceneIndex();
  SceneIndex(const SceneIndex&) = delete;
  SceneIndex& operator=(const SceneIndex&) = delete;

  // Indexes the film's scenes, replacing any it had (by film.name()).
  void UpsertFilm(const reel::catalog::v1::Film& film);
  void RemoveFilm(absl::string_view film_name);

  SearchResult Search(const ParsedQuery& query,
                      const SearchOptions& options) const;

  IndexStats stats() const;
  // Sets the texts of hits that lack them (SearchOptions::load_texts),
  // decompressing each film once. Needs no lock: hits own their films.
  static void LoadTexts(std::vector<SceneHit>* hits);
  // Share of documents that are tombstones.
  double dead_fraction() const;
  // A new index holding only the live films.
  std::unique_ptr<SceneIndex> Compact() const;
  // Gives back the spare capacity of every list, after a bulk load (lists
  // grow by doubling, so up to half of each can be spare), and merges the
  // recent words into the sorted dictionary. Later updates grow only the
  // lists they touch.
  void ShrinkToFit();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_SCENE_INDEX_H_
