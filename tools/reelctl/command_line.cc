#include "tools/reelctl/command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/version/version.h"

namespace reel::reelctl {
namespace {

constexpr char kDurationHint[] = "write a unit: 5s, 500ms, 2m";

constexpr char kDescription[] =
    "reelctl: the command-line client of Reel's catalog and search services.";

constexpr char kRootFooter[] =
    R"(Options go before or after the command; "--" ends them. Multi-word
names take dashes or underscores (--page-size, --page_size). Every command
accepts --catalog and --search, and ignores the one it does not use.
'reelctl COMMAND --help' or 'reelctl help COMMAND' shows a command's options.

Exit codes: 0 success; 1 an RPC, a file or a film failed; 2 bad usage.)";

// Shows one name per option: the first long one (and a short one, if any),
// not the underscore spellings every multi-word option also accepts.
class Formatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* option,
                               bool is_positional) const override {
    if (is_positional) return option->get_name(true, false);
    std::vector<std::string> names;
    for (const std::string& name : option->get_snames()) {
      names.push_back("-" + name);
    }
    if (!option->get_lnames().empty()) {
      names.push_back("--" + option->get_lnames().front());
    }
    return absl::StrJoin(names, ",");
  }
};

// "--page-size,--page_size" for "page-size", "--tls_dir,--tls-dir" for
// "tls_dir": every multi-word option takes both spellings; help shows the
// first.
std::string Names(absl::string_view name) {
  std::string names = absl::StrCat("--", name);
  std::string other(name);
  std::replace(other.begin(), other.end(), '-', '\x01');
  std::replace(other.begin(), other.end(), '_', '-');
  std::replace(other.begin(), other.end(), '\x01', '_');
  if (other != name) absl::StrAppend(&names, ",--", other);
  return names;
}

// `text` with its spaces turned into line breaks where a line would grow
// past 48 characters (CLI11 indents each line to the description column).
std::string Wrap(const std::string& text) {
  constexpr size_t kWidth = 48;
  std::string out;
  size_t line_start = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ')) {
    if (out.size() > line_start &&
        out.size() - line_start + 1 + word.size() > kWidth) {
      out += '\n';
      line_start = out.size();
    } else if (!out.empty()) {
      out += ' ';
    }
    absl::StrAppend(&out, word);
  }
  return out;
}

// A CLI11 check: OK (empty) for a duration with a unit.
CLI::Validator DurationCheck() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        absl::StatusOr<absl::Duration> duration = ParseDurationArg(text);
        return duration.ok() ? "" : std::string(duration.status().message());
      },
      "DURATION");
}

// reelctl's CLI11 app: every command and option, bound to `line`. The global
// options belong to the root; an unknown option of a command passes up to it
// (fallthrough), so they also go after the command.
struct Parser {
  CLI::App app{kDescription, "reelctl"};
  CommandLine line;
  std::string timeout_text = "10s";
  std::string progress_every_text = "1s";
  std::vector<std::string> help_topic;
  // What CLI11 fills; Finish() makes them the optionals of `line`.
  std::string film_id, film_json, film_file;
  int64_t backup_id = 0;
  CLI::Option* film_id_option = nullptr;
  std::vector<CLI::Option*> film_json_options, film_file_options,
      backup_id_options;
  CLI::App* search = nullptr;
  std::string global_help;  // The global options, for each command's help.

  std::shared_ptr<Formatter> formatter = std::make_shared<Formatter>();

  Parser() {
    formatter->label("Usage", "usage");
    formatter->label("SUBCOMMAND", "COMMAND");
    formatter->column_width(30);
    app.formatter(formatter);
    app.fallthrough();
    app.require_subcommand(1);
    app.footer(kRootFooter);
    app.set_version_flag("--version", reel::version::VersionLine("reelctl"),
                         "Print the version and exit");
    GlobalOptions& global = line.global;
    app.add_option(Names("catalog"), global.catalog,
                   absl::StrCat("catalog address, host:port (default: "
                                "$REEL_CATALOG_ADDR, else ",
                                kDefaultCatalogAddress, ")"))
        ->envname("REEL_CATALOG_ADDR")
        ->option_text("ADDR");
    app.add_option(Names("search"), global.search,
                   absl::StrCat("search address, host:port (default: "
                                "$REEL_SEARCH_ADDR, else ",
                                kDefaultSearchAddress, ")"))
        ->envname("REEL_SEARCH_ADDR")
        ->option_text("ADDR");
    app.add_option(Names("tls_dir"), global.tls_dir,
                   "connect over TLS: DIR/ca.crt verifies the server, and "
                   "DIR/tls.crt + DIR/tls.key (if present) are the client "
                   "certificate (default: plaintext)")
        ->option_text("DIR");
    app.add_option(Names("timeout"), timeout_text,
                   "deadline of each call, with a unit: 500ms, 10s, 2m "
                   "(default: 10s)")
        ->check(DurationCheck())
        ->option_text("DURATION");
    WrapDescriptions(&app);
    for (const CLI::Option* option : app.get_options()) {
      if (option == app.get_help_ptr() || option == app.get_version_ptr()) {
        continue;
      }
      absl::StrAppend(&global_help, formatter->make_option(option, false));
    }

    AddFilms();
    AddImport();
    AddSearch();
    AddWatch();
    AddStatus();
    AddAdmin();
    CLI::App* help = app.add_subcommand(
        "help", "Print this text, or a command's help: help COMMAND");
    help->group("Commands");
    help->add_option("command", help_topic,
                     "a command, e.g. search or films get");
    for (CLI::App* command : app.get_subcommands({})) WrapAll(command);
  }

  // Descriptions wrapped to fit beside the option column.
  static void WrapDescriptions(CLI::App* command) {
    for (CLI::Option* option :
         command->get_options([](CLI::Option*) { return true; })) {
      option->description(Wrap(option->get_description()));
    }
  }
  static void WrapAll(CLI::App* command) {
    WrapDescriptions(command);
    command->description(Wrap(command->get_description()));
    for (CLI::App* sub : command->get_subcommands({})) WrapAll(sub);
  }

  // A command with the global options listed under its own.
  CLI::App* AddCommand(CLI::App* parent, const std::string& name,
                       const std::string& description,
                       const std::string& details = "") {
    CLI::App* command = parent->add_subcommand(name, description);
    command->group("Commands");
    std::string footer = details;
    if (!footer.empty()) footer += "\n\n";
    absl::StrAppend(&footer, "Global options (before or after the command):\n",
                    global_help);
    command->footer(footer);
    return command;
  }

  void AddFilms() {
    CLI::App* films = AddCommand(
        &app, "films", "Create, get, list, update, delete or export films",
        "NAME is \"films/ID\" or just \"ID\". Films print as JSON on stdout.");
    films->require_subcommand(1);
    FilmsOptions& o = line.films;
    auto film_input = [this](CLI::App* command) {
      CLI::Option* json =
          command->add_option(Names("json"), film_json,
                              "the film as JSON (protobuf's JSON mapping)");
      json->option_text("FILM_JSON");
      CLI::Option* file = command->add_option(
          Names("file"), film_file,
          "a file holding the film: Film JSON or a film page");
      file->option_text("FILE");
      json->excludes(file);
      film_json_options.push_back(json);
      film_file_options.push_back(file);
    };

    CLI::App* create =
        AddCommand(films, "create", "Create a film from --json or --file",
                   "Without --id, the id comes from the title and year "
                   "(\"the-red-shoes-1948\").");
    film_id_option =
        create->add_option(Names("id"), film_id, "the new film's id");
    film_id_option->option_text("ID");
    film_input(create);

    CLI::App* get = AddCommand(films, "get", "Print one film");
    get->add_option("NAME", o.name, "films/ID or ID")->required();

    CLI::App* list =
        AddCommand(films, "list", "Print films, one JSON line each",
                   "Without --all, the next page token goes to stderr.");
    list->add_option(Names("page-size"), o.page_size,
                     "films per page (0: the server's 50)")
        ->option_text("N");
    list->add_option(Names("page-token"), o.page_token,
                     "the page to start from")
        ->option_text("TOKEN");
    list->add_flag(Names("all"), o.all, "follow page tokens to the end");

    CLI::App* update =
        AddCommand(films, "update", "Replace fields of a film",
                   "Example: films update the-red-shoes --mask title --json "
                   "'{\"title\": \"The Red Shoes\"}'");
    update->add_option("NAME", o.name, "films/ID or ID")->required();
    update
        ->add_option(Names("mask"), o.mask,
                     "comma-separated Film fields to replace, or *")
        ->option_text("FIELD,...")
        ->required();
    film_input(update);
    update
        ->add_option(Names("etag"), o.etag,
                     "only if this is the film's current etag")
        ->option_text("ETAG");

    CLI::App* del = AddCommand(films, "delete", "Delete a film");
    del->add_option("NAME", o.name, "films/ID or ID")->required();
    del->add_option(Names("etag"), o.etag,
                    "only if this is the film's current etag")
        ->option_text("ETAG");

    CLI::App* exp = AddCommand(
        films, "export", "Write every film as JSON Lines",
        "One JSON line per film (what import reads back), to stdout or to "
        "FILE\n(through FILE.tmp, synced and renamed), then the film count, "
        "revision and\nhistory id to stderr. The films come from one "
        "WatchFilms snapshot: one\npoint in time, whatever is written "
        "meanwhile. Without --timeout it waits\nas long as the export "
        "takes.");
    exp->add_option(Names("output"), o.output,
                    "the file to write, or - for stdout (default: -)")
        ->option_text("FILE");
  }

  void AddImport() {
    CLI::App* import = AddCommand(
        &app, "import", "Stream the films of files into the catalog",
        "Each FILE (or - for stdin) holds JSON Lines, gzip-compressed or "
        "not: films\nas `films export` writes them or corpus records, one "
        "per line; or one film\npage: the film's title on its first line, "
        "then its synopsis and at least\none \"Memorable Scenes from Movie "
        "TITLE\", \"Quotes from Movie TITLE\" or\n\"Sound Tracks from "
        "TITLE\" section. *.jsonl and *.jsonl.gz files are JSON\nLines; "
        "other files are JSON Lines when their first line starts with "
        "'{'.\nEvery file is read and checked before the first film is "
        "sent. Exported\nfilms keep their ids and scene ids; revision, etag "
        "and times are ignored.\nFilms that already exist are reported "
        "(exit code 1) unless --replace.\nThe summary's \"revision: N\" is "
        "the catalog revision that holds the import.");
    ImportOptions& o = line.import;
    import->add_option("FILE", o.files, "files to import; - is stdin")
        ->required();
    import
        ->add_option(Names("batch"), o.batch,
                     "films per ImportFilms message (default: 500)")
        ->check(CLI::Range(1, 10000))
        ->option_text("N");
    import->add_flag(Names("replace"), o.replace,
                     "replace films that already exist");
    import->add_flag(Names("progress"), o.progress,
                     "report progress on stderr (sent films, rate; percent "
                     "and ETA for files) even when stderr is not a terminal");
    import
        ->add_option(Names("progress-every"), progress_every_text,
                     "how often progress is reported (default: 1s)")
        ->check(DurationCheck())
        ->option_text("DURATION");
  }

  void AddSearch() {
    search = AddCommand(
        &app, "search", "Search scenes",
        "Streams matching scenes, best first, with the matched words marked "
        "in\nsnippets, then a summary. Query syntax: \"exact phrase\", "
        "\"phrase\"~2,\na OR b, prefix*, -exclude, "
        "title:|description:|context:|film:|synopsis:\nscopes. Words "
        "starting with '-' are query words (exclusions), not\noptions; "
        "after \"--\" every word is. When a --film has no hit, reelctl "
        "asks\nthe catalog (--catalog) whether it exists: an unknown film is "
        "NOT_FOUND.\nWhen more hits follow, the summary prints the --page "
        "token of the next\npage (same query and options).");
    SearchOptions& o = line.search;
    search->add_option("QUERY", o.words, "the query")->required();
    search
        ->add_option(Names("max"), o.max,
                     "most hits to return (0: the server's 20)")
        ->option_text("N");
    search
        ->add_option(Names("year-min"), o.year_min,
                     "only films from this year on")
        ->option_text("YEAR");
    search
        ->add_option(Names("year-max"), o.year_max,
                     "only films up to this year")
        ->option_text("YEAR");
    search
        ->add_option(Names("genre"), o.genres,
                     "only films with one of these genres")
        ->delimiter(',')
        ->allow_extra_args(false)  // One list per occurrence.
        ->option_text("G,...");
    search
        ->add_option(Names("director"), o.directors,
                     "only films by one of these directors")
        ->delimiter(',')
        ->allow_extra_args(false)  // One list per occurrence.
        ->option_text("D,...");
    search
        ->add_option(Names("film"), o.films,
                     "only these films (names or ids)")
        ->delimiter(',')
        ->allow_extra_args(false)  // One list per occurrence.
        ->option_text("NAME,...");
    search
        ->add_option(Names("min-revision"), o.min_revision,
                     "wait until the index has applied this catalog "
                     "revision (read-your-writes)")
        ->option_text("R");
    search
        ->add_option(Names("snippet-length"), o.snippet_length,
                     "longest snippet of a matched field, in characters, "
                     "\"…\" marking a cut (0: the server's 320; 20-2000)")
        ->option_text("N");
    search->add_flag(Names("explain"), o.explain,
                     "under each hit, its sort key and, per query term and "
                     "field, the word and form matched and its share of the "
                     "score");
    search
        ->add_option(Names("sort"), o.sort,
                     "relevance (default), year (oldest first), year-desc, "
                     "or title")
        ->check(CLI::IsMember({"relevance", "year", "year-desc", "title"}))
        ->option_text("ORDER");
    search
        ->add_option(Names("match"), o.match,
                     "any (default): scenes with any word, those with more "
                     "first; all: only scenes with every word (stop words "
                     "stay optional)")
        ->check(CLI::IsMember({"any", "all"}))
        ->option_text("any|all");
    search
        ->add_option(Names("max-per-film"), o.max_per_film,
                     "at most this many scenes of one film (0: no limit)")
        ->option_text("N");
    search
        ->add_option(Names("facets"), o.facets,
                     "also print the top N genres, directors and years over "
                     "every match")
        ->option_text("N");
    search
        ->add_option(Names("page"), o.page,
                     "the next page: the token the previous page printed")
        ->option_text("TOKEN");
  }

  void AddWatch() {
    CLI::App* watch = AddCommand(
        &app, "watch", "Print catalog changes as they happen",
        "Prints \"REVISION TYPE NAME TITLE\" per change, until interrupted. "
        "With\n--from 0 (the default), a snapshot of every film comes "
        "first.");
    watch
        ->add_option(Names("from"), line.watch.from,
                     "print changes after this revision (0: snapshot first)")
        ->option_text("REVISION");
  }

  void AddStatus() {
    AddCommand(&app, "status",
               "Print the search index's status (revisions, sizes, "
               "connection)");
  }

  void AddAdmin() {
    CLI::App* admin = AddCommand(
        &app, "admin", "Backups of the catalog: backup, list, verify",
        "Restore is offline: catalog-service --data_dir=EMPTY_DIR\n"
        "--restore_from=BACKUP_DIR [--restore_backup_id=ID].");
    admin->require_subcommand(1);
    AdminOptions& o = line.admin;
    CLI::App* backup = AddCommand(
        admin, "backup", "Take an online backup",
        "Takes an online backup of the catalog into its --backup_dir and "
        "prints it\nas JSON (id, revision, history id, films, files, bytes). "
        "Waits up to 30m\nunless --timeout is given.");
    backup
        ->add_option(Names("keep-latest"), o.keep_latest,
                     "afterwards delete older backups beyond N (0: keep all)")
        ->option_text("N");
    AddCommand(admin, "list", "Print every backup, oldest first");
    CLI::App* verify = AddCommand(
        admin, "verify", "Check every file of a backup",
        "Reads every file of backup ID and checks its size and checksum.");
    CLI::Option* id =
        verify->add_option("ID", backup_id, "the backup to verify");
    CLI::Option* flag = verify->add_option(Names("backup-id"), backup_id,
                                           "the same, as an option");
    flag->option_text("ID");
    id->excludes(flag);
    backup_id_options = {id, flag};
  }

  // argv with the query words of `search` after a "--", so that CLI11 takes
  // them as words whatever they start with: after the command name, only
  // the options search knows (its own, the global ones, --help) and their
  // values are options.
  // Sets *missing_value to an option that ends the command line without the
  // value it needs.
  std::vector<std::string> ProtectQueryWords(int argc, char** argv,
                                             std::string* missing_value) const {
    std::vector<std::string> args(argv, argv + argc);
    // Whether args[i] is a known option of `command` or the root that takes
    // a value and has none attached ("--max 3", not "--max=3").
    auto known = [&](const CLI::App* command, const std::string& arg,
                     bool* takes_value) {
      const size_t equals = arg.find('=');
      const std::string name = arg.substr(0, equals);
      for (const CLI::App* owner : {command, &app}) {
        for (const CLI::Option* option : owner->get_options()) {
          if (option->get_positional() || !option->check_name(name)) continue;
          *takes_value = equals == std::string::npos &&
                         option->get_type_size() != 0 &&
                         option->get_expected_min() > 0;
          return true;
        }
      }
      return false;
    };
    size_t i = 1;
    // Global options before the command.
    for (; i < args.size(); ++i) {
      const std::string& arg = args[i];
      if (arg == "--" || arg == "-" || !absl::StartsWith(arg, "-")) break;
      bool takes_value = false;
      if (known(&app, arg, &takes_value) && takes_value) ++i;
    }
    if (i >= args.size() || args[i] != "search") return args;
    std::vector<std::string> rebuilt(args.begin(), args.begin() + i + 1);
    std::vector<std::string> words;
    for (++i; i < args.size(); ++i) {
      const std::string& arg = args[i];
      if (arg == "--") {
        words.insert(words.end(), args.begin() + i + 1, args.end());
        break;
      }
      bool takes_value = false;
      if (absl::StartsWith(arg, "-") && arg != "-" &&
          known(search, arg, &takes_value)) {
        rebuilt.push_back(arg);
        if (takes_value) {
          // Without its value, it would take the "--" added below.
          if (i + 1 == args.size()) {
            *missing_value = arg;
            return args;
          }
          rebuilt.push_back(args[++i]);
        }
        continue;
      }
      words.push_back(arg);
    }
    if (!words.empty()) {
      rebuilt.push_back("--");
      rebuilt.insert(rebuilt.end(), words.begin(), words.end());
    }
    return rebuilt;
  }

  // The selected command, deepest first in `line.command` order.
  const CLI::App* Selected(std::vector<std::string>* path) const {
    const CLI::App* at = &app;
    while (true) {
      const std::vector<CLI::App*> selected = at->get_subcommands();
      if (selected.empty()) return at;
      at = selected.front();
      path->push_back(at->get_name());
    }
  }

  // "reelctl search" for the search command.
  static std::string FullName(const CLI::App* command) {
    std::vector<std::string> names;
    for (; command != nullptr; command = command->get_parent()) {
      names.push_back(command->get_name());
    }
    std::reverse(names.begin(), names.end());
    return absl::StrJoin(names, " ");
  }

  // The command's own help (App::help() would show a selected subcommand's,
  // e.g. help's).
  std::string HelpOf(const CLI::App* command) const {
    return formatter->make_help(command, FullName(command),
                                CLI::AppFormatMode::Normal);
  }

  int UsageError(const CLI::App* command, absl::string_view message) const {
    std::cerr << "error: INVALID_ARGUMENT: " << message << "\n(run '"
              << FullName(command) << " --help' for usage)" << std::endl;
    return kExitUsage;
  }

  // After a successful parse: help, durations, addresses.
  std::variant<CommandLine, int> Finish() {
    const CLI::App* command = Selected(&line.command);
    if (line.command.front() == "help") {
      const CLI::App* topic = &app;
      for (const std::string& word : help_topic) {
        const CLI::App* next = nullptr;
        for (const CLI::App* sub : topic->get_subcommands({})) {
          if (sub->get_name() == word) next = sub;
        }
        if (next == nullptr) {
          return UsageError(&app,
                            absl::StrCat("help: no command '",
                                         absl::StrJoin(help_topic, " "), "'"));
        }
        topic = next;
      }
      std::cout << HelpOf(topic);
      return kExitOk;
    }

    GlobalOptions& global = line.global;
    absl::StatusOr<absl::Duration> timeout = ParseDurationArg(timeout_text);
    if (!timeout.ok() || *timeout <= absl::ZeroDuration()) {
      return UsageError(
          command, absl::StrCat("--timeout: ",
                                timeout.ok() ? "must be more than 0"
                                             : timeout.status().message()));
    }
    global.timeout = *timeout;
    global.timeout_given = app.get_option("--timeout")->count() > 0;
    line.import.progress_every = *ParseDurationArg(progress_every_text);
    auto given = [](const std::vector<CLI::Option*>& options) {
      return std::any_of(options.begin(), options.end(),
                         [](const CLI::Option* o) { return o->count() > 0; });
    };
    if (film_id_option->count() > 0) line.films.id = film_id;
    if (given(film_json_options)) line.films.json = film_json;
    if (given(film_file_options)) line.films.file = film_file;
    if (given(backup_id_options)) line.admin.backup_id = backup_id;

    // Only the address the command uses is checked: a command ignores the
    // other one.
    const std::string& name = line.command.front();
    const bool uses_search = name == "search" || name == "status";
    const std::string flag = uses_search ? "search" : "catalog";
    const CLI::Option* option = app.get_option("--" + flag);
    const std::string& address = uses_search ? global.search : global.catalog;
    if (absl::Status status = CheckAddress(address); !status.ok()) {
      return UsageError(
          command,
          absl::StrCat(
              option->count() > 0 ? "--" + flag : "$" + option->get_envname(),
              " ", address, ": ", status.message()));
    }
    return std::move(line);
  }
};

}  // namespace

absl::StatusOr<absl::Duration> ParseDurationArg(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  double number;
  if (absl::SimpleAtod(trimmed, &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' has no unit: ", kDurationHint));
  }
  absl::Duration duration;
  if (!absl::ParseDuration(trimmed, &duration)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a duration: ", kDurationHint));
  }
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is negative"));
  }
  return duration;
}

absl::Status CheckAddress(absl::string_view address) {
  if (address.empty()) {
    return absl::InvalidArgumentError("is empty: give host:port");
  }
  if (const size_t scheme_end = address.find("://");
      scheme_end != absl::string_view::npos) {
    const absl::string_view scheme = address.substr(0, scheme_end);
    if (scheme == "dns") return absl::OkStatus();  // gRPC's dns:///host:port.
    return absl::InvalidArgumentError(
        absl::StrCat("give host:port, not a URL (drop ", scheme, "://)"));
  }
  for (absl::string_view target :
       {"dns:", "unix:", "unix-abstract:", "ipv4:", "ipv6:"}) {
    if (absl::StartsWith(address, target)) return absl::OkStatus();
  }
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("has no ']' after the IPv6 address");
    }
    host = address.substr(0, close + 1);
    const absl::string_view rest = address.substr(close + 1);
    if (!absl::StartsWith(rest, ":")) {
      return absl::InvalidArgumentError(
          absl::StrCat("has no port: give host:port, e.g. ", host, ":50051"));
    }
    port = rest.substr(1);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "has no port: give host:port, e.g. ", address, ":50051"));
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (absl::StrContains(host, ':')) {
      return absl::InvalidArgumentError(
          "write an IPv6 address in brackets: [::1]:50051");
    }
  }
  int number = 0;
  if (port.empty() || !absl::SimpleAtoi(port, &number) || number < 1 ||
      number > 65535 || !std::all_of(port.begin(), port.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("the port '", port, "' is not a number from 1 to 65535"));
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has no host: give host:port, e.g. localhost:", port));
  }
  return absl::OkStatus();
}

std::variant<CommandLine, int> ParseCommandLine(int argc, char** argv) {
  Parser parser;
  if (argc < 2) {
    std::cerr << parser.app.help();
    return kExitUsage;
  }
  std::string missing_value;
  std::vector<std::string> args =
      parser.ProtectQueryWords(argc, argv, &missing_value);
  if (!missing_value.empty()) {
    return parser.UsageError(parser.search,
                             absl::StrCat(missing_value, " needs a value"));
  }
  // CLI11 takes the arguments last first.
  std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
  try {
    parser.app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::cout << parser.app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << parser.app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion& version) {
    std::cout << version.what() << std::endl;
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    std::vector<std::string> path;
    const CLI::App* command = parser.Selected(&path);
    std::vector<std::string> names;
    for (const CLI::App* sub : command->get_subcommands({})) {
      names.push_back(sub->get_name());
    }
    if (!names.empty()) {  // A command that takes a command, but got none.
      // Unknown words pass up to the root (fallthrough).
      std::vector<std::string> rest = command->remaining();
      if (rest.empty()) rest = parser.app.remaining(true);
      const std::string list = absl::StrJoin(names, ", ");
      return parser.UsageError(
          command, !rest.empty() && !absl::StartsWith(rest.front(), "-")
                       ? absl::StrCat("unknown command '", rest.front(),
                                      "' (commands: ", list, ")")
                       : absl::StrCat("give a command: ", list));
    }
    return parser.UsageError(command, error.what());
  }
  return parser.Finish();
}

}  // namespace reel::reelctl
