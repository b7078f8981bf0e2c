// Building and maintaining the index: films in and out, the dictionary,
// statistics. Queries are answered in scene_search.cc.
#include "search-service/index/scene_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "search-service/index/film_record.h"
#include "search-service/index/positions.h"
#include "search-service/index/scene_index_impl.h"
#include "spdlog/spdlog.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;

// How many entries ahead the build prefetches a list, then its growing ends.
constexpr size_t kPrefetchFar = 16;
constexpr size_t kPrefetchNear = 6;

// Pending dictionary terms are merged into the sorted dictionary past this.
constexpr size_t kMaxPendingTerms = 2048;

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

}  // namespace

uint32_t SceneIndex::Impl::StemId(const text::Token& token) {
  // A word always has the same stem: a known word costs one look-up.
  if (std::optional<uint32_t> word = words_.Find(token.term)) {
    return word_stems_[*word];
  }
  // Tokens come unstemmed (AnalyzeUnstemmed): only a new word is stemmed.
  const std::string stem =
      token.stem.empty() ? analyzer_->Stem(token.term) : token.stem;
  const auto [id, inserted] = stems_.Insert(stem);
  if (inserted) postings_.emplace_back();
  AddSurface(token.term, id);
  return id;
}

void SceneIndex::Impl::AddSurface(absl::string_view surface, uint32_t stem) {
  const auto [word, inserted] = words_.Insert(surface);
  if (!inserted) return;
  word_stems_.push_back(stem);
  pending_.insert(word);
}

void SceneIndex::Impl::MergePendingTerms() {
  std::vector<uint32_t> merged;
  merged.reserve(dictionary_.size() + pending_.size());
  std::merge(dictionary_.begin(), dictionary_.end(), pending_.begin(),
             pending_.end(), std::back_inserter(merged), WordOrder{&words_});
  dictionary_ = std::move(merged);
  pending_.clear();
  absl::MutexLock lock(&trie_mutex_);
  dictionary_trie_ = nullptr;
}

void SceneIndex::Impl::UpsertFilm(const Film& film) {
  RemoveFilm(film.name());
  const uint32_t film_index = static_cast<uint32_t>(films_.size());
  FilmInfo info;
  info.film = FilmRecord::FromFilm(film);
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
        __builtin_prefetch(near.doc_bytes.data() + near.doc_bytes.size(), 1);
        __builtin_prefetch(near.positions.data() + near.positions.size(), 1);
        __builtin_prefetch(near.tf_codes.data() + near.tf_codes.size(), 1);
      }
      Postings& postings = postings_[stem];
      if (postings.size() % kBlockSize == 0) postings.StartBlock();
      postings.AppendDoc(doc_id);
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
      const uint8_t code = EncodeFieldTf(tf.data());
      postings.tf_codes.push_back(code);
      if (code == kTfEscape) {
        postings.escaped_tf.append(tf.data(), tf.size());
      }
      AppendPositions(occurrences, tf.data(), &postings.positions);
      float reference_tf = 0;
      for (int f = 0; f < kFieldCount; ++f) {
        if (tf[f] == 0) continue;
        reference_tf +=
            reference.weight[f] * tf[f] /
            (reference.base_norm + reference.length_factor[f] * doc.length[f]);
      }
      Postings::Block& block = postings.blocks.back();
      for (int f = 0; f < kFieldCount; ++f) {
        if (tf[f] == 0) continue;
        block.max_tf[f] = std::max(block.max_tf[f], tf[f]);
        block.min_length[f] = std::min(block.min_length[f], doc.length[f]);
        block.min_average[f] =
            std::min(block.min_average[f], reference.floor_average[f]);
      }
      block.max_reference_tf = std::max(block.max_reference_tf, reference_tf);
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
  const FilmRecord& film = *info.film;
  absl::StatusOr<std::shared_ptr<const FilmTexts>> texts = film.LoadTexts();
  if (!texts.ok()) {
    // Not reachable unless memory is corrupt: the scenes still leave, and
    // only their words' document frequencies stay high.
    spdlog::critical("removing {}: {}", film.name(), texts.status().ToString());
  }
  std::vector<uint32_t>& film_stems = scratch_.film_stems;
  std::vector<uint32_t>& stems = scratch_.stems;
  film_stems.clear();
  if (texts.ok()) {
    AppendStems(film.title(), &film_stems);
    AppendStems((*texts)->synopsis(), &film_stems);
  }
  for (uint32_t doc_id : info.docs) {
    const Doc& doc = docs_[doc_id];
    if (texts.ok()) {
      const int scene = static_cast<int>(doc.ordinal);
      stems.assign(film_stems.begin(), film_stems.end());
      AppendStems((*texts)->scene_title(scene), &stems);
      AppendStems((*texts)->description(scene), &stems);
      AppendStems((*texts)->context(scene), &stems);
      std::sort(stems.begin(), stems.end());
      stems.erase(std::unique(stems.begin(), stems.end()), stems.end());
      for (uint32_t stem : stems) --postings_[stem].live_docs;
    }
    live_[doc_id] = 0;
    for (int f = 0; f < kFieldCount; ++f) live_length_[f] -= doc.length[f];
    --live_docs_;
  }
  info.live = false;
  info.film.reset();  // Its scenes are tombstones now; nothing reads it.
  film_ids_.erase(it);
}

absl::string_view SceneHit::text(Field field) const {
  if (field == kFilmTitle) return film->title();
  if (texts == nullptr || scene_index >= texts->scene_count()) return {};
  switch (field) {
    case kSceneTitle:
      return texts->scene_title(scene_index);
    case kDescription:
      return texts->description(scene_index);
    case kContext:
      return texts->context(scene_index);
    default:
      return texts->synopsis();
  }
}

void SceneIndex::LoadTexts(std::vector<SceneHit>* hits) {
  // A page's hits often share films: decompress each once, as far as the
  // last of its scenes the page shows.
  struct Load {
    int scenes = 0;
    std::shared_ptr<const FilmTexts> texts;
  };
  absl::flat_hash_map<const FilmRecord*, Load> loads;
  for (const SceneHit& hit : *hits) {
    if (hit.texts != nullptr) continue;
    int& scenes = loads[hit.film.get()].scenes;
    scenes = std::max(scenes, hit.scene_index + 1);
  }
  for (auto& [film, load] : loads) {
    absl::StatusOr<std::shared_ptr<const FilmTexts>> texts =
        film->LoadTexts(load.scenes);
    if (texts.ok()) {
      load.texts = *std::move(texts);
    } else {  // Not reachable unless memory is corrupt.
      spdlog::critical("{}", texts.status().ToString());
    }
  }
  for (SceneHit& hit : *hits) {
    if (hit.texts == nullptr) hit.texts = loads[hit.film.get()].texts;
  }
}

IndexStats SceneIndex::Impl::stats() const {
  IndexStats stats;
  stats.films = static_cast<int64_t>(film_ids_.size());
  stats.scenes = live_docs_;
  stats.terms = static_cast<int64_t>(words_.size());
  stats.postings_bytes =
      (postings_.capacity() - postings_.size()) * sizeof(Postings);
  for (const Postings& p : postings_) {
    stats.postings_bytes += p.memory_bytes();
  }
  // The pending set's B-tree nodes hold about 2 ids per 8 bytes used.
  stats.dictionary_bytes =
      stems_.memory_bytes() + words_.memory_bytes() +
      (word_stems_.capacity() + dictionary_.capacity()) * sizeof(uint32_t) +
      pending_.size() * 2 * sizeof(uint32_t) + DictionaryTrie()->memory_bytes();
  stats.scene_bytes =
      docs_.capacity() * sizeof(Doc) + live_.capacity() +
      films_.capacity() * sizeof(FilmInfo) +
      film_ids_.capacity() * (sizeof(decltype(film_ids_)::value_type) + 1);
  for (const FilmInfo& info : films_) {
    stats.scene_bytes += info.docs.capacity() * sizeof(uint32_t);
    if (!info.live) continue;
    // The record and its shared_ptr's control block (make_shared: one
    // allocation, about two words more).
    stats.text_bytes += info.film->memory_bytes() + 2 * sizeof(void*);
    // Its name again, as the look-up's key, past the small-string buffer.
    if (info.film->name().size() > 15) {
      stats.scene_bytes += info.film->name().size() + 1;
    }
    for (const auto* folded : {&info.genres, &info.directors}) {
      for (const std::string& value : *folded) {
        stats.text_bytes += sizeof(std::string) + value.capacity();
      }
    }
  }
  stats.memory_bytes = stats.postings_bytes + stats.dictionary_bytes +
                       stats.scene_bytes + stats.text_bytes;
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
  for (const auto& record : impl_->LiveFilms()) {
    absl::StatusOr<Film> film = record->ToFilm();
    if (film.ok()) {
      compacted->UpsertFilm(*film);
    } else {  // Not reachable unless memory is corrupt.
      spdlog::critical("compacting: {}", film.status().ToString());
    }
  }
  compacted->ShrinkToFit();
  return compacted;
}

void SceneIndex::ShrinkToFit() { impl_->ShrinkToFit(); }

}  // namespace reel::search
