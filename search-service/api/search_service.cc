#include "search-service/api/search_service.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/status/grpc_status.h"
#include "search-service/api/highlighter.h"
#include "search-service/api/page_cursor.h"
#include "search-service/api/search_request.h"

namespace reel::search {
namespace {

using ::reel::search::v1::GetIndexStatusRequest;
using ::reel::search::v1::GetIndexStatusResponse;
using ::reel::search::v1::SearchScenesRequest;
using ::reel::search::v1::SearchScenesResponse;

// A read-your-writes wait ends this much before the call's deadline, so the
// client gets our DEADLINE_EXCEEDED (naming both revisions) rather than
// gRPC's bare one.
absl::Duration WaitMargin(absl::Duration remaining) {
  return std::clamp(remaining / 10, absl::Milliseconds(2),
                    absl::Milliseconds(50));
}

// The pointer a pending min_revision waiter calls back through; cleared when
// the call ends first, so a late callback finds nothing to do.
struct WaitHandle {
  absl::Mutex mutex;
  class SearchReactor* reactor ABSL_GUARDED_BY(mutex) = nullptr;
};

}  // namespace

// Tracks the open SearchScenes streams; its thread ends those whose client
// left a message unread for the stall timeout, and cancels those that do
// not read up to their status within another stall timeout.
class SearchStreamWatchdog {
 public:
  explicit SearchStreamWatchdog(absl::Duration stall_timeout);
  ~SearchStreamWatchdog();

  void Add(SearchReactor* reactor);
  void Remove(SearchReactor* reactor);
  size_t active() const;

  const absl::Duration stall_timeout;
  std::atomic<uint64_t> stalled{0};
  std::atomic<int64_t> buffered_bytes{0};

 private:
  void Run();

  mutable absl::Mutex mutex_;
  absl::CondVar wakeup_;
  absl::flat_hash_set<SearchReactor*> streams_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

// Runs the searches that min_revision waits released, on threads of its
// own: a wait ends on the thread that applies catalog changes (the catalog
// follower's), which must only hand the search over and go on. The queue is
// drained before the threads leave.
class WaitedSearchRunner {
 public:
  explicit WaitedSearchRunner(int threads);
  ~WaitedSearchRunner();

  void Schedule(std::function<void()> search);

 private:
  void Loop();
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return stopping_ || !queue_.empty();
  }

  absl::Mutex mutex_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

// Response messages of ended streams, cleared, for new streams to fill. A
// cleared message keeps its hits, highlights, spans and strings allocated,
// so filling it again allocates (and the stream's end frees) next to
// nothing: building hits allocated and freed a few dozen blocks each.
// Only messages of at most a default result's hits and snippet length are
// kept, and at most kMaxPooled of them.
class ResponsePool {
 public:
  std::unique_ptr<SearchScenesResponse> Take() {
    {
      absl::MutexLock lock(&mutex_);
      if (!free_.empty()) {
        std::unique_ptr<SearchScenesResponse> message = std::move(free_.back());
        free_.pop_back();
        return message;
      }
    }
    return std::make_unique<SearchScenesResponse>();
  }

  void Give(std::unique_ptr<SearchScenesResponse> message) {
    message->Clear();
    absl::MutexLock lock(&mutex_);
    if (free_.size() < kMaxPooled) free_.push_back(std::move(message));
  }

 private:
  static constexpr size_t kMaxPooled = 32;
  absl::Mutex mutex_;
  std::vector<std::unique_ptr<SearchScenesResponse>> free_
      ABSL_GUARDED_BY(mutex_);
};

namespace {

v1::MatchField ToProto(Field field) {
  switch (field) {
    case kSceneTitle:
      return v1::MATCH_FIELD_SCENE_TITLE;
    case kDescription:
      return v1::MATCH_FIELD_DESCRIPTION;
    case kContext:
      return v1::MATCH_FIELD_CONTEXT;
    case kFilmTitle:
      return v1::MATCH_FIELD_FILM_TITLE;
    case kSynopsis:
      return v1::MATCH_FIELD_SYNOPSIS;
  }
  return v1::MATCH_FIELD_UNSPECIFIED;
}

v1::MatchForm ToProto(MatchForm form) {
  switch (form) {
    case MatchForm::kExact:
      return v1::MATCH_FORM_EXACT;
    case MatchForm::kStem:
      return v1::MATCH_FORM_STEM;
    case MatchForm::kTypo:
      return v1::MATCH_FORM_TYPO;
    case MatchForm::kPrefix:
      return v1::MATCH_FORM_PREFIX;
    case MatchForm::kPhrase:
      return v1::MATCH_FORM_PHRASE;
  }
  return v1::MATCH_FORM_UNSPECIFIED;
}

// Why the hit ranks where it does: its sort key always, its explanation when
// the search made one.
void SetRanking(const SceneHit& hit, v1::SceneHit* out) {
  const SceneSortKey key = hit.sort_key();
  v1::SortKey* sort_key = out->mutable_sort_key();
  sort_key->set_matched_clauses(key.matched_clauses);
  sort_key->set_score(key.score);
  sort_key->set_film(key.film.data(), key.film.size());
  sort_key->set_scene_ordinal(key.scene_ordinal);
  if (hit.explanation == nullptr) return;
  v1::HitExplanation* explanation = out->mutable_explanation();
  for (const ClauseExplanation& clause : hit.explanation->clauses) {
    v1::ClauseExplanation* to = explanation->add_clauses();
    to->set_clause_index(clause.clause_index);
    to->set_counted(clause.counted);
    to->set_score(clause.score);
  }
  for (const TermExplanation& term : hit.explanation->terms) {
    v1::TermExplanation* to = explanation->add_terms();
    to->set_clause_index(term.clause_index);
    if (term.alternative_index >= 0) {
      to->set_alternative_index(term.alternative_index);
    }
    to->set_term_index(term.term_index);
    to->set_query_term(term.query_term);
    to->set_matched_term(term.matched_term);
    to->set_field(ToProto(term.field));
    to->set_form(ToProto(term.form));
    to->set_typo_distance(term.typo_distance);
    to->set_term_frequency(term.term_frequency);
    to->set_field_weight(term.field_weight);
    to->set_form_weight(term.form_weight);
    to->set_idf(term.idf);
    to->set_contribution(term.contribution);
  }
}

class SearchReactor : public grpc::ServerWriteReactor<SearchScenesResponse> {
 public:
  SearchReactor(const LiveIndex* index,
                std::shared_ptr<const text::Analyzer> analyzer,
                const SearchApiOptions& options, SearchStreamWatchdog* watchdog,
                WaitedSearchRunner* waited_searches,
                std::shared_ptr<ResponsePool> responses,
                grpc::CallbackServerContext* context,
                const SearchScenesRequest* request)
      : index_(index),
        analyzer_(std::move(analyzer)),
        options_(options),
        watchdog_(watchdog),
        waited_searches_(waited_searches),
        responses_(std::move(responses)),
        context_(context) {
    watchdog_->Add(this);
    absl::StatusOr<ValidatedSearch> search = ValidateSearchRequest(
        *request, *analyzer_, options_.default_max_results,
        options_.max_results_limit);
    if (!search.ok()) {
      FinishOnce(ToGrpcStatus(search.status()));
      return;
    }
    search_ = *std::move(search);
    if (!request->page_token().empty()) {
      absl::Status resumed = Resume(request->page_token());
      if (!resumed.ok()) {
        FinishOnce(ToGrpcStatus(resumed));
        return;
      }
    }
    if (!index_->ready()) {
      FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "the search index has not loaded its first "
                              "snapshot from the catalog yet; retry shortly"));
      return;
    }
    const int64_t wanted = request->min_revision();
    if (wanted <= index_->applied_revision()) {
      RunSearch();
      return;
    }
    // Read-your-writes: wait for the index to reach the revision.
    const absl::Time call_deadline = absl::FromChrono(context_->deadline());
    const absl::Time now = absl::Now();
    absl::Time deadline = now + options_.max_revision_wait;
    if (call_deadline < deadline) {
      deadline = call_deadline - WaitMargin(call_deadline - now);
    }
    wait_ = std::make_shared<WaitHandle>();
    wait_->reactor = this;
    // `done` runs on the thread that applied the revision (the catalog
    // follower's), the wait's timer thread, or this one. It only hands
    // over: the search runs on a thread of waited_searches_, so the next
    // catalog change is not applied after this search but beside it.
    index_->NotifyWhenApplied(
        wanted, deadline,
        [wait = wait_, wanted, index = index_,
         runner = waited_searches_](WaitOutcome outcome) {
          SearchReactor* reactor;
          {
            absl::MutexLock lock(&wait->mutex);
            if (wait->reactor == nullptr) return;  // The call already ended.
            reactor = wait->reactor;
            wait->reactor = nullptr;
            // Held until the outcome is acted on: once the handle is clear,
            // OnCancel may finish the call, and OnDone let go of gRPC's
            // reference, at any moment.
            reactor->Ref();
          }
          switch (outcome) {
            case WaitOutcome::kReached:
              runner->Schedule([reactor] {
                reactor->RunSearch();
                reactor->Unref();
              });
              return;
            case WaitOutcome::kDeadline:
              reactor->FinishOnce(grpc::Status(
                  grpc::StatusCode::DEADLINE_EXCEEDED,
                  absl::StrCat("the search index had applied revision ",
                               index->applied_revision(),
                               " when the deadline came; min_revision ", wanted,
                               " was not reached")));
              break;
            case WaitOutcome::kShutdown:
              reactor->FinishOnce(grpc::Status(
                  grpc::StatusCode::UNAVAILABLE,
                  absl::StrCat("the search service is shutting down while "
                               "waiting for min_revision ",
                               wanted, "; retry on another replica")));
              break;
          }
          reactor->Unref();
        });
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mutex_);
      watchdog_->buffered_bytes.fetch_sub(in_flight_bytes_);
      in_flight_bytes_ = 0;
    }
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    WriteNext();
  }

  void OnCancel() override {
    if (wait_ != nullptr) {
      absl::MutexLock lock(&wait_->mutex);
      wait_->reactor = nullptr;
    }
    cancelled_.store(true);
    // A write in flight completes with ok=false and finishes the call; if
    // none is, finish here.
    bool idle;
    {
      absl::MutexLock lock(&mutex_);
      idle = !writing_;
    }
    if (idle) FinishOnce(grpc::Status::CANCELLED);
  }

  ~SearchReactor() override {
    // Unused by gRPC by now (OnDone has run). Worth keeping only when
    // small: a default-sized result at most.
    if (message_ != nullptr &&
        largest_batch_ <= static_cast<size_t>(options_.single_message_hits) &&
        search_.snippet_length <= kDefaultSnippetLength) {
      responses_->Give(std::move(message_));
    }
  }

  void OnDone() override {
    if (wait_ != nullptr) {
      // A wait still pending finds nothing to do when it ends.
      absl::MutexLock lock(&wait_->mutex);
      wait_->reactor = nullptr;
    }
    {
      absl::MutexLock lock(&mutex_);
      // A last write (StartWriteAndFinish) gets no OnWriteDone.
      watchdog_->buffered_bytes.fetch_sub(in_flight_bytes_);
      in_flight_bytes_ = 0;
    }
    // Last use of the watchdog: its lock orders this call's uses before the
    // service's destruction (which gRPC orders too, out of TSan's sight).
    watchdog_->Remove(this);
    Unref();  // gRPC's reference.
  }

  // Called by the watchdog (with the reactor registered, so alive): ends
  // the call when its message has been with gRPC unread for the stall
  // timeout (the status follows the unread data), and cancels it when even
  // that status is not taken within another stall timeout.
  void CheckStall(absl::Time now) {
    const absl::Duration stall = watchdog_->stall_timeout;
    enum class Action { kNone, kFinish, kCancel } action = Action::kNone;
    {
      absl::MutexLock lock(&mutex_);
      if (!writing_ || !handed_ || cancel_sent_) return;
      if (!finished_) {
        if (now - write_started_ < stall) return;
        finished_ = true;
        stalled_at_ = now;
        action = Action::kFinish;
      } else {
        // Finished by us at stalled_at_, or by the last write's own Finish
        // (then unread for twice the timeout).
        const absl::Time cut_off = stalled_at_ != absl::InfinitePast()
                                       ? stalled_at_ + stall
                                       : write_started_ + 2 * stall;
        if (now < cut_off) return;
        cancel_sent_ = true;
        action = Action::kCancel;
      }
    }
    if (action == Action::kFinish) {
      watchdog_->stalled.fetch_add(1);
      Finish(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("search stream ended: the client left a message "
                       "unread for more than ",
                       absl::FormatDuration(stall),
                       "; read results as they come or lower max_results")));
    } else {
      context_->TryCancel();
    }
  }

 private:
  void RunSearch() {
    {
      // Cancelled while the search waited for its turn: nothing to do.
      absl::MutexLock lock(&mutex_);
      if (finished_) return;
    }
    int64_t revision = 0;
    result_ = index_->Search(search_.query, search_.options, &revision);
    if (cursor_.has_value() && revision != cursor_->index_revision) {
      FinishOnce(grpc::Status(
          grpc::StatusCode::FAILED_PRECONDITION,
          absl::StrCat("page_token: the index has moved from revision ",
                       cursor_->index_revision, " (its first page) to ",
                       revision,
                       "; that order can no longer be continued: search "
                       "again from the first page")));
      return;
    }
    summary_.set_total_matches(result_.total_matches);
    summary_.set_index_revision(revision);
    summary_.set_complete(true);
    if (result_.more && !result_.hits.empty()) {
      PageCursor next;
      next.index_revision = revision;
      next.request_fingerprint = search_.fingerprint;
      next.returned = rank_offset_ + static_cast<int64_t>(result_.hits.size());
      next.position = EncodePosition(result_.last_position);
      summary_.set_next_page_token(options_.page_tokens->Encode(next));
    }
    auto add_facets =
        [](const std::vector<FacetCount>& counts,
           google::protobuf::RepeatedPtrField<reel::search::v1::FacetValue>*
               out) {
          for (const FacetCount& count : counts) {
            auto* value = out->Add();
            value->set_value(count.value);
            value->set_scene_count(count.scenes);
          }
        };
    for (const SearchResult::Correction& correction : result_.corrections) {
      auto* out = summary_.add_corrections();
      out->set_query_term(correction.query_term);
      out->set_corrected_term(correction.corrected);
      out->set_distance(correction.distance);
    }
    for (const std::string& term : result_.typo_capped_terms) {
      summary_.add_typo_capped_terms(term);
    }
    const auto& facets = search_.options.facets;
    if (facets.genres > 0 || facets.directors > 0 || facets.years > 0) {
      auto* out = summary_.mutable_facets();
      add_facets(result_.genre_facets, out->mutable_genres());
      add_facets(result_.director_facets, out->mutable_directors());
      add_facets(result_.year_facets, out->mutable_years());
    }
    WriteNext();
  }

  // Continues the order a page token names: the token must be this
  // service's, unaltered, and of this request.
  absl::Status Resume(const std::string& token) {
    absl::StatusOr<PageCursor> cursor = options_.page_tokens->Decode(token);
    if (!cursor.ok()) return cursor.status();
    if (cursor->request_fingerprint != search_.fingerprint) {
      return absl::InvalidArgumentError(
          "page_token: belongs to another request (the query, filter, "
          "field_weights, typos_in_phrases, sort or max_scenes_per_film "
          "differ from its first page's)");
    }
    if (search_.options.sort == SortOrder::kRelevance &&
        search_.options.max_scenes_per_film == 0) {
      // Recomputed as the first page was, then cut (see SearchOptions::skip).
      search_.options.skip = static_cast<int>(
          std::min<int64_t>(cursor->returned, std::numeric_limits<int>::max()));
    } else {
      absl::StatusOr<ResultPosition> after = DecodePosition(cursor->position);
      if (!after.ok()) return after.status();
      search_.options.after = *std::move(after);
    }
    rank_offset_ = cursor->returned;
    cursor_ = *std::move(cursor);
    return absl::OkStatus();
  }

  // Builds and starts the next message: a batch of hits; the last batch (or
  // an empty message, when nothing matched) also carries the summary.
  // Decides under mutex_, acts after releasing it: once the call is
  // finished, OnDone may delete this reactor at any moment.
  void WriteNext() {
    enum class Action { kNone, kWrite, kWriteAndFinish, kCancel } action;
    uint64_t write_number = 0;
    // The message being written: message_ is not replaced while a write is
    // in flight (writing_), so it is handed to gRPC after the lock.
    SearchScenesResponse* to_write = nullptr;
    {
      absl::MutexLock lock(&mutex_);
      writing_ = false;
      handed_ = false;
      if (finished_) return;
      if (message_ == nullptr) {
        message_ = responses_->Take();
      } else {
        message_->Clear();
      }
      const size_t total = result_.hits.size();
      if (cancelled_.load()) {
        finished_ = true;
        action = Action::kCancel;
      } else {
        size_t batch = options_.batch_hits;
        if (next_hit_ == 0) {
          batch = total <= static_cast<size_t>(options_.single_message_hits)
                      ? total
                      : options_.first_batch_hits;
        }
        const size_t end = std::min(total, next_hit_ + batch);
        largest_batch_ = std::max(largest_batch_, end - next_hit_);
        for (; next_hit_ < end; ++next_hit_) {
          v1::SceneHit* hit = message_->add_hits();
          BuildHit(result_.hits[next_hit_],
                   static_cast<int>(rank_offset_ + next_hit_) + 1, *analyzer_,
                   hit, &highlights_, search_.snippet_length);
          SetRanking(result_.hits[next_hit_], hit);
        }
        if (next_hit_ < total) {
          action = Action::kWrite;
        } else {
          // The summary rides on the last batch: one message fewer.
          summary_.set_returned_count(static_cast<int32_t>(total));
          message_->mutable_summary()->Swap(&summary_);
          finished_ = true;
          action = Action::kWriteAndFinish;
        }
        writing_ = true;
        write_number = ++writes_;
        in_flight_bytes_ = static_cast<int64_t>(message_->ByteSizeLong());
        watchdog_->buffered_bytes.fetch_add(in_flight_bytes_);
        to_write = message_.get();
      }
    }
    // The write may complete, and the call end, before Handed: the
    // reference keeps this reactor until then.
    switch (action) {
      case Action::kWrite:
        Ref();
        StartWrite(to_write);
        Handed(write_number);
        Unref();
        break;
      case Action::kWriteAndFinish:
        Ref();
        StartWriteAndFinish(to_write, grpc::WriteOptions(), grpc::Status::OK);
        Handed(write_number);
        Unref();
        break;
      case Action::kCancel:
        Finish(grpc::Status::CANCELLED);
        break;
      case Action::kNone:
        break;
    }
  }

  // Starts the stall clock of write `write_number` once gRPC has it, unless
  // it already completed. The caller holds a reference.
  void Handed(uint64_t write_number) {
    absl::MutexLock lock(&mutex_);
    if (!writing_ || writes_ != write_number) return;
    handed_ = true;
    write_started_ = absl::Now();
  }

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  void FinishOnce(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mutex_);
      if (finished_) return;
      finished_ = true;
    }
    Finish(status);
  }

  const LiveIndex* const index_;
  const std::shared_ptr<const text::Analyzer> analyzer_;
  const SearchApiOptions& options_;
  // Set when the request continues a page token.
  std::optional<PageCursor> cursor_;
  int64_t rank_offset_ = 0;  // Hits on the pages before this one.
  SearchStreamWatchdog* const watchdog_;
  WaitedSearchRunner* const waited_searches_;
  const std::shared_ptr<ResponsePool> responses_;
  grpc::CallbackServerContext* const context_;
  ValidatedSearch search_;
  std::shared_ptr<WaitHandle> wait_;
  std::atomic<bool> cancelled_{false};
  // gRPC's until OnDone, WriteNext's, and a released wait's until its
  // outcome is acted on.
  std::atomic<int> refs_{1};

  absl::Mutex mutex_;
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  // The write in flight has been handed to gRPC, at write_started_.
  bool handed_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t writes_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Time write_started_ ABSL_GUARDED_BY(mutex_);
  absl::Time stalled_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  bool cancel_sent_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t in_flight_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
  SearchResult result_;
  size_t next_hit_ ABSL_GUARDED_BY(mutex_) = 0;
  HighlightCache highlights_ ABSL_GUARDED_BY(mutex_);
  reel::search::v1::SearchSummary summary_;
  // The one message in flight (from responses_, given back at the end),
  // and the most hits one has held.
  std::unique_ptr<SearchScenesResponse> message_ ABSL_GUARDED_BY(mutex_);
  size_t largest_batch_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace

SearchStreamWatchdog::SearchStreamWatchdog(absl::Duration stall_timeout)
    : stall_timeout(stall_timeout), thread_([this] { Run(); }) {}

SearchStreamWatchdog::~SearchStreamWatchdog() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    wakeup_.Signal();
  }
  thread_.join();
}

void SearchStreamWatchdog::Add(SearchReactor* reactor) {
  absl::MutexLock lock(&mutex_);
  streams_.insert(reactor);
}

void SearchStreamWatchdog::Remove(SearchReactor* reactor) {
  absl::MutexLock lock(&mutex_);
  streams_.erase(reactor);
}

size_t SearchStreamWatchdog::active() const {
  absl::MutexLock lock(&mutex_);
  return streams_.size();
}

void SearchStreamWatchdog::Run() {
  const absl::Duration tick =
      std::clamp(stall_timeout / 4, absl::Milliseconds(5), absl::Seconds(1));
  absl::MutexLock lock(&mutex_);
  while (!stopping_) {
    wakeup_.WaitWithTimeout(&mutex_, tick);
    if (stopping_) break;
    const absl::Time now = absl::Now();
    // Under mutex_: a registered reactor cannot reach OnDone's Remove, so
    // it stays alive; Finish and TryCancel never run OnDone inline.
    for (SearchReactor* reactor : streams_) reactor->CheckStall(now);
  }
}

WaitedSearchRunner::WaitedSearchRunner(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([this] { Loop(); });
    pthread_setname_np(threads_.back().native_handle(), "search-waited");
  }
}

WaitedSearchRunner::~WaitedSearchRunner() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

void WaitedSearchRunner::Schedule(std::function<void()> search) {
  {
    absl::MutexLock lock(&mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(search));
      return;
    }
  }
  search();  // Never while the server serves: it is stopped first.
}

void WaitedSearchRunner::Loop() {
  while (true) {
    std::function<void()> search;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(this, &WaitedSearchRunner::HasWork));
      if (queue_.empty()) return;  // Stopping, and nothing left.
      search = std::move(queue_.front());
      queue_.pop_front();
    }
    search();
  }
}

namespace {

SearchApiOptions WithPageTokenSigner(SearchApiOptions options) {
  if (options.page_tokens == nullptr) {
    options.page_tokens =
        std::make_shared<const CursorSigner>(CursorSigner::WithRandomKey());
  }
  return options;
}

}  // namespace

SearchServiceImpl::SearchServiceImpl(
    const LiveIndex* index, std::shared_ptr<const text::Analyzer> analyzer,
    StatusFiller status_filler, SearchApiOptions options)
    : index_(index),
      analyzer_(std::move(analyzer)),
      status_filler_(std::move(status_filler)),
      options_(WithPageTokenSigner(options)),
      responses_(std::make_shared<ResponsePool>()),
      watchdog_(std::make_unique<SearchStreamWatchdog>(options.stall_timeout)),
      waited_searches_(
          std::make_unique<WaitedSearchRunner>(options.revision_wait_threads)) {
}

SearchServiceImpl::~SearchServiceImpl() = default;

size_t SearchServiceImpl::active_streams() const { return watchdog_->active(); }

uint64_t SearchServiceImpl::stalled_streams() const {
  return watchdog_->stalled.load();
}

int64_t SearchServiceImpl::buffered_bytes() const {
  return watchdog_->buffered_bytes.load();
}

grpc::ServerWriteReactor<SearchScenesResponse>* SearchServiceImpl::SearchScenes(
    grpc::CallbackServerContext* context, const SearchScenesRequest* request) {
  return new SearchReactor(index_, analyzer_, options_, watchdog_.get(),
                           waited_searches_.get(), responses_, context,
                           request);
}

grpc::ServerUnaryReactor* SearchServiceImpl::GetIndexStatus(
    grpc::CallbackServerContext* context, const GetIndexStatusRequest* request,
    GetIndexStatusResponse* response) {
  const IndexStats stats = index_->stats();
  response->set_applied_revision(index_->applied_revision());
  response->set_ready(index_->ready());
  response->set_film_count(stats.films);
  response->set_scene_count(stats.scenes);
  response->set_term_count(stats.terms);
  response->set_memory_bytes(stats.memory_bytes);
  if (status_filler_) status_filler_(response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace reel::search
