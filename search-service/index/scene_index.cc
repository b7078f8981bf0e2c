#include "search-service/index/scene_index.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "search-service/index/positions.h"
#include "search-service/text/edit_distance.h"
#include "search-service/text/fuzzy_trie.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

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
const RankingOptions kDefaultRanking;

// Postings per score-bound block (see Postings::Block).
constexpr size_t kBlockSize = 16;

// How many entries ahead the build prefetches a list, then its growing ends.
constexpr size_t kPrefetchFar = 16;
constexpr size_t kPrefetchNear = 6;

// Pending dictionary terms are merged into the sorted dictionary past this.
constexpr size_t kMaxPendingTerms = 2048;

// What the index keeps of a film: the texts it searches and shows, and the
// facets it filters on; not the quotes, soundtrack or cast it never reads.
std::shared_ptr<const Film> SearchableCopy(const Film& film) {
  auto copy = std::make_shared<Film>();
  copy->set_name(film.name());
  copy->set_title(film.title());
  copy->set_year(film.year());
  *copy->mutable_directors() = film.directors();
  *copy->mutable_genres() = film.genres();
  copy->set_synopsis(film.synopsis());
  copy->mutable_scenes()->Reserve(film.scenes_size());
  for (const auto& scene : film.scenes()) {
    auto* kept = copy->add_scenes();
    kept->set_scene_id(scene.scene_id());
    kept->set_title(scene.title());
    kept->set_description(scene.description());
    kept->set_context(scene.context());
  }
  return copy;
}

// Orders like the name, as far as its first 8 bytes after "films/" go; 0
// (compare the names) for a name without that prefix or id.
uint64_t NameKey(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "films/") || name.empty()) return 0;
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) {
    key = (key << 8) | (i < name.size() ? static_cast<uint8_t>(name[i]) : 0);
  }
  return key;
}

std::string FoldForFilter(absl::string_view value) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
}

}  // namespace

class SceneIndex::Impl {
 public:
  explicit Impl(std::shared_ptr<const text::Analyzer> analyzer)
      : analyzer_(std::move(analyzer)) {}

  void UpsertFilm(const Film& film);
  void RemoveFilm(absl::string_view name);
  SearchResult Search(const ParsedQuery& query,
                      const SearchOptions& options) const;
  IndexStats stats() const;
  void ShrinkToFit() {
    for (Postings& p : postings_) {
      p.docs.shrink_to_fit();
      p.positions.shrink_to_fit();
      p.position_starts.shrink_to_fit();
      p.field_tf.shrink_to_fit();
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
    stems_.shrink_to_fit();
    films_.shrink_to_fit();
  }
  double dead_fraction() const {
    return docs_.empty() ? 0.0
                         : 1.0 - static_cast<double>(live_docs_) / docs_.size();
  }
  const std::shared_ptr<const text::Analyzer>& analyzer() const {
    return analyzer_;
  }
  std::vector<std::shared_ptr<const Film>> LiveFilms() const {
    std::vector<std::shared_ptr<const Film>> films;
    for (const FilmInfo& info : films_) {
      if (info.live) films.push_back(info.film);
    }
    return films;
  }

 private:
  struct Postings {
    std::vector<uint32_t> docs;  // Ascending document ids.
    // Per document, kFieldCount term frequencies (saturating at 255): term
    // scoring reads these instead of walking the occurrences.
    std::vector<uint8_t> field_tf;
    // Per document, its occurrences (positions.h), and per kBlockSize
    // documents, where the block's first one starts.
    PositionBytes positions;
    std::vector<uint32_t> position_starts;
    uint32_t live_docs = 0;  // Document frequency among live docs.
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
    };
    static Block EmptyBlock() {
      Block block;
      block.min_length.fill(0xFFFF);
      block.min_average.fill(0xFFFF);
      return block;
    }
    std::vector<Block> blocks;
    // Every block's bounds folded into one (the largest counts and
    // pseudo-frequency, the smallest lengths and averages): a bound for the
    // whole list that costs one block_bound(), not one per block.
    Block summary = EmptyBlock();
    // The first doc of each block: SkipTo() finds a far doc among these
    // (a few cache lines) before reading one block of `docs`.
    std::vector<uint32_t> heads;
  };
  struct Doc {
    uint32_t film;
    uint32_t ordinal;  // Scene order within the film.
    std::array<uint16_t, kFieldCount> length;
  };
  struct FilmInfo {
    std::shared_ptr<const Film> film;
    // NameKey(): ranking ties compare these before the names.
    uint64_t name_key = 0;
    std::vector<std::string> genres, directors;  // Folded for filters.
    std::vector<uint32_t> docs;
    bool live;
  };
  // A dictionary stem a query term matches, and how well.
  struct Expansion {
    uint32_t stem;
    double weight;
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
  void AddSurface(const std::string& surface, uint32_t stem);
  void MergePendingTerms();
  std::vector<Expansion> Expand(const QueryTerm& term,
                                const RankingOptions& ranking) const;
  double Idf(uint32_t stem) const;

  std::shared_ptr<const text::Analyzer> analyzer_;
  struct BuildScratch {
    std::vector<text::Token> film_title, synopsis, tokens;
    std::vector<uint32_t> film_stems, stems, occurrences;
    std::vector<uint64_t> film_entries, scene_entries, entries;
  } scratch_;

  absl::flat_hash_map<std::string, uint32_t> stem_ids_;
  std::vector<std::string> stems_;
  std::vector<Postings> postings_;
  // Surface terms (folded words) for prefix and typo matching: a sorted
  // array (with a trie over it for typos) plus an ordered set of recent
  // additions, merged into the array once it holds kMaxPendingTerms.
  absl::flat_hash_map<std::string, uint32_t> surface_stem_;
  std::vector<std::string> dictionary_;
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
      dictionary_trie_ = std::make_shared<const text::FuzzyTrie>(dictionary_);
    }
    return dictionary_trie_;
  }
  absl::btree_set<std::string> pending_;

  std::vector<Doc> docs_;
  // Per doc, 1 while its film is indexed: a byte array the hot loops read
  // instead of a field of the 20-byte Doc (a cache line per doc).
  std::vector<uint8_t> live_;
  std::vector<FilmInfo> films_;
  absl::flat_hash_map<std::string, uint32_t> film_ids_;  // Live films only.
  uint32_t live_docs_ = 0;
  std::array<uint64_t, kFieldCount> live_length_{};
};

uint32_t SceneIndex::Impl::StemId(const text::Token& token) {
  // A word always has the same stem: a known word costs one look-up.
  if (auto known = surface_stem_.find(token.term);
      known != surface_stem_.end()) {
    return known->second;
  }
  // Tokens come unstemmed (AnalyzeUnstemmed): only a new word is stemmed.
  const std::string stem =
      token.stem.empty() ? analyzer_->Stem(token.term) : token.stem;
  auto [it, inserted] =
      stem_ids_.try_emplace(stem, static_cast<uint32_t>(stems_.size()));
  if (inserted) {
    stems_.push_back(stem);
    postings_.emplace_back();
  }
  AddSurface(token.term, it->second);
  return it->second;
}

void SceneIndex::Impl::AddSurface(const std::string& surface, uint32_t stem) {
  surface_stem_.emplace(surface, stem);
  pending_.insert(surface);
}

void SceneIndex::Impl::MergePendingTerms() {
  std::vector<std::string> merged;
  merged.reserve(dictionary_.size() + pending_.size());
  std::merge(std::make_move_iterator(dictionary_.begin()),
             std::make_move_iterator(dictionary_.end()), pending_.begin(),
             pending_.end(), std::back_inserter(merged));
  dictionary_ = std::move(merged);
  pending_.clear();
  absl::MutexLock lock(&trie_mutex_);
  dictionary_trie_ = nullptr;
}

void SceneIndex::Impl::UpsertFilm(const Film& film) {
  RemoveFilm(film.name());
  const uint32_t film_index = static_cast<uint32_t>(films_.size());
  FilmInfo info;
  info.film = SearchableCopy(film);
  info.name_key = NameKey(film.name());
  info.live = true;
  for (const std::string& genre : film.genres()) {
    info.genres.push_back(FoldForFilter(genre));
  }
  for (const std::string& director : film.directors()) {
    info.directors.push_back(FoldForFilter(director));
  }

  // Film-level fields are the same for every scene: analyse them once.
  // Scratch reused across films (writers are serialised): a fresh vector
  // per film would allocate every token's strings again.
  std::vector<text::Token>& film_title = scratch_.film_title;
  std::vector<text::Token>& synopsis = scratch_.synopsis;
  std::vector<text::Token>& tokens = scratch_.tokens;
  analyzer_->AnalyzeUnstemmed(film.title(), &film_title);
  analyzer_->AnalyzeUnstemmed(film.synopsis(), &synopsis);

  // The stems and occurrences of one document, grouped into postings below.
  // (stem << 32 | occurrence): one integer sorts by stem, then occurrence,
  // with a single comparison.
  using Entries = std::vector<uint64_t>;
  auto add_field = [&](const std::vector<text::Token>& field_tokens,
                       Field field, Doc* doc, Entries* out) {
    uint32_t length = 0;
    for (const text::Token& token : field_tokens) {
      out->push_back(uint64_t{StemId(token)} << 32 |
                     Occurrence(field, token.position));
      length = std::max(length, token.position + 1);
    }
    doc->length[field] =
        static_cast<uint16_t>(std::min<uint32_t>(length, 0xFFFF));
  };
  // The film-level entries are resolved and sorted once, then merged into
  // each scene's: they would otherwise be most of every scene's work.
  Doc film_doc{};
  Entries& film_entries = scratch_.film_entries;
  Entries& scene_entries = scratch_.scene_entries;
  Entries& entries = scratch_.entries;
  film_entries.clear();
  add_field(film_title, kFilmTitle, &film_doc, &film_entries);
  add_field(synopsis, kSynopsis, &film_doc, &film_entries);
  std::sort(film_entries.begin(), film_entries.end());

  for (int ordinal = 0; ordinal < film.scenes_size(); ++ordinal) {
    const auto& scene = film.scenes(ordinal);
    const uint32_t doc_id = static_cast<uint32_t>(docs_.size());
    Doc doc{film_index, static_cast<uint32_t>(ordinal), {}};
    doc.length = film_doc.length;
    scene_entries.clear();
    analyzer_->AnalyzeUnstemmed(scene.title(), &tokens);
    add_field(tokens, kSceneTitle, &doc, &scene_entries);
    analyzer_->AnalyzeUnstemmed(scene.description(), &tokens);
    add_field(tokens, kDescription, &doc, &scene_entries);
    analyzer_->AnalyzeUnstemmed(scene.context(), &tokens);
    add_field(tokens, kContext, &doc, &scene_entries);
    std::sort(scene_entries.begin(), scene_entries.end());
    entries.clear();
    std::merge(scene_entries.begin(), scene_entries.end(), film_entries.begin(),
               film_entries.end(), std::back_inserter(entries));
    const ReferenceNorms reference = CurrentReferenceNorms();
    for (size_t i = 0; i < entries.size();) {
      const uint32_t stem = static_cast<uint32_t>(entries[i] >> 32);
      // A posting lands in lists scattered over memory: fetch the lists a
      // few entries ahead, then the ends they will grow at, so the stalls
      // overlap instead of coming one after another.
      if (i + kPrefetchFar < entries.size()) {
        const char* far = reinterpret_cast<const char*>(
            &postings_[entries[i + kPrefetchFar] >> 32]);
        __builtin_prefetch(far);
        __builtin_prefetch(far + 64);
      }
      if (i + kPrefetchNear < entries.size()) {
        const Postings& near = postings_[entries[i + kPrefetchNear] >> 32];
        __builtin_prefetch(near.docs.data() + near.docs.size(), 1);
        __builtin_prefetch(near.positions.data() + near.positions.size(), 1);
        __builtin_prefetch(near.field_tf.data() + near.field_tf.size(), 1);
      }
      Postings& postings = postings_[stem];
      if (postings.docs.size() % kBlockSize == 0) {
        postings.blocks.push_back(Postings::EmptyBlock());
        postings.heads.push_back(doc_id);
        postings.position_starts.push_back(
            static_cast<uint32_t>(postings.positions.size()));
      }
      postings.docs.push_back(doc_id);
      std::array<uint8_t, kFieldCount> tf{};
      std::vector<uint32_t>& occurrences = scratch_.occurrences;
      occurrences.clear();
      for (; i < entries.size() && (entries[i] >> 32) == stem; ++i) {
        const uint32_t occurrence = static_cast<uint32_t>(entries[i]);
        // An alternate token can repeat a primary's stem at its position.
        if (!occurrences.empty() && occurrences.back() == occurrence) continue;
        occurrences.push_back(occurrence);
        uint8_t& count = tf[OccurrenceField(occurrence)];
        if (count < kSaturatedTf) ++count;
      }
      postings.field_tf.insert(postings.field_tf.end(), tf.begin(), tf.end());
      AppendPositions(occurrences, tf.data(), kFieldCount, &postings.positions);
      float reference_tf = 0;
      for (int f = 0; f < kFieldCount; ++f) {
        if (tf[f] == 0) continue;
        reference_tf +=
            reference.weight[f] * tf[f] /
            (reference.base_norm + reference.length_factor[f] * doc.length[f]);
      }
      for (Postings::Block* block :
           {&postings.blocks.back(), &postings.summary}) {
        for (int f = 0; f < kFieldCount; ++f) {
          if (tf[f] == 0) continue;
          block->max_tf[f] = std::max(block->max_tf[f], tf[f]);
          block->min_length[f] = std::min(block->min_length[f], doc.length[f]);
          block->min_average[f] =
              std::min(block->min_average[f], reference.floor_average[f]);
        }
        block->max_reference_tf =
            std::max(block->max_reference_tf, reference_tf);
      }
      ++postings.live_docs;
    }
    for (int f = 0; f < kFieldCount; ++f) live_length_[f] += doc.length[f];
    docs_.push_back(doc);
    live_.push_back(1);
    info.docs.push_back(doc_id);
    ++live_docs_;
  }
  film_ids_[film.name()] = film_index;
  films_.push_back(std::move(info));
  if (pending_.size() > kMaxPendingTerms) MergePendingTerms();
}

void SceneIndex::Impl::AppendStems(absl::string_view text,
                                   std::vector<uint32_t>* stems) {
  analyzer_->AnalyzeUnstemmed(text, &scratch_.tokens);
  for (const text::Token& token : scratch_.tokens) {
    stems->push_back(StemId(token));
  }
}

void SceneIndex::Impl::RemoveFilm(absl::string_view name) {
  auto it = film_ids_.find(name);
  if (it == film_ids_.end()) return;
  FilmInfo& info = films_[it->second];
  // Each scene's distinct stems leave their lists' live counts. They are
  // found by analysing the kept texts again, as they were indexed, rather
  // than kept per scene: removals are rare and the lists would cost 4 bytes
  // per posting.
  const Film& film = *info.film;
  std::vector<uint32_t>& film_stems = scratch_.film_stems;
  std::vector<uint32_t>& stems = scratch_.stems;
  film_stems.clear();
  AppendStems(film.title(), &film_stems);
  AppendStems(film.synopsis(), &film_stems);
  for (uint32_t doc_id : info.docs) {
    const Doc& doc = docs_[doc_id];
    const auto& scene = film.scenes(static_cast<int>(doc.ordinal));
    stems.assign(film_stems.begin(), film_stems.end());
    AppendStems(scene.title(), &stems);
    AppendStems(scene.description(), &stems);
    AppendStems(scene.context(), &stems);
    std::sort(stems.begin(), stems.end());
    stems.erase(std::unique(stems.begin(), stems.end()), stems.end());
    for (uint32_t stem : stems) --postings_[stem].live_docs;
    live_[doc_id] = 0;
    for (int f = 0; f < kFieldCount; ++f) live_length_[f] -= doc.length[f];
    --live_docs_;
  }
  info.live = false;
  info.film.reset();  // Its scenes are tombstones now; nothing reads it.
  film_ids_.erase(it);
}

double SceneIndex::Impl::Idf(uint32_t stem) const {
  const double n = live_docs_;
  const double df = postings_[stem].live_docs;
  return std::log(1.0 + (n - df + 0.5) / (df + 0.5));
}

std::vector<SceneIndex::Impl::Expansion> SceneIndex::Impl::Expand(
    const QueryTerm& term, const RankingOptions& ranking) const {
  absl::flat_hash_map<uint32_t, double> best;  // stem -> weight
  auto offer = [&](uint32_t stem, double weight) {
    auto [it, inserted] = best.try_emplace(stem, weight);
    if (!inserted) it->second = std::max(it->second, weight);
  };
  if (auto it = stem_ids_.find(term.stem); it != stem_ids_.end()) {
    offer(it->second, 1.0);
  }
  int expansions = 0;
  auto offer_surface = [&](const std::string& surface, double weight) {
    if (expansions >= ranking.max_expansions) return;
    auto it = surface_stem_.find(surface);
    if (it == surface_stem_.end()) return;
    ++expansions;
    offer(it->second, weight);
  };
  if (term.prefix) {
    auto offer_prefixed = [&](auto begin, auto end) {
      for (auto it = begin; it != end && absl::StartsWith(*it, term.folded);
           ++it) {
        offer_surface(*it, *it == term.folded ? 1.0 : ranking.prefix_penalty);
      }
    };
    offer_prefixed(
        std::lower_bound(dictionary_.begin(), dictionary_.end(), term.folded),
        dictionary_.end());
    offer_prefixed(pending_.lower_bound(term.folded), pending_.end());
  }
  // Typos are looked for only when the word, as typed, is not in the index
  // (neither as a word nor by its stem): a real word is taken as meant, which
  // keeps "shoes" from matching "shots" and saves the fuzzy walk.
  if (term.max_typos > 0 && !surface_stem_.contains(term.folded) &&
      !stem_ids_.contains(term.stem)) {
    for (const text::FuzzyMatch& match :
         DictionaryTrie()->Lookup(term.folded, term.max_typos)) {
      if (match.distance == 0) continue;
      offer_surface(dictionary_[match.index],
                    std::pow(ranking.typo_penalty, match.distance));
    }
    // The recent words are few: check those the first-letter rule allows.
    for (const std::string& prefix : text::FuzzyPrefixes(term.folded)) {
      for (auto it = pending_.lower_bound(prefix);
           it != pending_.end() && absl::StartsWith(*it, prefix); ++it) {
        const int distance =
            text::FuzzyDistance(term.folded, *it, term.max_typos);
        if (distance > 0) {
          offer_surface(*it, std::pow(ranking.typo_penalty, distance));
        }
      }
    }
  }
  std::vector<Expansion> result;
  result.reserve(best.size());
  for (const auto& [stem, weight] : best) result.push_back({stem, weight});
  std::sort(
      result.begin(), result.end(),
      [](const Expansion& a, const Expansion& b) { return a.stem < b.stem; });
  return result;
}

namespace {

// Per-thread scratch arrays indexed by document id, reset by epoch stamps so
// a query costs O(postings touched), not O(documents).
struct Scratch {
  // Per document, what the query has found so far: one struct so a posting
  // touches one cache line, not one per array.
  struct DocState {
    uint32_t seen;  // Query epoch the doc was touched in.
    float score;
    uint8_t matched;
    uint8_t excluded;
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
  uint32_t epoch = 0;
  uint32_t clause_epoch = 0;

  void Prepare(size_t docs) {
    if (doc.size() < docs) {
      doc.resize(docs, DocState{0, 0, 0, 0});
      clause.resize(docs, ClauseState{0, 0});
    }
    if (++epoch == 0) {  // Wrapped: clear stamps once every 4 billion queries.
      for (DocState& state : doc) state.seen = 0;
      epoch = 1;
    }
    touched.clear();
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

// The first index at or after `from` whose doc is >= target (docs.size() if
// none). `heads` holds the first doc of every kBlockSize postings: a target
// past the current block is found among the heads, then within its one
// block, so a long jump touches few cache lines.
size_t SkipTo(const std::vector<uint32_t>& docs,
              const std::vector<uint32_t>& heads, size_t from,
              uint32_t target) {
  const size_t n = docs.size();
  if (from >= n || docs[from] >= target) return from;
  size_t block = from / kBlockSize;
  const size_t block_end = std::min(n, (block + 1) * kBlockSize);
  if (docs[block_end - 1] >= target) {  // Within this block: no heads read.
    return std::lower_bound(docs.begin() + from, docs.begin() + block_end,
                            target) -
           docs.begin();
  }
  if (block + 1 < heads.size() && heads[block + 1] <= target) {
    // The last block whose head is <= target, galloping from the next one
    // (targets are usually near).
    size_t below = block + 1;  // heads[below] <= target
    size_t step = 1;
    while (below + step < heads.size() && heads[below + step] <= target) {
      below += step;
      step *= 2;
    }
    const size_t limit = std::min(heads.size(), below + step);
    block =
        static_cast<size_t>(std::upper_bound(heads.begin() + below + 1,
                                             heads.begin() + limit, target) -
                            heads.begin()) -
        1;
    from = block * kBlockSize;
  }
  const size_t end = std::min(n, (block + 1) * kBlockSize);
  return std::lower_bound(docs.begin() + from, docs.begin() + end, target) -
         docs.begin();
}

// Whether a clause has a word that is not a stop word.
bool ClauseCounts(const Clause& clause) {
  for (const QueryTerm& term : clause.terms) {
    if (!term.stop_word) return true;
  }
  return false;
}

}  // namespace

SearchResult SceneIndex::Impl::Search(const ParsedQuery& query,
                                      const SearchOptions& options) const {
  const RankingOptions& ranking = options.ranking;
  Scratch& s = scratch;
  s.Prepare(docs_.size());

  // BM25F length normalisation per field, from live averages.
  std::array<double, kFieldCount> average{};
  for (int f = 0; f < kFieldCount; ++f) average[f] = AverageLength(f);
  // BM25F per field: tf_f / ((1 - b) + b * length_f / average_f), weighted
  // and summed, then saturated. The per-field constants are taken out of
  // the loop, and the usual case of one matching field folds the two
  // divisions into one.
  std::array<float, kFieldCount> length_factor, weight;
  for (int f = 0; f < kFieldCount; ++f) {
    length_factor[f] = static_cast<float>(ranking.b / average[f]);
    weight[f] = static_cast<float>(ranking.field_weights[f]);
  }
  const float base_norm = static_cast<float>(1.0 - ranking.b);
  const float k1 = static_cast<float>(ranking.k1);
  // Saturated pseudo-frequency of one posting restricted to `fields`, or a
  // negative value when it has no occurrence there.
  auto saturated_tf = [&](const Doc& doc, const uint8_t* field_tf,
                          uint32_t fields) -> float {
    uint32_t matched = NonZeroFields(field_tf) & fields;
    if (matched == 0) return -1.0f;
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
  };
  auto saturate = [&](double tf) { return tf * (k1 + 1) / (tf + k1); };
  const bool default_shape =
      ranking.field_weights == kDefaultRanking.field_weights &&
      ranking.b == kDefaultRanking.b;
  // The saturated pseudo-frequency no posting of the block can exceed.
  auto block_bound = [&](const Postings::Block& block, uint32_t fields) {
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
  };
  auto in_fields = [](const uint8_t* field_tf, uint32_t fields) {
    return (NonZeroFields(field_tf) & fields) != 0;
  };
  auto pseudo_frequency = [&](const Doc& doc,
                              const std::array<uint32_t, kFieldCount>& tf) {
    double total = 0;
    for (int f = 0; f < kFieldCount; ++f) {
      if (tf[f] == 0) continue;
      total +=
          weight[f] * tf[f] / (base_norm + length_factor[f] * doc.length[f]);
    }
    return total;
  };

  // Filters, per film, decided once per film.
  const SearchFilter& filter = options.filter;
  const bool filtering = !filter.film_names.empty() || filter.year_min != 0 ||
                         filter.year_max != 0 || !filter.genres.empty() ||
                         !filter.directors.empty();
  absl::flat_hash_map<uint32_t, bool> film_allowed;
  auto allowed = [&](uint32_t film_index) {
    if (!filtering) return true;
    auto [it, inserted] = film_allowed.try_emplace(film_index, false);
    if (!inserted) return it->second;
    const FilmInfo& info = films_[film_index];
    const Film& film = *info.film;
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
  };

  // Rank: more matched clauses first, then score, then film name, then scene
  // order, so equal inputs always give the same order.
  struct Ranked {
    float score;
    uint32_t matched;
    uint32_t doc;
  };
  auto better = [&](const Ranked& a, const Ranked& b) {
    if (a.matched != b.matched) return a.matched > b.matched;
    if (a.score != b.score) return a.score > b.score;
    const Doc& da = docs_[a.doc];
    const Doc& db = docs_[b.doc];
    if (da.film != db.film) {
      const FilmInfo& fa = films_[da.film];
      const FilmInfo& fb = films_[db.film];
      if (fa.name_key != fb.name_key && fa.name_key != 0 && fb.name_key != 0) {
        return fa.name_key < fb.name_key;
      }
      return fa.film->name() < fb.film->name();
    }
    return da.ordinal < db.ordinal;
  };
  SearchResult result;
  const size_t limit = static_cast<size_t>(std::max(0, options.max_results));
  std::vector<Ranked> heap;  // Worst of the best `limit` on top.
  heap.reserve(limit + 1);
  // Counts a matching scene (filters passed) and keeps it if it ranks among
  // the best `limit`.
  auto offer = [&](uint32_t doc_id, uint32_t matched, float score) {
    ++result.total_matches;
    if (limit == 0) return;
    const Ranked candidate{score, matched, doc_id};
    if (heap.size() < limit) {
      heap.push_back(candidate);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(candidate, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = candidate;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  };
  // What each positive clause matched, for highlighting.
  struct HighlightClause {
    uint8_t fields;
    std::vector<std::vector<Expansion>> expansions;  // Per term.
  };
  std::vector<HighlightClause> highlight_clauses;
  const int content_clauses = query.required_clause_count();
  // Content clauses first, so stop-word clauses can skip unmatched scenes.
  std::vector<const Clause*> ordered;
  for (const Clause& clause : query.clauses) {
    if (ClauseCounts(clause)) ordered.push_back(&clause);
  }
  for (const Clause& clause : query.clauses) {
    if (!ClauseCounts(clause)) ordered.push_back(&clause);
  }
  // Dictionary stems per clause and term.
  std::vector<std::vector<std::vector<Expansion>>> clause_expansions;
  for (const Clause& clause : query.clauses) {
    auto& expansions = clause_expansions.emplace_back();
    for (const QueryTerm& term : clause.terms) {
      expansions.push_back(Expand(term, ranking));
    }
  }
  auto expansions_of = [&](const Clause& clause) -> auto& {
    return clause_expansions[&clause - query.clauses.data()];
  };

  // One word matching one stem (the commonest query): its postings are
  // scored straight into the top-k, with no per-clause accumulators.
  // (A lone stop word, "then", counts as a match: nothing else could.)
  const bool single_stem = query.clauses.size() == 1 &&
                           !query.clauses[0].phrase &&
                           !query.clauses[0].excluded &&
                           expansions_of(query.clauses[0])[0].size() == 1;
  if (single_stem) {
    const Clause& clause = query.clauses[0];
    const Expansion& expansion = expansions_of(clause)[0][0];
    const Postings& postings = postings_[expansion.stem];
    const float scale =
        static_cast<float>(expansion.weight * Idf(expansion.stem));
    const uint8_t matched = ClauseCounts(clause) ? 1 : 0;
    const size_t size = postings.docs.size();
    // Blocks are scored best bound first: the top-k fills with strong
    // scenes early, and once no block left can beat its worst, the rest are
    // only counted (total_matches stays exact). The order changes nothing
    // else: ranking ties are broken by film and scene, not by visit order.
    std::vector<std::pair<float, uint32_t>>& blocks = s.blocks;
    blocks.clear();
    for (uint32_t block = 0; block * kBlockSize < size; ++block) {
      blocks.emplace_back(block_bound(postings.blocks[block], clause.fields),
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
      const size_t end = std::min(size, begin + kBlockSize);
      for (size_t i = begin; i < end; ++i) {
        const uint32_t doc_id = postings.docs[i];
        if (!live_[doc_id]) continue;
        const Doc& doc = docs_[doc_id];
        const float tf = saturated_tf(doc, &postings.field_tf[i * kFieldCount],
                                      clause.fields);
        if (tf < 0 || !allowed(doc.film)) continue;
        const float score = scale * tf;
        // Most postings fall short of the k-th best: count them and go on.
        if (limit > 0 && heap.size() == limit && score < heap.front().score) {
          ++result.total_matches;
          continue;
        }
        offer(doc_id, matched, score);
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
      const size_t end = std::min(size, begin + kBlockSize);
      for (size_t i = begin; i < end; ++i) {
        const uint32_t doc_id = postings.docs[i];
        if (live_[doc_id] &&
            in_fields(&postings.field_tf[i * kFieldCount], clause.fields) &&
            (!filtering || allowed(docs_[doc_id].film))) {
          ++result.total_matches;
        }
      }
    }
    highlight_clauses.push_back(
        {clause.fields, std::move(expansions_of(clause))});
  }

  // Several words, no phrase: the ranking puts scenes matching more clauses
  // first, so a first pass only counts (every match, for total_matches) and
  // finds the fewest clauses a top-k scene can match; only scenes matching
  // that many are scored, each list walked against them in doc order.
  const bool coordinated =
      !single_stem && limit > 0 && query.clauses.size() > 1 &&
      std::none_of(query.clauses.begin(), query.clauses.end(),
                   [](const Clause& clause) { return clause.phrase; });
  if (coordinated) {
    // Stop words make matches only in a query of nothing else.
    const bool stop_words_match = content_clauses == 0;
    for (const Clause* clause_ptr : ordered) {
      const Clause& clause = *clause_ptr;
      const bool counts = ClauseCounts(clause);
      if (!clause.excluded && !counts && !stop_words_match) continue;
      const std::vector<Expansion>& expansions = expansions_of(clause)[0];
      const bool several = expansions.size() > 1;
      const uint32_t clause_epoch = several ? s.NextClause() : 0;
      for (const Expansion& expansion : expansions) {
        const Postings& postings = postings_[expansion.stem];
        const size_t size = postings.docs.size();
        for (size_t i = 0; i < size; ++i) {
          const uint32_t doc_id = postings.docs[i];
          if (!live_[doc_id]) continue;
          if (clause.fields != kAllFields &&
              !in_fields(&postings.field_tf[i * kFieldCount], clause.fields)) {
            continue;
          }
          if (several) {
            if (s.clause[doc_id].seen == clause_epoch) continue;
            s.clause[doc_id].seen = clause_epoch;
          }
          Scratch::DocState& state = s.doc[doc_id];
          if (state.seen != s.epoch) {
            state = {s.epoch, 0, 0, 0};
            s.touched.push_back(doc_id);
          }
          if (clause.excluded) {
            state.excluded = 1;
          } else if (counts) {
            ++state.matched;
          }
        }
      }
    }
    // Matches per number of clauses matched.
    std::vector<uint32_t> with_matched(query.clauses.size() + 1, 0);
    const bool need_content = content_clauses > 0;
    uint32_t total = 0;
    for (uint32_t doc_id : s.touched) {
      Scratch::DocState& state = s.doc[doc_id];
      if (state.excluded || (need_content && state.matched == 0) ||
          !allowed(docs_[doc_id].film)) {
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
      std::sort(candidates.begin(), candidates.end());
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
      for (const Expansion& expansion : expansions_of(*clause_ptr)[0]) {
        const Postings& postings = postings_[expansion.stem];
        bound = std::max(
            bound, static_cast<float>(expansion.weight * Idf(expansion.stem)) *
                       block_bound(postings.summary, clause_ptr->fields));
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
      const std::vector<Expansion>& expansions = expansions_of(clause)[0];
      const bool several = expansions.size() > 1;
      const uint32_t clause_epoch = several ? s.NextClause() : 0;
      for (const Expansion& expansion : expansions) {
        const Postings& postings = postings_[expansion.stem];
        const float scale =
            static_cast<float>(expansion.weight * Idf(expansion.stem));
        auto score = [&](size_t i) {
          const uint32_t doc_id = postings.docs[i];
          const float tf =
              saturated_tf(docs_[doc_id], &postings.field_tf[i * kFieldCount],
                           clause.fields);
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
        const size_t size = postings.docs.size();
        size_t i = 0;
        if (candidates.size() * 8 < size) {
          // Few candidates, a long list: gallop to each.
          for (uint32_t doc_id : candidates) {
            i = SkipTo(postings.docs, postings.heads, i, doc_id);
            if (i == size) break;
            if (postings.docs[i] == doc_id) score(i);
          }
        } else {
          // Comparable sizes: merge the two ascending lists.
          size_t c = 0;
          while (i < size && c < candidates.size()) {
            const uint32_t doc_id = postings.docs[i];
            if (doc_id < candidates[c]) {
              ++i;
            } else if (doc_id > candidates[c]) {
              ++c;
            } else {
              score(i);
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
      if (clause_ptr->excluded) continue;
      highlight_clauses.push_back(
          {clause_ptr->fields, std::move(expansions_of(*clause_ptr))});
    }
    for (uint32_t doc_id : candidates) {
      offer(doc_id, s.doc[doc_id].matched, s.doc[doc_id].score);
    }
    result.total_matches = total;
    s.touched.clear();  // Ranked already: the general pass has nothing to do.
  }

  for (const Clause* clause_ptr : ordered) {
    if (single_stem || coordinated) break;
    const Clause& clause = *clause_ptr;
    const uint32_t clause_epoch = s.NextClause();
    const bool counts = ClauseCounts(clause);
    std::vector<std::vector<Expansion>> expansions =
        std::move(expansions_of(clause));
    // A word with one stem scores each scene once: add straight to the
    // totals. Otherwise a scene keeps its best match within the clause
    // (typo and prefix expansions of one word do not add up).
    const bool direct = !clause.phrase && !clause.excluded &&
                        expansions.size() == 1 && expansions[0].size() == 1;
    auto record = [&](uint32_t doc_id, double value) {
      if (direct) {
        if (s.doc[doc_id].seen != s.epoch) {
          s.doc[doc_id].seen = s.epoch;
          s.doc[doc_id].score = 0;
          s.doc[doc_id].matched = 0;
          s.doc[doc_id].excluded = 0;
          s.touched.push_back(doc_id);
        }
        s.doc[doc_id].score += static_cast<float>(value);
        if (counts) ++s.doc[doc_id].matched;
        return;
      }
      if (s.clause[doc_id].seen != clause_epoch) {
        s.clause[doc_id].seen = clause_epoch;
        s.clause[doc_id].score = static_cast<float>(value);
        s.clause_touched.push_back(doc_id);
      } else if (value > s.clause[doc_id].score) {
        s.clause[doc_id].score = static_cast<float>(value);
      }
    };

    // A stop-word clause ("the") only adds to scenes that content clauses
    // matched: on its own it does not make a match, and its postings are
    // the longest of all.
    const bool score_only = !counts && !clause.excluded && content_clauses > 0;
    if (!clause.phrase) {
      for (const Expansion& expansion : expansions[0]) {
        const Postings& postings = postings_[expansion.stem];
        const double scale = expansion.weight * Idf(expansion.stem);
        auto score = [&](size_t i) {
          if (!live_[postings.docs[i]]) return;
          const Doc& doc = docs_[postings.docs[i]];
          const float tf = saturated_tf(
              doc, &postings.field_tf[i * kFieldCount], clause.fields);
          if (tf >= 0) record(postings.docs[i], scale * tf);
        };
        const size_t size = postings.docs.size();
        if (score_only && s.touched.size() * 8 < size) {
          // A stop word's list is long and the scenes it may add to are
          // few: gallop to each of them instead of reading the whole list.
          // `touched` is ascending within each clause's run of additions;
          // a step back starts the gallop over.
          size_t i = 0;
          uint32_t previous = 0;
          for (uint32_t doc_id : s.touched) {
            if (doc_id < previous) i = 0;
            previous = doc_id;
            i = SkipTo(postings.docs, postings.heads, i, doc_id);
            if (i < size && postings.docs[i] == doc_id) score(i);
          }
          continue;
        }
        for (size_t i = 0; i < size; ++i) {
          if (score_only && s.doc[postings.docs[i]].seen != s.epoch) continue;
          score(i);
        }
      }
    } else {
      // Phrase: documents holding every term; positions must line up within
      // one field. The rarest term drives the candidate walk.
      double idf_sum = 0;
      std::vector<size_t> order(expansions.size());
      std::iota(order.begin(), order.end(), 0);
      auto size_of = [&](size_t k) {
        size_t total = 0;
        for (const Expansion& e : expansions[k])
          total += postings_[e.stem].docs.size();
        return total;
      };
      for (size_t k = 0; k < expansions.size(); ++k) {
        double best_idf = 0;
        for (const Expansion& e : expansions[k])
          best_idf = std::max(best_idf, Idf(e.stem));
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
        size_t i = 0;      // The posting SkipTo reached.
        size_t known = 0;  // A posting whose offset is known...
        size_t at = 0;     // ...and that offset.
      };
      std::vector<std::vector<Cursor>> cursors(expansions.size());
      // Occurrences of term k in a document, across its expansions, decoded
      // into `buffer` (sorted); empty if it has none.
      // The fields of term k in a document, across its expansions (0 if it
      // has none). Leaves each expansion's cursor at the document or past it.
      auto fields_of = [&](size_t k, uint32_t doc_id) {
        uint32_t fields = 0;
        for (size_t e = 0; e < expansions[k].size(); ++e) {
          const Postings& p = postings_[expansions[k][e].stem];
          Cursor& cursor = cursors[k][e];
          const size_t i = cursor.i = SkipTo(p.docs, p.heads, cursor.i, doc_id);
          if (i < p.docs.size() && p.docs[i] == doc_id) {
            fields |= NonZeroFields(&p.field_tf[i * kFieldCount]);
          }
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
          const Postings& p = postings_[expansions[k][e].stem];
          Cursor& cursor = cursors[k][e];
          const size_t i = cursor.i;
          if (i == p.docs.size() || p.docs[i] != doc_id) continue;
          // Skip to the posting from the known one if it is in this block
          // and not past it, else from the block's start.
          if (cursor.known > i || cursor.known / kBlockSize != i / kBlockSize) {
            cursor.known = i - i % kBlockSize;
            cursor.at = p.position_starts[i / kBlockSize];
          }
          for (; cursor.known < i; ++cursor.known) {
            cursor.at = SkipPositions(p.positions.data(), cursor.at);
          }
          cursor.at = DecodePositions(p.positions.data(), cursor.at,
                                      &p.field_tf[i * kFieldCount], kFieldCount,
                                      fields, buffer);
          ++cursor.known;
          ++found;
        }
        if (found > 1) std::sort(buffer->begin(), buffer->end());
        return *buffer;
      };
      std::vector<std::vector<uint32_t>> buffers(expansions.size());
      std::vector<absl::Span<const uint32_t>> occ(expansions.size());
      for (const Expansion& e : expansions[driver]) {
        for (size_t k = 0; k < expansions.size(); ++k) {
          cursors[k].assign(expansions[k].size(), Cursor{});
        }
        const Postings& p = postings_[e.stem];
        for (uint32_t doc_id : p.docs) {
          if (!live_[doc_id] || s.clause[doc_id].seen == clause_epoch) continue;
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
          if (!any) continue;
          record(doc_id,
                 idf_sum * saturate(pseudo_frequency(docs_[doc_id], tf)));
        }
      }
    }

    if (clause.excluded) {
      for (uint32_t doc_id : s.clause_touched) {
        if (s.doc[doc_id].seen != s.epoch) {
          s.doc[doc_id].seen = s.epoch;
          s.doc[doc_id].score = 0;
          s.doc[doc_id].matched = 0;
          s.touched.push_back(doc_id);
        }
        s.doc[doc_id].excluded = 1;
      }
      continue;
    }
    highlight_clauses.push_back({clause.fields, std::move(expansions)});
    for (uint32_t doc_id : s.clause_touched) {
      if (s.doc[doc_id].seen != s.epoch) {
        s.doc[doc_id].seen = s.epoch;
        s.doc[doc_id].score = 0;
        s.doc[doc_id].matched = 0;
        s.doc[doc_id].excluded = 0;
        s.touched.push_back(doc_id);
      }
      s.doc[doc_id].score += s.clause[doc_id].score;
      if (counts) ++s.doc[doc_id].matched;
    }
  }

  // A scene must match a clause with content, not only stop words.
  const bool need_content = query.required_clause_count() > 0;
  for (uint32_t doc_id : s.touched) {  // Empty after the single-stem path.
    if (s.doc[doc_id].excluded ||
        (need_content && s.doc[doc_id].matched == 0) ||
        !allowed(docs_[doc_id].film)) {
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
    offer(doc_id, s.doc[doc_id].matched, s.doc[doc_id].score);
  }
  std::sort(heap.begin(), heap.end(), better);

  result.hits.reserve(heap.size());
  for (const Ranked& ranked : heap) {
    const uint32_t doc_id = ranked.doc;
    const Doc& doc = docs_[doc_id];
    SceneHit& hit = result.hits.emplace_back();
    hit.film = films_[doc.film].film;
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
          const Postings& postings = postings_[term[k].stem];
          auto it = std::lower_bound(postings.docs.begin(), postings.docs.end(),
                                     doc_id);
          if (it == postings.docs.end() || *it != doc_id) continue;
          const uint8_t* field_tf =
              &postings.field_tf[(it - postings.docs.begin()) * kFieldCount];
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
              hit.matched_stems[f].push_back(stems_[term[k].stem]);
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
  return result;
}

const std::string& SceneHit::text(Field field) const {
  switch (field) {
    case kSceneTitle:
      return scene().title();
    case kDescription:
      return scene().description();
    case kContext:
      return scene().context();
    case kFilmTitle:
      return film->title();
    case kSynopsis:
      return film->synopsis();
  }
  return film->synopsis();  // Unreachable: every Field is handled above.
}

IndexStats SceneIndex::Impl::stats() const {
  IndexStats stats;
  stats.films = static_cast<int64_t>(film_ids_.size());
  stats.scenes = live_docs_;
  stats.terms = static_cast<int64_t>(surface_stem_.size());
  int64_t bytes = 0;
  for (const Postings& p : postings_) {
    bytes +=
        (p.docs.capacity() + p.position_starts.capacity()) * sizeof(uint32_t) +
        p.field_tf.capacity() + p.positions.capacity() +
        p.blocks.capacity() * sizeof(Postings::Block) +
        p.heads.capacity() * sizeof(uint32_t) + sizeof(Postings);
  }
  for (const std::string& stem : stems_) bytes += stem.capacity() + 48;
  for (const std::string& term : dictionary_)
    bytes += 2 * (term.capacity() + 40);
  for (const std::string& term : pending_) bytes += 2 * (term.capacity() + 48);
  bytes += DictionaryTrie()->memory_bytes();
  bytes += docs_.capacity() * sizeof(Doc) + live_.capacity();
  for (const FilmInfo& info : films_) {
    if (info.live) bytes += static_cast<int64_t>(info.film->SpaceUsedLong());
  }
  stats.memory_bytes = bytes;
  return stats;
}

SceneIndex::SceneIndex(std::shared_ptr<const text::Analyzer> analyzer)
    : impl_(std::make_unique<Impl>(std::move(analyzer))) {}
SceneIndex::~SceneIndex() = default;

void SceneIndex::UpsertFilm(const Film& film) { impl_->UpsertFilm(film); }
void SceneIndex::RemoveFilm(absl::string_view film_name) {
  impl_->RemoveFilm(film_name);
}
SearchResult SceneIndex::Search(const ParsedQuery& query,
                                const SearchOptions& options) const {
  return impl_->Search(query, options);
}
IndexStats SceneIndex::stats() const { return impl_->stats(); }
double SceneIndex::dead_fraction() const { return impl_->dead_fraction(); }

std::unique_ptr<SceneIndex> SceneIndex::Compact() const {
  auto compacted = std::make_unique<SceneIndex>(impl_->analyzer());
  for (const auto& film : impl_->LiveFilms()) compacted->UpsertFilm(*film);
  compacted->ShrinkToFit();
  return compacted;
}

void SceneIndex::ShrinkToFit() { impl_->ShrinkToFit(); }

}  // namespace reel::search
