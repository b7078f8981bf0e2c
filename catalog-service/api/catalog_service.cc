#include "catalog-service/api/catalog_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "catalog-service/api/page_token.h"
#include "catalog-service/model/film_name.h"
#include "catalog-service/model/film_update.h"
#include "catalog-service/model/film_validation.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::CreateFilmRequest;
using ::reel::catalog::v1::CreateFilmResponse;
using ::reel::catalog::v1::DeleteFilmRequest;
using ::reel::catalog::v1::DeleteFilmResponse;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::GetFilmRequest;
using ::reel::catalog::v1::GetFilmResponse;
using ::reel::catalog::v1::ImportError;
using ::reel::catalog::v1::ImportFilmsRequest;
using ::reel::catalog::v1::ImportFilmsResponse;
using ::reel::catalog::v1::ListFilmsRequest;
using ::reel::catalog::v1::ListFilmsResponse;
using ::reel::catalog::v1::UpdateFilmRequest;
using ::reel::catalog::v1::UpdateFilmResponse;
using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;

constexpr size_t kMaxRequestIdBytes = 128;

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id: is ", request_id.size(),
                     " bytes; the limit is ", kMaxRequestIdBytes));
  }
  for (char c : request_id) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          "request_id: may hold only printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

absl::Status RequireFilm(bool has_film) {
  return has_film ? absl::OkStatus()
                  : absl::InvalidArgumentError("film: is required");
}

// Collects an import stream's valid films into batches for the store,
// keeping the per-film outcome by position in the stream. Not thread-safe:
// its reactor calls it from one place at a time.
class ImportSession {
 public:
  ImportSession(const CatalogApiOptions& options, ImportFilmsResponse* response)
      : options_(options), response_(response) {}

  // Validates the films of one message into the staged set; the invalid
  // ones are recorded as errors at once.
  absl::Status Stage(ImportFilmsRequest* request) {
    if (request->films_size() > options_.max_films_per_import_message) {
      return absl::InvalidArgumentError(
          absl::StrCat("films: ", request->films_size(),
                       " films in one message; the limit is ",
                       options_.max_films_per_import_message));
    }
    staged_replace_existing_ = request->replace_existing();
    for (Film& film : *request->mutable_films()) {
      const int64_t index = next_index_++;
      absl::StatusOr<std::string> film_id =
          ParseFilmName(film.name(), "film.name");
      absl::Status status =
          film_id.ok() ? ValidateFilm(film) : film_id.status();
      if (!status.ok()) {
        Reject(index, film.name(), status);
        continue;
      }
      staged_bytes_ += film.ByteSizeLong();
      staged_.push_back({index, film.name()});
      staged_items_.push_back({*std::move(film_id), std::move(film)});
    }
    return absl::OkStatus();
  }

  // The batch must be committed before the staged films join it: they were
  // sent with a different replace_existing.
  bool MustFlushBeforeStaged() const {
    return !items_.empty() && staged_replace_existing_ != replace_existing_;
  }

  // Moves the staged films into the batch.
  void TakeStaged() {
    replace_existing_ = staged_replace_existing_;
    for (auto& item : staged_items_) items_.push_back(std::move(item));
    for (auto& entry : staged_) pending_.push_back(std::move(entry));
    pending_bytes_ += staged_bytes_;
    staged_items_.clear();
    staged_.clear();
    staged_bytes_ = 0;
  }

  bool BatchFull() const {
    return items_.size() >= options_.import_batch_films ||
           pending_bytes_ >= options_.import_batch_bytes;
  }
  bool BatchEmpty() const { return items_.empty(); }

  // Hands the batch to the store; `done` gets OK once its outcomes are
  // recorded, or the store's error (nothing of the batch was written).
  void Flush(FilmStore* store, absl::AnyInvocable<void(absl::Status)> done) {
    std::vector<ImportItem> items = std::move(items_);
    items_.clear();
    pending_bytes_ = 0;
    store->ImportAsync(
        std::move(items), replace_existing_,
        [this, done = std::move(done)](
            absl::StatusOr<std::vector<absl::StatusOr<WriteResult>>>
                results) mutable {
          std::vector<Pending> pending = std::move(pending_);
          pending_.clear();
          if (!results.ok()) {
            done(results.status());
            return;
          }
          for (size_t i = 0; i < results->size(); ++i) {
            const absl::StatusOr<WriteResult>& result = (*results)[i];
            if (result.ok()) {
              response_->set_imported_count(response_->imported_count() + 1);
              response_->set_revision(result->revision);
            } else {
              Reject(pending[i].index, pending[i].name, result.status());
            }
          }
          done(absl::OkStatus());
        });
  }

  // Fills response.errors: in stream order, at most max_import_errors.
  void FinishErrors() {
    KeepFirstErrors();
    for (auto& error : errors_) *response_->add_errors() = std::move(error);
    errors_.clear();
  }

 private:
  struct Pending {
    int64_t index;
    std::string name;
  };

  // Invalid films are found when their message arrives, conflicts only when
  // their batch commits, so errors arrive out of stream order: they are
  // sorted at the end. Only the first max_import_errors by index are kept.
  void Reject(int64_t index, const std::string& name,
              const absl::Status& status) {
    response_->set_failed_count(response_->failed_count() + 1);
    ImportError error;
    error.set_index(index);
    error.set_name(name);
    error.set_code(static_cast<int32_t>(status.code()));
    error.set_message(std::string(status.message()));
    errors_.push_back(std::move(error));
    if (errors_.size() >=
        2 * static_cast<size_t>(options_.max_import_errors) + 1) {
      KeepFirstErrors();
    }
  }

  void KeepFirstErrors() {
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const ImportError& a, const ImportError& b) {
                       return a.index() < b.index();
                     });
    if (errors_.size() > static_cast<size_t>(options_.max_import_errors)) {
      errors_.resize(std::max(options_.max_import_errors, 0));
    }
  }

  const CatalogApiOptions& options_;
  ImportFilmsResponse* const response_;
  int64_t next_index_ = 0;
  // The message being added, validated.
  bool staged_replace_existing_ = false;
  std::vector<ImportItem> staged_items_;
  std::vector<Pending> staged_;
  size_t staged_bytes_ = 0;
  // The batch the next Flush commits.
  bool replace_existing_ = false;
  std::vector<ImportItem> items_;
  std::vector<Pending> pending_;
  size_t pending_bytes_ = 0;
  std::vector<ImportError> errors_;
};

}  // namespace

namespace internal {

// One ImportFilms call. Reading and committing alternate: a message is read,
// staged, and the next read starts only once any batch it filled is
// committed, so at any moment the reactor is reading, committing, or done.
// The service's watchdog may end it while it is reading (idle timeout).
class ImportReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  ImportReactor(CatalogServiceImpl* service,
                grpc::CallbackServerContext* context,
                grpc::ByteBuffer* response_buffer, bool admitted)
      : service_(service),
        context_(context),
        response_buffer_(response_buffer),
        admitted_(admitted),
        session_(service->options_, &response_) {}

  // Starts reading; or, when the call was not admitted, ends it.
  void Start() {
    if (!admitted_) {
      FinishOnce(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("too many imports in progress: the server runs at most ",
                       service_->options_.max_concurrent_imports,
                       " ImportFilms calls at once (--max_concurrent_imports);"
                       " retry when one has finished")));
      return;
    }
    StartNextRead();
  }

  // Called by the watchdog with the service's imports_mutex_ held. True when
  // the client has sent nothing for the idle timeout while the server waited
  // for it: the reactor is then closing and the caller must call Expire()
  // (after releasing the mutex).
  bool CheckIdle(absl::Time now) {
    absl::MutexLock lock(&mutex_);
    if (!reading_ || closing_) return false;
    if (now - read_started_ < service_->options_.import_idle_timeout) {
      return false;
    }
    closing_ = true;
    return true;
  }

  // Ends an idle import: commits what its earlier messages queued, then
  // finishes with RESOURCE_EXHAUSTED saying how much was imported.
  void Expire() {
    const std::string problem = absl::StrCat(
        "import idle: the client sent nothing for ",
        absl::FormatDuration(service_->options_.import_idle_timeout),
        " (--import_idle_timeout) after message ", messages_ - 1);
    FlushThen([this, problem](absl::Status status) {
      FinishOnce(status.ok()
                     ? Failure(grpc::StatusCode::RESOURCE_EXHAUSTED, problem)
                     : StoreFailure(status));
    });
  }

  void OnReadDone(bool ok) override {
    {
      absl::MutexLock lock(&mutex_);
      reading_ = false;
      if (closing_) return;  // The watchdog ended the call meanwhile.
    }
    if (!ok) {
      if (context_->IsCancelled()) {
        FinishOnce(Failure(grpc::StatusCode::CANCELLED, "import cancelled"));
        return;
      }
      // The client's half-close: commit the rest and report.
      FlushThen([this](absl::Status status) {
        if (!status.ok()) {
          FinishOnce(StoreFailure(status));
          return;
        }
        FinishOk();
      });
      return;
    }
    const int64_t index = messages_++;
    ImportFilmsRequest request;
    if (grpc::Status parsed =
            grpc::SerializationTraits<ImportFilmsRequest>::Deserialize(
                &buffer_, &request);
        !parsed.ok()) {
      FailAfterFlush(absl::StrCat(
          "message ", index,
          " of the stream (counting from 0) cannot be decoded as an "
          "ImportFilmsRequest (malformed bytes, or a string that is not "
          "valid UTF-8)"));
      return;
    }
    if (absl::Status status = session_.Stage(&request); !status.ok()) {
      FailAfterFlush(absl::StrCat("message ", index, ": ", status.message()));
      return;
    }
    if (session_.MustFlushBeforeStaged()) {
      FlushThen([this](absl::Status status) {
        if (!status.ok()) {
          FinishOnce(StoreFailure(status));
          return;
        }
        TakeStagedAndContinue();
      });
      return;
    }
    TakeStagedAndContinue();
  }

  void OnDone() override {
    if (admitted_) service_->Unregister(this);  // Already, unless cancelled.
    spdlog::debug("import ended after {} messages", messages_);
    delete this;
  }

 private:
  void StartNextRead() {
    {
      absl::MutexLock lock(&mutex_);
      reading_ = true;
      read_started_ = absl::Now();
    }
    StartRead(&buffer_);
  }

  void TakeStagedAndContinue() {
    session_.TakeStaged();
    if (!session_.BatchFull()) {
      StartNextRead();
      return;
    }
    FlushThen([this](absl::Status status) {
      if (!status.ok()) {
        FinishOnce(StoreFailure(status));
        return;
      }
      StartNextRead();
    });
  }

  // Commits the batch, if any, then calls `next` with the outcome. `next`
  // may run on the store's completion thread, which answers every group's
  // writers in turn: it must not block.
  void FlushThen(absl::AnyInvocable<void(absl::Status)> next) {
    if (session_.BatchEmpty()) {
      next(absl::OkStatus());
      return;
    }
    session_.Flush(service_->store_, std::move(next));
  }

  // A bad message ends the call; the films of the messages before it are
  // committed first, so the error can say exactly what was imported.
  void FailAfterFlush(std::string problem) {
    FlushThen([this, problem = std::move(problem)](absl::Status status) {
      FinishOnce(status.ok()
                     ? Failure(grpc::StatusCode::INVALID_ARGUMENT, problem)
                     : StoreFailure(status));
    });
  }

  // The call's status after `problem`, saying what the stream achieved:
  // films committed before the failure stay committed.
  grpc::Status Failure(grpc::StatusCode code, absl::string_view problem) {
    return grpc::Status(
        code,
        absl::StrCat(problem, "; ", response_.imported_count(),
                     " films were imported (committed through revision ",
                     response_.revision(), ") and ", response_.failed_count(),
                     " rejected before the call ended"));
  }
  grpc::Status StoreFailure(const absl::Status& status) {
    const grpc::Status mapped = ToGrpcStatus(status);
    return Failure(mapped.error_code(), mapped.error_message());
  }

  void FinishOk() {
    session_.FinishErrors();
    spdlog::info("import: {} films written, {} rejected, revision {}",
                 response_.imported_count(), response_.failed_count(),
                 response_.revision());
    bool own_buffer = false;
    grpc::Status serialized =
        grpc::SerializationTraits<ImportFilmsResponse>::Serialize(
            response_, response_buffer_, &own_buffer);
    FinishOnce(serialized);
  }

  void FinishOnce(grpc::Status status) {
    {
      absl::MutexLock lock(&mutex_);
      if (finished_) return;
      finished_ = true;
    }
    // The slot is free before the client can learn the call ended, so a
    // client that starts its next import then is admitted.
    if (admitted_) service_->Unregister(this);
    Finish(status);
  }

  CatalogServiceImpl* const service_;
  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_buffer_;
  const bool admitted_;
  ImportFilmsResponse response_;
  ImportSession session_;
  grpc::ByteBuffer buffer_;
  int64_t messages_ = 0;  // Messages received.

  absl::Mutex mutex_;
  bool reading_ ABSL_GUARDED_BY(mutex_) = false;  // A read is outstanding.
  absl::Time read_started_ ABSL_GUARDED_BY(mutex_);
  bool closing_ ABSL_GUARDED_BY(mutex_) = false;  // The watchdog ended it.
  bool finished_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace internal

namespace {}  // namespace

CatalogServiceImpl::CatalogServiceImpl(FilmStore* store, WatchHub* hub,
                                       CatalogApiOptions options)
    : store_(store), hub_(hub), options_(options) {
  watchdog_ = std::thread([this] { WatchdogLoop(); });
}

CatalogServiceImpl::~CatalogServiceImpl() {
  {
    absl::MutexLock lock(&imports_mutex_);
    stopping_ = true;
  }
  watchdog_.join();
}

int CatalogServiceImpl::active_imports() const {
  absl::MutexLock lock(&imports_mutex_);
  return static_cast<int>(imports_.size());
}

void CatalogServiceImpl::Unregister(internal::ImportReactor* import) {
  absl::MutexLock lock(&imports_mutex_);
  imports_.erase(import);
}

void CatalogServiceImpl::WatchdogLoop() {
  // A few checks per timeout: an idle import ends within 1.25 timeouts.
  const absl::Duration period =
      std::clamp(options_.import_idle_timeout / 4, absl::Milliseconds(10),
                 absl::Seconds(5));
  absl::MutexLock lock(&imports_mutex_);
  while (!stopping_) {
    imports_mutex_.AwaitWithTimeout(absl::Condition(&stopping_), period);
    if (stopping_) break;
    std::vector<internal::ImportReactor*> expired;
    const absl::Time now = absl::Now();
    for (internal::ImportReactor* import : imports_) {
      if (import->CheckIdle(now)) expired.push_back(import);
    }
    if (expired.empty()) continue;
    // A closing reactor lives until it finishes, which only Expire() does.
    imports_mutex_.Unlock();
    for (internal::ImportReactor* import : expired) import->Expire();
    imports_mutex_.Lock();
  }
}

grpc::ServerUnaryReactor* CatalogServiceImpl::CreateFilm(
    grpc::CallbackServerContext* context, const CreateFilmRequest* request,
    CreateFilmResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto validate = [&]() -> absl::Status {
    REEL_RETURN_IF_ERROR(ValidateFilmId(request->film_id(), "film_id"));
    REEL_RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    REEL_RETURN_IF_ERROR(RequireFilm(request->has_film()));
    return ValidateFilm(request->film());
  };
  if (absl::Status status = validate(); !status.ok()) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }
  // request and response live until Finish; the store calls back once the
  // write is durable.
  store_->CreateAsync(request->film_id(), request->film(),
                      request->request_id(),
                      [reactor, response](absl::StatusOr<WriteResult> result) {
                        if (result.ok())
                          *response->mutable_film() = std::move(result->film);
                        reactor->Finish(ToGrpcStatus(result.status()));
                      });
  return reactor;
}

grpc::ServerUnaryReactor* CatalogServiceImpl::GetFilm(
    grpc::CallbackServerContext* context, const GetFilmRequest* request,
    GetFilmResponse* response) {
  auto run = [&]() -> absl::Status {
    REEL_ASSIGN_OR_RETURN(std::string film_id, ParseFilmName(request->name()));
    REEL_ASSIGN_OR_RETURN(*response->mutable_film(), store_->Get(film_id));
    return absl::OkStatus();
  };
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(run()));
  return reactor;
}

grpc::ServerUnaryReactor* CatalogServiceImpl::ListFilms(
    grpc::CallbackServerContext* context, const ListFilmsRequest* request,
    ListFilmsResponse* response) {
  auto run = [&]() -> absl::Status {
    if (request->page_size() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("page_size: ", request->page_size(), " is negative"));
    }
    int page_size = request->page_size() == 0 ? options_.default_page_size
                                              : request->page_size();
    page_size = std::min(page_size, options_.max_page_size);
    std::string after_id;
    if (!request->page_token().empty()) {
      REEL_ASSIGN_OR_RETURN(after_id, DecodePageToken(request->page_token()));
    }
    REEL_ASSIGN_OR_RETURN(FilmStore::ListPage page,
                          store_->List(after_id, page_size));
    response->set_revision(page.revision);
    response->set_history_id(store_->history_id());
    if (page.has_more) {
      response->set_next_page_token(
          EncodePageToken(page.films.back().name().substr(6)));
    }
    for (Film& film : page.films) *response->add_films() = std::move(film);
    return absl::OkStatus();
  };
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(run()));
  return reactor;
}

grpc::ServerUnaryReactor* CatalogServiceImpl::UpdateFilm(
    grpc::CallbackServerContext* context, const UpdateFilmRequest* request,
    UpdateFilmResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto parse = [&]() -> absl::StatusOr<std::pair<std::string, FilmFields>> {
    REEL_RETURN_IF_ERROR(RequireFilm(request->has_film()));
    REEL_ASSIGN_OR_RETURN(std::string film_id,
                          ParseFilmName(request->film().name(), "film.name"));
    REEL_ASSIGN_OR_RETURN(FilmFields fields,
                          ResolveUpdateMask(request->update_mask()));
    return std::make_pair(std::move(film_id), std::move(fields));
  };
  absl::StatusOr<std::pair<std::string, FilmFields>> parsed = parse();
  if (!parsed.ok()) {
    reactor->Finish(ToGrpcStatus(parsed.status()));
    return reactor;
  }
  store_->UpdateAsync(parsed->first, request->film(), parsed->second,
                      request->film().etag(),
                      [reactor, response](absl::StatusOr<WriteResult> result) {
                        if (result.ok())
                          *response->mutable_film() = std::move(result->film);
                        reactor->Finish(ToGrpcStatus(result.status()));
                      });
  return reactor;
}

grpc::ServerUnaryReactor* CatalogServiceImpl::DeleteFilm(
    grpc::CallbackServerContext* context, const DeleteFilmRequest* request,
    DeleteFilmResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> film_id = ParseFilmName(request->name());
  if (!film_id.ok()) {
    reactor->Finish(ToGrpcStatus(film_id.status()));
    return reactor;
  }
  store_->DeleteAsync(*film_id, request->etag(),
                      [reactor, response](absl::StatusOr<WriteResult> result) {
                        if (result.ok())
                          response->set_revision(result->revision);
                        reactor->Finish(ToGrpcStatus(result.status()));
                      });
  return reactor;
}

grpc::ServerReadReactor<grpc::ByteBuffer>* CatalogServiceImpl::ImportFilms(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  bool admitted = false;
  internal::ImportReactor* import = nullptr;
  {
    absl::MutexLock lock(&imports_mutex_);
    admitted = imports_.size() < static_cast<size_t>(std::max(
                                     options_.max_concurrent_imports, 0));
    import = new internal::ImportReactor(this, context, response, admitted);
    if (admitted) imports_.insert(import);
  }
  import->Start();
  return import;
}

grpc::ServerWriteReactor<WatchFilmsResponse>* CatalogServiceImpl::WatchFilms(
    grpc::CallbackServerContext* context, const WatchFilmsRequest* request) {
  return hub_->Watch(context, request);
}

}  // namespace reel::catalog
