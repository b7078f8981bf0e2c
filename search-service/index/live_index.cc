#include "search-service/index/live_index.h"

#include <spdlog/spdlog.h>

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;

// Past this share of tombstoned scenes the index is rebuilt without them.
constexpr double kCompactionThreshold = 0.25;

}  // namespace

LiveIndex::LiveIndex(std::shared_ptr<const text::Analyzer> analyzer)
    : analyzer_(analyzer), index_(std::make_unique<SceneIndex>(analyzer)) {}

void LiveIndex::Apply(const std::vector<FilmEvent>& events, int64_t revision) {
  std::unique_ptr<SceneIndex> compacted;
  {
    absl::WriterMutexLock lock(&mutex_);
    for (const FilmEvent& event : events) {
      if (event.type() == FilmEvent::EVENT_TYPE_DELETED) {
        index_->RemoveFilm(event.name());
      } else {
        index_->UpsertFilm(event.film());
      }
    }
    revision_ = std::max(revision_, revision);
    ready_ = true;
  }
  waiters_.Advance(revision);
  // Rebuilding reads the index under a shared lock, so searches go on; this
  // thread is the only writer, so nothing changes meanwhile.
  {
    absl::ReaderMutexLock lock(&mutex_);
    if (index_->dead_fraction() > kCompactionThreshold) {
      compacted = index_->Compact();
    }
  }
  if (compacted != nullptr) {
    absl::WriterMutexLock lock(&mutex_);
    index_ = std::move(compacted);
    spdlog::info("search index compacted at revision {}", revision_);
  }
}

void LiveIndex::Replace(const std::vector<Film>& films, int64_t revision) {
  auto fresh = std::make_unique<SceneIndex>(analyzer_);
  for (const Film& film : films) fresh->UpsertFilm(film);
  fresh->ShrinkToFit();
  {
    absl::WriterMutexLock lock(&mutex_);
    index_ = std::move(fresh);
    revision_ = revision;
    ready_ = true;
  }
  waiters_.Advance(revision);
}

SearchResult LiveIndex::Search(const ParsedQuery& query,
                               const SearchOptions& options,
                               int64_t* revision) const {
  // Texts are decompressed after the lock is released: hits own their
  // films, and writers need not wait for it (explanations read texts, so
  // they load them under the lock).
  SearchOptions under_lock = options;
  under_lock.load_texts = false;
  SearchResult result;
  {
    absl::ReaderMutexLock lock(&mutex_);
    if (revision != nullptr) *revision = revision_;
    result = index_->Search(query, under_lock);
  }
  if (options.load_texts) SceneIndex::LoadTexts(&result.hits);
  return result;
}

int64_t LiveIndex::applied_revision() const {
  absl::ReaderMutexLock lock(&mutex_);
  return revision_;
}

bool LiveIndex::ready() const {
  absl::ReaderMutexLock lock(&mutex_);
  return ready_;
}

void LiveIndex::NotifyWhenApplied(int64_t revision, absl::Time deadline,
                                  RevisionWaiters::Callback done) const {
  waiters_.Add(revision, applied_revision(), deadline, std::move(done));
}

IndexStats LiveIndex::stats() const {
  absl::ReaderMutexLock lock(&mutex_);
  return index_->stats();
}

}  // namespace reel::search
