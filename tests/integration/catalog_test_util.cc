#include "tests/integration/catalog_test_util.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"

namespace reel::testing {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;

void SetDeadline(grpc::ClientContext* context,
                 std::chrono::milliseconds timeout) {
  context->set_deadline(std::chrono::system_clock::now() + timeout);
}

Film TestFilm(const std::string& title, int scenes, size_t scene_bytes) {
  Film film;
  film.set_title(title);
  film.set_year(1948);
  film.add_directors("Michael Powell");
  film.add_directors("Emeric Pressburger");
  film.add_genres("drama");
  film.set_synopsis(absl::StrCat("The story of ", title, "."));
  for (int i = 1; i <= scenes; ++i) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", i));
    scene->set_title(absl::StrCat(title, ", scene ", i));
    std::string description;
    while (description.size() < scene_bytes) {
      absl::StrAppend(&description, "In scene ", i, " of ", title,
                      " the dancer rehearses once more. ");
    }
    scene->set_description(std::move(description));
  }
  return film;
}

grpc::Status CreateFilm(CatalogService::Stub& stub, const std::string& film_id,
                        const Film& film, Film* out) {
  grpc::ClientContext context;
  SetDeadline(&context);
  reel::catalog::v1::CreateFilmRequest request;
  request.set_film_id(film_id);
  *request.mutable_film() = film;
  reel::catalog::v1::CreateFilmResponse response;
  grpc::Status status = stub.CreateFilm(&context, request, &response);
  if (status.ok() && out != nullptr) *out = std::move(*response.mutable_film());
  return status;
}

absl::StatusOr<Film> GetFilm(CatalogService::Stub& stub,
                             const std::string& name) {
  grpc::ClientContext context;
  SetDeadline(&context);
  reel::catalog::v1::GetFilmRequest request;
  request.set_name(name);
  reel::catalog::v1::GetFilmResponse response;
  grpc::Status status = stub.GetFilm(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return std::move(*response.mutable_film());
}

absl::StatusOr<int64_t> HeadRevision(CatalogService::Stub& stub) {
  grpc::ClientContext context;
  SetDeadline(&context);
  reel::catalog::v1::ListFilmsRequest request;
  request.set_page_size(1);
  reel::catalog::v1::ListFilmsResponse response;
  grpc::Status status = stub.ListFilms(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response.revision();
}

absl::StatusOr<reel::catalog::v1::ImportFilmsResponse> ImportFilms(
    CatalogService::Stub& stub, const std::vector<Film>& films, int per_message,
    bool replace_existing) {
  grpc::ClientContext context;
  SetDeadline(&context);
  reel::catalog::v1::ImportFilmsResponse response;
  std::unique_ptr<grpc::ClientWriter<reel::catalog::v1::ImportFilmsRequest>>
      writer = stub.ImportFilms(&context, &response);
  for (size_t start = 0; start < films.size(); start += per_message) {
    reel::catalog::v1::ImportFilmsRequest request;
    request.set_replace_existing(replace_existing);
    for (size_t i = start; i < films.size() && i < start + per_message; ++i) {
      *request.add_films() = films[i];
    }
    if (!writer->Write(request)) break;  // Finish() says why.
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<std::vector<Film>> ListAllFilms(CatalogService::Stub& stub,
                                               int page_size) {
  std::vector<Film> films;
  std::string token;
  do {
    grpc::ClientContext context;
    SetDeadline(&context);
    reel::catalog::v1::ListFilmsRequest request;
    request.set_page_size(page_size);
    request.set_page_token(token);
    reel::catalog::v1::ListFilmsResponse response;
    grpc::Status status = stub.ListFilms(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    if (response.films_size() > page_size) {
      return absl::InternalError(
          absl::StrCat("ListFilms returned ", response.films_size(),
                       " films for page_size ", page_size));
    }
    for (Film& film : *response.mutable_films()) {
      films.push_back(std::move(film));
    }
    token = response.next_page_token();
  } while (!token.empty());
  return films;
}

WatchClient::WatchClient(std::shared_ptr<grpc::Channel> channel,
                         int64_t start_revision)
    : context_(std::make_unique<grpc::ClientContext>()),
      thread_([this, channel = std::move(channel), start_revision]() mutable {
        Run(std::move(channel), start_revision);
      }) {}

WatchClient::~WatchClient() {
  Cancel();
  thread_.join();
}

void WatchClient::Cancel() {
  absl::MutexLock lock(&mutex_);
  if (context_ != nullptr) context_->TryCancel();
}

void WatchClient::Run(std::shared_ptr<grpc::Channel> channel,
                      int64_t start_revision) {
  grpc::ClientContext* context;
  {
    absl::MutexLock lock(&mutex_);
    context = context_.get();
  }
  grpc::Status status;
  {
    auto stub = CatalogService::NewStub(std::move(channel));
    WatchFilmsRequest request;
    request.set_start_revision(start_revision);
    std::unique_ptr<grpc::ClientReader<WatchFilmsResponse>> reader =
        stub->WatchFilms(context, request);
    WatchFilmsResponse message;
    while (reader->Read(&message)) {
      absl::MutexLock lock(&mutex_);
      messages_.push_back(std::move(message));
      message.Clear();
      changed_.SignalAll();
    }
    status = reader->Finish();
  }
  absl::MutexLock lock(&mutex_);
  // Lets the channel go before anyone learns that the call ended.
  context_.reset();
  status_ = std::move(status);
  changed_.SignalAll();
}

bool WatchClient::WaitUntil(const std::function<bool(const Messages&)>& done,
                            std::chrono::milliseconds timeout) {
  const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
  absl::MutexLock lock(&mutex_);
  while (!done(messages_) && !status_.has_value()) {
    if (changed_.WaitWithDeadline(&mutex_, deadline)) break;  // Timed out.
  }
  return done(messages_);
}

bool WatchClient::WaitForSnapshot(std::chrono::milliseconds timeout) {
  return WaitUntil(
      [](const Messages& messages) {
        for (const WatchFilmsResponse& message : messages) {
          if (message.snapshot_complete()) return true;
        }
        return false;
      },
      timeout);
}

bool WatchClient::WaitForRevision(int64_t revision,
                                  std::chrono::milliseconds timeout) {
  return WaitUntil(
      [revision](const Messages& messages) {
        return !messages.empty() && messages.back().revision() >= revision;
      },
      timeout);
}

std::optional<grpc::Status> WatchClient::WaitForEnd(
    std::chrono::milliseconds timeout) {
  const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
  absl::MutexLock lock(&mutex_);
  while (!status_.has_value()) {
    if (changed_.WaitWithDeadline(&mutex_, deadline)) break;  // Timed out.
  }
  return status_;
}

WatchClient::Messages WatchClient::messages() const {
  absl::MutexLock lock(&mutex_);
  return messages_;
}

std::vector<FilmEvent> WatchClient::Events() const {
  absl::MutexLock lock(&mutex_);
  std::vector<FilmEvent> events;
  for (const WatchFilmsResponse& message : messages_) {
    events.insert(events.end(), message.events().begin(),
                  message.events().end());
  }
  return events;
}

int64_t WatchClient::last_revision() const {
  absl::MutexLock lock(&mutex_);
  return messages_.empty() ? 0 : messages_.back().revision();
}

std::string WatchClient::Describe() const {
  absl::MutexLock lock(&mutex_);
  size_t events = 0;
  std::string revisions;
  for (const WatchFilmsResponse& message : messages_) {
    events += message.events_size();
    if (revisions.size() < 400) {
      absl::StrAppend(&revisions, revisions.empty() ? "" : ",",
                      message.revision(),
                      message.snapshot_complete() ? "(snapshot)" : "");
    }
  }
  return absl::StrCat(
      "watch stream: ", messages_.size(), " messages, ", events,
      " events, message revisions [", revisions, "], ",
      status_.has_value()
          ? absl::StrCat("ended with ", GrpcCodeName(status_->error_code()),
                         ": ", status_->error_message())
          : std::string("still open"));
}

}  // namespace reel::testing
