// reelctl: command-line client of Reel's catalog and search services. See
// kUsage.
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "tools/reelctl/admin_command.h"
#include "tools/reelctl/cli_context.h"
#include "tools/reelctl/command_line.h"
#include "tools/reelctl/film_commands.h"
#include "tools/reelctl/import_command.h"
#include "tools/reelctl/search_command.h"
#include "tools/reelctl/watch_command.h"

namespace reel::reelctl {
namespace {

constexpr char kUsage[] =
    R"(usage: reelctl [--catalog ADDR] [--tls_dir DIR] [--timeout 10s] COMMAND ...

Commands:
  films create [--id ID] (--json FILM_JSON | --file FILE)
      Creates a film. FILE holds Film JSON or a film page. Without --id, the
      id comes from the title and year ("the-red-shoes-1948").
  films get NAME
  films list [--page-size N] [--page-token T] [--all]
      One film per line; without --all, the next page token goes to stderr.
  films update NAME --mask FIELD,... (--json FILM_JSON | --file FILE) [--etag E]
  films delete NAME [--etag E]
      NAME is "films/ID" or just "ID". Films print as JSON on stdout.
  films export [--output FILE|-]
      Writes every film, one JSON line each (what import reads back), to
      stdout or to FILE (through FILE.tmp, synced and renamed), then the
      film count, revision and history id to stderr. The films come from
      one WatchFilms snapshot: one point in time, whatever is written
      meanwhile. Without --timeout it waits as long as the export takes.
  watch [--from REVISION]
      Prints "REVISION TYPE NAME TITLE" per change, until interrupted. With
      --from 0 (the default), a snapshot of every film comes first.
  import FILE... [--batch 500] [--replace] [--progress]
      Streams the films of each FILE (*.jsonl, *.jsonl.gz: one film per line,
      as films export writes them or corpus records; anything else: one film
      page) to the catalog, then prints a summary. Exported films keep their
      ids and scene ids; revision, etag and times are ignored.
  search QUERY... [--max N] [--year-min Y] [--year-max Y] [--genre G,...]
                  [--director D,...] [--film NAME,...] [--min-revision R]
                  [--snippet-length N] [--explain] [--sort ORDER]
                  [--max-per-film N] [--facets N] [--page TOKEN]
      Streams matching scenes, best first, with the matched words marked in
      snippets of up to N characters (default 320; "…" where a field was
      cut), then a summary. Query syntax: "exact phrase", "phrase"~2,
      a OR b, prefix*, -exclude, title:|description:|context:|film:|
      synopsis: scopes. --explain adds each hit's sort key and, per query
      term and field, the word and form it matched and its share of the
      score. --sort relevance|year|year-desc|title; --max-per-film caps a
      film's scenes; --facets N prints the top N genres, directors and
      years over every match; when more hits follow, the summary prints
      the --page token of the next page (same query and options).
  status
      Prints the search index's status (revisions, sizes, connection).
  admin backup [--keep-latest N]
      Takes an online backup of the catalog into its --backup_dir and prints
      it as JSON (id, revision, history id, films, files, bytes); with
      --keep-latest, older backups beyond N are deleted. Waits up to 30m
      unless --timeout is given.
  admin list
      Prints every backup, oldest first.
  admin verify ID
      Reads every file of backup ID and checks its size and checksum.
      Restore is offline: catalog-service --data_dir=EMPTY_DIR
      --restore_from=BACKUP_DIR [--restore_backup_id=ID].
  help
      Prints this text.

Global flags:
  --catalog ADDR   catalog address (default: $REEL_CATALOG_ADDR, else
                   localhost:50051)
  --search ADDR    search address (default: $REEL_SEARCH_ADDR, else
                   localhost:50052)
  --tls_dir DIR    connect over TLS: DIR/ca.crt verifies the server, and
                   DIR/tls.crt + DIR/tls.key (if present) are the client
                   certificate (default: plaintext)
  --timeout D      deadline of each call (default: 10s)

Exit codes: 0 success; 1 an RPC, a file or a film failed; 2 bad usage.
)";

int Run(int argc, char** argv) {
  absl::StatusOr<CommandLine> line = ParseCommandLine(argc, argv);
  if (!line.ok()) return ReportUsageError(line.status().message());
  if (line->help || (!line->args.empty() && line->args[0] == "help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  if (line->args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  CliContext cli;
  const std::string& command = line->args[0];
  if (command == "films") return RunFilmsCommand(cli, *line);
  if (command == "import") return RunImportCommand(cli, *line);
  if (command == "watch") return RunWatchCommand(cli, *line);
  if (command == "search") return RunSearchCommand(cli, *line);
  if (command == "status") return RunStatusCommand(cli, *line);
  if (command == "admin") return RunAdminCommand(cli, *line);
  return ReportUsageError(absl::StrCat("unknown command '", command, "'"));
}

}  // namespace
}  // namespace reel::reelctl

int main(int argc, char** argv) { return reel::reelctl::Run(argc, argv); }
