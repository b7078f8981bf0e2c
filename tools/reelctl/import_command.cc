#include "tools/reelctl/import_command.h"

#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "catalog-service/importer/film_file_reader.h"
#include "common/status/grpc_status.h"
#include "tools/reelctl/film_input.h"
#include "tools/reelctl/progress_meter.h"

ABSL_FLAG(int32_t, batch, 500, "import: films per ImportFilms message");
ABSL_FLAG(bool, replace, false, "import: replace films that already exist");
ABSL_FLAG(bool, progress, false,
          "import: report progress on stderr even when it is not a terminal");

namespace reel::reelctl {
namespace {

namespace v1 = catalog::v1;

constexpr int kMaxBatchFilms = 10000;  // The server's per-message limit.
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
        writer_(cli.stub().ImportFilms(&context_, &response_)) {}

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

void PrintSummary(const ImportStream& stream,
                  const v1::ImportFilmsResponse& response,
                  int64_t local_failures, absl::Duration elapsed) {
  std::cout << "imported: " << response.imported_count() << "\n";
  std::cout << "failed: " << local_failures + response.failed_count();
  if (local_failures + response.failed_count() > 0) {
    std::cout << " (" << local_failures << " skipped here, "
              << response.failed_count() << " rejected by the catalog)";
  }
  std::cout << "\n";
  for (const v1::ImportError& error : response.errors()) {
    std::cout << "  " << stream.SourceOf(error.index()) << " " << error.name()
              << ": "
              << GrpcCodeName(static_cast<grpc::StatusCode>(error.code()))
              << ": " << error.message() << "\n";
  }
  if (response.failed_count() > response.errors_size()) {
    std::cout << "  ... and "
              << response.failed_count() - response.errors_size() << " more\n";
  }
  std::cout << absl::StrFormat(
      "elapsed: %.3f s\nrate: %.0f films/s\nrevision: %d\n",
      absl::ToDoubleSeconds(elapsed),
      FilmsPerSecond(response.imported_count(), elapsed), response.revision());
  std::cout.flush();
}

}  // namespace

int RunImportCommand(CliContext& cli, const CommandLine& line) {
  if (absl::Status status =
          CheckFlags(line, "import", {"batch", "replace", "progress"});
      !status.ok()) {
    return ReportUsageError(status.message());
  }
  if (line.args.size() < 2) return ReportUsageError("import needs a FILE");
  const int batch = absl::GetFlag(FLAGS_batch);
  if (batch < 1 || batch > kMaxBatchFilms) {
    return ReportUsageError(
        absl::StrCat("--batch must be 1-", kMaxBatchFilms, ", got ", batch));
  }

  // Open every file first: a mistyped path should fail before any film is
  // written.
  std::vector<std::unique_ptr<ImportFileReader>> readers;
  bool open_failed = false;
  for (size_t i = 1; i < line.args.size(); ++i) {
    auto reader = ImportFileReader::Open(line.args[i]);
    if (!reader.ok()) {
      ReportError(reader.status());
      open_failed = true;
      continue;
    }
    readers.push_back(*std::move(reader));
  }
  if (open_failed) return kExitFailure;

  ProgressMeter progress(absl::GetFlag(FLAGS_progress) ||
                         isatty(STDERR_FILENO) != 0);
  ImportStream stream(cli, absl::GetFlag(FLAGS_replace), batch);
  int64_t local_failures = 0;
  bool stream_ok = true;
  catalog::ImportedFilm record;
  for (auto& reader : readers) {
    while (stream_ok) {
      absl::StatusOr<bool> more = reader->Next(&record);
      if (!more.ok()) {  // The rest of this file is unreadable.
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
      progress.Update(stream.sent());
    }
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
    return ReportError(status);
  }
  PrintSummary(stream, response, local_failures, progress.Elapsed());
  return local_failures + response.failed_count() == 0 ? kExitOk : kExitFailure;
}

}  // namespace reel::reelctl
