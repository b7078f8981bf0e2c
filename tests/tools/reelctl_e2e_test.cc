// reelctl's commands against the real catalog-service and search-service
// (child processes on loopback, plaintext), and a catalog that speaks TLS:
// options before or after the command, query words that start with '-',
// unknown --film names, stdin and progress for import, inputs that hold no
// films, re-imports, and the hints for TLS on one side only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/catalog_test_util.h"
#include "tests/integration/search_process.h"
#include "tests/testing/child_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_pki.h"

namespace reel {
namespace {

using ::reel::testing::CatalogProcess;
using ::reel::testing::ChildProcess;
using ::reel::testing::HeadRevision;
using ::reel::testing::ReelctlPath;
using ::reel::testing::SearchProcess;
using ::reel::testing::SharedDataDir;
using ::reel::testing::StatusIs;
using ::reel::testing::ToolRun;
using ::testing::HasSubstr;
using ::testing::Not;

std::string SeedPath() { return SharedDataDir() + "/seed/the-red-shoes.txt"; }

// A corpus record (JSON Lines) of a film with one scene.
std::string CorpusLine(const std::string& id, const std::string& title) {
  return absl::StrCat(R"({"id": ")", id, R"(", "title": ")", title,
                      R"(", "year": 2001, "scenes": [{"title": "A )", title,
                      R"( scene", "description": "Someone opens the )", title,
                      R"( door."}]})", "\n");
}

// The "revision: N" line of an import summary; -1 without one.
int64_t SummaryRevision(const std::string& out) {
  std::smatch match;
  if (!std::regex_search(out, match, std::regex("\nrevision: ([0-9]+)\n"))) {
    return -1;
  }
  return std::stoll(match[1]);
}

bool ExitedWith(const ToolRun& run, int code) {
  return run.exit.exited() && run.exit.exit_code() == code;
}

// A catalog and a search service following it, both plaintext, with the
// seed film imported; and a catalog that speaks TLS (server certificate
// only) with a client directory holding its CA.
class ReelctlE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new reel::testing::TempDir();
    setup_ = StartServices();
  }

  static absl::Status StartServices() {
    auto catalog =
        CatalogProcess::Start({.data_dir = temp_->Join("catalog"),
                               .log_path = temp_->Join("catalog.log"),
                               .flags = {}});
    if (!catalog.ok()) return catalog.status();
    catalog_ = catalog->release();
    auto search = SearchProcess::Start({.catalog_address = catalog_->address(),
                                        .data_dir = temp_->Join("search"),
                                        .log_path = temp_->Join("search.log"),
                                        .flags = {}});
    if (!search.ok()) return search.status();
    search_ = search->release();

    reel::testing::TestPki pki(temp_->Join("pki"));
    if (absl::Status s = pki.Init(); !s.ok()) return s;
    if (absl::Status s =
            pki.MakeLeaf("server",
                         "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                         "extendedKeyUsage=serverAuth\n");
        !s.ok()) {
      return s;
    }
    pki.TlsDir(temp_->Join("tls/server"), "server", /*with_ca=*/false);
    std::filesystem::create_directories(temp_->Join("tls/client"));
    std::filesystem::copy_file(pki.CaCert(), temp_->Join("tls/client/ca.crt"));
    auto tls_catalog = CatalogProcess::Start(
        {.data_dir = temp_->Join("tls-catalog"),
         .log_path = temp_->Join("tls-catalog.log"),
         .flags = {"--tls_dir=" + temp_->Join("tls/server")}});
    if (!tls_catalog.ok()) return tls_catalog.status();
    tls_catalog_ = tls_catalog->release();

    absl::StatusOr<ToolRun> import = reel::testing::RunReelctl(
        {"--catalog=" + catalog_->address(), "import", SeedPath()});
    if (!import.ok()) return import.status();
    if (!import->exit.success()) {
      return absl::InternalError(import->Describe());
    }
    seed_revision_ = SummaryRevision(import->out);
    return absl::OkStatus();
  }

  static void TearDownTestSuite() {
    for (CatalogProcess* catalog : {catalog_, tls_catalog_}) {
      if (catalog != nullptr) {
        EXPECT_OK(catalog->Stop());
      }
    }
    if (search_ != nullptr) {
      EXPECT_OK(search_->Stop());
    }
    delete search_;
    delete catalog_;
    delete tls_catalog_;
    delete temp_;
    search_ = nullptr;
    catalog_ = nullptr;
    tls_catalog_ = nullptr;
    temp_ = nullptr;
  }

  void SetUp() override {
    if (ReelctlPath().empty()) GTEST_SKIP() << "this build has no reelctl";
    ASSERT_OK(setup_);
    ASSERT_GT(seed_revision_, 0);
  }

  static std::string CatalogFlag() {
    return "--catalog=" + catalog_->address();
  }
  static std::string SearchFlag() { return "--search=" + search_->address(); }

  static ToolRun Reelctl(const std::vector<std::string>& args) {
    absl::StatusOr<ToolRun> run = reel::testing::RunReelctl(args);
    EXPECT_OK(run.status());
    return run.ok() ? *run : ToolRun{};
  }

  // reelctl with `args`, run by /bin/sh with `redirect` (e.g. "< FILE") or
  // after `pipe_from` ("cat FILE |").
  static ToolRun Shell(const std::string& pipe_from,
                       const std::vector<std::string>& args,
                       const std::string& redirect = "") {
    std::vector<std::string> sh_args = {
        "-c", absl::StrCat(pipe_from, " \"$0\" \"$@\" ", redirect),
        ReelctlPath()};
    sh_args.insert(sh_args.end(), args.begin(), args.end());
    reel::testing::ChildProcessOptions options;
    options.capture_stderr = true;
    auto shell = ChildProcess::Start("/bin/sh", sh_args, options);
    EXPECT_OK(shell.status());
    if (!shell.ok()) return ToolRun{};
    auto exit = (*shell)->Wait(std::chrono::seconds(120));
    EXPECT_OK(exit.status());
    if (!exit.ok()) return ToolRun{};
    return ToolRun{*exit, (*shell)->stdout_text(), (*shell)->stderr_text()};
  }

  static std::string WriteFile(const std::string& name,
                               const std::string& text) {
    const std::string path = temp_->Join(name);
    std::ofstream(path) << text;
    return path;
  }

  static int64_t CatalogRevision() {
    auto stub = catalog_->NewStub();
    absl::StatusOr<int64_t> revision = HeadRevision(*stub);
    EXPECT_OK(revision.status());
    return revision.ok() ? *revision : -1;
  }

  static inline absl::Status setup_;
  static inline reel::testing::TempDir* temp_ = nullptr;
  static inline CatalogProcess* catalog_ = nullptr;
  static inline CatalogProcess* tls_catalog_ = nullptr;
  static inline SearchProcess* search_ = nullptr;
  static inline int64_t seed_revision_ = 0;
};

TEST_F(ReelctlE2eTest, GlobalOptionsGoBeforeOrAfterTheCommand) {
  const std::string revision = absl::StrCat(seed_revision_);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {CatalogFlag(), SearchFlag(), "films", "get", "the-red-shoes"},
           {"films", "get", "the-red-shoes", SearchFlag(), CatalogFlag()},
           {"films", CatalogFlag(), "get", "--timeout", "20s", "the-red-shoes"},
           {"--timeout=20s", "films", "get", "the-red-shoes", "--catalog",
            catalog_->address()}}) {
    const ToolRun run = Reelctl(args);
    EXPECT_TRUE(run.exit.success()) << run.Describe();
    EXPECT_THAT(run.out, HasSubstr("\"title\":\"The Red Shoes\""));
  }
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {SearchFlag(), CatalogFlag(), "search", "ballet", "--film",
            "the-red-shoes", "--min-revision", revision},
           {"search", "ballet", CatalogFlag(), "--film=the-red-shoes",
            SearchFlag(), "--min_revision=" + revision, "--timeout", "20s"}}) {
    const ToolRun run = Reelctl(args);
    EXPECT_TRUE(run.exit.success()) << run.Describe();
    EXPECT_THAT(run.out, HasSubstr("# 9 of 9 matching scenes"));
  }
  const ToolRun status = Reelctl({"status", CatalogFlag(), SearchFlag()});
  EXPECT_TRUE(status.exit.success()) << status.Describe();
  EXPECT_THAT(status.out, HasSubstr("appliedRevision"));

  // Both addresses from the environment, as an alias would give them.
  const ToolRun env =
      Shell(absl::StrCat("REEL_CATALOG_ADDR=", catalog_->address(),
                         " REEL_SEARCH_ADDR=", search_->address()),
            {"films", "list", "--page-size", "1"});
  EXPECT_TRUE(env.exit.success()) << env.Describe();
  EXPECT_THAT(env.out, HasSubstr("\"name\":\"films/"));
}

TEST_F(ReelctlE2eTest, QueryWordsStartingWithADashAreExclusions) {
  const std::vector<std::string> common = {SearchFlag(), "--film",
                                           "the-red-shoes", "--min-revision",
                                           absl::StrCat(seed_revision_)};
  auto search = [&](std::vector<std::string> words) {
    std::vector<std::string> args = {"search"};
    args.insert(args.end(), words.begin(), words.end());
    args.insert(args.end(), common.begin(), common.end());
    return Reelctl(args);
  };
  const ToolRun all = search({"ballet"});
  ASSERT_TRUE(all.exit.success()) << all.Describe();
  EXPECT_THAT(all.out, HasSubstr("[films/the-red-shoes s2]"));
  EXPECT_THAT(all.out, HasSubstr("# 9 of 9 matching scenes"));

  // "ballet -rehearsal": scene 2, The First Rehearsal, is left out.
  const ToolRun excluded = search({"ballet", "-rehearsal"});
  ASSERT_TRUE(excluded.exit.success()) << excluded.Describe();
  EXPECT_THAT(excluded.out, Not(HasSubstr("[films/the-red-shoes s2]")));
  EXPECT_THAT(excluded.out, HasSubstr("# 8 of 8 matching scenes"));
  // Wherever the word is.
  const ToolRun first = search({"-rehearsal", "ballet"});
  EXPECT_THAT(first.out, HasSubstr("# 8 of 8 matching scenes"))
      << first.Describe();

  // After "--", options are words too: --max 1 is part of the query, so the
  // page is not cut to one hit.
  std::vector<std::string> args = {"search"};
  args.insert(args.end(), common.begin(), common.end());
  for (const char* word : {"--", "ballet", "-rehearsal", "--max", "1"}) {
    args.push_back(word);
  }
  const ToolRun ended = Reelctl(args);
  ASSERT_TRUE(ended.exit.success()) << ended.Describe();
  EXPECT_THAT(ended.out, HasSubstr("# 8 of 8 matching scenes"));
  EXPECT_THAT(ended.out, Not(HasSubstr("[films/the-red-shoes s2]")));
  // Known options are options wherever they are.
  const ToolRun limited = search({"ballet", "--max", "1", "-rehearsal"});
  EXPECT_THAT(limited.out, HasSubstr("# 1 of 8 matching scenes"))
      << limited.Describe();
}

TEST_F(ReelctlE2eTest, MatchAllRequiresEveryWord) {
  const std::vector<std::string> common = {SearchFlag(), "--film",
                                           "the-red-shoes", "--min-revision",
                                           absl::StrCat(seed_revision_)};
  auto total = [&](std::vector<std::string> args) -> int {
    args.insert(args.begin(), "search");
    args.insert(args.end(), common.begin(), common.end());
    const ToolRun run = Reelctl(args);
    EXPECT_TRUE(run.exit.success()) << run.Describe();
    int shown = 0, matching = -1;
    for (absl::string_view line : absl::StrSplit(run.out, '\n')) {
      if (absl::ConsumePrefix(&line, "# ")) {
        std::sscanf(std::string(line).c_str(), "%d of %d", &shown, &matching);
      }
    }
    return matching;
  };
  const int any = total({"ballet", "rehearsal"});
  const int all = total({"ballet", "rehearsal", "--match", "all"});
  EXPECT_EQ(total({"ballet"}), 9);
  EXPECT_GE(any, 9);  // Every ballet scene, and more.
  EXPECT_GE(all, 1);  // Scene 2, The First Rehearsal, has both.
  EXPECT_LT(all, 9);  // Not every ballet scene has "rehearsal".
  EXPECT_EQ(total({"ballet", "rehearsal", "--match", "any"}), any);
  const ToolRun bad = Reelctl({"search", "ballet", "--match", "most"});
  EXPECT_FALSE(bad.exit.success());
  EXPECT_THAT(bad.err, HasSubstr("--match"));
}

TEST_F(ReelctlE2eTest, AnUnknownFilmIsNotFound) {
  const ToolRun unknown =
      Reelctl({"search", "ballet", "--film", "no-such-film", CatalogFlag(),
               SearchFlag(), "--min-revision", absl::StrCat(seed_revision_)});
  EXPECT_TRUE(ExitedWith(unknown, 1)) << unknown.Describe();
  EXPECT_THAT(unknown.err,
              HasSubstr("error: NOT_FOUND: --film: the catalog at " +
                        catalog_->address() +
                        " has no films/no-such-film (no such film)"));

  // A film that exists but has no matching scene: no hits, no error.
  const ToolRun no_hits =
      Reelctl({"search", "zebra", "--film", "the-red-shoes", CatalogFlag(),
               SearchFlag(), "--min-revision", absl::StrCat(seed_revision_)});
  EXPECT_TRUE(no_hits.exit.success()) << no_hits.Describe();
  EXPECT_THAT(no_hits.out, HasSubstr("# 0 of 0 matching scenes"));
  EXPECT_EQ(no_hits.err, "");

  // One known, one unknown: the unknown one is named.
  const ToolRun mixed =
      Reelctl({"search", "ballet", "--film", "the-red-shoes,films/nope",
               CatalogFlag(), SearchFlag()});
  EXPECT_TRUE(ExitedWith(mixed, 1)) << mixed.Describe();
  EXPECT_THAT(mixed.out, HasSubstr("[films/the-red-shoes s"));
  EXPECT_THAT(mixed.err, HasSubstr("has no films/nope (no such film)"));

  // Without a catalog to ask, the search stands and a note says why.
  const ToolRun unchecked =
      Reelctl({"search", "ballet", "--film", "no-such-film",
               "--catalog=127.0.0.1:1", SearchFlag()});
  EXPECT_TRUE(unchecked.exit.success()) << unchecked.Describe();
  EXPECT_THAT(unchecked.err,
              HasSubstr("note: could not ask the catalog at 127.0.0.1:1 "
                        "whether films/no-such-film exists"));
}

TEST_F(ReelctlE2eTest, TlsOnOneSideOnlyGetsAHint) {
  const std::string client_tls = "--tls_dir=" + temp_->Join("tls/client");
  // Both sides TLS: it works.
  const ToolRun both = Reelctl(
      {"films", "list", "--catalog=" + tls_catalog_->address(), client_tls});
  EXPECT_TRUE(both.exit.success()) << both.Describe();

  // Plaintext to the TLS catalog.
  const ToolRun plain =
      Reelctl({"films", "list", "--catalog=" + tls_catalog_->address()});
  EXPECT_TRUE(ExitedWith(plain, 1)) << plain.Describe();
  EXPECT_THAT(plain.err, HasSubstr("error: UNAVAILABLE: "));
  EXPECT_THAT(plain.err,
              HasSubstr("hint: the server speaks TLS: pass --tls_dir DIR"));
  const ToolRun plain_import =
      Reelctl({"import", SeedPath(), "--catalog=" + tls_catalog_->address()});
  EXPECT_THAT(plain_import.err,
              HasSubstr("hint: the server speaks TLS: pass --tls_dir"))
      << plain_import.Describe();

  // TLS to the plaintext catalog and search service.
  const ToolRun tls = Reelctl({"films", "list", CatalogFlag(), client_tls});
  EXPECT_TRUE(ExitedWith(tls, 1)) << tls.Describe();
  EXPECT_THAT(tls.err, HasSubstr("hint: the server at " + catalog_->address() +
                                 " speaks plaintext: drop --tls_dir"));
  const ToolRun tls_search =
      Reelctl({"search", "ballet", SearchFlag(), client_tls});
  EXPECT_TRUE(ExitedWith(tls_search, 1)) << tls_search.Describe();
  EXPECT_THAT(tls_search.err,
              HasSubstr("hint: the server at " + search_->address() +
                        " speaks plaintext: drop --tls_dir"));
  // Neither hint for a plaintext call that works.
  const ToolRun fine = Reelctl({"films", "list", CatalogFlag()});
  EXPECT_TRUE(fine.exit.success()) << fine.Describe();
  EXPECT_THAT(fine.err, Not(HasSubstr("hint:")));
}

TEST_F(ReelctlE2eTest, ImportReadsStdin) {
  const std::string lines = WriteFile(
      "stdin.jsonl", CorpusLine("stdin-a", "Stdin Alpha") + "not json\n" +
                         CorpusLine("stdin-b", "Stdin Beta"));
  // JSON Lines through a pipe: the bad line is named by its line on stdin.
  const ToolRun piped =
      Shell("cat '" + lines + "' |", {CatalogFlag(), "import", "-"});
  EXPECT_TRUE(ExitedWith(piped, 1)) << piped.Describe();
  EXPECT_THAT(piped.out, HasSubstr("imported: 2\n"));
  EXPECT_THAT(piped.err, HasSubstr("skipped stdin:2: invalid JSON"));
  for (const char* id : {"stdin-a", "stdin-b"}) {
    const ToolRun get = Reelctl({CatalogFlag(), "films", "get", id});
    EXPECT_TRUE(get.exit.success()) << get.Describe();
  }

  // A film page, redirected.
  const ToolRun page = Shell("", {CatalogFlag(), "import", "--replace", "-"},
                             "< '" + SeedPath() + "'");
  EXPECT_TRUE(page.exit.success()) << page.Describe();
  EXPECT_THAT(page.out, HasSubstr("imported: 1\nfailed: 0\n"));

  // Something else on stdin is refused like a file.
  const ToolRun other =
      Shell("echo 'hello there' |", {CatalogFlag(), "import", "-"});
  EXPECT_TRUE(ExitedWith(other, 1)) << other.Describe();
  EXPECT_THAT(other.err,
              HasSubstr("stdin: neither JSON Lines nor a film page"));
}

TEST_F(ReelctlE2eTest, ImportProgressHasPercentAndEtaForFiles) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += CorpusLine(absl::StrCat("progress-", i), absl::StrCat("P", i));
  }
  const std::string path = WriteFile("progress.jsonl", text);
  // --progress prints on a stderr that is not a terminal; --progress-every 0s
  // reports every film.
  const ToolRun file = Reelctl({CatalogFlag(), "import", "--replace",
                                "--progress", "--progress-every=0s", path});
  ASSERT_TRUE(file.exit.success()) << file.Describe();
  const std::vector<std::string> lines =
      absl::StrSplit(file.err, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 40u) << file.err;
  EXPECT_THAT(lines.front(), HasSubstr("sent 1 films, "));
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_search(
        line, std::regex("^sent [0-9]+ films, [0-9]+% of [0-9.]+ kB, [0-9]+ "
                         "films/s, ETA [0-9hms]+$")))
        << line;
  }
  EXPECT_THAT(lines.back(), HasSubstr("sent 40 films, 100% of "));
  EXPECT_THAT(lines.back(), HasSubstr(", ETA 0s"));

  // From stdin the size is unknown: counts and rate only.
  const ToolRun piped = Shell("cat '" + path + "' |",
                              {CatalogFlag(), "import", "--replace",
                               "--progress", "--progress-every", "0s", "-"});
  ASSERT_TRUE(piped.exit.success()) << piped.Describe();
  EXPECT_THAT(piped.err, HasSubstr("sent 40 films, "));
  EXPECT_THAT(piped.err, Not(HasSubstr("%")));
  EXPECT_THAT(piped.err, Not(HasSubstr("ETA")));

  // Without --progress, and stderr not a terminal: none.
  const ToolRun quiet = Reelctl(
      {CatalogFlag(), "import", "--replace", "--progress-every=0s", path});
  ASSERT_TRUE(quiet.exit.success()) << quiet.Describe();
  EXPECT_EQ(quiet.err, "");
}

TEST_F(ReelctlE2eTest, AFileWithoutFilmsIsRejectedAndNothingImported) {
  const std::string good =
      WriteFile("good.jsonl", CorpusLine("readme-good", "Readme Good"));
  const std::string readme =
      WriteFile("README.md",
                "# Reel\n\nReel is a pair of gRPC services for film "
                "catalogues and scene search.\n\n## The two commands\n");
  const int64_t before = CatalogRevision();
  const ToolRun run = Reelctl({CatalogFlag(), "import", good, readme});
  EXPECT_TRUE(ExitedWith(run, 1)) << run.Describe();
  EXPECT_THAT(run.err, HasSubstr(readme + ": neither JSON Lines nor a film "
                                          "page: JSON Lines start with '{'; "
                                          "a film page has the film's title "
                                          "on its first line"));
  EXPECT_THAT(run.err, HasSubstr("nothing was imported"));
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(CatalogRevision(), before);
  auto stub = catalog_->NewStub();
  EXPECT_THAT(reel::testing::GetFilm(*stub, "films/readme-good"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(ReelctlE2eTest, ReimportSaysOnceHowManyExist) {
  std::string three;
  for (int i = 1; i <= 3; ++i) {
    three += CorpusLine(absl::StrCat("again-", i), absl::StrCat("Again ", i));
  }
  const ToolRun first =
      Reelctl({CatalogFlag(), "import", WriteFile("three.jsonl", three)});
  ASSERT_TRUE(first.exit.success()) << first.Describe();

  // Three that exist and one new one: the new one is imported, the others
  // are one line, and the run fails.
  const std::string four =
      WriteFile("four.jsonl", three + CorpusLine("again-4", "Again 4"));
  const ToolRun again = Reelctl({CatalogFlag(), "import", four});
  EXPECT_TRUE(ExitedWith(again, 1)) << again.Describe();
  EXPECT_THAT(again.out,
              HasSubstr("imported: 1\nfailed: 3 (0 skipped here, 3 rejected "
                        "by the catalog)\n  3 films already exist "
                        "(ALREADY_EXISTS): pass --replace to overwrite them\n"
                        "elapsed: "));
  size_t mentions = 0;
  for (size_t at = again.out.find("already exist"); at != std::string::npos;
       at = again.out.find("already exist", at + 1)) {
    ++mentions;
  }
  EXPECT_EQ(mentions, 1u) << again.out;
  EXPECT_EQ(SummaryRevision(again.out), CatalogRevision());
  auto stub = catalog_->NewStub();
  EXPECT_OK(reel::testing::GetFilm(*stub, "films/again-4").status());

  // Nothing new: nothing written, and the revision line is still the
  // catalog's (the ImportFilms response says 0).
  const int64_t head = CatalogRevision();
  const ToolRun nothing = Reelctl({CatalogFlag(), "import", four});
  EXPECT_TRUE(ExitedWith(nothing, 1)) << nothing.Describe();
  EXPECT_THAT(nothing.out, HasSubstr("imported: 0\n"));
  EXPECT_THAT(nothing.out, HasSubstr("  4 films already exist"));
  EXPECT_EQ(SummaryRevision(nothing.out), head) << nothing.out;
  EXPECT_EQ(CatalogRevision(), head);

  const ToolRun replaced =
      Reelctl({CatalogFlag(), "import", "--replace", four});
  EXPECT_TRUE(replaced.exit.success()) << replaced.Describe();
  EXPECT_THAT(replaced.out, HasSubstr("imported: 4\nfailed: 0\n"));
  EXPECT_EQ(SummaryRevision(replaced.out), head + 4);
}

}  // namespace
}  // namespace reel
