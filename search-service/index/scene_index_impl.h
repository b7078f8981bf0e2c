// SceneIndex::Impl: the index's data and the operations on it. Internal to
// the index library: scene_index.cc builds and maintains it, scene_search.cc
// answers queries from it. Thread safety is SceneIndex's: one writer at a
// time, or any number of concurrent readers.
#ifndef REEL_SEARCH_SERVICE_INDEX_SCENE_INDEX_IMPL_H_
#define REEL_SEARCH_SERVICE_INDEX_SCENE_INDEX_IMPL_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "reel/catalog/v1/catalog.pb.h"
#include "search-service/index/compact_vector.h"
#include "search-service/index/field_tf.h"
#include "search-service/index/film_record.h"
#include "search-service/index/positions.h"
#include "search-service/index/postings.h"
#include "search-service/index/scene_index.h"
#include "search-service/index/term_table.h"
#include "search-service/query/query.h"
#include "search-service/text/analyzer.h"
#include "search-service/text/fuzzy_trie.h"

namespace reel::search {

// The ranking the tight block bounds are computed for (Postings::Block).
inline const RankingOptions kDefaultRanking;

// Genres and directors as filters compare them.
inline std::string FoldForFilter(absl::string_view value) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
}

class SceneIndex::Impl {
 public:
  explicit Impl(std::shared_ptr<const text::Analyzer> analyzer)
      : analyzer_(std::move(analyzer)) {}

  void UpsertFilm(const reel::catalog::v1::Film& film);
  void RemoveFilm(absl::string_view name);
  SearchResult Search(const ParsedQuery& query,
                      const SearchOptions& options) const;
  IndexStats stats() const;
  void ShrinkToFit() {
    for (Postings& p : postings_) p.ShrinkToFit();
    postings_.shrink_to_fit();
    // Recent words join the dictionary the typo walk searches, so queries
    // need not also scan them one by one.
    MergePendingTerms();
    dictionary_.shrink_to_fit();
    DictionaryTrie();  // Built now, not by the first search after a load.
    docs_.shrink_to_fit();
    live_.shrink_to_fit();
    stems_.ShrinkToFit();
    words_.ShrinkToFit();
    word_stems_.shrink_to_fit();
    films_.shrink_to_fit();
  }
  double dead_fraction() const {
    return docs_.empty() ? 0.0
                         : 1.0 - static_cast<double>(live_docs_) / docs_.size();
  }
  const std::shared_ptr<const text::Analyzer>& analyzer() const {
    return analyzer_;
  }
  std::vector<std::shared_ptr<const FilmRecord>> LiveFilms() const {
    std::vector<std::shared_ptr<const FilmRecord>> films;
    for (const FilmInfo& info : films_) {
      if (info.live) films.push_back(info.film);
    }
    return films;
  }

 private:
  // One Search call's evaluation (scene_search.cc).
  struct QueryRun;

  using Postings = ::reel::search::Postings;
  struct Doc {
    uint32_t film;
    uint32_t ordinal;  // Scene order within the film.
    std::array<uint16_t, kFieldCount> length;
  };
  struct FilmInfo {
    std::shared_ptr<const FilmRecord> film;
    // NameKey(): ranking ties compare these before the names.
    uint64_t name_key = 0;
    std::vector<std::string> genres, directors;  // Folded for filters.
    std::vector<uint32_t> docs;
    bool live;
  };
  // A dictionary stem a query term matches, and how well.
  struct Expansion {
    // How the term reached the stem (what an explanation calls its form):
    // its own stem, a word it is a prefix of, or a word `distance` edits
    // away. A stem reached several ways keeps its best weight's way.
    enum Kind : uint8_t { kWord, kPrefix, kTypo };
    uint32_t stem;
    double weight;
    Kind kind = kWord;
    uint8_t distance = 0;  // Edits, for kTypo.
  };

  // BM25F constants of the default ranking with the current field
  // averages: what Postings::Block::max_reference_tf is computed with.
  struct ReferenceNorms {
    std::array<float, kFieldCount> weight, length_factor;
    std::array<uint16_t, kFieldCount> floor_average;
    float base_norm;
  };
  ReferenceNorms CurrentReferenceNorms() const {
    ReferenceNorms norms;
    for (int f = 0; f < kFieldCount; ++f) {
      const double average = AverageLength(f);
      norms.weight[f] = static_cast<float>(kDefaultRanking.field_weights[f]);
      norms.length_factor[f] = static_cast<float>(kDefaultRanking.b / average);
      norms.floor_average[f] =
          static_cast<uint16_t>(std::min(65534.0, std::floor(average)));
    }
    norms.base_norm = static_cast<float>(1.0 - kDefaultRanking.b);
    return norms;
  }
  // The live average length of a field, at least 1 (BM25F's avgdl).
  double AverageLength(int field) const {
    return live_docs_ == 0
               ? 1.0
               : std::max(1.0, static_cast<double>(live_length_[field]) /
                                   live_docs_);
  }
  uint32_t StemId(const text::Token& token);
  // Appends the stem of each token of `text` (duplicates included).
  void AppendStems(absl::string_view text, std::vector<uint32_t>* stems);
  void AddSurface(absl::string_view surface, uint32_t stem);
  void MergePendingTerms();
  // A query word's correction: the indexed word typos took it to that is
  // fewest edits away, then in the most live scenes, then first by bytes.
  struct Correction {
    std::string word;
    int distance = 0;
    uint32_t live_docs = 0;
  };
  // `correction`, when given, is set to the best typo correction of the
  // term (left unset when its word is indexed or no typo matched);
  // `typos_capped`, when given, to true when more words than
  // ranking.max_expansions were a typo away (the closest were kept).
  std::vector<Expansion> Expand(const QueryTerm& term,
                                const RankingOptions& ranking,
                                std::optional<Correction>* correction = nullptr,
                                bool* typos_capped = nullptr) const;
  // Sets each hit's explanation: per clause and term, what the scene holds
  // and its share of the score, recomputed from the postings with the
  // formula the ranking used (scene_explain.cc). `query` as searched.
  void ExplainHits(const ParsedQuery& query, const RankingOptions& ranking,
                   std::vector<SceneHit>* hits) const;
  double Idf(uint32_t stem) const;

  std::shared_ptr<const text::Analyzer> analyzer_;
  struct BuildScratch {
    std::vector<text::Token> film_title, synopsis, tokens;
    std::vector<uint32_t> film_stems, stems, occurrences;
    std::vector<uint64_t> film_entries, scene_entries, entries;
  } scratch_;

  // Stems by id; postings_[id] is the stem's list.
  TermTable stems_;
  std::vector<Postings> postings_;
  // Surface terms (folded words) by id, and each one's stem.
  TermTable words_;
  std::vector<uint32_t> word_stems_;
  // Word ids in byte order of their words, for what matches a prefix or a
  // typo: a sorted array (with a trie over it for typos) plus an ordered
  // set of recent additions, merged into the array once it holds
  // kMaxPendingTerms.
  struct WordOrder {
    using is_transparent = void;
    const TermTable* words;
    bool operator()(uint32_t a, uint32_t b) const {
      return (*words)[a] < (*words)[b];
    }
    bool operator()(uint32_t a, absl::string_view b) const {
      return (*words)[a] < b;
    }
    bool operator()(absl::string_view a, uint32_t b) const {
      return a < (*words)[b];
    }
  };
  std::vector<uint32_t> dictionary_;
  // The typo trie over dictionary_, built on first use after a merge
  // (DictionaryTrie): a bulk load merges dozens of times before anyone
  // searches. Readers (holding the caller's shared lock, so dictionary_
  // does not change) build it under trie_mutex_; a merge drops it.
  mutable absl::Mutex trie_mutex_;
  mutable std::shared_ptr<const text::FuzzyTrie> dictionary_trie_
      ABSL_GUARDED_BY(trie_mutex_);
  std::shared_ptr<const text::FuzzyTrie> DictionaryTrie() const {
    absl::MutexLock lock(&trie_mutex_);
    if (dictionary_trie_ == nullptr) {
      dictionary_trie_ = std::make_shared<const text::FuzzyTrie>(
          dictionary_.size(),
          [this](size_t i) { return words_[dictionary_[i]]; });
    }
    return dictionary_trie_;
  }
  absl::btree_set<uint32_t, WordOrder> pending_{WordOrder{&words_}};

  std::vector<Doc> docs_;
  // Per doc, 1 while its film is indexed: a byte array the hot loops read
  // instead of a field of the 20-byte Doc (a cache line per doc).
  std::vector<uint8_t> live_;
  std::vector<FilmInfo> films_;
  absl::flat_hash_map<std::string, uint32_t> film_ids_;  // Live films only.
  uint32_t live_docs_ = 0;
  std::array<uint64_t, kFieldCount> live_length_{};
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_INDEX_SCENE_INDEX_IMPL_H_
