// End-to-end tests of scene search: the real catalog-service, search-service
// and reelctl binaries as child processes on loopback, driven through gRPC
// stubs and the command line. Nothing sleeps for a fixed time: tests wait for
// observable conditions (a read-your-writes search with min_revision, or
// GetIndexStatus polled against a deadline).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/field_mask.pb.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "reel/search/v1/search.grpc.pb.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/catalog_test_util.h"
#include "tests/integration/search_process.h"
#include "tests/testing/child_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::Film;
using ::reel::search::v1::GetIndexStatusResponse;
using ::reel::search::v1::Highlight;
using ::reel::search::v1::SceneHit;
using ::reel::search::v1::SearchScenesRequest;
using ::reel::search::v1::SearchScenesResponse;
using ::reel::search::v1::SearchService;
using ::reel::search::v1::Span;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

constexpr auto kWaitTimeout = 30s;  // For anything that should be quick.
// A stopping service must exit well inside its 20 s drain timeout.
constexpr auto kPromptExit = 10s;
constexpr char kSearchHealthName[] = "reel.search.v1.SearchService";
constexpr char kRedShoes[] = "films/the-red-shoes";
// grpc.health.v1 ServingStatus.
constexpr int kServing = 1;
constexpr int kNotServing = 2;

// --- Helpers -----------------------------------------------------------------

// The "revision: N" line of `reelctl import`, or 0.
int64_t ImportRevision(const std::string& out) {
  std::smatch match;
  static const std::regex kLine("(^|\n)revision: ([0-9]+)");
  if (!std::regex_search(out, match, kLine)) return 0;
  return std::stoll(match[2]);
}

std::string SeedPath() { return SharedDataDir() + "/seed/the-red-shoes.txt"; }
std::string SmallCorpusPath() {
  return SharedDataDir() + "/corpus/films-small.jsonl";
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A loopback port nothing listens on (bound, then released).
absl::StatusOr<int> UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return absl::InternalError("bind() failed");
  }
  close(fd);
  return static_cast<int>(ntohs(address.sin_port));
}

// Every decimal integer in `text`.
std::set<int64_t> IntegersIn(const std::string& text) {
  std::set<int64_t> numbers;
  static const std::regex kNumber("[0-9]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kNumber);
       it != std::sregex_iterator(); ++it) {
    numbers.insert(std::stoll(it->str()));
  }
  return numbers;
}

// UTF-16 code units of valid UTF-8 `text`, counted independently of the
// service: one per code point, two for those above U+FFFF (4-byte forms).
int Utf16Length(absl::string_view text) {
  int units = 0;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) == 0x80) continue;  // Continuation byte.
    units += byte >= 0xF0 ? 2 : 1;
  }
  return units;
}

// Valid UTF-8 `text` as UTF-16.
std::u16string ToUtf16(absl::string_view text) {
  std::u16string out;
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const int length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    char32_t code_point = length == 1 ? byte
                                      : byte & (length == 2   ? 0x1F
                                                : length == 3 ? 0x0F
                                                              : 0x07);
    for (int k = 1; k < length && i + k < text.size(); ++k) {
      code_point = (code_point << 6) | (text[i + k] & 0x3F);
    }
    if (code_point > 0xFFFF) {
      code_point -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (code_point >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (code_point & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(code_point));
    }
    i += length;
  }
  return out;
}

// The bytes a span selects, or "<bad span ...>".
std::string SpanText(const Highlight& highlight, const Span& span) {
  const std::string& snippet = highlight.snippet();
  if (span.start_byte() < 0 || span.end_byte() < span.start_byte() ||
      static_cast<size_t>(span.end_byte()) > snippet.size()) {
    return absl::StrCat("<bad span ", span.ShortDebugString(), " of ",
                        snippet.size(), " bytes>");
  }
  return snippet.substr(span.start_byte(), span.end_byte() - span.start_byte());
}

// Checks every span of every hit: its bytes hold one of `stems` (folded to
// ASCII lower case), spans are in order, and the UTF-16 offsets are the
// UTF-16 lengths of the snippet's prefixes up to the byte offsets. Returns
// how many spans had UTF-16 offsets different from their byte offsets (i.e.
// non-ASCII text before them).
int CheckHighlights(const std::vector<SceneHit>& hits,
                    const std::vector<std::string>& stems) {
  int shifted = 0;
  for (const SceneHit& hit : hits) {
    SCOPED_TRACE(absl::StrCat(hit.film(), " ", hit.scene_id()));
    for (const Highlight& highlight : hit.highlights()) {
      EXPECT_NE(highlight.field(),
                reel::search::v1::HIGHLIGHT_FIELD_UNSPECIFIED);
      EXPECT_GT(highlight.spans_size(), 0) << highlight.ShortDebugString();
      const std::string& snippet = highlight.snippet();
      int previous_end = 0;
      for (const Span& span : highlight.spans()) {
        const std::string text = SpanText(highlight, span);
        if (absl::StartsWith(text, "<bad span")) {
          ADD_FAILURE() << text;
          continue;
        }
        const std::string lower = absl::AsciiStrToLower(text);
        EXPECT_TRUE(std::any_of(stems.begin(), stems.end(),
                                [&](const std::string& stem) {
                                  return absl::StrContains(lower, stem);
                                }))
            << "span \"" << text << "\" of " << highlight.ShortDebugString();
        EXPECT_GE(span.start_byte(), previous_end) << "spans out of order";
        previous_end = span.end_byte();
        const int start_utf16 = Utf16Length(
            absl::string_view(snippet).substr(0, span.start_byte()));
        const int end_utf16 =
            Utf16Length(absl::string_view(snippet).substr(0, span.end_byte()));
        EXPECT_EQ(span.start_utf16(), start_utf16)
            << "span \"" << text << "\" " << span.ShortDebugString();
        EXPECT_EQ(span.end_utf16(), end_utf16)
            << "span \"" << text << "\" " << span.ShortDebugString();
        if (span.start_utf16() != span.start_byte()) ++shifted;
      }
    }
  }
  return shifted;
}

// Checks the shape of a finished stream: OK; a result of up to 20 hits in
// one message with the summary; a larger one in a first message of 1-5 hits
// and batches after it of at most 50, the summary riding on the last batch;
// ranks 1, 2, 3, ...; returned_count == hits; total >= returned.
void CheckStreamShape(const SearchRun& run) {
  SCOPED_TRACE(run.Describe());
  ASSERT_TRUE(run.status.ok());
  ASSERT_FALSE(run.messages.empty());
  ASSERT_TRUE(run.has_summary);
  const SearchScenesResponse& last = run.messages.back();
  EXPECT_TRUE(last.has_summary());
  if (run.hits.size() <= 20) {
    EXPECT_EQ(run.messages.size(), 1u) << "a small result in one message";
  }
  for (size_t i = 0; i < run.messages.size(); ++i) {
    const bool is_last = i + 1 == run.messages.size();
    EXPECT_EQ(run.messages[i].has_summary(), is_last) << "message " << i;
    if (!run.hits.empty()) {
      EXPECT_GT(run.messages[i].hits_size(), 0) << "message " << i;
    }
    EXPECT_LE(run.messages[i].hits_size(), run.messages.size() == 1 ? 20
                                           : i == 0                 ? 5
                                                                    : 50)
        << "message " << i;
  }
  for (size_t i = 0; i < run.hits.size(); ++i) {
    EXPECT_EQ(run.hits[i].rank(), static_cast<int>(i) + 1);
  }
  EXPECT_EQ(run.summary.returned_count(), static_cast<int>(run.hits.size()));
  EXPECT_GE(run.summary.total_matches(), run.summary.returned_count());
  EXPECT_TRUE(run.summary.complete());
}

std::set<std::string> FilmsOf(const std::vector<SceneHit>& hits) {
  std::set<std::string> films;
  for (const SceneHit& hit : hits) films.insert(hit.film());
  return films;
}

bool HasScene(const std::vector<SceneHit>& hits, const std::string& film,
              const std::string& scene_id) {
  return std::any_of(hits.begin(), hits.end(), [&](const SceneHit& hit) {
    return hit.film() == film && hit.scene_id() == scene_id;
  });
}

// Polls the search service's health until it reports `wanted`.
absl::Status WaitForHealth(const std::shared_ptr<grpc::Channel>& channel,
                           int wanted, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    absl::StatusOr<int> health = CheckHealth(channel, kSearchHealthName, 5s);
    if (health.ok() && *health == wanted) return absl::OkStatus();
    last = health.ok() ? absl::StrCat(*health) : health.status().ToString();
    std::this_thread::sleep_for(20ms);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("health never became ", wanted, "; last: ", last));
}

// A film with one scene whose description is `description`.
Film OneSceneFilm(const std::string& title, const std::string& description) {
  Film film;
  film.set_title(title);
  film.set_year(2001);
  film.add_genres("drama");
  film.set_synopsis("A short film made for a test.");
  auto* scene = film.add_scenes();
  scene->set_scene_id("s1");
  scene->set_title("Opening");
  scene->set_description(description);
  return film;
}

// --- Fixture: one catalog and one search service per test --------------------

class SearchE2eTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) return;
    if (catalog_ != nullptr) {
      std::cerr << "--- end of the catalog-service log ---\n"
                << catalog_->LogTail(4000) << "\n---\n";
    }
    if (search_ != nullptr) {
      std::cerr << "--- end of the search-service log ---\n"
                << search_->LogTail(6000) << "\n---\n";
    }
  }

  // Starts the catalog (on `port`, or a free one) on temp_/`data_dir`.
  absl::Status StartCatalog(int port = 0,
                            const std::string& data_dir = "catalog") {
    catalog_stub_.reset();
    catalog_.reset();
    std::vector<std::string> flags = {"--watch_progress_interval=200ms"};
    // Comes after CatalogProcess's own --listen=127.0.0.1:0: the last wins.
    if (port != 0) flags.push_back(absl::StrCat("--listen=127.0.0.1:", port));
    absl::StatusOr<std::unique_ptr<CatalogProcess>> catalog =
        CatalogProcess::Start({.data_dir = temp_.Join(data_dir),
                               .log_path = temp_.Join(absl::StrCat(
                                   "catalog-", ++catalog_starts_, ".log")),
                               .flags = std::move(flags)});
    if (!catalog.ok()) return catalog.status();
    catalog_ = *std::move(catalog);
    catalog_stub_ = catalog_->NewStub();
    return absl::OkStatus();
  }

  // Stops the catalog gracefully (dropping our stub first).
  absl::Status StopCatalog() {
    catalog_stub_.reset();
    return catalog_->Stop();
  }

  std::string SearchLogPath(int start) const {
    return temp_.Join(absl::StrCat("search-", start, ".log"));
  }

  // Starts a search service on temp_/search following `catalog_address`.
  // `flags` come after the defaults, so they can override them.
  absl::Status StartSearch(const std::string& catalog_address,
                           const std::vector<std::string>& flags = {}) {
    search_stub_.reset();
    search_.reset();
    std::vector<std::string> all_flags = {"--reconnect_max_backoff=300ms"};
    all_flags.insert(all_flags.end(), flags.begin(), flags.end());
    absl::StatusOr<std::unique_ptr<SearchProcess>> search =
        SearchProcess::Start({.catalog_address = catalog_address,
                              .data_dir = temp_.Join("search"),
                              .log_path = SearchLogPath(++search_starts_),
                              .flags = std::move(all_flags)});
    if (!search.ok()) return search.status();
    search_ = *std::move(search);
    search_stub_ = search_->NewStub();
    return absl::OkStatus();
  }

  // Catalog, then a search service following it, ready (first snapshot).
  absl::Status StartBoth(const std::vector<std::string>& search_flags = {}) {
    if (absl::Status status = StartCatalog(); !status.ok()) return status;
    if (absl::Status status = StartSearch(catalog_->address(), search_flags);
        !status.ok()) {
      return status;
    }
    return WaitForRevision(*search_stub_, 0, kWaitTimeout);
  }

  // Waits until the search index has applied the catalog's head revision,
  // and returns it.
  absl::StatusOr<int64_t> WaitForCatalogHead() {
    absl::StatusOr<int64_t> head = HeadRevision(*catalog_stub_);
    if (!head.ok()) return head.status();
    if (absl::Status status =
            WaitForRevision(*search_stub_, *head, kWaitTimeout);
        !status.ok()) {
      return status;
    }
    return *head;
  }

  bool HaveReelctl() const { return !ReelctlPath().empty(); }

  TempDir temp_;  // Declared first: outlives the processes using it.
  int catalog_starts_ = 0;
  int search_starts_ = 0;
  std::unique_ptr<CatalogProcess> catalog_;
  std::unique_ptr<CatalogService::Stub> catalog_stub_;
  std::unique_ptr<SearchProcess> search_;
  std::unique_ptr<SearchService::Stub> search_stub_;
};

// --- 1. The newcomer path ----------------------------------------------------

TEST_F(SearchE2eTest, NewcomerImportsSeedWithReelctlAndSearches) {
  if (!HaveReelctl()) GTEST_SKIP() << "this build has no reelctl target";
  ASSERT_TRUE(std::filesystem::exists(SeedPath())) << SeedPath();
  ASSERT_OK(StartCatalog());
  ASSERT_OK(StartSearch(catalog_->address()));
  // Ready once the (empty) catalog's snapshot is in.
  ASSERT_OK(WaitForHealth(search_->channel(), kServing, kWaitTimeout));

  ASSERT_OK_AND_ASSIGN(
      ToolRun import,
      RunReelctl({"--catalog=" + catalog_->address(), "import", SeedPath()}));
  ASSERT_TRUE(import.exit.success()) << import.Describe();
  const int64_t import_revision = ImportRevision(import.out);
  ASSERT_GT(import_revision, 0) << import.Describe();

  SearchScenesRequest request;
  request.set_query("red shoes dance");
  request.set_min_revision(import_revision);
  const SearchRun run = Search(*search_stub_, request);
  SCOPED_TRACE(run.Describe());
  CheckStreamShape(run);
  ASSERT_EQ(run.hits.size(), 9u);  // Every scene: all three words match.
  EXPECT_THAT(FilmsOf(run.hits), ::testing::ElementsAre(kRedShoes));
  // 9 hits: all in one message, the summary with them.
  EXPECT_EQ(run.messages.size(), 1u);
  EXPECT_EQ(run.messages.front().hits_size(), 9);
  EXPECT_GE(run.summary.index_revision(), import_revision);
  EXPECT_GE(run.summary.total_matches(), 9);
  for (const SceneHit& hit : run.hits) {
    EXPECT_EQ(hit.film_title(), "The Red Shoes");
    EXPECT_FALSE(hit.scene_title().empty());
    EXPECT_GT(hit.score(), 0);
    EXPECT_GT(hit.highlights_size(), 0) << hit.ShortDebugString();
  }
  const int shifted = CheckHighlights(run.hits, {"red", "shoe", "danc"});
  // The seed's text has curly apostrophes (3 UTF-8 bytes, 1 UTF-16 unit)
  // before some matches, so the two kinds of offsets must differ somewhere.
  EXPECT_GT(shifted, 0) << "no span after non-ASCII text: the UTF-16 check "
                           "proved nothing";

  // The status agrees.
  ASSERT_OK_AND_ASSIGN(GetIndexStatusResponse status,
                       GetIndexStatus(*search_stub_));
  EXPECT_TRUE(status.ready());
  EXPECT_GE(status.applied_revision(), import_revision);
  EXPECT_EQ(status.film_count(), 1);
  EXPECT_EQ(status.scene_count(), 9);

  // The same through reelctl.
  ASSERT_OK_AND_ASSIGN(ToolRun cli,
                       RunReelctl({"--search=" + search_->address(), "search",
                                   "red", "shoes", "dance"}));
  ASSERT_TRUE(cli.exit.success()) << cli.Describe();
  EXPECT_THAT(cli.out, HasSubstr("The Red Shoes")) << cli.Describe();
  EXPECT_THAT(cli.out, HasSubstr(kRedShoes)) << cli.Describe();
  ASSERT_OK_AND_ASSIGN(
      ToolRun cli_status,
      RunReelctl({"--search=" + search_->address(), "status"}));
  ASSERT_TRUE(cli_status.exit.success()) << cli_status.Describe();
  EXPECT_THAT(cli_status.out, HasSubstr("appliedRevision"))
      << cli_status.Describe();
}

TEST_F(SearchE2eTest, UnavailableUntilTheFirstSnapshot) {
  ASSERT_OK_AND_ASSIGN(const int port, UnusedPort());
  // No catalog yet: the service runs but has no state to serve.
  ASSERT_OK(StartSearch(absl::StrCat("127.0.0.1:", port)));
  ASSERT_OK_AND_ASSIGN(GetIndexStatusResponse status,
                       GetIndexStatus(*search_stub_));
  EXPECT_FALSE(status.ready()) << status.ShortDebugString();
  EXPECT_EQ(status.applied_revision(), 0);
  EXPECT_THAT(CheckHealth(search_->channel(), kSearchHealthName, 5s),
              IsOkAndHolds(kNotServing));
  const SearchRun before = Search(*search_stub_, "red shoes");
  EXPECT_EQ(before.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << before.Describe();
  ASSERT_OK(WaitForIndexStatus(
                *search_stub_,
                [](const GetIndexStatusResponse& s) {
                  return !s.last_error().empty();
                },
                kWaitTimeout)
                .status());

  // The catalog appears where the service looks for it.
  ASSERT_OK(StartCatalog(port));
  Film stored;
  ASSERT_OK(FromGrpcStatus(CreateFilm(
      *catalog_stub_, "late-film",
      OneSceneFilm("Late Arrival", "The tardigrade arrives at last."),
      &stored)));
  ASSERT_OK(WaitForRevision(*search_stub_, stored.revision(), kWaitTimeout));
  EXPECT_OK(WaitForHealth(search_->channel(), kServing, kWaitTimeout));
  const SearchRun after = Search(*search_stub_, "tardigrade");
  CheckStreamShape(after);
  ASSERT_EQ(after.hits.size(), 1u) << after.Describe();
  EXPECT_EQ(after.hits[0].film(), "films/late-film");
}

// --- 2. Relevance on the small corpus ----------------------------------------

// One catalog and search service for the whole suite, holding the small
// corpus and the seed (imported once; the tests only read).
class SearchCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (ReelctlPath().empty()) return;  // SetUp() skips.
    temp_ = new TempDir;
    auto catalog =
        CatalogProcess::Start({.data_dir = temp_->Join("catalog"),
                               .log_path = temp_->Join("catalog.log"),
                               .flags = {"--watch_progress_interval=200ms"}});
    if (!catalog.ok()) {
      *setup_error_ = catalog.status().ToString();
      return;
    }
    catalog_ = catalog->release();
    catalog_stub_ = catalog_->NewStub().release();
    // Import first, so that the search service starts from a snapshot of
    // every film (the other tests cover live changes).
    absl::StatusOr<ToolRun> import =
        RunReelctl({"--catalog=" + catalog_->address(), "import",
                    SmallCorpusPath(), SeedPath()});
    if (!import.ok()) {
      *setup_error_ = import.status().ToString();
      return;
    }
    if (!import->exit.success()) {
      *setup_error_ = import->Describe();
      return;
    }
    auto search = SearchProcess::Start({.catalog_address = catalog_->address(),
                                        .data_dir = temp_->Join("search"),
                                        .log_path = temp_->Join("search.log"),
                                        .flags = {}});
    if (!search.ok()) {
      *setup_error_ = search.status().ToString();
      return;
    }
    search_ = search->release();
    search_stub_ = search_->NewStub().release();
    revision_ = ImportRevision(import->out);
    if (absl::Status status =
            WaitForRevision(*search_stub_, revision_, kWaitTimeout);
        !status.ok()) {
      *setup_error_ = status.ToString();
    }
  }

  static void TearDownTestSuite() {
    delete search_stub_;
    delete search_;
    delete catalog_stub_;
    delete catalog_;
    delete temp_;
    search_stub_ = nullptr;
    search_ = nullptr;
    catalog_stub_ = nullptr;
    catalog_ = nullptr;
    temp_ = nullptr;
  }

  void SetUp() override {
    if (ReelctlPath().empty()) GTEST_SKIP() << "this build has no reelctl";
    ASSERT_TRUE(setup_error_->empty()) << *setup_error_;
  }

  void TearDown() override {
    if (HasFailure() && search_ != nullptr) {
      std::cerr << "--- end of the search-service log ---\n"
                << search_->LogTail(4000) << "\n---\n";
    }
  }

  static SearchRun Run(const std::string& query, int max_results = 0) {
    return Search(*search_stub_, query, max_results);
  }
  static SearchRun Run(const SearchScenesRequest& request) {
    return Search(*search_stub_, request);
  }

  static inline TempDir* temp_ = nullptr;
  static inline CatalogProcess* catalog_ = nullptr;
  static inline CatalogService::Stub* catalog_stub_ = nullptr;
  static inline SearchProcess* search_ = nullptr;
  static inline SearchService::Stub* search_stub_ = nullptr;
  static inline int64_t revision_ = 0;
  static inline std::string* const setup_error_ = new std::string;
};

TEST_F(SearchCorpusTest, IndexHoldsTheWholeImport) {
  // The state turns FOLLOWING just after the snapshot is searchable.
  ASSERT_OK_AND_ASSIGN(
      GetIndexStatusResponse status,
      WaitForIndexStatus(
          *search_stub_,
          [](const GetIndexStatusResponse& s) {
            return s.connection_state() ==
                   reel::search::v1::CONNECTION_STATE_FOLLOWING;
          },
          kWaitTimeout));
  EXPECT_TRUE(status.ready());
  EXPECT_EQ(status.applied_revision(), revision_);
  EXPECT_EQ(status.film_count(), 201);
  EXPECT_EQ(status.scene_count(), 832 + 9);
  EXPECT_GT(status.term_count(), 1000);
  EXPECT_EQ(status.catalog_revision(), revision_);
  EXPECT_GT(status.disk_bytes(), 0);
  EXPECT_GT(status.memory_bytes(), 0);
  EXPECT_TRUE(status.has_last_applied_time());
}

struct ExpectedTopHit {
  std::string query;
  std::string film;
  std::string scene_id;
};

// Each query's words were picked by reading films-small.jsonl: they occur
// in that one scene (and, via the synopsis, in its film), nowhere else.
TEST_F(SearchCorpusTest, DistinctiveWordsRankTheirSceneFirst) {
  const std::vector<ExpectedTopHit> cases = {
      {"bushranger", "films/wp:Ned_Kelly_(1970_film)", "s1"},
      {"Birkenwell photograph", "films/wp:Photographing_Fairies", "s4"},
      {"counterintelligence Berne",
       "films/wp:The_Spider_and_the_Fly_(1949_film)", "s5"},
      {"\"heart of an aquatic dragon\"", "films/wp:Tale_of_Tales_(2015_film)",
       "s3"},
      {"Longtrellis necromancer", "films/wp:Tale_of_Tales_(2015_film)", "s3"},
  };
  for (const ExpectedTopHit& expected : cases) {
    const SearchRun run = Run(expected.query);
    SCOPED_TRACE(absl::StrCat("query ", expected.query, ": ", run.Describe()));
    CheckStreamShape(run);
    ASSERT_FALSE(run.hits.empty());
    EXPECT_EQ(run.hits[0].film(), expected.film);
    EXPECT_EQ(run.hits[0].scene_id(), expected.scene_id);
    EXPECT_GE(run.summary.index_revision(), revision_);
  }
  // The phrase is in that one scene only.
  const SearchRun phrase = Run("\"heart of an aquatic dragon\"");
  EXPECT_EQ(phrase.summary.total_matches(), 1) << phrase.Describe();
}

TEST_F(SearchCorpusTest, RedShoesRankAboveEveryOtherFilm) {
  const SearchRun run = Run("red shoes dance", 50);
  SCOPED_TRACE(run.Describe());
  CheckStreamShape(run);
  ASSERT_GE(run.hits.size(), 9u);
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(run.hits[i].film(), kRedShoes);
  CheckHighlights(std::vector<SceneHit>(run.hits.begin(), run.hits.begin() + 9),
                  {"red", "shoe", "danc"});
}

TEST_F(SearchCorpusTest, TypoFindsTheRedShoes) {
  // "ballerna": one letter short of "ballerina" (the seed's synopsis), which
  // no corpus film contains.
  const SearchRun run = Run("ballerna", 100);
  SCOPED_TRACE(run.Describe());
  CheckStreamShape(run);
  ASSERT_FALSE(run.hits.empty());
  EXPECT_EQ(run.hits[0].film(), kRedShoes);
  EXPECT_THAT(FilmsOf(run.hits), ::testing::ElementsAre(kRedShoes));
  EXPECT_EQ(run.summary.total_matches(), 9);
  CheckHighlights(run.hits, {"ballerina"});
}

TEST_F(SearchCorpusTest, PrefixFindsLermontov) {
  const SearchRun run = Run("Lermon*", 100);
  SCOPED_TRACE(run.Describe());
  CheckStreamShape(run);
  EXPECT_EQ(run.summary.total_matches(), 9);
  EXPECT_THAT(FilmsOf(run.hits), ::testing::ElementsAre(kRedShoes));
  CheckHighlights(run.hits, {"lermontov"});
  // Without the star (and not as the last word being typed) it is too far
  // from "lermontov" to match.
  EXPECT_THAT(FilmsOf(Run("Lermon ", 100).hits),
              Not(Contains(std::string(kRedShoes))));
}

TEST_F(SearchCorpusTest, PhraseMatchesWordsInOrder) {
  const SearchRun run = Run("\"forget anything but ballet\"", 100);
  SCOPED_TRACE(run.Describe());
  CheckStreamShape(run);
  EXPECT_EQ(run.hits.size(), 9u);
  EXPECT_EQ(run.summary.total_matches(), 9);
  EXPECT_THAT(FilmsOf(run.hits), ::testing::ElementsAre(kRedShoes));
  for (const SceneHit& hit : run.hits) {
    bool synopsis = false;
    for (const Highlight& highlight : hit.highlights()) {
      if (highlight.field() != reel::search::v1::HIGHLIGHT_FIELD_SYNOPSIS) {
        continue;
      }
      synopsis = true;
      std::vector<std::string> words;
      for (const Span& span : highlight.spans()) {
        words.push_back(absl::AsciiStrToLower(SpanText(highlight, span)));
      }
      EXPECT_THAT(words, Contains("forget"));
      EXPECT_THAT(words, Contains("ballet"));
    }
    EXPECT_TRUE(synopsis) << hit.ShortDebugString();
  }
  // The same words out of order are no phrase.
  EXPECT_EQ(Run("\"ballet but anything forget\"").summary.total_matches(), 0);
}

TEST_F(SearchCorpusTest, ExclusionDropsTheAuditionScene) {
  const SearchRun with = Run("red shoes", 1000);
  const SearchRun without = Run("red shoes -audition", 1000);
  CheckStreamShape(with);
  CheckStreamShape(without);
  EXPECT_TRUE(HasScene(with.hits, kRedShoes, "s1")) << with.Describe();
  EXPECT_FALSE(HasScene(without.hits, kRedShoes, "s1")) << without.Describe();
  for (int i = 2; i <= 9; ++i) {
    EXPECT_TRUE(HasScene(without.hits, kRedShoes, absl::StrCat("s", i)))
        << "s" << i << " " << without.Describe();
  }
  EXPECT_LT(without.summary.total_matches(), with.summary.total_matches());
}

TEST_F(SearchCorpusTest, ScopeRestrictsToSceneTitles) {
  const SearchRun run = Run("title:audition", 100);
  SCOPED_TRACE(run.Describe());
  CheckStreamShape(run);
  ASSERT_EQ(run.hits.size(), 1u);
  EXPECT_EQ(run.hits[0].film(), kRedShoes);
  EXPECT_EQ(run.hits[0].scene_id(), "s1");
  EXPECT_EQ(run.hits[0].scene_title(), "The Audition");
  for (const Highlight& highlight : run.hits[0].highlights()) {
    EXPECT_EQ(highlight.field(), reel::search::v1::HIGHLIGHT_FIELD_SCENE_TITLE)
        << "an unscoped field was highlighted: "
        << highlight.ShortDebugString();
  }
  // Unscoped, the word also matches a corpus film's plot.
  const SearchRun unscoped = Run("audition", 100);
  EXPECT_GT(unscoped.summary.total_matches(), 1) << unscoped.Describe();
}

TEST_F(SearchCorpusTest, YearRangeFilter) {
  const SearchRun all = Run("police", 1000);
  SearchScenesRequest request;
  request.set_query("police");
  request.set_max_results(1000);
  request.mutable_filter()->set_year_min(1940);
  request.mutable_filter()->set_year_max(1949);
  const SearchRun forties = Run(request);
  SCOPED_TRACE(forties.Describe());
  CheckStreamShape(all);
  CheckStreamShape(forties);
  ASSERT_FALSE(forties.hits.empty());
  EXPECT_LT(forties.summary.total_matches(), all.summary.total_matches());
  size_t in_range = 0;
  for (const SceneHit& hit : all.hits) {
    in_range += hit.year() >= 1940 && hit.year() <= 1949 ? 1 : 0;
  }
  EXPECT_EQ(forties.hits.size(), in_range);
  for (const SceneHit& hit : forties.hits) {
    EXPECT_GE(hit.year(), 1940) << hit.film();
    EXPECT_LE(hit.year(), 1949) << hit.film();
    // The hit's year is the catalog's.
    ASSERT_OK_AND_ASSIGN(Film film, GetFilm(*catalog_stub_, hit.film()));
    EXPECT_EQ(film.year(), hit.year()) << hit.film();
  }
}

TEST_F(SearchCorpusTest, GenreFilterIsCaseInsensitive) {
  const SearchRun all = Run("murder", 1000);
  SearchScenesRequest request;
  request.set_query("murder");
  request.set_max_results(1000);
  request.mutable_filter()->add_genres("Horror");
  const SearchRun horror = Run(request);
  SCOPED_TRACE(horror.Describe());
  CheckStreamShape(all);
  CheckStreamShape(horror);
  ASSERT_FALSE(horror.hits.empty());
  EXPECT_LT(horror.summary.total_matches(), all.summary.total_matches());
  size_t expected = 0;
  for (const std::string& name : FilmsOf(all.hits)) {
    ASSERT_OK_AND_ASSIGN(Film film, GetFilm(*catalog_stub_, name));
    const bool is_horror = std::find(film.genres().begin(), film.genres().end(),
                                     "horror") != film.genres().end();
    for (const SceneHit& hit : all.hits) {
      if (hit.film() == name && is_horror) ++expected;
    }
    const bool returned = FilmsOf(horror.hits).contains(name);
    EXPECT_EQ(returned, is_horror) << name;
  }
  EXPECT_EQ(horror.hits.size(), expected);
}

// --- 5. Cancellation and limits ----------------------------------------------

TEST_F(SearchCorpusTest, LongStreamBatchesAndCancellation) {
  const std::string query = "father home man love house";
  const SearchRun full = Run(query, 1000);
  SCOPED_TRACE(full.Describe());
  CheckStreamShape(full);
  ASSERT_GT(full.hits.size(), 200u);
  // A first batch of 5, then full batches of 50.
  EXPECT_EQ(full.messages.front().hits_size(), 5);
  for (size_t i = 1; i + 2 < full.messages.size(); ++i) {
    EXPECT_EQ(full.messages[i].hits_size(), 50) << "message " << i;
  }

  // Cancel after the first message, repeatedly, to shake out races between
  // the service's cancellation and its writes.
  for (int attempt = 0; attempt < 10; ++attempt) {
    SCOPED_TRACE(absl::StrCat("attempt ", attempt));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kWaitTimeout);
    SearchScenesRequest request;
    request.set_query(query);
    request.set_max_results(1000);
    auto reader = search_stub_->SearchScenes(&context, request);
    SearchScenesResponse message;
    ASSERT_TRUE(reader->Read(&message));
    EXPECT_LE(message.hits_size(), 5);
    context.TryCancel();
    int messages_after_cancel = 0;
    bool summary = false;
    while (reader->Read(&message)) {
      ++messages_after_cancel;
      summary |= message.has_summary();
    }
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED)
        << status.error_message() << " after " << messages_after_cancel
        << " more messages";
    EXPECT_FALSE(summary) << "the stream completed despite the cancellation";
  }
  // The service is unharmed.
  const SearchRun again = Run(query, 1000);
  CheckStreamShape(again);
  EXPECT_EQ(again.hits.size(), full.hits.size());
}

TEST_F(SearchCorpusTest, MaxResultsLimit) {
  const SearchRun most = Run("father", 1000);
  CheckStreamShape(most);
  for (int bad : {1001, -1}) {
    const SearchRun run = Run("father", bad);
    EXPECT_EQ(run.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad << ": " << run.Describe();
    EXPECT_THAT(run.status.error_message(), HasSubstr("max_results"));
    EXPECT_TRUE(run.hits.empty());
  }
  // 0 means 20.
  const SearchRun default_count = Run("father", 0);
  CheckStreamShape(default_count);
  EXPECT_EQ(default_count.hits.size(), 20u) << default_count.Describe();
  EXPECT_GT(default_count.summary.total_matches(), 20);
}

TEST_F(SearchCorpusTest, MalformedQueriesNameOffsetAndReason) {
  struct Bad {
    std::string query;
    std::vector<std::string> message_parts;
  };
  const std::vector<Bad> cases = {
      {"\"unbalanced", {"byte 0", "quote"}},
      {"red \"unbalanced", {"byte 4", "quote"}},
      {"foo:bar", {"byte 0", "foo"}},
      {"red foo:bar", {"byte 4", "foo"}},
      {"-", {"byte 0", "-"}},
      {"red -", {"byte 4", "-"}},
      {"", {"query"}},
      {"   ", {"query"}},
      {"-red", {"query", "exclude"}},
  };
  for (const Bad& bad : cases) {
    const SearchRun run = Run(bad.query);
    SCOPED_TRACE(absl::StrCat("query [", bad.query, "]: ", run.Describe()));
    EXPECT_EQ(run.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(run.messages.empty());
    for (const std::string& part : bad.message_parts) {
      EXPECT_THAT(run.status.error_message(), HasSubstr(part));
    }
  }
}

// --- 3. Freshness: read-your-writes ------------------------------------------

TEST_F(SearchE2eTest, ReadYourWritesThroughCreateUpdateDelete) {
  ASSERT_OK(StartBoth());

  Film created;
  ASSERT_OK(FromGrpcStatus(CreateFilm(
      *catalog_stub_, "fresh-film",
      OneSceneFilm("Comet Night", "The zorblaxian comet lights the harbour."),
      &created)));
  // No waiting but the search's own: min_revision = the write's revision.
  SearchRun run = Search(*search_stub_, "zorblaxian", 0, created.revision());
  CheckStreamShape(run);
  ASSERT_EQ(run.hits.size(), 1u) << run.Describe();
  EXPECT_EQ(run.hits[0].film(), "films/fresh-film");
  EXPECT_EQ(run.hits[0].film_title(), "Comet Night");
  EXPECT_GE(run.summary.index_revision(), created.revision());

  // Update: the word changes.
  Film changed = created;
  changed.mutable_scenes(0)->set_description(
      "The quintellar comet lights the harbour.");
  reel::catalog::v1::UpdateFilmRequest update;
  *update.mutable_film() = changed;
  update.mutable_update_mask()->add_paths("scenes");
  reel::catalog::v1::UpdateFilmResponse updated;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_OK(
        FromGrpcStatus(catalog_stub_->UpdateFilm(&context, update, &updated)));
  }
  ASSERT_GT(updated.film().revision(), created.revision());
  run = Search(*search_stub_, "quintellar", 0, updated.film().revision());
  CheckStreamShape(run);
  ASSERT_EQ(run.hits.size(), 1u) << run.Describe();
  EXPECT_EQ(run.hits[0].film(), "films/fresh-film");
  run = Search(*search_stub_, "zorblaxian", 0, updated.film().revision());
  CheckStreamShape(run);
  EXPECT_EQ(run.summary.total_matches(), 0) << run.Describe();

  // Delete: the film is gone.
  reel::catalog::v1::DeleteFilmRequest remove;
  remove.set_name("films/fresh-film");
  reel::catalog::v1::DeleteFilmResponse removed;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_OK(
        FromGrpcStatus(catalog_stub_->DeleteFilm(&context, remove, &removed)));
  }
  ASSERT_GT(removed.revision(), updated.film().revision());
  run = Search(*search_stub_, "quintellar", 0, removed.revision());
  CheckStreamShape(run);
  EXPECT_EQ(run.summary.total_matches(), 0) << run.Describe();
  EXPECT_GE(run.summary.index_revision(), removed.revision());
  ASSERT_OK_AND_ASSIGN(GetIndexStatusResponse status,
                       GetIndexStatus(*search_stub_));
  EXPECT_EQ(status.film_count(), 0);
}

TEST_F(SearchE2eTest, MinRevisionAheadExceedsTheDeadlineNamingBoth) {
  ASSERT_OK(StartBoth());
  // Enough writes that the revisions are distinctive numbers.
  for (int i = 0; i < 12; ++i) {
    ASSERT_OK(FromGrpcStatus(CreateFilm(*catalog_stub_, absl::StrCat("f", i),
                                        TestFilm(absl::StrCat("Film ", i)),
                                        nullptr)));
  }
  ASSERT_OK_AND_ASSIGN(const int64_t head, WaitForCatalogHead());
  const int64_t wanted = head + 1000;
  const auto start = std::chrono::steady_clock::now();
  const SearchRun run = Search(*search_stub_, "dancer", 0, wanted, 500ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  SCOPED_TRACE(run.Describe());
  EXPECT_EQ(run.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  const std::set<int64_t> numbers = IntegersIn(run.status.error_message());
  EXPECT_TRUE(numbers.contains(head)) << "no applied revision " << head;
  EXPECT_TRUE(numbers.contains(wanted)) << "no min_revision " << wanted;
  EXPECT_TRUE(run.hits.empty());
  EXPECT_GE(elapsed, 300ms);  // It waited.
  EXPECT_LT(elapsed, 5s);     // But not past the deadline.
  // And it still answers at once when the revision is reached.
  const SearchRun now = Search(*search_stub_, "dancer", 0, head, 5s);
  CheckStreamShape(now);
  EXPECT_EQ(now.summary.total_matches(), 24);  // 12 films of 2 scenes.
}

// A search for a revision not yet written waits for the write, with or
// without a deadline of its own (the service then caps the wait).
TEST_F(SearchE2eTest, MinRevisionWaitsForAWriteThatFollows) {
  ASSERT_OK(StartBoth());
  ASSERT_OK_AND_ASSIGN(int64_t head, WaitForCatalogHead());
  for (const bool with_deadline : {true, false}) {
    SCOPED_TRACE(with_deadline ? "with a deadline" : "without a deadline");
    const std::string word = with_deadline ? "nebulith" : "quarrowind";
    SearchRun run;
    std::thread searcher([&] {
      grpc::ClientContext context;
      if (with_deadline) SetDeadline(&context, kWaitTimeout);
      SearchScenesRequest request;
      request.set_query(word);
      request.set_min_revision(head + 1);
      auto reader = search_stub_->SearchScenes(&context, request);
      SearchScenesResponse message;
      while (reader->Read(&message)) {
        for (const SceneHit& hit : message.hits()) run.hits.push_back(hit);
        if (message.has_summary()) {
          run.summary = message.summary();
          run.has_summary = true;
        }
        run.messages.push_back(message);
      }
      run.status = reader->Finish();
    });
    Film created;
    const grpc::Status write = CreateFilm(
        *catalog_stub_, word,
        OneSceneFilm("Later", absl::StrCat("The ", word, " rises.")), &created);
    searcher.join();
    ASSERT_OK(FromGrpcStatus(write));
    ASSERT_EQ(created.revision(), head + 1);
    CheckStreamShape(run);
    ASSERT_EQ(run.hits.size(), 1u) << run.Describe();
    EXPECT_EQ(run.hits[0].film(), "films/" + word);
    EXPECT_GE(run.summary.index_revision(), head + 1);
    head = created.revision();
  }
}

// Non-ASCII text: spans must select the same characters in UTF-8 bytes and
// in UTF-16 units.
TEST_F(SearchE2eTest, HighlightOffsetsInBytesAndUtf16) {
  ASSERT_OK(StartBoth());
  const std::string description =
      "Ballerína Émilie’s pas de deux 🩰 in the café";
  Film created;
  ASSERT_OK(FromGrpcStatus(CreateFilm(*catalog_stub_, "unicode-film",
                                      OneSceneFilm("Pas de Deux", description),
                                      &created)));
  const SearchRun run =
      Search(*search_stub_, "ballerina cafe", 0, created.revision());
  SCOPED_TRACE(run.Describe());
  CheckStreamShape(run);
  ASSERT_EQ(run.hits.size(), 1u);
  const SceneHit& hit = run.hits[0];
  EXPECT_EQ(hit.film(), "films/unicode-film");
  const Highlight* found = nullptr;
  for (const Highlight& highlight : hit.highlights()) {
    if (highlight.field() == reel::search::v1::HIGHLIGHT_FIELD_DESCRIPTION) {
      found = &highlight;
    }
  }
  ASSERT_NE(found, nullptr) << hit.ShortDebugString();
  const Highlight& highlight = *found;
  EXPECT_EQ(highlight.snippet(), description);
  ASSERT_EQ(highlight.spans_size(), 2) << highlight.ShortDebugString();
  const std::u16string utf16 = ToUtf16(highlight.snippet());
  const std::vector<std::string> expected = {"Ballerína", "café"};
  for (int i = 0; i < 2; ++i) {
    const Span& span = highlight.spans(i);
    SCOPED_TRACE(span.ShortDebugString());
    EXPECT_EQ(SpanText(highlight, span), expected[i]);
    ASSERT_LE(span.start_utf16(), span.end_utf16());
    ASSERT_LE(static_cast<size_t>(span.end_utf16()), utf16.size());
    EXPECT_TRUE(utf16.substr(span.start_utf16(),
                             span.end_utf16() - span.start_utf16()) ==
                ToUtf16(expected[i]))
        << "the UTF-16 offsets select another text";
  }
  // Before "café", UTF-8 spends 6 more bytes than UTF-16 spends units:
  // í and É (2 bytes, 1 unit), ’ (3 bytes, 1 unit), 🩰 (4 bytes, 2
  // units).
  EXPECT_EQ(highlight.spans(1).start_byte() - highlight.spans(1).start_utf16(),
            1 + 1 + 2 + 2);
  CheckHighlights(run.hits, {"ballerína", "café", "ballerina", "cafe"});
}

// --- 4. Restart: resume from disk without a new snapshot ---------------------

TEST_F(SearchE2eTest, ResumesFromDiskWhileTheCatalogIsDown) {
  ASSERT_OK(StartBoth());
  const int catalog_port = catalog_->port();
  for (const auto& [id, title] :
       std::vector<std::pair<std::string, std::string>>{
           {"pre-1", "Vermilion Harbour"},
           {"pre-2", "Vermilion Lantern"},
           {"pre-3", "Vermilion Orchard"}}) {
    ASSERT_OK(FromGrpcStatus(
        CreateFilm(*catalog_stub_, id, TestFilm(title), nullptr)));
  }
  ASSERT_OK_AND_ASSIGN(const int64_t before_kill, WaitForCatalogHead());
  ASSERT_EQ(Search(*search_stub_, "vermilion", 100).hits.size(), 6u);

  // kill -9, then the catalog changes while the search service is away.
  search_stub_.reset();
  ASSERT_OK(search_->Crash());
  ASSERT_OK(FromGrpcStatus(CreateFilm(
      *catalog_stub_, "outage-1", TestFilm("Obsidian Lighthouse"), nullptr)));
  {
    reel::catalog::v1::DeleteFilmRequest remove;
    remove.set_name("films/pre-2");
    reel::catalog::v1::DeleteFilmResponse removed;
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_OK(
        FromGrpcStatus(catalog_stub_->DeleteFilm(&context, remove, &removed)));
  }
  ASSERT_OK_AND_ASSIGN(const int64_t after_outage,
                       HeadRevision(*catalog_stub_));
  ASSERT_GT(after_outage, before_kill);
  ASSERT_OK(StopCatalog());

  // Restarted with no catalog to talk to: it serves what it had on disk, at
  // once (no waiting: ready before it announced its port).
  ASSERT_OK(StartSearch(absl::StrCat("127.0.0.1:", catalog_port)));
  ASSERT_OK_AND_ASSIGN(GetIndexStatusResponse status,
                       GetIndexStatus(*search_stub_));
  EXPECT_TRUE(status.ready()) << status.ShortDebugString();
  EXPECT_EQ(status.applied_revision(), before_kill)
      << status.ShortDebugString();
  EXPECT_EQ(status.film_count(), 3);
  EXPECT_THAT(CheckHealth(search_->channel(), kSearchHealthName, 5s),
              IsOkAndHolds(kServing));
  SearchRun run = Search(*search_stub_, "vermilion", 100);
  CheckStreamShape(run);
  EXPECT_EQ(run.hits.size(), 6u) << run.Describe();
  EXPECT_TRUE(FilmsOf(run.hits).contains("films/pre-2")) << run.Describe();
  EXPECT_EQ(run.summary.index_revision(), before_kill);
  EXPECT_EQ(Search(*search_stub_, "obsidian").summary.total_matches(), 0);

  // It notices that the catalog is away, and keeps its revision.
  ASSERT_OK_AND_ASSIGN(
      status,
      WaitForIndexStatus(
          *search_stub_,
          [](const GetIndexStatusResponse& s) {
            return !s.last_error().empty() &&
                   (s.connection_state() ==
                        reel::search::v1::CONNECTION_STATE_CONNECTING ||
                    s.connection_state() ==
                        reel::search::v1::CONNECTION_STATE_DISCONNECTED);
          },
          kWaitTimeout));
  EXPECT_EQ(status.applied_revision(), before_kill);
  EXPECT_TRUE(status.has_last_error_time());
  EXPECT_TRUE(status.ready());

  // The catalog comes back on the same port: the index catches up.
  ASSERT_OK(StartCatalog(catalog_port));
  ASSERT_EQ(catalog_->port(), catalog_port);
  ASSERT_OK(WaitForRevision(*search_stub_, after_outage, kWaitTimeout));
  run = Search(*search_stub_, "obsidian", 100);
  CheckStreamShape(run);
  EXPECT_THAT(FilmsOf(run.hits), ::testing::ElementsAre("films/outage-1"))
      << run.Describe();
  run = Search(*search_stub_, "vermilion", 100);
  CheckStreamShape(run);
  EXPECT_THAT(FilmsOf(run.hits),
              ::testing::ElementsAre("films/pre-1", "films/pre-3"))
      << run.Describe();
  ASSERT_OK_AND_ASSIGN(
      status, WaitForIndexStatus(
                  *search_stub_,
                  [](const GetIndexStatusResponse& s) {
                    return s.connection_state() ==
                           reel::search::v1::CONNECTION_STATE_FOLLOWING;
                  },
                  kWaitTimeout));
  EXPECT_EQ(status.applied_revision(), after_outage);
  EXPECT_EQ(status.film_count(), 3);

  // It resumed the watch: no second snapshot. (Only the log tells; these are
  // the service's own messages, see catalog_follower.cc.)
  const std::string log = ReadFileOrEmpty(SearchLogPath(search_starts_));
  EXPECT_THAT(log, HasSubstr("loaded from disk")) << log;
  EXPECT_THAT(log, Not(HasSubstr("loaded a catalog snapshot"))) << log;
}

// A catalog that comes back with less history than the index has applied
// (e.g. restored from an older backup) makes the service take a new
// snapshot: the index then holds exactly the catalog's films.
TEST_F(SearchE2eTest, ResnapshotsWhenTheCatalogIsBehindTheIndex) {
  ASSERT_OK(StartBoth());
  const int catalog_port = catalog_->port();
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(FromGrpcStatus(CreateFilm(*catalog_stub_, absl::StrCat("old-", i),
                                        TestFilm("Saffron Quarry"), nullptr)));
  }
  ASSERT_OK_AND_ASSIGN(const int64_t old_head, WaitForCatalogHead());
  ASSERT_EQ(old_head, 3);
  ASSERT_OK(StopCatalog());

  // A different, newer-looking but shorter history on the same address.
  ASSERT_OK(StartCatalog(catalog_port, "catalog-restored"));
  Film stored;
  ASSERT_OK(FromGrpcStatus(CreateFilm(*catalog_stub_, "restored",
                                      TestFilm("Umber Causeway"), &stored)));
  ASSERT_EQ(stored.revision(), 1);
  ASSERT_OK_AND_ASSIGN(
      GetIndexStatusResponse status,
      WaitForIndexStatus(
          *search_stub_,
          [](const GetIndexStatusResponse& s) {
            return s.film_count() == 1 && s.applied_revision() == 1 &&
                   s.connection_state() ==
                       reel::search::v1::CONNECTION_STATE_FOLLOWING;
          },
          kWaitTimeout));
  EXPECT_TRUE(status.ready());
  EXPECT_EQ(Search(*search_stub_, "saffron").summary.total_matches(), 0);
  const SearchRun run = Search(*search_stub_, "umber causeway", 0, 1);
  CheckStreamShape(run);
  EXPECT_THAT(FilmsOf(run.hits), ::testing::ElementsAre("films/restored"))
      << run.Describe();
}

// --- 6. Graceful shutdown ----------------------------------------------------

TEST_F(SearchE2eTest, SigtermExitsPromptlyWhileFollowing) {
  ASSERT_OK(StartBoth());
  ASSERT_OK(FromGrpcStatus(
      CreateFilm(*catalog_stub_, "f", TestFilm("Quiet Exit"), nullptr)));
  ASSERT_OK(WaitForCatalogHead().status());
  CheckStreamShape(Search(*search_stub_, "quiet"));

  search_stub_.reset();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK(search_->Stop(kSearchStopTimeout));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, kPromptExit);
}

TEST_F(SearchE2eTest, SigtermExitsPromptlyWhileTheCatalogIsDown) {
  ASSERT_OK(StartBoth());
  ASSERT_OK(StopCatalog());
  ASSERT_OK(WaitForIndexStatus(
                *search_stub_,
                [](const GetIndexStatusResponse& s) {
                  return !s.last_error().empty();
                },
                kWaitTimeout)
                .status());

  search_stub_.reset();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK(search_->Stop(kSearchStopTimeout));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, kPromptExit);
}

// A read-your-writes search still waiting when SIGTERM comes ends at once
// with an error, and the service exits 0 well within the default 20 s drain
// timeout instead of waiting it out (the in-process SearchService test pins
// the UNAVAILABLE status of the drain hook deterministically).
TEST_F(SearchE2eTest, SigtermWithAPendingWaitEndsPromptly) {
  ASSERT_OK(StartBoth());
  ASSERT_OK_AND_ASSIGN(const int64_t head, WaitForCatalogHead());
  SearchRun run;
  std::thread searcher(
      [&] { run = Search(*search_stub_, "anything", 0, head + 1000, 60s); });
  // Usually the search is waiting by the time SIGTERM arrives (nothing
  // reports it; a call made after it on the same connection is the best
  // sign). If it arrives later it is refused: it must fail either way.
  ASSERT_OK(GetIndexStatus(*search_stub_).status());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK(search_->process().Signal(SIGTERM));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, search_->process().Wait(kPromptExit));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  searcher.join();
  EXPECT_TRUE(exit.success()) << exit.ToString();
  EXPECT_LT(elapsed, kPromptExit);
  // UNAVAILABLE when the drain hook ended the wait; a call that reached the
  // server only after draining began is refused instead.
  EXPECT_FALSE(run.status.ok()) << run.Describe();
  EXPECT_TRUE(run.hits.empty()) << run.Describe();
}
}  // namespace
}  // namespace reel::testing
