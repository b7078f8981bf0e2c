// SearchService over real gRPC on a loopback port, serving a real index of
// the seed page and the small corpus: streaming, highlights, validation,
// read-your-writes and cancellation.
#include "search-service/api/search_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/server/grpc_server.h"
#include "tests/testing/corpus.h"

namespace reel::search {
namespace {

using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::search::v1::SearchScenesRequest;
using ::reel::search::v1::SearchScenesResponse;
using ::reel::search::v1::SearchService;
using ::testing::HasSubstr;

// UTF-16 code units in the first `bytes` bytes of valid UTF-8 `text`.
int Utf16Units(const std::string& text, size_t bytes) {
  int units = 0;
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned char c = text[i];
    if ((c & 0xC0) == 0x80) continue;  // Continuation byte.
    units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

// Code points in the first `bytes` bytes of valid UTF-8 `text`.
int CodePoints(const std::string& text, size_t bytes) {
  int count = 0;
  for (size_t i = 0; i < bytes; ++i) {
    count += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  }
  return count;
}

class SearchServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { StartWith({}); }

  void StartWith(SearchApiOptions options) {
    std::shared_ptr<const text::Analyzer> analyzer =
        text::Analyzer::Create().value();
    index_ = std::make_unique<LiveIndex>(analyzer);
    service_ = std::make_unique<SearchServiceImpl>(
        index_.get(), analyzer,
        [](v1::GetIndexStatusResponse* response) {
          response->set_catalog_revision(1234);
        },
        options);
    auto server = GrpcServer::Start({}, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->AddBeforeDrainHook([this] { index_->CancelWaits(); });
    stub_ = SearchService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials()));
  }

  void LoadCorpus() {
    std::vector<Film> films =
        testing::LoadSharedFilms("corpus/films-small.jsonl");
    for (Film& film : testing::LoadSharedFilms("seed/the-red-shoes.txt"))
      films.push_back(film);
    index_->Replace(films, 201);
  }

  struct Stream {
    std::vector<SearchScenesResponse> messages;
    grpc::Status status;
    std::vector<v1::SceneHit> hits() const {
      std::vector<v1::SceneHit> all;
      for (const auto& m : messages) {
        all.insert(all.end(), m.hits().begin(), m.hits().end());
      }
      return all;
    }
  };

  Stream Search(const SearchScenesRequest& request, int deadline_ms = 10000) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(deadline_ms));
    auto reader = stub_->SearchScenes(&context, request);
    Stream stream;
    SearchScenesResponse message;
    while (reader->Read(&message)) stream.messages.push_back(message);
    stream.status = reader->Finish();
    return stream;
  }
  Stream Search(const std::string& query, int max_results = 0) {
    SearchScenesRequest request;
    request.set_query(query);
    request.set_max_results(max_results);
    return Search(request);
  }

  std::unique_ptr<LiveIndex> index_;
  std::unique_ptr<SearchServiceImpl> service_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<SearchService::Stub> stub_;
};

TEST_F(SearchServiceTest, UnavailableUntilTheIndexHasAState) {
  Stream stream = Search("red shoes");
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(stream.messages.empty());
}

TEST_F(SearchServiceTest, StreamsRankedBatchesTheLastCarryingTheSummary) {
  LoadCorpus();
  Stream stream = Search("the", 120);
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  // 5 + 50 + 50 + 15, the summary riding on the last batch.
  ASSERT_EQ(stream.messages.size(), 4u);
  EXPECT_EQ(stream.messages[0].hits_size(), 5);
  EXPECT_EQ(stream.messages[1].hits_size(), 50);
  EXPECT_EQ(stream.messages[2].hits_size(), 50);
  for (size_t i = 0; i + 1 < stream.messages.size(); ++i) {
    EXPECT_FALSE(stream.messages[i].has_summary()) << "message " << i;
  }
  const SearchScenesResponse& last = stream.messages.back();
  ASSERT_TRUE(last.has_summary());
  EXPECT_EQ(last.hits_size(), 15);
  EXPECT_EQ(last.summary().returned_count(), 120);
  EXPECT_GE(last.summary().total_matches(), 120);
  EXPECT_EQ(last.summary().index_revision(), 201);
  EXPECT_TRUE(last.summary().complete());
  std::vector<v1::SceneHit> hits = stream.hits();
  ASSERT_EQ(hits.size(), 120u);
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_EQ(hits[i].rank(), static_cast<int>(i) + 1);
    for (size_t j = 0; j < i && i < 10; ++j) {
      EXPECT_FALSE(hits[j].film() == hits[i].film() &&
                   hits[j].scene_id() == hits[i].scene_id());
    }
  }
}

// Up to 20 hits (the default max_results) cost one message: the hits and
// the summary together. One more hit and the result streams in batches.
TEST_F(SearchServiceTest, ASmallResultIsOneMessageWithItsSummary) {
  LoadCorpus();
  for (int max_results : {1, 10, 20}) {
    Stream stream = Search("the", max_results);
    ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
    ASSERT_EQ(stream.messages.size(), 1u) << max_results;
    const SearchScenesResponse& only = stream.messages[0];
    EXPECT_EQ(only.hits_size(), max_results);
    ASSERT_TRUE(only.has_summary());
    EXPECT_EQ(only.summary().returned_count(), max_results);
    EXPECT_GT(only.summary().total_matches(), max_results);
    EXPECT_EQ(only.summary().index_revision(), 201);
    EXPECT_TRUE(only.summary().complete());
    for (int i = 0; i < only.hits_size(); ++i) {
      EXPECT_EQ(only.hits(i).rank(), i + 1);
      EXPECT_GT(only.hits(i).highlights_size(), 0);
    }
  }
  Stream stream = Search("the", 21);
  ASSERT_TRUE(stream.status.ok());
  ASSERT_EQ(stream.messages.size(), 2u);
  EXPECT_EQ(stream.messages[0].hits_size(), 5);
  EXPECT_FALSE(stream.messages[0].has_summary());
  EXPECT_EQ(stream.messages[1].hits_size(), 16);
  ASSERT_TRUE(stream.messages[1].has_summary());
  EXPECT_EQ(stream.messages[1].summary().returned_count(), 21);
}

TEST_F(SearchServiceTest, NoMatchIsOneMessageWithOnlyTheSummary) {
  LoadCorpus();
  Stream stream = Search("zzzyqx ");
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  ASSERT_EQ(stream.messages.size(), 1u);
  EXPECT_EQ(stream.messages[0].hits_size(), 0);
  ASSERT_TRUE(stream.messages[0].has_summary());
  EXPECT_EQ(stream.messages[0].summary().total_matches(), 0);
  EXPECT_EQ(stream.messages[0].summary().returned_count(), 0);
  EXPECT_EQ(stream.messages[0].summary().index_revision(), 201);
  EXPECT_TRUE(stream.messages[0].summary().complete());
}

// More indexed words a typo away from a query word than the service
// expands to (64): the summary names the word, so the cut is not silent.
TEST_F(SearchServiceTest, TooManyTypoNeighboursAreNamedInTheSummary) {
  std::vector<Film> films;
  for (char a = 'a'; a <= 'j'; ++a) {
    for (char b = 'a'; b <= 'h'; ++b) {  // 80 words, each two edits away.
      Film film;
      film.set_name(absl::StrCat("films/q-", std::string{a, b}));
      film.set_title("Quiet");
      auto* scene = film.add_scenes();
      scene->set_scene_id("s1");
      scene->set_title(absl::StrCat("quixoti", std::string{a, b}));
      films.push_back(film);
    }
  }
  index_->Replace(films, 7);
  Stream capped = Search("quixotizz ", 100);
  ASSERT_TRUE(capped.status.ok()) << capped.status.error_message();
  const v1::SearchSummary& summary = capped.messages.back().summary();
  EXPECT_THAT(summary.typo_capped_terms(), ::testing::ElementsAre("quixotizz"));
  EXPECT_FALSE(capped.hits().empty());
  // Fewer than the 80 scenes: only the 64 closest words' stems were read.
  EXPECT_LT(capped.hits().size(), 80u);
  Stream exact = Search("quixotiaa ", 100);
  ASSERT_TRUE(exact.status.ok());
  EXPECT_TRUE(exact.messages.back().summary().typo_capped_terms().empty());
}

// A synopsis shared by every scene of a film is highlighted once per
// response and reused: each hit's synopsis highlight is the one a search
// for that scene alone would give.
TEST_F(SearchServiceTest, ScenesOfOneFilmShareTheirSynopsisHighlight) {
  LoadCorpus();
  SearchScenesRequest request;
  request.set_query("ballet ");
  request.mutable_filter()->add_films("films/the-red-shoes");
  Stream stream = Search(request);
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  std::vector<v1::SceneHit> hits = stream.hits();
  ASSERT_GE(hits.size(), 3u);
  std::string synopsis;
  for (const v1::SceneHit& hit : hits) {
    const v1::Highlight* found = nullptr;
    for (const v1::Highlight& highlight : hit.highlights()) {
      if (highlight.field() == v1::HIGHLIGHT_FIELD_SYNOPSIS) found = &highlight;
    }
    ASSERT_NE(found, nullptr) << hit.ShortDebugString();
    ASSERT_EQ(found->spans_size(), 1);
    const v1::Span& span = found->spans(0);
    EXPECT_EQ(found->snippet().substr(span.start_byte(),
                                      span.end_byte() - span.start_byte()),
              "ballet");
    if (synopsis.empty()) synopsis = found->SerializeAsString();
    EXPECT_EQ(found->SerializeAsString(), synopsis);
  }
}

TEST_F(SearchServiceTest, RedShoesDanceHighlightsTheMatchedWords) {
  LoadCorpus();
  Stream stream = Search("red shoes dance");
  ASSERT_TRUE(stream.status.ok());
  std::vector<v1::SceneHit> hits = stream.hits();
  ASSERT_EQ(hits.size(), 20u);
  EXPECT_EQ(hits[0].film(), "films/the-red-shoes");
  EXPECT_EQ(hits[0].film_title(), "The Red Shoes");
  ASSERT_GT(hits[0].highlights_size(), 0);
  for (const v1::Highlight& highlight : hits[0].highlights()) {
    ASSERT_GT(highlight.spans_size(), 0);
    for (const v1::Span& span : highlight.spans()) {
      std::string word = absl::AsciiStrToLower(highlight.snippet().substr(
          span.start_byte(), span.end_byte() - span.start_byte()));
      EXPECT_TRUE(absl::StartsWith(word, "red") ||
                  absl::StartsWith(word, "shoe") ||
                  absl::StartsWith(word, "danc"))
          << word;
    }
  }
}

// Every hit carries the key it was ordered by; with `explain`, the terms
// behind its score, typed, adding up to it.
TEST_F(SearchServiceTest, SortKeysAlwaysAndExplanationsOnRequest) {
  LoadCorpus();
  SearchScenesRequest request;
  request.set_query("red shoes ballerna vick*");
  Stream plain = Search(request);
  ASSERT_TRUE(plain.status.ok()) << plain.status.error_message();
  request.set_explain(true);
  Stream explained = Search(request);
  ASSERT_TRUE(explained.status.ok()) << explained.status.error_message();
  const std::vector<v1::SceneHit> hits = explained.hits();
  ASSERT_EQ(hits.size(), 20u);
  ASSERT_EQ(plain.hits().size(), hits.size());

  auto rank_tuple = [](const v1::SortKey& key) {
    return std::make_tuple(-key.matched_clauses(), -key.score(), key.film(),
                           key.scene_ordinal());
  };
  std::set<v1::MatchForm> forms;
  for (size_t i = 0; i < hits.size(); ++i) {
    const v1::SceneHit& hit = hits[i];
    SCOPED_TRACE(absl::StrCat("rank ", hit.rank(), " ", hit.film(), " ",
                              hit.scene_id()));
    EXPECT_FALSE(plain.hits()[i].has_explanation());
    EXPECT_EQ(plain.hits()[i].sort_key().SerializeAsString(),
              hit.sort_key().SerializeAsString());
    ASSERT_TRUE(hit.has_sort_key()) << hit.DebugString();
    EXPECT_EQ(hit.sort_key().film(), hit.film());
    EXPECT_EQ(hit.sort_key().score(), static_cast<float>(hit.score()));
    EXPECT_EQ(static_cast<double>(hit.sort_key().score()), hit.score());
    EXPECT_GE(hit.sort_key().scene_ordinal(), 0);
    if (i > 0) {
      EXPECT_LT(rank_tuple(hits[i - 1].sort_key()), rank_tuple(hit.sort_key()));
    }

    ASSERT_TRUE(hit.has_explanation());
    const v1::HitExplanation& explanation = hit.explanation();
    ASSERT_EQ(explanation.clauses_size(), 4);
    int counted = 0;
    for (int c = 0; c < explanation.clauses_size(); ++c) {
      EXPECT_EQ(explanation.clauses(c).clause_index(), c);
      counted += explanation.clauses(c).counted();
    }
    EXPECT_EQ(counted, hit.sort_key().matched_clauses());
    double total = 0;
    for (const v1::TermExplanation& term : explanation.terms()) {
      EXPECT_TRUE(explanation.clauses(term.clause_index()).counted());
      EXPECT_FALSE(term.has_alternative_index());
      EXPECT_NE(term.field(), v1::MATCH_FIELD_UNSPECIFIED);
      EXPECT_NE(term.form(), v1::MATCH_FORM_UNSPECIFIED);
      EXPECT_GT(term.term_frequency(), 0);
      EXPECT_GT(term.field_weight(), 0);
      EXPECT_GT(term.idf(), 0);
      forms.insert(term.form());
      if (term.query_term() == "ballerna") {
        EXPECT_EQ(term.form(), v1::MATCH_FORM_TYPO);
        EXPECT_EQ(term.typo_distance(), 1);
        EXPECT_EQ(term.matched_term(), "ballerina");
        EXPECT_EQ(term.field(), v1::MATCH_FIELD_SYNOPSIS);
      } else if (term.query_term() == "vick") {
        EXPECT_EQ(term.form(), v1::MATCH_FORM_PREFIX);
        EXPECT_EQ(term.matched_term(), "vicky");
      } else {
        EXPECT_THAT(term.query_term(), ::testing::AnyOf("red", "shoes"));
      }
      total += term.contribution();
    }
    EXPECT_NEAR(total, hit.score(), 1e-5 * hit.score());
  }
  EXPECT_TRUE(forms.count(v1::MATCH_FORM_EXACT));
  EXPECT_TRUE(forms.count(v1::MATCH_FORM_TYPO));
  EXPECT_TRUE(forms.count(v1::MATCH_FORM_PREFIX));
}

TEST_F(SearchServiceTest, HighlightOffsetsWorkInBytesAndUtf16) {
  Film film;
  film.set_name("films/unicode");
  film.set_title("Pas de deux");
  auto* scene = film.add_scenes();
  scene->set_scene_id("s1");
  scene->set_title("Rehearsal");
  scene->set_description(
      "🩰 Ballerína Émilie’s pas de deux in the café, then the CAFÉ "
      "again.");
  FilmEvent event;
  event.set_type(FilmEvent::EVENT_TYPE_CREATED);
  event.set_name(film.name());
  *event.mutable_film() = film;
  index_->Apply({event}, 1);

  Stream stream = Search("ballerina cafe ");
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  std::vector<v1::SceneHit> hits = stream.hits();
  ASSERT_EQ(hits.size(), 1u);
  ASSERT_EQ(hits[0].highlights_size(), 1);
  const v1::Highlight& highlight = hits[0].highlights(0);
  EXPECT_EQ(highlight.field(), v1::HIGHLIGHT_FIELD_DESCRIPTION);
  const std::string& snippet = highlight.snippet();
  std::vector<std::string> marked;
  for (const v1::Span& span : highlight.spans()) {
    marked.push_back(
        snippet.substr(span.start_byte(), span.end_byte() - span.start_byte()));
    EXPECT_EQ(span.start_utf16(), Utf16Units(snippet, span.start_byte()));
    EXPECT_EQ(span.end_utf16(), Utf16Units(snippet, span.end_byte()));
    EXPECT_EQ(span.start_code_point(), CodePoints(snippet, span.start_byte()));
    EXPECT_EQ(span.end_code_point(), CodePoints(snippet, span.end_byte()));
  }
  EXPECT_THAT(marked, ::testing::ElementsAre("Ballerína", "café", "CAFÉ"));
}

TEST_F(SearchServiceTest, InvalidRequestsNameTheField) {
  LoadCorpus();
  struct Case {
    SearchScenesRequest request;
    std::string expected;
  };
  std::vector<Case> cases(9);
  for (Case& c : cases) c.request.set_query("red");
  cases[0].request.set_max_results(1001);
  cases[0].expected = "max_results: 1001";
  cases[1].request.set_max_results(-1);
  cases[1].expected = "max_results: -1";
  cases[2].request.mutable_filter()->set_year_min(1800);
  cases[2].expected = "filter.year_min: 1800";
  cases[3].request.mutable_filter()->set_year_min(1950);
  cases[3].request.mutable_filter()->set_year_max(1940);
  cases[3].expected = "filter.year_min: 1950 is after";
  cases[4].request.mutable_field_weights()->set_synopsis(-1);
  cases[4].expected = "field_weights.synopsis";
  cases[5].request.mutable_filter()->add_films("the-red-shoes");
  cases[5].expected = "filter.films[0]";
  cases[6].request.set_query("\"red");
  cases[6].expected = "query: unbalanced quote";
  cases[7].request.set_query("genre:drama");
  cases[7].expected = "unknown field";
  cases[8].request.set_min_revision(-5);
  cases[8].expected = "min_revision";
  for (const Case& c : cases) {
    Stream stream = Search(c.request);
    EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.expected;
    EXPECT_THAT(stream.status.error_message(), HasSubstr(c.expected));
    EXPECT_TRUE(stream.messages.empty());
  }
}

TEST_F(SearchServiceTest, FiltersAndWeightsApply) {
  LoadCorpus();
  SearchScenesRequest request;
  request.set_query("murder");
  request.set_max_results(1000);
  request.mutable_filter()->set_year_min(1930);
  request.mutable_filter()->set_year_max(1939);
  Stream stream = Search(request);
  ASSERT_TRUE(stream.status.ok());
  ASSERT_FALSE(stream.hits().empty());
  for (const v1::SceneHit& hit : stream.hits()) {
    EXPECT_GE(hit.year(), 1930);
    EXPECT_LE(hit.year(), 1939);
  }
  request.mutable_filter()->Clear();
  request.mutable_filter()->add_films("films/the-red-shoes");
  request.set_query("vicky");
  stream = Search(request);
  EXPECT_EQ(stream.messages.back().summary().total_matches(), 9);
}

TEST_F(SearchServiceTest, MinRevisionWaitsForTheIndex) {
  LoadCorpus();
  SearchScenesRequest request;
  request.set_query("zyzzyva");
  request.set_min_revision(202);
  Film film;
  film.set_name("films/new");
  film.set_title("New");
  auto* scene = film.add_scenes();
  scene->set_scene_id("s1");
  scene->set_title("A zyzzyva");
  FilmEvent event;
  event.set_type(FilmEvent::EVENT_TYPE_CREATED);
  event.set_name(film.name());
  *event.mutable_film() = film;
  // Whether the write lands before or after the search starts, the search
  // answers from revision 202 or later.
  std::thread writer([&] { index_->Apply({event}, 202); });
  Stream stream = Search(request);
  writer.join();
  ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
  EXPECT_EQ(stream.hits().size(), 1u);
  EXPECT_GE(stream.messages.back().summary().index_revision(), 202);

  request.set_min_revision(900);
  stream = Search(request, /*deadline_ms=*/300);
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_THAT(stream.status.error_message(), HasSubstr("revision 202"));
  EXPECT_THAT(stream.status.error_message(), HasSubstr("min_revision 900"));
}

TEST_F(SearchServiceTest, ShutdownEndsRevisionWaitsAtOnce) {
  LoadCorpus();
  SearchScenesRequest request;
  request.set_query("red");
  request.set_min_revision(5000);
  Stream stream;
  std::thread searcher(
      [&] { stream = Search(request, /*deadline_ms=*/60000); });
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (index_->pending_waits() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(index_->pending_waits(), 1u);
  server_->Shutdown();  // Drain timeout 20 s: the hook must end the wait.
  searcher.join();
  EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(stream.status.error_message(),
              HasSubstr("shutting down while waiting for min_revision 5000"));
}

TEST_F(SearchServiceTest, CancellingMidStreamStopsIt) {
  LoadCorpus();
  grpc::ClientContext context;
  SearchScenesRequest request;
  request.set_query("the");
  request.set_max_results(1000);
  auto reader = stub_->SearchScenes(&context, request);
  SearchScenesResponse message;
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_EQ(message.hits_size(), 5);
  context.TryCancel();
  int more = 0;
  while (reader->Read(&message)) ++more;
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // Flow control holds the server to about one 64 KiB window of batches
  // (~75 KB each) beyond what was read; it stops there instead of
  // producing the other 800-odd hits.
  EXPECT_LE(more, 3);
}

TEST_F(SearchServiceTest, GetIndexStatusReportsTheIndex) {
  LoadCorpus();
  grpc::ClientContext context;
  v1::GetIndexStatusResponse response;
  ASSERT_TRUE(
      stub_->GetIndexStatus(&context, v1::GetIndexStatusRequest(), &response)
          .ok());
  EXPECT_EQ(response.applied_revision(), 201);
  EXPECT_EQ(response.film_count(), 201);
  EXPECT_EQ(response.scene_count(), 841);
  EXPECT_GT(response.term_count(), 5000);
  EXPECT_GT(response.memory_bytes(), 0);
  EXPECT_TRUE(response.ready());
  EXPECT_EQ(response.catalog_revision(), 1234);  // From the filler.
}

// Clients that open SearchScenes streams and never read them, over
// connections with small windows (no BDP probing), so the server's writes
// stall as soon as the client's buffers are full.
class StalledSearchTest : public SearchServiceTest {
 protected:
  static constexpr absl::Duration kStall = absl::Seconds(1);
  static constexpr int kStreams = 30;

  void SetUp() override {
    SearchApiOptions options;
    options.stall_timeout = kStall;
    StartWith(options);
    LoadCorpus();
  }

  void TearDown() override {
    for (auto& context : contexts_) context->TryCancel();
    readers_.clear();
    contexts_.clear();
  }

  static SearchScenesRequest BigRequest() {
    SearchScenesRequest request;
    request.set_query("the");
    request.set_max_results(1000);
    return request;
  }

  void OpenUnreadStreams() {
    for (int c = 0; c < 3; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("reel.test.connection", c);
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 10);
      stubs_.push_back(SearchService::NewStub(
          grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                    grpc::InsecureChannelCredentials(), args)));
    }
    for (int i = 0; i < kStreams; ++i) {
      contexts_.push_back(std::make_unique<grpc::ClientContext>());
      contexts_.back()->set_deadline(std::chrono::system_clock::now() +
                                     std::chrono::seconds(60));
      readers_.push_back(stubs_[i % stubs_.size()]->SearchScenes(
          contexts_.back().get(), BigRequest()));
    }
  }

  static bool WaitFor(const std::function<bool()>& done,
                      absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done()) {
      if (absl::Now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  std::vector<std::unique_ptr<SearchService::Stub>> stubs_;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts_;
  std::vector<std::unique_ptr<grpc::ClientReader<SearchScenesResponse>>>
      readers_;
};

TEST_F(StalledSearchTest, EveryUnreadStreamEndsWithResourceExhausted) {
  // A reader gets the whole result: it is larger than a client's window.
  Stream whole = Search(BigRequest());
  ASSERT_TRUE(whole.status.ok()) << whole.status.error_message();
  ASSERT_GT(whole.hits().size(), 300u);

  OpenUnreadStreams();
  ASSERT_TRUE(WaitFor([&] { return service_->stalled_streams() == kStreams; },
                      kStall * 10))
      << service_->stalled_streams() << " of " << kStreams;
  for (auto& reader : readers_) {
    SearchScenesResponse message;
    size_t hits = 0;
    while (reader->Read(&message)) hits += message.hits_size();
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("unread"));
    EXPECT_LT(hits, whole.hits().size());
  }
}

TEST_F(StalledSearchTest, NeverReadStreamsAreReleasedAndHoldOneBatchEach) {
  Stream whole = Search(BigRequest());
  ASSERT_TRUE(whole.status.ok()) << whole.status.error_message();
  size_t largest = 0;
  for (const SearchScenesResponse& message : whole.messages) {
    largest = std::max(largest, message.ByteSizeLong());
  }
  OpenUnreadStreams();
  ASSERT_TRUE(WaitFor(
      [&] {
        return service_->active_streams() == kStreams &&
               service_->buffered_bytes() > 0;
      },
      absl::Seconds(10)));
  // While stalled, each stream holds only the batch in flight.
  EXPECT_LE(service_->buffered_bytes(),
            static_cast<int64_t>(kStreams * largest));
  // Nobody reads, so even the status cannot be delivered: the server still
  // lets go of every call within twice the stall timeout (plus ticks).
  EXPECT_TRUE(
      WaitFor([&] { return service_->active_streams() == 0; }, kStall * 10))
      << service_->active_streams() << " streams still open";
  EXPECT_EQ(service_->buffered_bytes(), 0);
}

TEST_F(SearchServiceTest,
       SnippetLengthIsCheckedAndLongFieldsAreCutWithEllipses) {
  LoadCorpus();
  for (int length : {-1, 5, 19, 2001}) {
    SearchScenesRequest request;
    request.set_query("red shoes");
    request.set_snippet_length(length);
    Stream stream = Search(request);
    EXPECT_EQ(stream.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << length;
    EXPECT_THAT(stream.status.error_message(),
                HasSubstr(absl::StrCat("snippet_length: ", length,
                                       " is outside 20-2000")));
    EXPECT_TRUE(stream.messages.empty());
  }
  const std::string kEllipsis = "…";
  // Snippets of every hit at 40 code points, and at the default (0).
  int cut = 0;
  size_t longest_default = 0;
  for (int length : {40, 0}) {
    SearchScenesRequest request;
    request.set_query("red shoes ballet");
    request.set_max_results(50);
    request.set_snippet_length(length);
    Stream stream = Search(request);
    ASSERT_TRUE(stream.status.ok()) << stream.status.error_message();
    const std::vector<v1::SceneHit> hits = stream.hits();
    ASSERT_GT(hits.size(), 5u);
    for (const v1::SceneHit& hit : hits) {
      for (const v1::Highlight& highlight : hit.highlights()) {
        const std::string& snippet = highlight.snippet();
        SCOPED_TRACE(snippet);
        const int code_points = CodePoints(snippet, snippet.size());
        EXPECT_LE(code_points, length == 0 ? 320 : length);
        if (length == 0) {
          longest_default =
              std::max(longest_default, static_cast<size_t>(code_points));
          continue;
        }
        EXPECT_EQ(highlight.cut_before(), absl::StartsWith(snippet, kEllipsis));
        EXPECT_EQ(highlight.cut_after(), absl::EndsWith(snippet, kEllipsis));
        cut += highlight.cut_before() || highlight.cut_after();
        ASSERT_GT(highlight.spans_size(), 0);
        for (const v1::Span& span : highlight.spans()) {
          const std::string word = absl::AsciiStrToLower(snippet.substr(
              span.start_byte(), span.end_byte() - span.start_byte()));
          EXPECT_TRUE(absl::StartsWith(word, "red") ||
                      absl::StartsWith(word, "shoe") ||
                      absl::StartsWith(word, "ballet"))
              << word;
          EXPECT_EQ(span.start_utf16(), Utf16Units(snippet, span.start_byte()));
          EXPECT_EQ(span.end_utf16(), Utf16Units(snippet, span.end_byte()));
          EXPECT_EQ(span.start_code_point(),
                    CodePoints(snippet, span.start_byte()));
          EXPECT_EQ(span.end_code_point(),
                    CodePoints(snippet, span.end_byte()));
        }
      }
    }
  }
  // Some fields were longer than 40 code points, and the default shows more
  // of them.
  EXPECT_GT(cut, 0);
  EXPECT_GT(longest_default, 40u);
}

}  // namespace
}  // namespace reel::search

namespace reel::search {
namespace {

class SearchPageTest : public SearchServiceTest {
 protected:
  static std::vector<std::string> Keys(const std::vector<v1::SceneHit>& hits) {
    std::vector<std::string> keys;
    for (const v1::SceneHit& hit : hits) {
      keys.push_back(absl::StrCat(hit.film(), "#", hit.scene_id()));
    }
    return keys;
  }
  static const v1::SearchSummary& SummaryOf(const Stream& stream) {
    return stream.messages.back().summary();
  }
};

TEST_F(SearchPageTest, PageTokensContinueTheOrderAndRanks) {
  LoadCorpus();
  for (v1::SortOrder sort :
       {v1::SORT_ORDER_UNSPECIFIED, v1::SORT_ORDER_YEAR_DESCENDING,
        v1::SORT_ORDER_TITLE}) {
    SearchScenesRequest request;
    request.set_query("love OR death");
    request.set_sort(sort);
    request.set_max_scenes_per_film(2);
    request.set_max_results(1000);
    const Stream whole = Search(request);
    ASSERT_TRUE(whole.status.ok()) << whole.status.error_message();
    EXPECT_TRUE(SummaryOf(whole).next_page_token().empty());

    request.set_max_results(9);
    std::vector<v1::SceneHit> paged;
    int pages = 0;
    while (true) {
      const Stream page = Search(request);
      ASSERT_TRUE(page.status.ok()) << page.status.error_message();
      const std::vector<v1::SceneHit> hits = page.hits();
      paged.insert(paged.end(), hits.begin(), hits.end());
      ++pages;
      EXPECT_EQ(SummaryOf(page).total_matches(),
                SummaryOf(whole).total_matches());
      if (SummaryOf(page).next_page_token().empty()) break;
      request.set_page_token(SummaryOf(page).next_page_token());
      ASSERT_LT(pages, 500);
    }
    EXPECT_GT(pages, 3);
    EXPECT_EQ(Keys(paged), Keys(whole.hits())) << v1::SortOrder_Name(sort);
    for (size_t i = 0; i < paged.size(); ++i) {
      ASSERT_EQ(paged[i].rank(), static_cast<int>(i) + 1);
    }
  }
}

TEST_F(SearchPageTest, EveryWordMatchingReachesTheIndex) {
  LoadCorpus();
  SearchScenesRequest any_word;
  any_word.set_query("police car");
  any_word.set_max_results(1000);
  const Stream any = Search(any_word);
  ASSERT_TRUE(any.status.ok()) << any.status.error_message();
  SearchScenesRequest every_word = any_word;
  every_word.set_matching(v1::WORD_MATCHING_ALL);
  const Stream all = Search(every_word);
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  const int64_t any_total = SummaryOf(any).total_matches();
  const int64_t all_total = SummaryOf(all).total_matches();
  EXPECT_GT(all_total, 0);
  EXPECT_LT(all_total, any_total);
  // Exactly the any-word hits that matched both words.
  int64_t both = 0;
  for (const v1::SceneHit& hit : any.hits()) {
    if (hit.sort_key().matched_clauses() == 2) ++both;
  }
  EXPECT_EQ(all_total, both);
}

TEST_F(SearchPageTest, ForgedForeignOrStaleTokensAreRefused) {
  LoadCorpus();
  SearchScenesRequest request;
  request.set_query("love");
  request.set_max_results(5);
  const Stream first = Search(request);
  const std::string token = SummaryOf(first).next_page_token();
  ASSERT_FALSE(token.empty());

  SearchScenesRequest forged = request;
  std::string altered = token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  forged.set_page_token(altered);
  Stream refused = Search(forged);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("page_token: "));

  SearchScenesRequest other = request;
  other.set_query("death");
  other.set_page_token(token);
  refused = Search(other);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.status.error_message(),
              HasSubstr("belongs to another request"));
  // Another word matching is another order of other matches.
  SearchScenesRequest every_word = request;
  every_word.set_matching(v1::WORD_MATCHING_ALL);
  every_word.set_page_token(token);
  refused = Search(every_word);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.status.error_message(),
              HasSubstr("belongs to another request"));
  // Any word spelled out is the default: the same request.
  SearchScenesRequest any_word = request;
  any_word.set_matching(v1::WORD_MATCHING_ANY);
  any_word.set_page_token(token);
  EXPECT_TRUE(Search(any_word).status.ok());

  // Page size, snippets and facets may change between pages.
  SearchScenesRequest next = request;
  next.set_max_results(3);
  next.set_snippet_length(40);
  next.mutable_facets()->set_genres(2);
  next.set_page_token(token);
  const Stream second = Search(next);
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  EXPECT_EQ(second.hits().front().rank(), 6);

  // Once the index moves, the order cannot be continued.
  Film film;
  film.set_name("films/new-love");
  film.set_title("New Love");
  film.add_scenes()->set_scene_id("s1");
  film.mutable_scenes(0)->set_title("Love, again");
  reel::catalog::v1::FilmEvent created;
  created.set_type(reel::catalog::v1::FilmEvent::EVENT_TYPE_CREATED);
  created.set_name(film.name());
  *created.mutable_film() = film;
  index_->Apply({created}, 202);
  SearchScenesRequest stale = request;
  stale.set_page_token(token);
  refused = Search(stale);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.status.error_message(),
              HasSubstr("from revision 201 (its first page) to 202"));
}

TEST_F(SearchPageTest, FacetsSortAndCapAreValidated) {
  LoadCorpus();
  SearchScenesRequest request;
  request.set_query("love");
  request.mutable_facets()->set_genres(3);
  request.mutable_facets()->set_years(2);
  const Stream faceted = Search(request);
  ASSERT_TRUE(faceted.status.ok()) << faceted.status.error_message();
  const v1::Facets& facets = SummaryOf(faceted).facets();
  EXPECT_EQ(facets.genres_size(), 3);
  EXPECT_EQ(facets.years_size(), 2);
  EXPECT_EQ(facets.directors_size(), 0);
  EXPECT_GE(facets.genres(0).scene_count(), facets.genres(1).scene_count());

  for (auto [field, set] : std::vector<
           std::pair<std::string, std::function<void(SearchScenesRequest*)>>>{
           {"max_scenes_per_film",
            [](SearchScenesRequest* r) { r->set_max_scenes_per_film(1001); }},
           {"facets.genres",
            [](SearchScenesRequest* r) {
              r->mutable_facets()->set_genres(-1);
            }},
           {"facets.years",
            [](SearchScenesRequest* r) {
              r->mutable_facets()->set_years(101);
            }},
           {"sort",
            [](SearchScenesRequest* r) {
              r->set_sort(static_cast<v1::SortOrder>(99));
            }},
           {"matching", [](SearchScenesRequest* r) {
              r->set_matching(static_cast<v1::WordMatching>(7));
            }}}) {
    SearchScenesRequest bad;
    bad.set_query("love");
    set(&bad);
    const Stream refused = Search(bad);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field;
    EXPECT_THAT(refused.status.error_message(), HasSubstr(field + ": "));
  }
}

}  // namespace
}  // namespace reel::search
