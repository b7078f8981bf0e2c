#include "tools/reelctl/film_commands.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "catalog-service/importer/film_id.h"
#include "tools/reelctl/film_input.h"

namespace reel::reelctl {
namespace {

namespace v1 = catalog::v1;

// The one film given by --json or --file; a usage error when neither is.
absl::StatusOr<v1::Film> InputFilm(const FilmsOptions& options,
                                   bool* usage_error) {
  *usage_error = !options.json.has_value() && !options.file.has_value();
  if (*usage_error) {
    return absl::InvalidArgumentError("give the film with --json or --file");
  }
  return options.json.has_value() ? FilmFromJson(*options.json)
                                  : FilmFromFile(*options.file);
}

int Create(CliContext& cli, const FilmsOptions& options) {
  bool usage_error = false;
  absl::StatusOr<v1::Film> film = InputFilm(options, &usage_error);
  if (usage_error) {
    return ReportUsageError("films create", film.status().message());
  }
  if (!film.ok()) return ReportError(film.status());

  v1::CreateFilmRequest request;
  request.set_film_id(
      options.id.has_value()
          ? *options.id
          : catalog::SlugFromTitle(film->title(), film->year()));
  *request.mutable_film() = *std::move(film);
  v1::CreateFilmResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status =
      cli.catalog().CreateFilm(&context, request, &response);
  if (!status.ok()) return cli.ReportCatalogError(status);
  if (absl::Status printed = PrintJson(response.film()); !printed.ok()) {
    return ReportError(printed);
  }
  return kExitOk;
}

int Get(CliContext& cli, const FilmsOptions& options) {
  v1::GetFilmRequest request;
  request.set_name(FilmNameFromArg(options.name));
  v1::GetFilmResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status =
      cli.catalog().GetFilm(&context, request, &response);
  if (!status.ok()) return cli.ReportCatalogError(status);
  if (absl::Status printed = PrintJson(response.film()); !printed.ok()) {
    return ReportError(printed);
  }
  return kExitOk;
}

// One film per line; the next page token, if any, goes to stderr so stdout
// stays JSON Lines.
int List(CliContext& cli, const FilmsOptions& options) {
  v1::ListFilmsRequest request;
  request.set_page_size(options.page_size);
  request.set_page_token(options.page_token);
  const bool all = options.all;
  while (true) {
    v1::ListFilmsResponse response;
    grpc::ClientContext context;
    cli.SetDeadline(&context);
    const grpc::Status status =
        cli.catalog().ListFilms(&context, request, &response);
    if (!status.ok()) return cli.ReportCatalogError(status);
    for (const v1::Film& film : response.films()) {
      if (absl::Status printed = PrintJson(film); !printed.ok()) {
        return ReportError(printed);
      }
    }
    if (response.next_page_token().empty()) return kExitOk;
    if (!all) {
      std::cerr << "next page: --page-token=" << response.next_page_token()
                << std::endl;
      return kExitOk;
    }
    request.set_page_token(response.next_page_token());
  }
}

int Update(CliContext& cli, const FilmsOptions& options) {
  if (options.mask.empty()) {
    return ReportUsageError(
        "films update", "films update needs --mask, e.g. --mask title,year");
  }
  bool usage_error = false;
  absl::StatusOr<v1::Film> film = InputFilm(options, &usage_error);
  if (usage_error) {
    return ReportUsageError("films update", film.status().message());
  }
  if (!film.ok()) return ReportError(film.status());

  v1::UpdateFilmRequest request;
  *request.mutable_film() = *std::move(film);
  request.mutable_film()->set_name(FilmNameFromArg(options.name));
  request.mutable_film()->set_etag(options.etag);
  for (absl::string_view path :
       absl::StrSplit(options.mask, ',', absl::SkipWhitespace())) {
    request.mutable_update_mask()->add_paths(
        std::string(absl::StripAsciiWhitespace(path)));
  }
  v1::UpdateFilmResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status =
      cli.catalog().UpdateFilm(&context, request, &response);
  if (!status.ok()) return cli.ReportCatalogError(status);
  if (absl::Status printed = PrintJson(response.film()); !printed.ok()) {
    return ReportError(printed);
  }
  return kExitOk;
}

int Delete(CliContext& cli, const FilmsOptions& options) {
  v1::DeleteFilmRequest request;
  request.set_name(FilmNameFromArg(options.name));
  request.set_etag(options.etag);
  v1::DeleteFilmResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status =
      cli.catalog().DeleteFilm(&context, request, &response);
  if (!status.ok()) return cli.ReportCatalogError(status);
  if (absl::Status printed = PrintJson(response); !printed.ok()) {
    return ReportError(printed);
  }
  return kExitOk;
}

absl::Status ErrnoStatus(int error, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(what, ": ", std::strerror(error)));
}

// The directory holding `path`, for syncing a rename in it.
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Where `films export` writes: stdout, or a file. A file is written as
// FILE.tmp, which Commit() fsyncs and renames over FILE before it syncs the
// directory, so FILE is either as it was or the whole export, never part of
// one. FILE.tmp is removed when the sink goes away uncommitted.
class ExportSink {
 public:
  // `output`: a path, or "-" for stdout.
  static absl::StatusOr<std::unique_ptr<ExportSink>> Open(
      const std::string& output) {
    if (output == "-") {
      return std::unique_ptr<ExportSink>(new ExportSink(STDOUT_FILENO, "", ""));
    }
    std::string temp = absl::StrCat(output, ".tmp");
    const int fd =
        open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot create ", temp));
    return std::unique_ptr<ExportSink>(new ExportSink(fd, output, temp));
  }

  ~ExportSink() {
    if (path_.empty()) return;  // stdout stays open.
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(temp_.c_str());
  }

  ExportSink(const ExportSink&) = delete;
  ExportSink& operator=(const ExportSink&) = delete;

  // "stdout" or the file's path, for messages.
  std::string name() const { return path_.empty() ? "stdout" : path_; }

  absl::Status Write(absl::string_view data) {
    while (!data.empty()) {
      const ssize_t written = write(fd_, data.data(), data.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        return Failed(
            ErrnoStatus(errno, absl::StrCat("cannot write ", WrittenName())));
      }
      data.remove_prefix(static_cast<size_t>(written));
    }
    return absl::OkStatus();
  }

  // Makes what was written durable and, for a file, puts it in place.
  absl::Status Commit() {
    if (path_.empty()) {
      // Redirected to a file: its data is on disk once this returns. Pipes
      // and terminals cannot be synced, and need not be.
      struct stat info;
      if (fstat(fd_, &info) == 0 && S_ISREG(info.st_mode) && fsync(fd_) != 0) {
        return ErrnoStatus(errno, "cannot sync stdout");
      }
      return absl::OkStatus();
    }
    if (fsync(fd_) != 0) {
      return Failed(ErrnoStatus(errno, absl::StrCat("cannot sync ", temp_)));
    }
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) {
      return Failed(ErrnoStatus(errno, absl::StrCat("cannot write ", temp_)));
    }
    if (rename(temp_.c_str(), path_.c_str()) != 0) {
      return Failed(ErrnoStatus(
          errno, absl::StrCat("cannot rename ", temp_, " to ", path_)));
    }
    committed_ = true;
    const std::string directory = DirectoryOf(path_);
    const int dir_fd =
        open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool synced = dir_fd >= 0 && fsync(dir_fd) == 0;
    const int error = errno;
    if (dir_fd >= 0) close(dir_fd);
    if (!synced) {
      return ErrnoStatus(error,
                         absl::StrCat(path_,
                                      " is complete, but its directory could "
                                      "not be synced, so a crash may undo the "
                                      "rename: cannot sync ",
                                      directory));
    }
    return absl::OkStatus();
  }

 private:
  ExportSink(int fd, std::string path, std::string temp)
      : fd_(fd), path_(std::move(path)), temp_(std::move(temp)) {}

  std::string WrittenName() const { return path_.empty() ? "stdout" : temp_; }

  // `status`, saying that FILE was left alone.
  absl::Status Failed(const absl::Status& status) const {
    if (path_.empty()) return status;
    return absl::Status(
        status.code(),
        absl::StrCat(status.message(), " (", path_, " is left as it was)"));
  }

  int fd_;
  const std::string path_;  // Empty for stdout.
  const std::string temp_;
  bool committed_ = false;
};

// `films export`: every film of one WatchFilms snapshot (start_revision 0),
// so the export is one point in time however much is written meanwhile: the
// catalog pins a consistent view for the stream. Exported films are Film
// JSON lines, in id order, which `reelctl import` reads back.
int Export(CliContext& cli, const FilmsOptions& options) {
  const std::string& output = options.output;
  if (output.empty()) {
    return ReportUsageError("films export",
                            "--output needs a file name, or - for stdout");
  }
  absl::StatusOr<std::unique_ptr<ExportSink>> sink = ExportSink::Open(output);
  if (!sink.ok()) return ReportError(sink.status());

  grpc::ClientContext context;
  // A large catalog's snapshot takes as long as it takes to send and write;
  // --timeout bounds it only when given.
  if (cli.options().timeout_given) cli.SetDeadline(&context);
  v1::WatchFilmsRequest request;  // start_revision 0: a snapshot first.
  std::unique_ptr<grpc::ClientReader<v1::WatchFilmsResponse>> reader =
      cli.catalog().WatchFilms(&context, request);
  int64_t films = 0;
  int64_t revision = 0;
  std::string history_id;
  bool complete = false;
  absl::Status failure;
  std::string text;
  v1::WatchFilmsResponse message;
  while (failure.ok() && !complete && reader->Read(&message)) {
    history_id = message.history_id();
    text.clear();
    for (v1::FilmEvent& event : *message.mutable_events()) {
      if (event.type() != v1::FilmEvent::EVENT_TYPE_SNAPSHOT ||
          !event.has_film()) {
        failure = absl::InternalError(absl::StrCat(
            "the catalog sent a ", v1::FilmEvent::EventType_Name(event.type()),
            " event for ", event.name(), " inside its snapshot"));
        break;
      }
      v1::Film* film = event.mutable_film();
      if (film->name().empty()) film->set_name(event.name());
      std::string json;
      const auto printed =
          google::protobuf::util::MessageToJsonString(*film, &json);
      if (!printed.ok()) {
        failure = absl::InternalError(absl::StrCat(
            film->name(),
            ": cannot print as JSON: ", printed.message().ToString()));
        break;
      }
      absl::StrAppend(&text, json, "\n");
      ++films;
    }
    if (failure.ok()) failure = (*sink)->Write(text);
    if (message.snapshot_complete()) {
      complete = true;
      revision = message.revision();
    }
  }
  context.TryCancel();  // The live changes after the snapshot are not ours.
  const grpc::Status finished = reader->Finish();
  if (!failure.ok()) return ReportError(failure);
  if (!complete) {
    return cli.ReportCatalogError(
        finished.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                     "the catalog ended the stream before "
                                     "its snapshot was complete")
                      : finished);
  }
  if (absl::Status committed = (*sink)->Commit(); !committed.ok()) {
    return ReportError(committed);
  }
  std::cerr << "exported: " << films << " films to " << (*sink)->name()
            << "\nrevision: " << revision << "\nhistory id: "
            << (history_id.empty() ? "unknown (the catalog does not report one)"
                                   : history_id)
            << std::endl;
  return kExitOk;
}

}  // namespace

int RunFilmsCommand(CliContext& cli, const CommandLine& line) {
  const std::string& command = line.command.at(1);
  if (command == "create") return Create(cli, line.films);
  if (command == "get") return Get(cli, line.films);
  if (command == "list") return List(cli, line.films);
  if (command == "update") return Update(cli, line.films);
  if (command == "delete") return Delete(cli, line.films);
  if (command == "export") return Export(cli, line.films);
  return ReportUsageError("films",
                          absl::StrCat("unknown command '", command, "'"));
}

}  // namespace reel::reelctl
