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
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "reel/catalog/v1/catalog.pb.h"
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
  // Most dictionary terms one misspelt word expands to.
  // A prefix expands to every term it covers.
  int max_expansions = 64;
};

struct SearchFilter {
  std::vector<std::string> film_names;  // Empty: any film.
  int year_min = 0;                     // 0: no bound.
  int year_max = 0;
  std::vector<std::string> genres;     // Case-insensitive, any of.
  std::vector<std::string> directors;  // Case-insensitive, any of.
};

struct SearchOptions {
  int max_results = 20;
  // Fill SceneHit::matched_stems (highlighting needs them; a caller that
  // only wants ranked ids saves a look-up per hit and term).
  bool collect_matched_stems = true;
  SearchFilter filter;
  RankingOptions ranking;
};

// One ranked scene. It shares ownership of the index's copy of its film, so
// the texts highlights are cut from outlive later changes to the index
// without a copy.
struct SceneHit {
  // Name, title, year, directors, genres, synopsis and the scenes' ids and
  // texts: what the index searches and shows (not quotes, cast, ...).
  std::shared_ptr<const reel::catalog::v1::Film> film;
  int scene_index = 0;  // Into film->scenes().
  double score = 0;
  int matched_clauses = 0;
  // Stems that matched, per field, for highlighting (sorted, distinct);
  // empty unless SearchOptions::collect_matched_stems.
  std::array<std::vector<std::string>, kFieldCount> matched_stems;

  const reel::catalog::v1::Scene& scene() const {
    return film->scenes(scene_index);
  }
  const std::string& film_name() const { return film->name(); }
  const std::string& scene_id() const { return scene().scene_id(); }
  // The text of one field (film-level fields come from the film).
  const std::string& text(Field field) const;
};

struct SearchResult {
  std::vector<SceneHit> hits;  // Best first.
  int64_t total_matches = 0;   // Every scene that matched, exactly.
};

struct IndexStats {
  int64_t films = 0;
  int64_t scenes = 0;
  int64_t terms = 0;
  int64_t memory_bytes = 0;
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
