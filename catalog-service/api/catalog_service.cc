#include "catalog-service/api/catalog_service.h"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>
#include <vector>

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

// Collects an import stream's valid films into batches and commits them,
// keeping the per-film outcome by position in the stream.
class ImportSession {
 public:
  ImportSession(FilmStore* store, const CatalogApiOptions& options,
                ImportFilmsResponse* response)
      : store_(store), options_(options), response_(response) {}

  // Validates and queues the films of one message.
  absl::Status Add(ImportFilmsRequest* request) {
    if (request->films_size() > options_.max_films_per_import_message) {
      return absl::InvalidArgumentError(
          absl::StrCat("films: ", request->films_size(),
                       " films in one message; the limit "
                       "is ",
                       options_.max_films_per_import_message));
    }
    if (request->replace_existing() != replace_existing_) {
      REEL_RETURN_IF_ERROR(Flush());
      replace_existing_ = request->replace_existing();
    }
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
      pending_bytes_ += film.ByteSizeLong();
      pending_.push_back({index, film.name()});
      items_.push_back({*std::move(film_id), std::move(film)});
      if (items_.size() >= options_.import_batch_films ||
          pending_bytes_ >= options_.import_batch_bytes) {
        REEL_RETURN_IF_ERROR(Flush());
      }
    }
    return absl::OkStatus();
  }

  // Commits what is queued as one atomic, durable batch.
  absl::Status Flush() {
    if (items_.empty()) return absl::OkStatus();
    REEL_ASSIGN_OR_RETURN(auto results,
                          store_->Import(std::move(items_), replace_existing_));
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].ok()) {
        response_->set_imported_count(response_->imported_count() + 1);
        response_->set_revision(results[i]->revision);
      } else {
        Reject(pending_[i].index, pending_[i].name, results[i].status());
      }
    }
    items_.clear();
    pending_.clear();
    pending_bytes_ = 0;
    return absl::OkStatus();
  }

 private:
  struct Pending {
    int64_t index;
    std::string name;
  };

  void Reject(int64_t index, const std::string& name,
              const absl::Status& status) {
    response_->set_failed_count(response_->failed_count() + 1);
    if (response_->errors_size() >= options_.max_import_errors) return;
    auto* error = response_->add_errors();
    error->set_index(index);
    error->set_name(name);
    error->set_code(static_cast<int32_t>(status.code()));
    error->set_message(std::string(status.message()));
  }

  FilmStore* const store_;
  const CatalogApiOptions& options_;
  ImportFilmsResponse* const response_;
  bool replace_existing_ = false;
  int64_t next_index_ = 0;
  std::vector<ImportItem> items_;
  std::vector<Pending> pending_;
  size_t pending_bytes_ = 0;
};

}  // namespace

CatalogServiceImpl::CatalogServiceImpl(FilmStore* store, WatchHub* hub,
                                       CatalogApiOptions options)
    : store_(store), hub_(hub), options_(options) {}

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

grpc::Status CatalogServiceImpl::ImportFilms(
    grpc::ServerContext* context,
    grpc::ServerReader<ImportFilmsRequest>* reader,
    ImportFilmsResponse* response) {
  ImportSession session(store_, options_, response);
  // Batches committed before a failure stay committed: say how many.
  auto fail = [&](const absl::Status& status) {
    return ToGrpcStatus(absl::Status(
        status.code(),
        absl::StrCat(status.message(), " (", response->imported_count(),
                     " films were committed before this)")));
  };
  ImportFilmsRequest request;
  while (reader->Read(&request)) {
    if (context->IsCancelled()) {
      return fail(absl::CancelledError("import cancelled"));
    }
    if (absl::Status status = session.Add(&request); !status.ok()) {
      return fail(status);
    }
  }
  if (absl::Status status = session.Flush(); !status.ok()) return fail(status);
  spdlog::info("import: {} films written, {} rejected, revision {}",
               response->imported_count(), response->failed_count(),
               response->revision());
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<WatchFilmsResponse>* CatalogServiceImpl::WatchFilms(
    grpc::CallbackServerContext* context, const WatchFilmsRequest* request) {
  return hub_->Watch(context, request);
}

}  // namespace reel::catalog
