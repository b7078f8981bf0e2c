// Client-side helpers for the catalog end-to-end tests: films to write, calls
// with deadlines, whole-catalog listing, and a WatchFilms reader that records
// every message on its own thread.
#ifndef REEL_TESTS_INTEGRATION_CATALOG_TEST_UTIL_H_
#define REEL_TESTS_INTEGRATION_CATALOG_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"

namespace reel::testing {

// Deadline for one unary call in these tests.
inline constexpr std::chrono::seconds kCallTimeout{20};

// Sets `context`'s deadline `timeout` from now.
void SetDeadline(grpc::ClientContext* context,
                 std::chrono::milliseconds timeout = kCallTimeout);

// A valid film titled `title` with `scenes` scenes ("s1", ...) of about
// `scene_bytes` of description each.
reel::catalog::v1::Film TestFilm(const std::string& title, int scenes = 2,
                                 size_t scene_bytes = 200);

// CreateFilm(film_id, film) with a deadline; the stored film in *out.
grpc::Status CreateFilm(reel::catalog::v1::CatalogService::Stub& stub,
                        const std::string& film_id,
                        const reel::catalog::v1::Film& film,
                        reel::catalog::v1::Film* out);

// GetFilm(name) with a deadline.
absl::StatusOr<reel::catalog::v1::Film> GetFilm(
    reel::catalog::v1::CatalogService::Stub& stub, const std::string& name);

// The catalog's current revision (from a one-film ListFilms page).
absl::StatusOr<int64_t> HeadRevision(
    reel::catalog::v1::CatalogService::Stub& stub);

// ImportFilms streaming `films` (each with its `name` set), `per_message` per
// message.
absl::StatusOr<reel::catalog::v1::ImportFilmsResponse> ImportFilms(
    reel::catalog::v1::CatalogService::Stub& stub,
    const std::vector<reel::catalog::v1::Film>& films, int per_message = 100,
    bool replace_existing = false);

// Every film, paging through ListFilms with `page_size` to the end.
absl::StatusOr<std::vector<reel::catalog::v1::Film>> ListAllFilms(
    reel::catalog::v1::CatalogService::Stub& stub, int page_size = 100);

// A WatchFilms call read on a background thread. Every message is kept.
//
//   WatchClient watch(catalog->channel(), /*start_revision=*/0);
//   ASSERT_TRUE(watch.WaitForRevision(head, kTimeout)) << watch.Describe();
//   for (const FilmEvent& event : watch.Events()) ...
class WatchClient {
 public:
  // Starts WatchFilms(start_revision) on `channel`. The client holds the
  // channel only while the call runs.
  WatchClient(std::shared_ptr<grpc::Channel> channel, int64_t start_revision);
  // Cancels the call and joins the reader.
  ~WatchClient();
  WatchClient(const WatchClient&) = delete;
  WatchClient& operator=(const WatchClient&) = delete;

  using Messages = std::vector<reel::catalog::v1::WatchFilmsResponse>;
  // Blocks until `done(messages so far)` holds (true), or the stream ends or
  // `timeout` passes first (false).
  bool WaitUntil(const std::function<bool(const Messages&)>& done,
                 std::chrono::milliseconds timeout);
  // Until a message with snapshot_complete arrives.
  bool WaitForSnapshot(std::chrono::milliseconds timeout);
  // Until a message with revision >= `revision` arrives.
  bool WaitForRevision(int64_t revision, std::chrono::milliseconds timeout);
  // The stream's final status once it has ended; nullopt after `timeout`.
  std::optional<grpc::Status> WaitForEnd(std::chrono::milliseconds timeout);

  // Copies of what has arrived so far.
  Messages messages() const;
  // The events of every message, in order.
  std::vector<reel::catalog::v1::FilmEvent> Events() const;
  // The newest `revision` received (0 if none).
  int64_t last_revision() const;
  // A summary for failure messages: message count, revisions, end status.
  std::string Describe() const;

  // Cancels the call (it then ends with CANCELLED unless it already ended).
  void Cancel();

 private:
  void Run(std::shared_ptr<grpc::Channel> channel, int64_t start_revision);

  mutable absl::Mutex mutex_;
  // The call's context while it runs; destroyed when the call ends, since it
  // holds the channel (and so the connection) open.
  std::unique_ptr<grpc::ClientContext> context_ ABSL_GUARDED_BY(mutex_);
  absl::CondVar changed_;  // A message arrived, or the stream ended.
  Messages messages_ ABSL_GUARDED_BY(mutex_);
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mutex_);  // Once ended.
  std::thread thread_;
};

}  // namespace reel::testing

#endif  // REEL_TESTS_INTEGRATION_CATALOG_TEST_UTIL_H_
