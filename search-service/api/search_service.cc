#include "search-service/api/search_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/grpc_status.h"
#include "search-service/api/highlighter.h"
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
  std::mutex mutex;
  class SearchReactor* reactor = nullptr;
};

class SearchReactor : public grpc::ServerWriteReactor<SearchScenesResponse> {
 public:
  SearchReactor(const LiveIndex* index,
                std::shared_ptr<const text::Analyzer> analyzer,
                const SearchApiOptions& options,
                grpc::CallbackServerContext* context,
                const SearchScenesRequest* request)
      : index_(index),
        analyzer_(std::move(analyzer)),
        options_(options),
        context_(context) {
    absl::StatusOr<ValidatedSearch> search = ValidateSearchRequest(
        *request, *analyzer_, options_.default_max_results,
        options_.max_results_limit);
    if (!search.ok()) {
      FinishOnce(ToGrpcStatus(search.status()));
      return;
    }
    search_ = *std::move(search);
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
    index_->NotifyWhenApplied(
        wanted, deadline,
        [wait = wait_, wanted, index = index_](WaitOutcome outcome) {
          std::lock_guard<std::mutex> lock(wait->mutex);
          if (wait->reactor == nullptr) return;  // The call already ended.
          SearchReactor* reactor = wait->reactor;
          wait->reactor = nullptr;
          switch (outcome) {
            case WaitOutcome::kReached:
              reactor->RunSearch();
              break;
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
        });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    WriteNext();
  }

  void OnCancel() override {
    if (wait_ != nullptr) {
      std::lock_guard<std::mutex> lock(wait_->mutex);
      wait_->reactor = nullptr;
    }
    cancelled_.store(true);
    // A write in flight completes with ok=false and finishes the call; if
    // none is, finish here.
    bool idle;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      idle = !writing_;
    }
    if (idle) FinishOnce(grpc::Status::CANCELLED);
  }

  void OnDone() override { delete this; }

 private:
  void RunSearch() {
    int64_t revision = 0;
    result_ = index_->Search(search_.query, search_.options, &revision);
    summary_.set_total_matches(result_.total_matches);
    summary_.set_index_revision(revision);
    summary_.set_complete(true);
    WriteNext();
  }

  // Builds and starts the next message: a batch of hits; the last batch (or
  // an empty message, when nothing matched) also carries the summary.
  // Decides under mutex_, acts after releasing it: once the call is
  // finished, OnDone may delete this reactor at any moment.
  void WriteNext() {
    enum class Action { kNone, kWrite, kWriteAndFinish, kCancel } action;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      writing_ = false;
      if (finished_) return;
      message_.Clear();
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
        for (; next_hit_ < end; ++next_hit_) {
          BuildHit(result_.hits[next_hit_], static_cast<int>(next_hit_) + 1,
                   *analyzer_, message_.add_hits(), &highlights_);
        }
        if (next_hit_ < total) {
          writing_ = true;
          action = Action::kWrite;
        } else {
          // The summary rides on the last batch: one message fewer.
          summary_.set_returned_count(static_cast<int32_t>(total));
          *message_.mutable_summary() = summary_;
          finished_ = true;
          action = Action::kWriteAndFinish;
        }
      }
    }
    switch (action) {
      case Action::kWrite:
        StartWrite(&message_);
        break;
      case Action::kWriteAndFinish:
        StartWriteAndFinish(&message_, grpc::WriteOptions(), grpc::Status::OK);
        break;
      case Action::kCancel:
        Finish(grpc::Status::CANCELLED);
        break;
      case Action::kNone:
        break;
    }
  }

  void FinishOnce(const grpc::Status& status) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (finished_) return;
      finished_ = true;
    }
    Finish(status);
  }

  const LiveIndex* const index_;
  const std::shared_ptr<const text::Analyzer> analyzer_;
  const SearchApiOptions& options_;
  grpc::CallbackServerContext* const context_;
  ValidatedSearch search_;
  std::shared_ptr<WaitHandle> wait_;
  std::atomic<bool> cancelled_{false};

  std::mutex mutex_;
  bool writing_ = false;   // GUARDED_BY(mutex_)
  bool finished_ = false;  // GUARDED_BY(mutex_)
  SearchResult result_;
  size_t next_hit_ = 0;        // GUARDED_BY(mutex_)
  HighlightCache highlights_;  // GUARDED_BY(mutex_)
  reel::search::v1::SearchSummary summary_;
  SearchScenesResponse message_;  // GUARDED_BY(mutex_); the one in flight.
};

}  // namespace

SearchServiceImpl::SearchServiceImpl(
    const LiveIndex* index, std::shared_ptr<const text::Analyzer> analyzer,
    StatusFiller status_filler, SearchApiOptions options)
    : index_(index),
      analyzer_(std::move(analyzer)),
      status_filler_(std::move(status_filler)),
      options_(options) {}

grpc::ServerWriteReactor<SearchScenesResponse>* SearchServiceImpl::SearchScenes(
    grpc::CallbackServerContext* context, const SearchScenesRequest* request) {
  return new SearchReactor(index_, analyzer_, options_, context, request);
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
