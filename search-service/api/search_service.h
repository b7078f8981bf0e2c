// SearchServiceImpl: the gRPC edge of scene search (callback API).
//
// SearchScenes validates the request, parses the query, waits (without
// holding a thread) for `min_revision` when asked, runs the search (one the
// wait released on a thread of the service's own, never on the thread that
// applies catalog changes and ends the wait), then
// streams the hits in rank order: a small first batch so the first hit
// arrives early, larger batches after, each built (with its highlights) only
// when the previous write has completed, so a slow reader holds one batch.
// The last message carries the summary with the last batch. A result of at
// most `single_message_hits` goes out whole in one message: building a few
// more hits costs less than another message. Cancellation stops the stream
// at the next batch. A stream whose message the client leaves unread for
// `stall_timeout` is ended with RESOURCE_EXHAUSTED (the status follows the
// unread data) and cancelled if even that is not read within as long again.
#ifndef REEL_SEARCH_SERVICE_API_SEARCH_SERVICE_H_
#define REEL_SEARCH_SERVICE_API_SEARCH_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "reel/search/v1/search.grpc.pb.h"
#include "search-service/api/page_cursor.h"
#include "search-service/index/live_index.h"
#include "search-service/text/analyzer.h"

namespace reel::search {

struct SearchApiOptions {
  int default_max_results = 20;
  int max_results_limit = 1000;
  // Results of at most this many hits are sent in one message, with the
  // summary (20: the default max_results).
  int single_message_hits = 20;
  // Otherwise: hits in the first message, and in each message after it.
  int first_batch_hits = 5;
  int batch_hits = 50;
  // Longest wait for min_revision when the call has no deadline.
  absl::Duration max_revision_wait = absl::Seconds(30);
  // Threads that run the searches a min_revision wait released (at least
  // one). The wait ends on the thread that applies catalog changes, which
  // hands the search over and goes on at once.
  int revision_wait_threads = 2;
  // A stream whose client leaves a message unread this long is ended.
  absl::Duration stall_timeout = absl::Seconds(30);
  // Signs and checks page tokens; null: a random key of this process (a
  // token then works only on the replica that issued it).
  std::shared_ptr<const CursorSigner> page_tokens;
};

class ResponsePool;
class SearchStreamWatchdog;
class WaitedSearchRunner;

class SearchServiceImpl final
    : public reel::search::v1::SearchService::CallbackService {
 public:
  // Fills the parts of GetIndexStatus that the index does not know
  // (connection state, catalog revision, disk bytes, errors).
  using StatusFiller =
      std::function<void(reel::search::v1::GetIndexStatusResponse*)>;

  SearchServiceImpl(const LiveIndex* index,
                    std::shared_ptr<const text::Analyzer> analyzer,
                    StatusFiller status_filler, SearchApiOptions options = {});
  ~SearchServiceImpl() override;

  // SearchScenes calls not yet ended; of all calls, those ended because the
  // client stopped reading; bytes of messages handed to gRPC and not yet
  // written (at most one per stream).
  size_t active_streams() const;
  uint64_t stalled_streams() const;
  int64_t buffered_bytes() const;

  grpc::ServerWriteReactor<reel::search::v1::SearchScenesResponse>*
  SearchScenes(grpc::CallbackServerContext* context,
               const reel::search::v1::SearchScenesRequest* request) override;

  grpc::ServerUnaryReactor* GetIndexStatus(
      grpc::CallbackServerContext* context,
      const reel::search::v1::GetIndexStatusRequest* request,
      reel::search::v1::GetIndexStatusResponse* response) override;

 private:
  const LiveIndex* const index_;
  const std::shared_ptr<const text::Analyzer> analyzer_;
  const StatusFiller status_filler_;
  const SearchApiOptions options_;
  // Shared with every stream: a stream gives its message back in its
  // destructor, which gRPC may run after this service has stopped tracking
  // it, so the last owner frees the pool.
  std::shared_ptr<ResponsePool> responses_;
  std::unique_ptr<SearchStreamWatchdog> watchdog_;
  // Destroyed first: a search it still runs may use the watchdog.
  std::unique_ptr<WaitedSearchRunner> waited_searches_;
};

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_API_SEARCH_SERVICE_H_
