#include "search-service/feed/catalog_follower.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "common/server/tls_credentials.h"
#include "common/status/grpc_status.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;
using ::reel::search::v1::ConnectionState;

int ToMillis(absl::Duration duration) {
  return static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(duration), 1, INT32_MAX));
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const FollowerOptions& options) {
  auto credentials = ChannelCredentialsFromDir(options.catalog_tls_dir);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, ToMillis(options.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              ToMillis(options.keepalive_timeout));
  // Ping only while the stream is open (it always is, except in backoff),
  // and keep pinging although the client itself never sends data.
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Without these the channel waits up to 2 minutes between connection
  // attempts, whatever our own backoff says.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              ToMillis(options.initial_backoff));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, ToMillis(options.max_backoff));
  args.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  return grpc::CreateCustomChannel(options.catalog_address, *credentials, args);
}

}  // namespace

CatalogFollower::CatalogFollower(FollowerOptions options, LiveIndex* index,
                                 IndexStore* store)
    : options_(std::move(options)), index_(index), store_(store) {
  if (!options_.catalog_address.empty()) {
    auto channel = MakeChannel(options_);
    if (channel.ok()) {
      channel_ = *std::move(channel);
      stub_ = CatalogService::NewStub(channel_);
    } else {
      channel_status_ = channel.status();
    }
  }
}

CatalogFollower::~CatalogFollower() { Stop(); }

absl::Status CatalogFollower::Start() {
  if (options_.catalog_address.empty()) {
    return absl::InvalidArgumentError("catalog_address: is required");
  }
  if (!channel_status_.ok()) return channel_status_;
  {
    absl::MutexLock lock(&mutex_);
    if (started_) {
      return absl::FailedPreconditionError("catalog follower: already started");
    }
  }
  absl::StatusOr<IndexStore::LoadedState> state = store_->Load();
  if (!state.ok()) return state.status();
  if (state->revision > 0) {
    // Serve what we had at once; the stream resumes after it.
    index_->Replace(state->films, state->revision);
    applied_revision_ = state->revision;
    history_id_ = state->history_id;
    must_snapshot_ = false;
    {
      absl::MutexLock lock(&mutex_);
      status_.resumed_from_revision = state->revision;
      status_.catalog_revision_seen = state->revision;
      status_.catalog_history_id = state->history_id;
      status_.last_applied_time = absl::Now();
    }
    spdlog::info("search index loaded from disk: {} films at revision {}",
                 state->films.size(), state->revision);
    MarkReady();
  }
  {
    absl::MutexLock lock(&mutex_);
    started_ = true;
  }
  thread_ = std::thread(&CatalogFollower::Run, this);
  return absl::OkStatus();
}

void CatalogFollower::Stop() {
  {
    // Setting stopping_ under the lock wakes SleepUnlessStopped's Await.
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

FollowerStatus CatalogFollower::status() const {
  absl::MutexLock lock(&mutex_);
  return status_;
}

void CatalogFollower::Run() {
  int failures = 0;  // Consecutive streams that failed without a message.
  while (!stopping()) {
    const int64_t start = must_snapshot_ ? 0 : applied_revision_;
    bool received = false;
    absl::Status status = Follow(start, &received);
    if (stopping()) break;
    if (received) failures = 0;
    RecordError(status);
    // OUT_OF_RANGE: history compacted, or we are ahead of the catalog.
    // FAILED_PRECONDITION: the catalog's history is not ours (restored).
    if (status.code() == absl::StatusCode::kOutOfRange ||
        status.code() == absl::StatusCode::kFailedPrecondition) {
      spdlog::warn(
          "catalog cannot resume after revision {} ({}); taking a "
          "new snapshot",
          start, std::string(status.message()));
      must_snapshot_ = true;
      if (start != 0) {
        SetState(reel::search::v1::CONNECTION_STATE_CONNECTING);
        continue;  // A different request: no need to wait.
      }
    }
    SetState(reel::search::v1::CONNECTION_STATE_DISCONNECTED);
    ++failures;
    absl::Duration ceiling = options_.initial_backoff;
    for (int i = 1; i < failures && ceiling < options_.max_backoff; ++i) {
      ceiling *= 2;
    }
    ceiling = std::min(ceiling, options_.max_backoff);
    absl::Duration wait = ceiling * absl::Uniform<double>(random_, 0.0, 1.0);
    if (failures == 1) {
      spdlog::warn(
          "catalog watch failed ({}); serving the index at revision "
          "{} and reconnecting",
          status.ToString(), applied_revision_);
    } else {
      spdlog::debug("catalog watch failed again ({}); retrying in {}",
                    status.ToString(), absl::FormatDuration(wait));
    }
    if (!SleepUnlessStopped(wait)) break;
  }
}

absl::Status CatalogFollower::Follow(int64_t start_revision, bool* received) {
  grpc::ClientContext context;  // No deadline: the stream never ends.
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return absl::OkStatus();
    context_ = &context;
  }
  WatchFilmsRequest request;
  request.set_start_revision(start_revision);
  // Resuming by number is right only within the history we followed.
  if (start_revision != 0) request.set_history_id(history_id_);
  std::unique_ptr<grpc::ClientReader<WatchFilmsResponse>> reader =
      stub_->WatchFilms(&context, request);
  bool snapshotting = start_revision == 0;
  snapshot_films_.clear();
  absl::Status failure;
  WatchFilmsResponse message;
  while (reader->Read(&message)) {
    if (!*received) {
      *received = true;
      SetState(snapshotting ? reel::search::v1::CONNECTION_STATE_SNAPSHOTTING
                            : reel::search::v1::CONNECTION_STATE_FOLLOWING);
    }
    failure = OnMessage(message, &snapshotting);
    if (!failure.ok()) {
      context.TryCancel();
      while (reader->Read(&message)) {
      }
      break;
    }
  }
  grpc::Status finish = reader->Finish();
  {
    absl::MutexLock lock(&mutex_);
    context_ = nullptr;
  }
  std::vector<Film>().swap(snapshot_films_);  // Drop a partial snapshot.
  if (!failure.ok()) return failure;
  if (stopping()) return absl::OkStatus();
  if (finish.ok()) {
    return absl::UnavailableError("catalog ended the watch stream");
  }
  absl::Status status = FromGrpcStatus(finish);
  return absl::Status(status.code(),
                      absl::StrCat("catalog watch: ", status.message()));
}

absl::Status CatalogFollower::OnMessage(WatchFilmsResponse& message,
                                        bool* snapshotting) {
  const int64_t revision = message.revision();
  if (*snapshotting) {
    snapshot_history_id_ = message.history_id();
  } else if (message.history_id() != history_id_) {
    if (!history_id_.empty()) {
      // A catalog that does not check WatchFilmsRequest.history_id itself.
      return absl::FailedPreconditionError(
          absl::StrCat("catalog history changed from ", history_id_, " to ",
                       message.history_id()));
    }
    // An index stored before history ids: adopt the catalog's; the next
    // snapshot stores it.
    history_id_ = message.history_id();
    absl::MutexLock lock(&mutex_);
    status_.catalog_history_id = history_id_;
  }
  {
    absl::MutexLock lock(&mutex_);
    status_.catalog_revision_seen =
        std::max(status_.catalog_revision_seen, revision);
  }
  if (*snapshotting) {
    for (FilmEvent& event : *message.mutable_events()) {
      if (!event.has_film()) {
        return absl::InternalError(absl::StrCat(
            "catalog sent a snapshot event without a film: ", event.name()));
      }
      Film& film =
          snapshot_films_.emplace_back(std::move(*event.mutable_film()));
      if (film.name().empty()) film.set_name(event.name());
    }
    if (!message.snapshot_complete()) return absl::OkStatus();
    *snapshotting = false;
    return FinishSnapshot(revision);
  }
  if (revision <= applied_revision_) {
    // A progress message (or a repeat, which the protocol rules out).
    if (message.events_size() > 0) {
      spdlog::warn(
          "ignoring {} catalog events at revision {}: already "
          "applied revision {}",
          message.events_size(), revision, applied_revision_);
    }
    return absl::OkStatus();
  }
  std::vector<FilmEvent> events(
      std::make_move_iterator(message.mutable_events()->begin()),
      std::make_move_iterator(message.mutable_events()->end()));
  // Disk first: the index must never be ahead of what a restart reloads.
  absl::Status stored = store_->Apply(events, revision);
  if (!stored.ok()) return stored;
  index_->Apply(events, revision);
  applied_revision_ = revision;
  absl::MutexLock lock(&mutex_);
  status_.last_applied_time = absl::Now();
  return absl::OkStatus();
}

absl::Status CatalogFollower::FinishSnapshot(int64_t revision) {
  absl::Status stored =
      store_->Replace(snapshot_films_, revision, snapshot_history_id_);
  if (!stored.ok()) return stored;
  index_->Replace(snapshot_films_, revision);
  spdlog::info(
      "search index loaded a catalog snapshot: {} films at revision "
      "{}",
      snapshot_films_.size(), revision);
  std::vector<Film>().swap(snapshot_films_);
  applied_revision_ = revision;
  history_id_ = snapshot_history_id_;
  must_snapshot_ = false;
  {
    absl::MutexLock lock(&mutex_);
    ++status_.snapshots_loaded;
    // A snapshot starts a new count: after a restore the catalog's revision
    // can be lower than the one seen before.
    status_.catalog_revision_seen = revision;
    status_.catalog_history_id = history_id_;
    status_.last_applied_time = absl::Now();
    status_.state = reel::search::v1::CONNECTION_STATE_FOLLOWING;
  }
  MarkReady();
  return absl::OkStatus();
}

void CatalogFollower::SetState(ConnectionState state) {
  absl::MutexLock lock(&mutex_);
  status_.state = state;
}

void CatalogFollower::RecordError(const absl::Status& status) {
  if (status.ok()) return;
  absl::MutexLock lock(&mutex_);
  status_.last_error = status.ToString();
  status_.last_error_time = absl::Now();
}

void CatalogFollower::MarkReady() {
  if (ready_fired_) return;
  ready_fired_ = true;
  if (options_.on_ready) options_.on_ready();
}

bool CatalogFollower::SleepUnlessStopped(absl::Duration duration) {
  absl::MutexLock lock(&mutex_);
  mutex_.AwaitWithTimeout(absl::Condition(&stopping_), duration);
  return !stopping_;
}

bool CatalogFollower::stopping() const {
  absl::MutexLock lock(&mutex_);
  return stopping_;
}

}  // namespace reel::search
