// CatalogService over real gRPC on a loopback port, backed by a real RocksDB
// in a temp dir: status codes, messages, pagination, import and watch.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catalog-service/server/catalog_server.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::catalog::v1::CatalogService;
using ::reel::catalog::v1::CreateFilmRequest;
using ::reel::catalog::v1::CreateFilmResponse;
using ::reel::catalog::v1::DeleteFilmRequest;
using ::reel::catalog::v1::DeleteFilmResponse;
using ::reel::catalog::v1::Film;
using ::reel::catalog::v1::FilmEvent;
using ::reel::catalog::v1::GetFilmRequest;
using ::reel::catalog::v1::GetFilmResponse;
using ::reel::catalog::v1::ImportFilmsRequest;
using ::reel::catalog::v1::ImportFilmsResponse;
using ::reel::catalog::v1::ListFilmsRequest;
using ::reel::catalog::v1::ListFilmsResponse;
using ::reel::catalog::v1::UpdateFilmRequest;
using ::reel::catalog::v1::UpdateFilmResponse;
using ::reel::catalog::v1::WatchFilmsRequest;
using ::reel::catalog::v1::WatchFilmsResponse;
using ::testing::HasSubstr;

Film MakeFilm(const std::string& title, int scenes = 1,
              size_t description_bytes = 40) {
  Film film;
  film.set_title(title);
  film.set_year(1948);
  film.add_directors("Michael Powell");
  for (int i = 1; i <= scenes; ++i) {
    auto* scene = film.add_scenes();
    scene->set_scene_id(absl::StrCat("s", i));
    scene->set_title(absl::StrCat(title, " scene ", i));
    scene->set_description(std::string(description_bytes, 'x'));
  }
  return film;
}

std::chrono::system_clock::time_point In(int milliseconds) {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(milliseconds);
}

class CatalogServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*retention=*/100000); }

  void Start(int64_t retention,
             const std::function<void(CatalogServerOptions*)>& adjust = {}) {
    CatalogServerOptions options;
    options.store.path = dir_.Join("catalog");
    options.store.maintenance_interval = absl::ZeroDuration();
    options.store.change_retention_revisions = retention;
    options.watch.progress_interval = absl::Milliseconds(100);
    options.watch.stall_timeout = absl::Seconds(2);
    options.watch.max_bytes_per_message = 256 << 10;
    options.server.drain_timeout = absl::Seconds(2);
    if (adjust) adjust(&options);
    auto catalog = CatalogServer::Start(options);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    store_ = catalog_->store();
    hub_ = catalog_->hub();
    server_ = catalog_->server();
    stub_ = NewStub();
  }

  void TearDown() override { catalog_.reset(); }

  std::unique_ptr<CatalogService::Stub> NewStub(
      grpc::ChannelArguments args = {}) {
    return CatalogService::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                  grpc::InsecureChannelCredentials(), args));
  }

  grpc::Status Create(const std::string& id, const Film& film,
                      CreateFilmResponse* response,
                      const std::string& request_id = "") {
    CreateFilmRequest request;
    request.set_film_id(id);
    *request.mutable_film() = film;
    request.set_request_id(request_id);
    grpc::ClientContext context;
    return stub_->CreateFilm(&context, request, response);
  }

  Film MustCreate(const std::string& id, const Film& film) {
    CreateFilmResponse response;
    grpc::Status status = Create(id, film, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.film();
  }

  grpc::Status Get(const std::string& name, Film* film) {
    GetFilmRequest request;
    request.set_name(name);
    GetFilmResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->GetFilm(&context, request, &response);
    *film = response.film();
    return status;
  }

  // Distinct arguments give each stub its own connection.
  static grpc::ChannelArguments MakeChannelArgs(int connection) {
    grpc::ChannelArguments args;
    args.SetInt("reel.test.connection", connection);
    return args;
  }

  testing::TempDir dir_;
  std::unique_ptr<CatalogServer> catalog_;
  FilmStore* store_ = nullptr;  // Owned by catalog_, like hub_ and server_.
  WatchHub* hub_ = nullptr;
  GrpcServer* server_ = nullptr;
  std::unique_ptr<CatalogService::Stub> stub_;
};

TEST_F(CatalogServiceTest, CreateThenGetReturnsTheStoredFilm) {
  Film input = MakeFilm("The Red Shoes", 2);
  input.set_revision(999);  // Output only: ignored.
  input.set_etag("bogus");
  Film created = MustCreate("the-red-shoes", input);
  EXPECT_EQ(created.name(), "films/the-red-shoes");
  EXPECT_EQ(created.revision(), 1);
  EXPECT_FALSE(created.etag().empty());
  EXPECT_NE(created.etag(), "bogus");
  EXPECT_GT(created.create_time().seconds(), 0);

  Film fetched;
  ASSERT_TRUE(Get("films/the-red-shoes", &fetched).ok());
  EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(fetched.scenes(1).scene_id(), "s2");
}

// Writes over gRPC wait for their group commit without holding a thread, so
// concurrent clients share fsyncs; every revision is still given exactly once.
TEST_F(CatalogServiceTest, ConcurrentCreatesShareGroupCommits) {
  constexpr int kClients = 16;
  constexpr int kPerClient = 20;
  std::vector<std::vector<int64_t>> revisions(kClients);
  std::vector<std::string> errors(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = NewStub(MakeChannelArgs(c));
      for (int i = 0; i < kPerClient; ++i) {
        CreateFilmRequest request;
        request.set_film_id(absl::StrCat("c", c, "-", i));
        *request.mutable_film() = MakeFilm("Concurrent");
        CreateFilmResponse response;
        grpc::ClientContext context;
        grpc::Status status = stub->CreateFilm(&context, request, &response);
        if (!status.ok()) {
          errors[c] = status.error_message();
          return;
        }
        revisions[c].push_back(response.film().revision());
      }
    });
  }
  for (std::thread& client : clients) client.join();
  std::vector<int64_t> all;
  for (int c = 0; c < kClients; ++c) {
    EXPECT_EQ(errors[c], "") << "client " << c;
    EXPECT_TRUE(std::is_sorted(revisions[c].begin(), revisions[c].end()));
    all.insert(all.end(), revisions[c].begin(), revisions[c].end());
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(kClients * kPerClient);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(all, expected);
  const CommitStats stats = store_->commit_stats();
  EXPECT_EQ(stats.writes, static_cast<uint64_t>(kClients * kPerClient));
  EXPECT_LT(stats.groups, stats.writes) << "no two writes shared an fsync";
}

TEST_F(CatalogServiceTest, InvalidRequestsNameTheFieldAndWriteNothing) {
  CreateFilmResponse response;
  struct Case {
    std::string id;
    Film film;
    std::string expected;
  };
  Film no_title = MakeFilm("");
  Film bad_year = MakeFilm("Year");
  bad_year.set_year(3000);
  Film duplicate_scenes = MakeFilm("Dup", 2);
  duplicate_scenes.mutable_scenes(1)->set_scene_id("s1");
  Film long_title = MakeFilm(std::string(1025, 't'));
  std::vector<Case> cases = {
      {"", MakeFilm("No id"), "film_id: is required"},
      {"has space", MakeFilm("Space"), "film_id: character 3"},
      {"ok", no_title, "film.title: is required"},
      {"ok", bad_year, "film.year: 3000 is outside"},
      {"ok", duplicate_scenes, "film.scenes[1].scene_id: duplicate id"},
      {"ok", long_title, "film.title: is 1025 bytes; the limit is 1024"},
  };
  for (const Case& c : cases) {
    grpc::Status status = Create(c.id, c.film, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.expected;
    EXPECT_THAT(status.error_message(), HasSubstr(c.expected));
  }
  grpc::ClientContext context;
  CreateFilmRequest request;
  request.set_film_id("no-film");
  grpc::Status status = stub_->CreateFilm(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("film: is required"));
  EXPECT_EQ(store_->revision(), 0);

  Film film;
  status = Get("movies/x", &film);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("name:"));
  status = Get("films/absent", &film);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("films/absent"));
}

TEST_F(CatalogServiceTest, CreateIsIdempotentPerRequestId) {
  CreateFilmResponse first, retry, other;
  ASSERT_TRUE(Create("a", MakeFilm("A"), &first, "req-1").ok());
  ASSERT_TRUE(Create("a", MakeFilm("A"), &retry, "req-1").ok());
  EXPECT_EQ(retry.film().SerializeAsString(), first.film().SerializeAsString());
  EXPECT_EQ(store_->revision(), 1);

  grpc::Status status = Create("a", MakeFilm("A"), &other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  status = Create("b", MakeFilm("B"), &other, "req-1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request_id"));
  EXPECT_EQ(store_->revision(), 1);
}

TEST_F(CatalogServiceTest, UpdateHonoursMaskAndEtag) {
  Film created = MustCreate("film", MakeFilm("Old title", 2));
  UpdateFilmRequest request;
  request.mutable_film()->set_name("films/film");
  request.mutable_film()->set_title("New title");
  request.mutable_film()->set_year(1999);  // Not in the mask: ignored.
  request.mutable_film()->set_etag(created.etag());
  request.mutable_update_mask()->add_paths("title");
  UpdateFilmResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->UpdateFilm(&context, request, &response).ok());
  }
  EXPECT_EQ(response.film().title(), "New title");
  EXPECT_EQ(response.film().year(), 1948);
  EXPECT_EQ(response.film().scenes_size(), 2);
  EXPECT_EQ(response.film().revision(), 2);
  EXPECT_NE(response.film().etag(), created.etag());
  EXPECT_EQ(response.film().create_time().seconds(),
            created.create_time().seconds());

  // The same request again carries a stale etag now.
  request.mutable_film()->set_title("Lost update");
  {
    grpc::ClientContext context;
    grpc::Status status = stub_->UpdateFilm(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
    EXPECT_THAT(status.error_message(), HasSubstr("film.etag"));
  }
  Film stored;
  ASSERT_TRUE(Get("films/film", &stored).ok());
  EXPECT_EQ(stored.title(), "New title");

  request.mutable_update_mask()->set_paths(0, "revision");
  {
    grpc::ClientContext context;
    grpc::Status status = stub_->UpdateFilm(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("update_mask.paths[0]: \"revision\" is output only"));
  }
  request.mutable_update_mask()->set_paths(0, "title");
  request.mutable_film()->set_name("films/missing");
  request.mutable_film()->clear_etag();
  {
    grpc::ClientContext context;
    EXPECT_EQ(stub_->UpdateFilm(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(store_->revision(), 2);
}

TEST_F(CatalogServiceTest, DeleteChecksEtag) {
  Film created = MustCreate("gone", MakeFilm("Gone"));
  DeleteFilmRequest request;
  request.set_name("films/gone");
  request.set_etag("r999");
  DeleteFilmResponse response;
  {
    grpc::ClientContext context;
    EXPECT_EQ(stub_->DeleteFilm(&context, request, &response).error_code(),
              grpc::StatusCode::ABORTED);
  }
  request.set_etag(created.etag());
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->DeleteFilm(&context, request, &response).ok());
  }
  EXPECT_EQ(response.revision(), 2);
  Film film;
  EXPECT_EQ(Get("films/gone", &film).error_code(), grpc::StatusCode::NOT_FOUND);
  {
    grpc::ClientContext context;
    EXPECT_EQ(stub_->DeleteFilm(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(CatalogServiceTest, ListPagesToTheEndWhileOthersWrite) {
  for (char c = 'b'; c <= 'h'; ++c) {
    MustCreate(std::string(1, c), MakeFilm(std::string(1, c)));
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    ListFilmsRequest request;
    request.set_page_size(3);
    request.set_page_token(token);
    ListFilmsResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListFilms(&context, request, &response).ok());
    for (const Film& film : response.films()) seen.push_back(film.name());
    token = response.next_page_token();
    if (++pages == 1) {
      // Behind the cursor: not returned. Ahead of it: returned.
      MustCreate("a", MakeFilm("a"));
      MustCreate("z", MakeFilm("z"));
    }
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"films/b", "films/c", "films/d",
                                            "films/e", "films/f", "films/g",
                                            "films/h", "films/z"}));
  EXPECT_EQ(pages, 3);

  ListFilmsRequest bad;
  bad.set_page_token("not-a-token");
  ListFilmsResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->ListFilms(&context, bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_token"));
  bad.set_page_token("");
  bad.set_page_size(-1);
  grpc::ClientContext context2;
  status = stub_->ListFilms(&context2, bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size"));
}

TEST_F(CatalogServiceTest, ImportReportsBadRecordsAndKeepsGoodOnes) {
  MustCreate("exists", MakeFilm("Exists"));
  grpc::ClientContext context;
  ImportFilmsResponse response;
  auto writer = stub_->ImportFilms(&context, &response);
  ImportFilmsRequest first;
  for (int i = 0; i < 3; ++i) {
    Film* film = first.add_films();
    *film = MakeFilm(absl::StrCat("Good ", i));
    film->set_name(absl::StrCat("films/good-", i));
  }
  Film* untitled = first.add_films();  // index 3
  *untitled = MakeFilm("");
  untitled->set_name("films/untitled");
  ASSERT_TRUE(writer->Write(first));
  ImportFilmsRequest second;
  Film* bad_name = second.add_films();  // index 4
  *bad_name = MakeFilm("Bad name");
  bad_name->set_name("film/oops");
  Film* existing = second.add_films();  // index 5
  *existing = MakeFilm("Exists again");
  existing->set_name("films/exists");
  Film* good = second.add_films();  // index 6
  *good = MakeFilm("Good 3");
  good->set_name("films/good-3");
  ASSERT_TRUE(writer->Write(second));
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());

  EXPECT_EQ(response.imported_count(), 4);
  EXPECT_EQ(response.failed_count(), 3);
  ASSERT_EQ(response.errors_size(), 3);
  EXPECT_EQ(response.errors(0).index(), 3);
  EXPECT_THAT(response.errors(0).message(), HasSubstr("film.title"));
  EXPECT_EQ(response.errors(1).index(), 4);
  EXPECT_EQ(response.errors(1).code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.errors(2).index(), 5);
  EXPECT_EQ(response.errors(2).code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(response.revision(), 5);
  Film film;
  EXPECT_TRUE(Get("films/good-3", &film).ok());
  ASSERT_TRUE(Get("films/exists", &film).ok());
  EXPECT_EQ(film.title(), "Exists");
}

Film Named(const std::string& id, const std::string& title) {
  Film film = MakeFilm(title);
  film.set_name("films/" + id);
  return film;
}

ImportFilmsRequest ImportOf(std::initializer_list<Film> films) {
  ImportFilmsRequest request;
  for (const Film& film : films) *request.add_films() = film;
  return request;
}

grpc::ByteBuffer Bytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Sends `messages` as raw bytes on an ImportFilms stream (whatever they hold),
// half-closes and returns the call's status; `response` gets the reply.
// Every step waits at most 10 s.
grpc::Status RawImport(int port, const std::vector<std::string>& messages,
                       ImportFilmsResponse* response) {
  grpc::GenericStub stub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(In(30'000));
  auto call = stub.PrepareCall(
      &context, "/reel.catalog.v1.CatalogService/ImportFilms", &cq);
  auto wait = [&cq](intptr_t expected) {
    void* tag = nullptr;
    bool ok = false;
    EXPECT_EQ(cq.AsyncNext(&tag, &ok, In(10'000)),
              grpc::CompletionQueue::GOT_EVENT);
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), expected);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  wait(1);
  for (const std::string& message : messages) {
    call->Write(Bytes(message), reinterpret_cast<void*>(2));
    if (!wait(2)) break;  // The server has ended the call.
  }
  call->WritesDone(reinterpret_cast<void*>(3));
  wait(3);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(4));
  const bool got_reply = wait(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  wait(5);
  if (got_reply && status.ok()) {
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(reply.Dump(&slices).ok());
    std::string bytes;
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    EXPECT_TRUE(response->ParseFromString(bytes));
  }
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

TEST_F(CatalogServiceTest, UndecodableImportMessageFailsTheCallNamingIt) {
  grpc::Status status;
  ImportFilmsResponse response;
  status = RawImport(server_->port(),
                     {ImportOf({Named("a", "A")}).SerializeAsString(),
                      std::string("\x0a\x05\xff\xff\xff", 5),
                      ImportOf({Named("b", "B")}).SerializeAsString(),
                      ImportOf({Named("c", "C")}).SerializeAsString()},
                     &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("message 1 "));
  EXPECT_THAT(status.error_message(), HasSubstr("1 films were imported"));
  Film film;
  // The film before the bad message was committed, as the error says.
  EXPECT_TRUE(Get("films/a", &film).ok());
  EXPECT_EQ(Get("films/b", &film).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get("films/c", &film).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CatalogServiceTest, ImportTitleThatIsNotUtf8FailsTheCall) {
  // protobuf serializes the bad string (logging a complaint); the server
  // cannot parse it back.
  const std::string bad =
      ImportOf({Named("bad", "Caf\xe9 au lait")}).SerializeAsString();
  ImportFilmsResponse response;
  grpc::Status status =
      RawImport(server_->port(),
                {bad, ImportOf({Named("after", "After")}).SerializeAsString()},
                &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_THAT(status.error_message(),
              HasSubstr("message 0 of the stream (counting from 0)"));
  EXPECT_THAT(status.error_message(), HasSubstr("0 films were imported"));
  Film film;
  EXPECT_EQ(Get("films/after", &film).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(CatalogServiceTest, ImportErrorsComeBackInStreamOrder) {
  MustCreate("exists", MakeFilm("Exists"));
  ImportFilmsResponse response;
  // Index 1 is invalid (found when its message arrives), index 2 conflicts
  // (found only when its batch commits, after message 1 arrived), index 3
  // is invalid again.
  grpc::Status status = RawImport(
      server_->port(),
      {ImportOf({Named("a", "A"), Named("b", ""), Named("exists", "Again")})
           .SerializeAsString(),
       ImportOf({Named("c", " "), Named("d", "D")}).SerializeAsString()},
      &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<int64_t> indexes;
  for (const auto& error : response.errors()) indexes.push_back(error.index());
  EXPECT_THAT(indexes, ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(response.imported_count(), 2);
  EXPECT_EQ(response.failed_count(), 3);
}

TEST_F(CatalogServiceTest, ImportsBeyondTheLimitAreResourceExhausted) {
  catalog_.reset();
  Start(100000, [](CatalogServerOptions* options) {
    options->api.max_concurrent_imports = 2;
  });
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<ImportFilmsResponse> responses(3);
  std::vector<std::unique_ptr<grpc::ClientWriter<ImportFilmsRequest>>> writers;
  for (int i = 0; i < 2; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(In(20'000));
    writers.push_back(stub_->ImportFilms(contexts.back().get(), &responses[i]));
    ASSERT_TRUE(writers.back()->Write(
        ImportOf({Named(absl::StrCat("open-", i), "Open")})));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (catalog_->service()->active_imports() < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(catalog_->service()->active_imports(), 2);

  {
    grpc::ClientContext context;
    context.set_deadline(In(10'000));
    auto third = stub_->ImportFilms(&context, &responses[2]);
    third->Write(ImportOf({Named("third", "Third")}));
    third->WritesDone();
    grpc::Status status = third->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(),
                HasSubstr("at most 2 ImportFilms calls at once"));
    EXPECT_THAT(status.error_message(), HasSubstr("--max_concurrent_imports"));
    Film film;
    EXPECT_EQ(Get("films/third", &film).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // Once one finishes, a new import is admitted.
  writers[0]->WritesDone();
  ASSERT_TRUE(writers[0]->Finish().ok());
  grpc::ClientContext context;
  ImportFilmsResponse response;
  auto again = stub_->ImportFilms(&context, &response);
  ASSERT_TRUE(again->Write(ImportOf({Named("again", "Again")})));
  again->WritesDone();
  grpc::Status status = again->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.imported_count(), 1);
  writers[1]->WritesDone();
  EXPECT_TRUE(writers[1]->Finish().ok());
}

TEST_F(CatalogServiceTest, IdleImportIsEndedKeepingWhatItCommitted) {
  catalog_.reset();
  Start(100000, [](CatalogServerOptions* options) {
    options->api.import_idle_timeout = absl::Milliseconds(300);
  });
  grpc::ClientContext context;
  context.set_deadline(In(20'000));
  ImportFilmsResponse response;
  auto writer = stub_->ImportFilms(&context, &response);
  ASSERT_TRUE(writer->Write(ImportOf({Named("early", "Early")})));
  // Then the client goes quiet without half-closing: Finish waits for the
  // server to end the call.
  const absl::Time started = absl::Now();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("import idle"));
  EXPECT_THAT(status.error_message(), HasSubstr("--import_idle_timeout"));
  EXPECT_THAT(status.error_message(), HasSubstr("1 films were imported"));
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(250));
  Film film;
  EXPECT_TRUE(Get("films/early", &film).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (catalog_->service()->active_imports() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(catalog_->service()->active_imports(), 0);
}

TEST_F(CatalogServiceTest, DotIdsAndBlankTitlesAreRejectedNamingTheField) {
  CreateFilmResponse response;
  for (const std::string id : {".", ".."}) {
    grpc::Status status = Create(id, MakeFilm("Dots"), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << id;
    EXPECT_THAT(status.error_message(), ::testing::StartsWith("film_id: "));
  }
  grpc::Status status = Create("blank", MakeFilm(" \t "), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::StartsWith("film.title: "));
  Film film;
  EXPECT_EQ(Get("films/..", &film).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  ImportFilmsResponse imported;
  status = RawImport(server_->port(),
                     {ImportOf({Named("..", "Dots"), Named("blank", "  ")})
                          .SerializeAsString()},
                     &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(imported.errors_size(), 2);
  EXPECT_THAT(imported.errors(0).message(),
              ::testing::StartsWith("film.name: "));
  EXPECT_THAT(imported.errors(1).message(),
              ::testing::StartsWith("film.title: "));
  EXPECT_EQ(imported.imported_count(), 0);
}

// Reads one WatchFilms message or fails the test.
WatchFilmsResponse ReadOne(grpc::ClientReader<WatchFilmsResponse>* reader) {
  WatchFilmsResponse response;
  EXPECT_TRUE(reader->Read(&response)) << "stream ended early";
  return response;
}

TEST_F(CatalogServiceTest, WatchFromZeroIsSnapshotThenLiveWithoutGap) {
  for (int i = 0; i < 5; ++i) {
    MustCreate(absl::StrCat("f", i), MakeFilm(absl::StrCat("F", i)));
  }
  grpc::ClientContext context;
  context.set_deadline(In(10000));
  WatchFilmsRequest request;
  auto reader = stub_->WatchFilms(&context, request);
  std::vector<std::string> snapshot;
  int64_t snapshot_revision = 0;
  while (snapshot_revision == 0) {
    WatchFilmsResponse response = ReadOne(reader.get());
    for (const FilmEvent& event : response.events()) {
      EXPECT_EQ(event.type(), FilmEvent::EVENT_TYPE_SNAPSHOT);
      snapshot.push_back(event.name());
    }
    if (response.snapshot_complete()) snapshot_revision = response.revision();
    if (HasFailure()) return;
  }
  EXPECT_EQ(snapshot.size(), 5u);
  EXPECT_EQ(snapshot_revision, 5);

  MustCreate("f5", MakeFilm("F5"));
  {
    DeleteFilmRequest request;
    request.set_name("films/f1");
    DeleteFilmResponse response;
    grpc::ClientContext delete_context;
    ASSERT_TRUE(stub_->DeleteFilm(&delete_context, request, &response).ok());
  }
  std::vector<FilmEvent> live;
  while (live.size() < 2) {
    WatchFilmsResponse response = ReadOne(reader.get());
    if (HasFailure()) return;
    for (const FilmEvent& event : response.events()) live.push_back(event);
  }
  EXPECT_EQ(live[0].type(), FilmEvent::EVENT_TYPE_CREATED);
  EXPECT_EQ(live[0].revision(), 6);
  EXPECT_EQ(live[0].film().title(), "F5");
  EXPECT_EQ(live[1].type(), FilmEvent::EVENT_TYPE_DELETED);
  EXPECT_EQ(live[1].revision(), 7);
  EXPECT_EQ(live[1].name(), "films/f1");
  context.TryCancel();
}

TEST_F(CatalogServiceTest, WatchFromRevisionReplaysExactlyTheLaterChanges) {
  for (int i = 0; i < 6; ++i) {
    MustCreate(absl::StrCat("f", i), MakeFilm(absl::StrCat("F", i)));
  }
  grpc::ClientContext context;
  context.set_deadline(In(10000));
  WatchFilmsRequest request;
  request.set_start_revision(3);
  auto reader = stub_->WatchFilms(&context, request);
  std::vector<int64_t> revisions;
  while (revisions.size() < 3) {
    WatchFilmsResponse response = ReadOne(reader.get());
    if (HasFailure()) return;
    for (const FilmEvent& event : response.events()) {
      revisions.push_back(event.revision());
    }
  }
  EXPECT_EQ(revisions, (std::vector<int64_t>{4, 5, 6}));
  // Idle now: a progress message with the current revision follows.
  WatchFilmsResponse progress = ReadOne(reader.get());
  EXPECT_EQ(progress.events_size(), 0);
  EXPECT_EQ(progress.revision(), 6);
  context.TryCancel();
}

TEST_F(CatalogServiceTest, WatchRejectsBadAndCompactedStarts) {
  for (int i = 0; i < 10; ++i) {
    MustCreate(absl::StrCat("f", i), MakeFilm(absl::StrCat("F", i)));
  }
  auto watch_status = [&](int64_t start) {
    grpc::ClientContext context;
    context.set_deadline(In(5000));
    WatchFilmsRequest request;
    request.set_start_revision(start);
    auto reader = stub_->WatchFilms(&context, request);
    WatchFilmsResponse response;
    while (reader->Read(&response)) {
      context.TryCancel();
    }
    return reader->Finish();
  };
  grpc::Status status = watch_status(-1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("start_revision"));
  status = watch_status(11);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("ahead"));

  // Keep only the newest 4 revisions of history.
  TearDown();
  Start(/*retention=*/4);
  ASSERT_TRUE(store_->RunMaintenance().ok());
  EXPECT_EQ(store_->compacted_through(), 6);
  status = watch_status(5);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("from start_revision 6"));
  // From the oldest kept revision on, replay still works (cancelled by us).
  EXPECT_EQ(watch_status(6).error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(CatalogServiceTest, RestartedCatalogTrimsHistoryBeyondRetentionAtStart) {
  for (int i = 0; i < 10; ++i) {
    MustCreate(absl::StrCat("f", i), MakeFilm(absl::StrCat("F", i)));
  }
  // Restarted with the retention already exceeded and a maintenance timer
  // that does not fire during the test: only the start itself can trim.
  catalog_.reset();
  Start(/*retention=*/4, [](CatalogServerOptions* options) {
    options->store.maintenance_interval = absl::Hours(1);
  });
  EXPECT_EQ(store_->compacted_through(), 6);
  grpc::ClientContext context;
  context.set_deadline(In(5000));
  WatchFilmsRequest request;
  request.set_start_revision(5);
  auto reader = stub_->WatchFilms(&context, request);
  WatchFilmsResponse response;
  EXPECT_FALSE(reader->Read(&response));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("from start_revision 6"));
}

TEST_F(CatalogServiceTest, SlowWatcherIsCutOffWithoutBlockingOthers) {
  // No BDP probing: the stalled client's receive window stays small.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto slow_stub = NewStub(args);
  grpc::ClientContext slow_context;
  slow_context.set_deadline(In(60000));
  WatchFilmsRequest from_now;
  auto slow = slow_stub->WatchFilms(&slow_context, from_now);

  grpc::ClientContext fast_context;
  fast_context.set_deadline(In(60000));
  auto fast = stub_->WatchFilms(&fast_context, from_now);
  // Both streams have started (the fast one read its snapshot marker).
  WatchFilmsResponse marker = ReadOne(fast.get());
  ASSERT_TRUE(marker.snapshot_complete());

  constexpr int kFilms = 60;
  // The fast watcher reads while the films are written, as a live follower
  // does; the slow one reads nothing.
  int fast_events = 0;
  std::thread fast_reader([&] {
    WatchFilmsResponse response;
    while (fast_events < kFilms && fast->Read(&response)) {
      fast_events += response.events_size();
    }
  });
  for (int i = 0; i < kFilms; ++i) {
    MustCreate(absl::StrCat("big", i), MakeFilm("Big", 8, 60000));
  }
  EXPECT_EQ(store_->revision(), kFilms);
  fast_reader.join();
  EXPECT_EQ(fast_events, kFilms);
  // The server notices the stall within its 2 s timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (hub_->stalled_streams() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(hub_->stalled_streams(), 1u);
  WatchFilmsResponse response;
  int slow_events = 0;
  while (slow->Read(&response)) slow_events += response.events_size();
  grpc::Status status = slow->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("resume"));
  EXPECT_LT(slow_events, kFilms);
  fast_context.TryCancel();
}

TEST_F(CatalogServiceTest, ShutdownEndsWatchersWithUnavailable) {
  grpc::ClientContext context;
  context.set_deadline(In(30000));
  WatchFilmsRequest request;
  auto reader = stub_->WatchFilms(&context, request);
  ASSERT_TRUE(ReadOne(reader.get()).snapshot_complete());
  std::thread stopper([this] { server_->Shutdown(); });
  WatchFilmsResponse response;
  while (reader->Read(&response)) {
  }
  grpc::Status status = reader->Finish();
  stopper.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // Ended by the drain hook, not cancelled at the drain deadline.
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
}

}  // namespace
}  // namespace reel::catalog
