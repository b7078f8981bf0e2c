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
#include "search-service/index/scene_index.h"
#include "search-service/index/term_table.h"
#include "search-service/query/query.h"
#include "search-service/text/analyzer.h"
#include "search-service/text/fuzzy_trie.h"

namespace reel::search {

// Bit f set where field_tf[f] (one of kFieldCount bytes) is not zero: a
// handful of word operations instead of a loop per posting.
inline uint32_t NonZeroFields(const uint8_t* field_tf) {
  static_assert(kFieldCount == 5);
  uint64_t v = 0;
  std::memcpy(&v, field_tf, kFieldCount);
  constexpr uint64_t kLow = 0x7F7F7F7F7FULL;
  constexpr uint64_t kHigh = 0x8080808080ULL;
  // Per byte: bit 7 ends up set if any bit was (no carry crosses bytes).
  const uint64_t nonzero = (((v & kLow) + kLow) | v) & kHigh;
  return static_cast<uint32_t>(((nonzero >> 7) & 1) | ((nonzero >> 14) & 2) |
                               ((nonzero >> 21) & 4) | ((nonzero >> 28) & 8) |
                               ((nonzero >> 35) & 16));
}

// The ranking the tight block bounds are computed for (Postings::Block).
inline const RankingOptions kDefaultRanking;

// Postings per score-bound block (see Postings::Block).
inline constexpr size_t kBlockSize = 16;

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
    for (Postings& p : postings_) {
      p.docs.shrink_to_fit();
      p.positions.shrink_to_fit();
      p.tf_codes.shrink_to_fit();
      p.escaped_tf.shrink_to_fit();
      p.blocks.shrink_to_fit();
      p.heads.shrink_to_fit();
    }
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

  struct Postings {
    CompactVector<uint32_t> docs;  // Ascending document ids.
    // Per document, its kFieldCount term frequencies (saturating at 255) as
    // one code (field_tf.h): term scoring reads these instead of walking
    // the occurrences. The counts of escaped codes, 5 bytes each, in order.
    CompactVector<uint8_t> tf_codes;
    CompactVector<uint8_t> escaped_tf;
    // Per document, its occurrences (positions.h); Block::position_start
    // says where each block's first one starts.
    PositionBytes positions;
    uint32_t live_docs = 0;  // Document frequency among live docs.
    // The term frequencies of posting i.
    FieldTf Tf(size_t i) const {
      const uint8_t code = tf_codes[i];
      if (ABSL_PREDICT_TRUE(code != kTfEscape)) return DecodeFieldTf(code);
      return EscapedTf(i);
    }
    // The fields (bit f: field f) posting i has its term in.
    uint32_t FieldMask(size_t i) const {
      const uint8_t code = tf_codes[i];
      if (ABSL_PREDICT_TRUE(code != kTfEscape)) return FieldMaskOf(code);
      return NonZeroFields(EscapedTf(i).data());
    }
    // Out of line: escapes are rare, and the hot loops stay small.
    ABSL_ATTRIBUTE_NOINLINE FieldTf EscapedTf(size_t i) const {
      const size_t block_start = i - i % kBlockSize;
      size_t escaped = blocks[i / kBlockSize].escape_start;
      for (size_t j = block_start; j < i; ++j) {
        escaped += tf_codes[j] == kTfEscape;
      }
      FieldTf tf{};
      std::memcpy(tf.data(), &escaped_tf[escaped * kFieldCount], kFieldCount);
      return tf;
    }
    // Per kBlockSize postings, the most a document there can score: top-k
    // search skips (only counts) a block whose bound is below the k-th
    // best score so far. Tombstones leave the bounds valid, if loose.
    struct Block {
      std::array<uint8_t, kFieldCount> max_tf{};
      std::array<uint16_t, kFieldCount> min_length;  // Where tf > 0.
      // A tighter bound for the default weights and b: the highest
      // pseudo-frequency of a posting here, computed with the field averages
      // of the moment it was added, and the smallest such average per field
      // (rounded down; 0xFFFF where no posting has the field). If averages
      // grew since, the bound scales by the largest growth (see Search).
      float max_reference_tf = 0;
      std::array<uint16_t, kFieldCount> min_average;
      // Where the block's first posting starts in `positions`, and how
      // many postings before the block have escaped counts.
      uint32_t position_start = 0;
      uint32_t escape_start = 0;
    };
    static Block EmptyBlock() {
      Block block;
      block.min_length.fill(0xFFFF);
      block.min_average.fill(0xFFFF);
      return block;
    }
    CompactVector<Block> blocks;
    // The bounds of every block but the last (still filling) folded into
    // one: the largest counts and pseudo-frequency, the smallest lengths and
    // averages. With the last block's, a bound for the whole list at the
    // cost of two block bounds, not one per block (see ListBound). Null
    // while the list has one block, as most lists do.
    std::unique_ptr<Block> summary;
    void FoldIntoSummary() {
      if (summary == nullptr) summary = std::make_unique<Block>(EmptyBlock());
      Block& folded = *summary;
      const Block& last = blocks.back();
      for (int f = 0; f < kFieldCount; ++f) {
        folded.max_tf[f] = std::max(folded.max_tf[f], last.max_tf[f]);
        folded.min_length[f] =
            std::min(folded.min_length[f], last.min_length[f]);
        folded.min_average[f] =
            std::min(folded.min_average[f], last.min_average[f]);
      }
      folded.max_reference_tf =
          std::max(folded.max_reference_tf, last.max_reference_tf);
    }
    // The first doc of each block: SkipTo() finds a far doc among these
    // (a few cache lines) before reading one block of `docs`. Empty while
    // the list has one block, as most lists do: SkipTo needs no heads there.
    CompactVector<uint32_t> heads;
  };
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
