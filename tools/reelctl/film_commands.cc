#include "tools/reelctl/film_commands.h"

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "catalog-service/importer/film_id.h"
#include "tools/reelctl/film_input.h"

ABSL_FLAG(std::string, id, "",
          "films create: the new film's id (default: derived from its title "
          "and year)");
ABSL_FLAG(std::string, json, "", "the film as JSON (protobuf JSON mapping)");
ABSL_FLAG(std::string, file, "",
          "a file holding the film: Film JSON or a film page");
ABSL_FLAG(std::string, mask, "",
          "films update: comma-separated Film fields to replace, or *");
ABSL_FLAG(std::string, etag, "",
          "films update/delete: only if this is the film's current etag");
ABSL_FLAG(int32_t, page_size, 0,
          "films list: films per page (0: server default)");
ABSL_FLAG(std::string, page_token, "", "films list: page to start from");
ABSL_FLAG(bool, all, false, "films list: follow page tokens to the end");

namespace reel::reelctl {
namespace {

namespace v1 = catalog::v1;

// The one film given by --json or --file; a usage error when neither or
// both are.
absl::StatusOr<v1::Film> InputFilm(const CommandLine& line, bool* usage_error) {
  const bool has_json = line.flags.count("json") > 0;
  const bool has_file = line.flags.count("file") > 0;
  *usage_error = has_json == has_file;
  if (*usage_error) {
    return absl::InvalidArgumentError("give the film with --json or --file");
  }
  return has_json ? FilmFromJson(absl::GetFlag(FLAGS_json))
                  : FilmFromFile(absl::GetFlag(FLAGS_file));
}

int Create(CliContext& cli, const CommandLine& line) {
  if (line.args.size() != 2)
    return ReportUsageError("films create takes no arguments");
  bool usage_error = false;
  absl::StatusOr<v1::Film> film = InputFilm(line, &usage_error);
  if (usage_error) return ReportUsageError(film.status().message());
  if (!film.ok()) return ReportError(film.status());

  v1::CreateFilmRequest request;
  request.set_film_id(
      line.flags.count("id") > 0
          ? absl::GetFlag(FLAGS_id)
          : catalog::SlugFromTitle(film->title(), film->year()));
  *request.mutable_film() = *std::move(film);
  v1::CreateFilmResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status =
      cli.stub().CreateFilm(&context, request, &response);
  if (!status.ok()) return ReportError(status);
  if (absl::Status printed = PrintJson(response.film()); !printed.ok()) {
    return ReportError(printed);
  }
  return kExitOk;
}

int Get(CliContext& cli, const CommandLine& line) {
  if (line.args.size() != 3)
    return ReportUsageError("usage: films get NAME_OR_ID");
  v1::GetFilmRequest request;
  request.set_name(FilmNameFromArg(line.args[2]));
  v1::GetFilmResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status = cli.stub().GetFilm(&context, request, &response);
  if (!status.ok()) return ReportError(status);
  if (absl::Status printed = PrintJson(response.film()); !printed.ok()) {
    return ReportError(printed);
  }
  return kExitOk;
}

// One film per line; the next page token, if any, goes to stderr so stdout
// stays JSON Lines.
int List(CliContext& cli, const CommandLine& line) {
  if (line.args.size() != 2)
    return ReportUsageError("films list takes no arguments");
  v1::ListFilmsRequest request;
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  const bool all = absl::GetFlag(FLAGS_all);
  while (true) {
    v1::ListFilmsResponse response;
    grpc::ClientContext context;
    cli.SetDeadline(&context);
    const grpc::Status status =
        cli.stub().ListFilms(&context, request, &response);
    if (!status.ok()) return ReportError(status);
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

int Update(CliContext& cli, const CommandLine& line) {
  if (line.args.size() != 3) {
    return ReportUsageError(
        "usage: films update NAME --mask FIELDS (--json | --file)");
  }
  if (absl::GetFlag(FLAGS_mask).empty()) {
    return ReportUsageError(
        "films update needs --mask, e.g. --mask title,year");
  }
  bool usage_error = false;
  absl::StatusOr<v1::Film> film = InputFilm(line, &usage_error);
  if (usage_error) return ReportUsageError(film.status().message());
  if (!film.ok()) return ReportError(film.status());

  v1::UpdateFilmRequest request;
  *request.mutable_film() = *std::move(film);
  request.mutable_film()->set_name(FilmNameFromArg(line.args[2]));
  request.mutable_film()->set_etag(absl::GetFlag(FLAGS_etag));
  for (absl::string_view path :
       absl::StrSplit(absl::GetFlag(FLAGS_mask), ',', absl::SkipWhitespace())) {
    request.mutable_update_mask()->add_paths(
        std::string(absl::StripAsciiWhitespace(path)));
  }
  v1::UpdateFilmResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status =
      cli.stub().UpdateFilm(&context, request, &response);
  if (!status.ok()) return ReportError(status);
  if (absl::Status printed = PrintJson(response.film()); !printed.ok()) {
    return ReportError(printed);
  }
  return kExitOk;
}

int Delete(CliContext& cli, const CommandLine& line) {
  if (line.args.size() != 3)
    return ReportUsageError("usage: films delete NAME [--etag E]");
  v1::DeleteFilmRequest request;
  request.set_name(FilmNameFromArg(line.args[2]));
  request.set_etag(absl::GetFlag(FLAGS_etag));
  v1::DeleteFilmResponse response;
  grpc::ClientContext context;
  cli.SetDeadline(&context);
  const grpc::Status status =
      cli.stub().DeleteFilm(&context, request, &response);
  if (!status.ok()) return ReportError(status);
  if (absl::Status printed = PrintJson(response); !printed.ok()) {
    return ReportError(printed);
  }
  return kExitOk;
}

struct Subcommand {
  absl::string_view name;
  int (*run)(CliContext&, const CommandLine&);
  std::vector<absl::string_view> flags;
};

}  // namespace

int RunFilmsCommand(CliContext& cli, const CommandLine& line) {
  static const Subcommand kSubcommands[] = {
      {"create", Create, {"id", "json", "file"}},
      {"get", Get, {}},
      {"list", List, {"page_size", "page_token", "all"}},
      {"update", Update, {"mask", "json", "file", "etag"}},
      {"delete", Delete, {"etag"}},
  };
  if (line.args.size() < 2) {
    return ReportUsageError(
        "films needs a command: create, get, list, update or delete");
  }
  for (const Subcommand& subcommand : kSubcommands) {
    if (line.args[1] != subcommand.name) continue;
    const std::string command = absl::StrCat("films ", subcommand.name);
    if (absl::Status status = CheckFlags(line, command, subcommand.flags);
        !status.ok()) {
      return ReportUsageError(status.message());
    }
    return subcommand.run(cli, line);
  }
  return ReportUsageError(
      absl::StrCat("unknown films command '", line.args[1], "'"));
}

}  // namespace reel::reelctl
