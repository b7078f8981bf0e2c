// reelctl's command line, through the built binary as a child process, where
// no service is needed: help, the version, usage errors, durations and
// addresses, and failures before or at connecting (an address where nothing
// listens). reelctl_e2e_test covers the commands against real services.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/version/version.h"
#include "tests/testing/child_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel {
namespace {

using ::reel::testing::ChildProcess;
using ::reel::testing::ExitStatus;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::chrono::seconds kTimeout(30);

struct Result {
  ExitStatus exit{0};
  std::string out;
  std::string err;

  std::string Describe() const {
    return absl::StrCat(exit.ToString(), "\nstdout:\n", out, "\nstderr:\n",
                        err);
  }
  bool exited_with(int code) const {
    return exit.exited() && exit.exit_code() == code;
  }
};

Result RunReelctl(const std::vector<std::string>& args) {
  Result result;
  reel::testing::ChildProcessOptions options;
  options.capture_stderr = true;
  auto child = ChildProcess::Start(REELCTL_PATH, args, options);
  EXPECT_OK(child.status());
  if (!child.ok()) return result;
  auto exit = (*child)->Wait(kTimeout);
  EXPECT_OK(exit.status());
  if (exit.ok()) result.exit = *exit;
  result.out = (*child)->stdout_text();
  result.err = (*child)->stderr_text();
  return result;
}

// A loopback address that refuses connections: a port bound but never
// listened on, held for the test so nothing else takes it.
class ClosedPort {
 public:
  ClosedPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size),
              0);
    address_ = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  }
  ~ClosedPort() { close(fd_); }

  const std::string& address() const { return address_; }
  std::string flag() const { return "--catalog=" + address_; }

 private:
  int fd_;
  std::string address_;
};

TEST(ReelctlTest, HelpPrintsUsage) {
  for (const std::string& help :
       std::vector<std::string>{"help", "--help", "-h"}) {
    const Result result = RunReelctl({help});
    EXPECT_TRUE(result.exited_with(0)) << result.Describe();
    EXPECT_THAT(result.out, HasSubstr("usage: reelctl [OPTIONS] COMMAND"));
    for (const char* command :
         {"films", "import", "search", "watch", "status", "admin"}) {
      EXPECT_THAT(result.out, HasSubstr(absl::StrCat("\n  ", command, " ")))
          << help;
    }
    EXPECT_THAT(result.out, HasSubstr("--tls_dir DIR"));
    EXPECT_EQ(result.err, "");
  }
}

TEST(ReelctlTest, NoArgumentsPrintsUsageToStderrAndExitsWithTwo) {
  const Result result = RunReelctl({});
  EXPECT_TRUE(result.exited_with(2)) << result.Describe();
  EXPECT_THAT(result.err, HasSubstr("usage: reelctl"));
  EXPECT_EQ(result.out, "");
}

// Each command's --help lists its own options and the global ones, on
// stdout, exit code 0, whatever else the command line holds.
TEST(ReelctlTest, EachCommandHasItsOwnHelp) {
  struct Case {
    std::vector<std::string> args;
    std::string usage;
    std::vector<std::string> options;
  };
  const std::vector<Case> cases = {
      {{"search", "--help"},
       "usage: reelctl search [OPTIONS] QUERY...",
       {"--max N", "--film NAME,...", "--min-revision R", "--explain",
        "--sort ORDER", "--match any|all", "--page TOKEN"}},
      {{"search", "ballet", "-swan", "--max", "3", "-h"},
       "usage: reelctl search [OPTIONS] QUERY...",
       {"--max N"}},
      {{"import", "--help"},
       "usage: reelctl import [OPTIONS] FILE...",
       {"--batch N", "--replace", "--progress"}},
      {{"films", "list", "--help"},
       "usage: reelctl films list [OPTIONS]",
       {"--page-size N", "--page-token TOKEN", "--all"}},
      {{"--catalog=localhost:1", "films", "--help"},
       "usage: reelctl films [OPTIONS] COMMAND",
       {"create", "export"}},
      {{"help", "films", "create"},
       "usage: reelctl films create [OPTIONS]",
       {"--id ID", "--json FILM_JSON", "--file FILE"}},
      {{"watch", "--help"}, "usage: reelctl watch [OPTIONS]", {"--from"}},
      {{"admin", "backup", "--help"},
       "usage: reelctl admin backup [OPTIONS]",
       {"--keep-latest N"}},
  };
  for (const Case& c : cases) {
    const Result result = RunReelctl(c.args);
    const std::string what = absl::StrJoin(c.args, " ");
    EXPECT_TRUE(result.exited_with(0)) << what << ": " << result.Describe();
    EXPECT_THAT(result.out, HasSubstr(c.usage)) << what;
    for (const std::string& option : c.options) {
      EXPECT_THAT(result.out, HasSubstr(option)) << what;
    }
    if (c.args[0] != "help") {
      EXPECT_THAT(result.out,
                  HasSubstr("Global options (before or after the command):"))
          << what;
      EXPECT_THAT(result.out, HasSubstr("--catalog ADDR")) << what;
      EXPECT_THAT(result.out, HasSubstr("--search ADDR")) << what;
    }
    // Only that command's options: search's are not import's.
    if (c.args[0] == "import") {
      EXPECT_THAT(result.out, Not(HasSubstr("--max N")));
    }
  }
}

TEST(ReelctlTest, VersionPrintsTheVersionLine) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--version"},
                                             {"search", "--version"}}) {
    const Result result = RunReelctl(args);
    EXPECT_TRUE(result.exited_with(0)) << result.Describe();
    EXPECT_EQ(result.out, reel::version::VersionLine("reelctl") + "\n");
  }
  EXPECT_THAT(reel::version::VersionLine("reelctl"),
              StartsWith("reelctl " + std::string(reel::version::Version())));
}

TEST(ReelctlTest, UsageErrorsExitWithTwo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"bogus"},
           {"films"},
           {"films", "bogus"},
           {"films", "get"},
           {"films", "get", "x", "--batch=3"},
           {"films", "create", "--json={}", "--file=f"},
           {"import", "--batch=0", "f.jsonl"},
           {"import", "-", "-"},
           {"watch", "--from=soon"},
           {"search"},
           {"search", "ballet", "--max"},
           {"search", "ballet", "--sort=random"}}) {
    const Result result = RunReelctl(args);
    EXPECT_TRUE(result.exited_with(2))
        << absl::StrJoin(args, " ") << ": " << result.Describe();
    EXPECT_THAT(result.err, HasSubstr("error: INVALID_ARGUMENT: "));
    EXPECT_THAT(result.err, HasSubstr("--help' for usage)"));
  }
  EXPECT_THAT(RunReelctl({"bogus"}).err,
              HasSubstr("unknown command 'bogus' (commands: films, import"));
  EXPECT_THAT(RunReelctl({"films", "bogus"}).err,
              HasSubstr("unknown command 'bogus' (commands: create, get"));
  EXPECT_THAT(RunReelctl({"search", "ballet", "--max"}).err,
              HasSubstr("--max needs a value"));
}

TEST(ReelctlTest, DurationsNeedAUnit) {
  ClosedPort port;
  for (const std::string& value :
       std::vector<std::string>{"5", "2.5", "soon", "-5s"}) {
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{
             {"--timeout", value, "films", "list"},
             {"films", "list", "--timeout", value},
             {"films", "list", "--timeout=" + value}}) {
      const Result result = RunReelctl(args);
      EXPECT_TRUE(result.exited_with(2)) << value << ": " << result.Describe();
      EXPECT_THAT(result.err, HasSubstr("--timeout: '" + value + "'"));
      if (value != "-5s") {
        EXPECT_THAT(result.err, HasSubstr("write a unit: 5s, 500ms, 2m"));
      }
    }
  }
  // With a unit, each form reaches the (closed) catalog.
  for (const std::string& value :
       std::vector<std::string>{"5s", "500ms", "2m", "1m30s"}) {
    const Result result =
        RunReelctl({"films", "list", port.flag(), "--timeout", value});
    EXPECT_TRUE(result.exited_with(1)) << value << ": " << result.Describe();
    EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
  }
  const Result progress =
      RunReelctl({"import", "--progress-every=3", port.flag(), "nope.jsonl"});
  EXPECT_TRUE(progress.exited_with(2)) << progress.Describe();
  EXPECT_THAT(progress.err, HasSubstr("write a unit: 5s, 500ms, 2m"));
}

TEST(ReelctlTest, AddressesAreHostAndPortNotUrls) {
  for (const std::string& scheme :
       std::vector<std::string>{"http", "https", "grpc", "grpcs"}) {
    const Result search = RunReelctl(
        {"search", "--search", scheme + "://localhost:50052", "ballet"});
    EXPECT_TRUE(search.exited_with(2)) << search.Describe();
    EXPECT_THAT(search.err,
                HasSubstr("--search " + scheme +
                          "://localhost:50052: give host:port, not a URL "
                          "(drop " +
                          scheme + "://)"));
    const Result films = RunReelctl(
        {"--catalog=" + scheme + "://127.0.0.1:50051", "films", "list"});
    EXPECT_TRUE(films.exited_with(2)) << films.Describe();
    EXPECT_THAT(films.err, HasSubstr("give host:port, not a URL (drop " +
                                     scheme + "://)"));
  }
  const Result no_port = RunReelctl({"status", "--search=localhost"});
  EXPECT_TRUE(no_port.exited_with(2)) << no_port.Describe();
  EXPECT_THAT(no_port.err,
              HasSubstr("--search localhost: has no port: give host:port, "
                        "e.g. localhost:50051"));
  const Result bad_port = RunReelctl({"status", "--search=localhost:http"});
  EXPECT_TRUE(bad_port.exited_with(2)) << bad_port.Describe();
  EXPECT_THAT(bad_port.err, HasSubstr("the port 'http' is not a number"));
  const Result bare_v6 = RunReelctl({"status", "--search=::1:50052"});
  EXPECT_THAT(bare_v6.err, HasSubstr("[::1]:50051"));
}

// A command checks only the address it uses: one alias with both works for
// every command, and a bad address in the other one does not matter.
TEST(ReelctlTest, EveryCommandTakesBothAddressesAndUsesItsOwn) {
  ClosedPort catalog;
  ClosedPort search;
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"films", "list"},
           {"films", "get", "x"},
           {"import",
            reel::testing::SharedDataDir() + "/seed/the-red-shoes.txt"},
           {"admin", "list"},
           {"search", "ballet"},
           {"status"}}) {
    const bool uses_search = args[0] == "search" || args[0] == "status";
    const std::string& used =
        uses_search ? search.address() : catalog.address();
    std::vector<std::string> before = {"--catalog=" + catalog.address(),
                                       "--search=" + search.address()};
    before.insert(before.end(), args.begin(), args.end());
    std::vector<std::string> after = args;
    after.push_back("--search=" + search.address());
    after.push_back("--catalog=" + catalog.address());
    for (const auto& line : {before, after}) {
      const Result result = RunReelctl(line);
      EXPECT_TRUE(result.exited_with(1)) << result.Describe();
      EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
      EXPECT_THAT(result.err, HasSubstr("hint: nothing listens at " + used));
    }
    // The unused address may be anything.
    std::vector<std::string> other = args;
    other.push_back(uses_search ? "--catalog=http://x" : "--search=http://x");
    other.push_back((uses_search ? "--search=" : "--catalog=") + used);
    const Result result = RunReelctl(other);
    EXPECT_TRUE(result.exited_with(1)) << result.Describe();
    EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
  }
}

TEST(ReelctlTest, ImportToAnUnreachableCatalogFailsWithUnavailable) {
  ClosedPort port;
  const Result result =
      RunReelctl({"import", port.flag(),
                  reel::testing::SharedDataDir() + "/seed/the-red-shoes.txt"});
  EXPECT_TRUE(result.exited_with(1)) << result.Describe();
  EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
  EXPECT_THAT(result.out, Not(HasSubstr("imported:")));
}

TEST(ReelctlTest, ImportReportsUnparsableRecordsByFileAndLine) {
  ClosedPort port;
  reel::testing::TempDir dir;
  const std::string path = dir.Join("films.jsonl");
  std::ofstream(path) << R"({"id": "a", "title": "A"})"
                      << "\n"
                      << R"({"id": "b"})"
                      << "\n";
  const Result result = RunReelctl({"import", port.flag(), path});
  EXPECT_THAT(result.err, HasSubstr(path + ":2: title: missing"));
  EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
  EXPECT_EQ(result.exit.exit_code(), 1);
}

TEST(ReelctlTest, ImportOfAMissingFileFailsBeforeConnecting) {
  const Result result =
      RunReelctl({"import", "--catalog=127.0.0.1:1", "nope.jsonl"});
  EXPECT_EQ(result.exit.exit_code(), 1);
  EXPECT_THAT(result.err, HasSubstr("error: NOT_FOUND: nope.jsonl"));
  EXPECT_THAT(result.err, HasSubstr("nothing was imported"));
  EXPECT_THAT(result.err, Not(HasSubstr("UNAVAILABLE")));
}

// Neither JSON Lines nor a film page: rejected before connecting, with what
// a film page needs.
TEST(ReelctlTest, ImportOfATextThatIsNoFilmPageFailsBeforeConnecting) {
  reel::testing::TempDir dir;
  const std::string path = dir.Join("README.md");
  std::ofstream(path) << "# Reel\n\nReel is a pair of gRPC services.\n\n"
                         "## The two commands\n\nscripts/run-local.sh\n";
  const Result result = RunReelctl({"import", "--catalog=127.0.0.1:1", path});
  EXPECT_TRUE(result.exited_with(1)) << result.Describe();
  EXPECT_THAT(result.err,
              HasSubstr("error: INVALID_ARGUMENT: " + path +
                        ": neither JSON Lines nor a film page: JSON Lines "
                        "start with '{'; a film page has the film's title "
                        "on its first line, then at least one \"Memorable "
                        "Scenes from Movie TITLE\""));
  EXPECT_THAT(result.err, HasSubstr("(it starts with \"# Reel\")"));
  EXPECT_THAT(result.err, HasSubstr("nothing was imported"));
  EXPECT_THAT(result.err, Not(HasSubstr("UNAVAILABLE")));

  // films create --file says the same of it.
  const Result create =
      RunReelctl({"films", "create", "--catalog=127.0.0.1:1", "--file", path});
  EXPECT_TRUE(create.exited_with(1)) << create.Describe();
  EXPECT_THAT(create.err, HasSubstr(": neither Film JSON nor a film page"));
}

TEST(ReelctlTest, UnaryCallToAnUnreachableCatalogFailsWithUnavailable) {
  ClosedPort port;
  const Result result = RunReelctl({"films", "get", "films/x", port.flag()});
  EXPECT_EQ(result.exit.exit_code(), 1);
  EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: "));
  EXPECT_THAT(result.err,
              HasSubstr("hint: nothing listens at " + port.flag().substr(10)));
}

}  // namespace
}  // namespace reel
