#include "tools/reelctl/import_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "catalog-service/importer/film_file_reader.h"
#include "common/status/grpc_status.h"
#include "tools/reelctl/film_input.h"
#include "tools/reelctl/progress_meter.h"

namespace reel::reelctl {
namespace {

namespace v1 = catalog::v1;

// Batches also stop growing at this size, which stays under gRPC's default
// 4 MiB receive limit, so even servers that keep it accept every message.
constexpr size_t kMaxBatchBytes = 3 << 20;

// One ImportFilms call: films go out in batches, and each film's source is
// kept so the server's errors, which give stream positions, can name it.
class ImportStream {
 public:
  ImportStream(CliContext& cli, bool replace, int batch_films)
      : replace_(replace),
        batch_films_(batch_films),
        writer_(cli.catalog().ImportFilms(&context_, &response_)) {}

  // Queues a parsed record. false: the stream broke; Finish() says why.
  bool Add(catalog::ImportedFilm& record) {
    v1::Film* film = request_.add_films();
    *film = std::move(record.film);
    film->set_name(absl::StrCat("films/", record.film_id));
    request_bytes_ += film->ByteSizeLong();
    sources_.push_back(std::move(record.source));
    if (request_.films_size() >= batch_films_ ||
        request_bytes_ >= kMaxBatchBytes) {
      return Flush();
    }
    return true;
  }

  grpc::Status Finish(v1::ImportFilmsResponse* response) {
    if (Flush()) writer_->WritesDone();
    const grpc::Status status = writer_->Finish();
    *response = response_;
    return status;
  }

  // Films queued so far, and films in messages that went out.
  int64_t sent() const { return static_cast<int64_t>(sources_.size()); }
  int64_t written() const { return written_; }

  std::string SourceOf(int64_t index) const {
    return index >= 0 && index < sent() ? sources_[index]
                                        : absl::StrCat("#", index);
  }

 private:
  bool Flush() {
    if (request_.films_size() == 0) return true;
    request_.set_replace_existing(replace_);
    const bool ok = writer_->Write(request_);
    if (ok) written_ += request_.films_size();
    request_.Clear();
    request_bytes_ = 0;
    return ok;
  }

  const bool replace_;
  const int batch_films_;
  grpc::ClientContext context_;
  v1::ImportFilmsResponse response_;
  const std::unique_ptr<grpc::ClientWriter<v1::ImportFilmsRequest>> writer_;
  v1::ImportFilmsRequest request_;
  size_t request_bytes_ = 0;
  int64_t written_ = 0;
  std::vector<std::string> sources_;
};

// The catalog's revision now, for an import that wrote nothing (its
// response says revision 0): every film it found is at or before it. 0 when
// the catalog cannot say.
int64_t CurrentRevision(CliContext& cli) {
  v1::ListFilmsRequest request;
  request.set_page_size(1);
  v1::ListFilmsResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status =
      cli.catalog().ListFilms(&context, request, &response);
  return status.ok() ? response.revision() : 0;
}

// imported/failed counts, the failures (films that already exist on one
// line), timing, and the revision the catalog is at with the import.
void PrintSummary(const ImportStream& stream,
                  const v1::ImportFilmsResponse& response,
                  int64_t local_failures, absl::Duration elapsed,
                  int64_t revision) {
  std::cout << "imported: " << response.imported_count() << "\n";
  std::cout << "failed: " << local_failures + response.failed_count();
  if (local_failures + response.failed_count() > 0) {
    std::cout << " (" << local_failures << " skipped here, "
              << response.failed_count() << " rejected by the catalog)";
  }
  std::cout << "\n";
  int64_t existing = 0;
  for (const v1::ImportError& error : response.errors()) {
    if (error.code() == static_cast<int>(grpc::StatusCode::ALREADY_EXISTS)) {
      ++existing;
    }
  }
  if (existing > 0) {
    std::cout << "  " << existing
              << (existing == 1 ? " film already exists"
                                : " films already exist")
              << " (ALREADY_EXISTS): pass --replace to overwrite "
              << (existing == 1 ? "it" : "them") << "\n";
  }
  for (const v1::ImportError& error : response.errors()) {
    if (error.code() == static_cast<int>(grpc::StatusCode::ALREADY_EXISTS)) {
      continue;
    }
    std::cout << "  " << stream.SourceOf(error.index()) << " " << error.name()
              << ": "
              << GrpcCodeName(static_cast<grpc::StatusCode>(error.code()))
              << ": " << error.message() << "\n";
  }
  if (response.failed_count() > response.errors_size()) {
    std::cout << "  ... and "
              << response.failed_count() - response.errors_size()
              << " more not listed\n";
  }
  std::cout << absl::StrFormat(
      "elapsed: %.3f s\nrate: %.0f films/s\nrevision: %d\n",
      absl::ToDoubleSeconds(elapsed),
      FilmsPerSecond(response.imported_count(), elapsed), revision);
  std::cout.flush();
}

}  // namespace

int RunImportCommand(CliContext& cli, const CommandLine& line) {
  const ImportOptions& options = line.import;
  if (std::count(options.files.begin(), options.files.end(), "-") > 1) {
    return ReportUsageError("import", "stdin (-) can be read only once");
  }

  // Open and check every input first (a page is read whole): a mistyped
  // path or a file that holds no films should fail before any film is
  // written.
  std::vector<std::unique_ptr<ImportFileReader>> readers;
  bool open_failed = false;
  int64_t total_bytes = 0;
  for (const std::string& path : options.files) {
    auto reader = ImportFileReader::Open(path);
    if (!reader.ok()) {
      ReportError(reader.status());
      open_failed = true;
      continue;
    }
    if ((*reader)->total_bytes() < 0 || total_bytes < 0) {
      total_bytes = -1;
    } else {
      total_bytes += (*reader)->total_bytes();
    }
    readers.push_back(*std::move(reader));
  }
  if (open_failed) {
    std::cerr << "nothing was imported" << std::endl;
    return kExitFailure;
  }

  ProgressMeter progress(options.progress || isatty(STDERR_FILENO) != 0,
                         options.progress_every, total_bytes);
  ImportStream stream(cli, options.replace, options.batch);
  int64_t local_failures = 0;
  bool stream_ok = true;
  int64_t bytes_before = 0;  // Of the inputs read to the end.
  catalog::ImportedFilm record;
  for (auto& reader : readers) {
    while (stream_ok) {
      absl::StatusOr<bool> more = reader->Next(&record);
      if (!more.ok()) {  // The rest of this input is unreadable.
        ReportError(more.status());
        ++local_failures;
        break;
      }
      if (!*more) break;
      if (!record.status.ok()) {
        std::cerr << "skipped " << record.status.message() << std::endl;
        ++local_failures;
        continue;
      }
      stream_ok = stream.Add(record);
      progress.Update(stream.sent(), bytes_before + reader->bytes_read());
    }
    bytes_before += reader->bytes_read();
  }

  v1::ImportFilmsResponse response;
  const grpc::Status status = stream.Finish(&response);
  progress.Finish();
  if (!status.ok()) {
    if (stream.written() > 0) {
      std::cerr << "the import failed after " << stream.written()
                << " films went out; batches the catalog committed stay "
                   "imported"
                << std::endl;
    }
    return cli.ReportCatalogError(status);
  }
  const int64_t revision =
      response.revision() != 0 ? response.revision() : CurrentRevision(cli);
  PrintSummary(stream, response, local_failures, progress.Elapsed(), revision);
  return local_failures + response.failed_count() == 0 ? kExitOk : kExitFailure;
}

}  // namespace reel::reelctl
