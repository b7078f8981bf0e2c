// `reelctl films export` and `reelctl import` of what it writes, end to end:
// the real catalog-service and reelctl binaries as child processes on
// loopback, each catalog with its own data dir.
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/field_mask.pb.h"
#include "reel/catalog/v1/catalog.grpc.pb.h"
#include "tests/integration/catalog_process.h"
#include "tests/integration/catalog_test_util.h"
#include "tests/integration/faultfs_process.h"
#include "tests/testing/child_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::reel::catalog::v1::Film;
using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

constexpr auto kWaitTimeout = 60s;

ChildProcessOptions CaptureStderr() {
  ChildProcessOptions options;
  options.capture_stderr = true;
  return options;
}

// The fields of Film the catalog sets itself (OUTPUT_ONLY in catalog.proto).
const std::vector<std::string>& OutputOnlyFields() {
  static const auto* const kFields = new std::vector<std::string>{
      "revision", "etag", "create_time", "update_time"};
  return *kFields;
}

void ClearOutputOnly(Film& film) {
  const auto* reflection = film.GetReflection();
  for (const std::string& field : OutputOnlyFields()) {
    reflection->ClearField(&film, Film::descriptor()->FindFieldByName(field));
  }
}

// "" when `a` and `b` agree on every field that is not output-only; else
// what differs.
std::string DiffIgnoringOutputOnly(const Film& a, const Film& b) {
  MessageDifferencer differencer;
  for (const std::string& field : OutputOnlyFields()) {
    differencer.IgnoreField(Film::descriptor()->FindFieldByName(field));
  }
  std::string diff;
  differencer.ReportDifferencesToString(&diff);
  return differencer.Compare(a, b) ? "" : diff;
}

// Every pair of films at the same position agrees (and the counts do).
void ExpectSameFilms(const std::vector<Film>& expected,
                     const std::vector<Film>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(DiffIgnoringOutputOnly(expected[i], actual[i]), "")
        << expected[i].name();
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// The films of an export, one per line, each line parsed as Film JSON.
std::vector<Film> ParseExport(const std::string& text) {
  std::vector<Film> films;
  for (const std::string& line : Lines(text)) {
    Film film;
    const auto status =
        google::protobuf::util::JsonStringToMessage(line, &film);
    EXPECT_TRUE(status.ok()) << status.message() << "\n" << line;
    films.push_back(std::move(film));
  }
  return films;
}

// An export's lines with the output-only fields taken out, printed again.
std::vector<std::string> StripOutputOnly(const std::string& text) {
  std::vector<std::string> stripped;
  for (Film& film : ParseExport(text)) {
    EXPECT_NE(film.revision(), 0) << film.name() << ": export has no revision";
    EXPECT_FALSE(film.etag().empty()) << film.name();
    EXPECT_TRUE(film.has_update_time()) << film.name();
    ClearOutputOnly(film);
    std::string json;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(film, &json).ok());
    stripped.push_back(std::move(json));
  }
  return stripped;
}

// The full names of the fields set in `message` and, recursively, in its
// messages.
void CollectSetFields(const google::protobuf::Message& message,
                      std::set<std::string>* names) {
  const auto* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    names->insert(field->full_name());
    if (field->cpp_type() !=
        google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    if (!field->is_repeated()) {
      CollectSetFields(reflection->GetMessage(message, field), names);
      continue;
    }
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      CollectSetFields(reflection->GetRepeatedMessage(message, field, i),
                       names);
    }
  }
}

// Every field of `descriptor` that is not output-only, and of the messages
// it holds, is among `names`: a field added to Film fails here until the
// test films set it.
void ExpectEveryFieldSet(const google::protobuf::Descriptor* descriptor,
                         const std::set<std::string>& names) {
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    const std::vector<std::string>& output_only = OutputOnlyFields();
    if (descriptor == Film::descriptor() &&
        std::find(output_only.begin(), output_only.end(), field->name()) !=
            output_only.end()) {
      continue;
    }
    EXPECT_TRUE(names.contains(field->full_name()))
        << field->full_name() << " is set in none of the test films";
    if (field->message_type() != nullptr) {
      ExpectEveryFieldSet(field->message_type(), names);
    }
  }
}

std::string JsonLine(const Film& film) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(film, &json).ok());
  return json + "\n";
}

// Films with every field set between them, text that needs escaping or is
// not ASCII, scene ids that are not "s1, s2, ...", a film without scenes and
// one with nothing but a title. In id order.
std::vector<Film> FilmsWithEveryField() {
  std::vector<Film> films;

  Film amelie;
  amelie.set_name("films/amelie-2001");
  amelie.set_title("Amélie");
  amelie.set_original_title("Le Fabuleux Destin d'Amélie Poulain");
  amelie.set_year(2001);
  amelie.add_directors("Jean-Pierre Jeunet");
  amelie.add_genres("comédie");
  amelie.add_genres("romance");
  amelie.set_synopsis(
      "A shy waitress in Montmartre decides to change the lives of those "
      "around her.\nSecond line, a tab\there, \"quotes\", a backslash \\, "
      "<angle> & ampersand, and a control \x01 character.");
  auto* waltz = amelie.add_soundtracks();
  waltz->set_title("Comptine d'un autre été, l'après-midi");
  waltz->set_artist("Yann Tiersen");
  waltz->set_description("Piano, over the opening credits.");
  auto* valse = amelie.add_soundtracks();
  valse->set_title("La Valse d'Amélie");  // No artist, no description.
  auto* quote = amelie.add_quotes();
  quote->set_text("Times are hard for dreamers.");
  quote->set_character("Amélie");
  amelie.add_quotes()->set_text("Without you, today's emotions would be…");
  auto* opening = amelie.add_scenes();
  opening->set_scene_id("opening");
  opening->set_title("A fly's wings");
  opening->set_description(
      "At 18:28:32, a fly lands on the Rue Saint-Vincent.");
  opening->set_context("Sets the film's tone of chance and detail.");
  auto* box = amelie.add_scenes();
  box->set_scene_id("s9_box-found");
  box->set_title("The tin box");
  box->set_description("Behind a loose tile she finds a boy's treasures.");
  auto* bare = amelie.add_scenes();
  bare->set_scene_id("s3");
  bare->set_title("Stones");  // No description, no context.
  amelie.add_cast("Audrey Tautou");
  amelie.add_cast("Mathieu Kassovitz");
  amelie.add_aliases("Amélie from Montmartre");
  amelie.add_aliases("アメリ");
  amelie.set_source_url("https://en.wikipedia.org/wiki/Am%C3%A9lie");
  films.push_back(amelie);

  Film minimal;
  minimal.set_name("films/minimal");
  minimal.set_title("Untitled");
  films.push_back(minimal);

  Film no_scenes;
  no_scenes.set_name("films/no-scenes-1927");
  no_scenes.set_title("Metropolis");
  no_scenes.set_year(1927);
  no_scenes.add_directors("Fritz Lang");
  no_scenes.add_genres("science fiction");
  no_scenes.set_synopsis("A city of workers and thinkers.");
  no_scenes.add_quotes()->set_text(
      "The mediator between head and hands must be the heart!");
  no_scenes.add_cast("Brigitte Helm");
  no_scenes.set_source_url(
      "https://en.wikipedia.org/wiki/Metropolis_(1927_film)");
  films.push_back(no_scenes);

  Film tokyo;
  tokyo.set_name("films/tokyo-story-1953");
  tokyo.set_title("Tokyo Story");
  tokyo.set_original_title("東京物語");
  tokyo.set_year(1953);
  tokyo.add_directors("小津安二郎");
  tokyo.add_genres("drama");
  tokyo.set_synopsis("An ageing couple visit their children in Tokyo. 🚂");
  auto* theme = tokyo.add_soundtracks();
  theme->set_title("Main theme");
  theme->set_artist("斎藤高順");
  auto* line = tokyo.add_quotes();
  line->set_text("Isn't life disappointing?");
  line->set_character("Kyōko");
  auto* atami = tokyo.add_scenes();
  atami->set_scene_id("s1");
  atami->set_title("Atami");
  atami->set_description("The parents are sent to a spa resort.");
  atami->set_context("Their children's way of keeping them at a distance.");
  tokyo.add_cast("笠智衆");
  tokyo.add_aliases("Tōkyō Monogatari");
  films.push_back(tokyo);

  Film spider;
  spider.set_name("films/wp:The_Spider_and_the_Fly_(1949_film)");
  spider.set_title("The Spider and the Fly");
  spider.set_year(1949);
  auto* chase = spider.add_scenes();
  chase->set_scene_id("s1");
  chase->set_title("The chase");
  chase->set_context("");
  films.push_back(spider);
  return films;
}

class ReelctlExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ReelctlPath().empty()) GTEST_SKIP() << "this build has no reelctl";
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& [name, catalog] : catalogs_) {
      std::cerr << "--- end of the log of catalog " << name << " ---\n"
                << catalog->LogTail() << "\n---\n";
    }
  }

  // A fresh catalog-service with its own data dir; the fixture owns it.
  absl::StatusOr<CatalogProcess*> StartCatalog(const std::string& name) {
    absl::StatusOr<std::unique_ptr<CatalogProcess>> catalog =
        CatalogProcess::Start({.data_dir = temp_.Join("data-" + name),
                               .log_path = temp_.Join(name + ".log"),
                               .flags = {}});
    if (!catalog.ok()) return catalog.status();
    CatalogProcess* started = catalog->get();
    catalogs_[name] = *std::move(catalog);
    return started;
  }

  static ToolRun Reelctl(const CatalogProcess& catalog,
                         std::vector<std::string> args) {
    args.insert(args.begin(), "--catalog=" + catalog.address());
    absl::StatusOr<ToolRun> run = RunReelctl(args);
    EXPECT_OK(run.status());
    return run.ok() ? *run : ToolRun{};
  }

  static std::vector<Film> AllFilms(const CatalogProcess& catalog) {
    auto stub = catalog.NewStub();
    // An odd page size, so that pages line up with nothing.
    absl::StatusOr<std::vector<Film>> films = ListAllFilms(*stub, 3);
    EXPECT_OK(films.status());
    return films.ok() ? *films : std::vector<Film>{};
  }

  // Imports `films` with reelctl, as Film JSON lines.
  void ImportFilmLines(const CatalogProcess& catalog,
                       const std::vector<Film>& films) {
    const std::string path = temp_.Join("input.jsonl");
    std::string text;
    for (const Film& film : films) text += JsonLine(film);
    WriteFile(path, text);
    const ToolRun run = Reelctl(catalog, {"import", path});
    ASSERT_TRUE(run.exit.success()) << run.Describe();
    EXPECT_THAT(run.out, HasSubstr(absl::StrCat("imported: ", films.size())));
  }

  TempDir temp_;  // Declared first: outlives the processes using it.
  std::map<std::string, std::unique_ptr<CatalogProcess>> catalogs_;
};

TEST_F(ReelctlExportTest, ExportImportExportKeepsEveryField) {
  const std::vector<Film> films = FilmsWithEveryField();
  std::set<std::string> set_fields;
  for (const Film& film : films) CollectSetFields(film, &set_fields);
  ExpectEveryFieldSet(Film::descriptor(), set_fields);
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const first_process,
                       StartCatalog("first"));
  CatalogProcess& first = *first_process;
  // Output-only fields in the input are ignored, whatever they hold.
  std::vector<Film> input = films;
  input[0].set_revision(12345);
  input[0].set_etag("not-an-etag");
  input[0].mutable_create_time()->set_seconds(1);
  input[0].mutable_update_time()->set_seconds(2);
  ASSERT_NO_FATAL_FAILURE(ImportFilmLines(first, input));
  ExpectSameFilms(films, AllFilms(first));

  const std::string first_export = temp_.Join("first.jsonl");
  const ToolRun exported =
      Reelctl(first, {"films", "export", "--output=" + first_export});
  ASSERT_TRUE(exported.exit.success()) << exported.Describe();
  EXPECT_EQ(exported.out, "");
  EXPECT_THAT(exported.err,
              HasSubstr(absl::StrCat("exported: 5 films to ", first_export)));
  EXPECT_THAT(exported.err, HasSubstr("revision: 5\n"));
  EXPECT_THAT(exported.err, HasSubstr("history id: "));
  EXPECT_THAT(exported.err, Not(HasSubstr("warning")));
  EXPECT_FALSE(std::filesystem::exists(first_export + ".tmp"));
  const std::string first_text = ReadFile(first_export);
  ASSERT_EQ(Lines(first_text).size(), films.size()) << first_text;
  ExpectSameFilms(films, ParseExport(first_text));

  // Into an empty catalog, and out again.
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const second_process,
                       StartCatalog("second"));
  CatalogProcess& second = *second_process;
  const ToolRun imported = Reelctl(second, {"import", first_export});
  ASSERT_TRUE(imported.exit.success()) << imported.Describe();
  EXPECT_THAT(imported.out, HasSubstr("imported: 5\nfailed: 0\n"));
  const std::string second_export = temp_.Join("second.jsonl");
  const ToolRun again =
      Reelctl(second, {"films", "export", "--output=" + second_export});
  ASSERT_TRUE(again.exit.success()) << again.Describe();

  // The catalogs agree on every field that is not output-only, by ListFilms
  // and by GetFilm.
  const std::vector<Film> first_films = AllFilms(first);
  ExpectSameFilms(first_films, AllFilms(second));
  auto second_stub = second.NewStub();
  for (const Film& film : first_films) {
    ASSERT_OK_AND_ASSIGN(Film copy, GetFilm(*second_stub, film.name()));
    EXPECT_EQ(DiffIgnoringOutputOnly(film, copy), "") << film.name();
  }
  // And so do the two exports, line by line.
  EXPECT_EQ(StripOutputOnly(first_text),
            StripOutputOnly(ReadFile(second_export)));
}

TEST_F(ReelctlExportTest, ImportReplaceRestoresChangedFilms) {
  const std::vector<Film> films = FilmsWithEveryField();
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const source_process,
                       StartCatalog("source"));
  CatalogProcess& source = *source_process;
  ASSERT_NO_FATAL_FAILURE(ImportFilmLines(source, films));
  const std::string path = temp_.Join("films.jsonl");
  const ToolRun exported =
      Reelctl(source, {"films", "export", "--output=" + path});
  ASSERT_TRUE(exported.exit.success()) << exported.Describe();

  // A catalog that has the same films, some of them changed since.
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const target_process,
                       StartCatalog("target"));
  CatalogProcess& target = *target_process;
  ASSERT_NO_FATAL_FAILURE(ImportFilmLines(target, films));
  auto stub = target.NewStub();
  {
    catalog::v1::UpdateFilmRequest request;
    request.mutable_film()->set_name(films[0].name());
    request.mutable_film()->set_title("Renamed");
    request.mutable_update_mask()->add_paths("title");
    request.mutable_update_mask()->add_paths("scenes");
    request.mutable_update_mask()->add_paths("aliases");
    catalog::v1::UpdateFilmResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    const grpc::Status status = stub->UpdateFilm(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_OK_AND_ASSIGN(const int64_t before, HeadRevision(*stub));

  // Without --replace, every film conflicts and nothing changes.
  const ToolRun conflict = Reelctl(target, {"import", path});
  EXPECT_EQ(conflict.exit.exit_code(), 1) << conflict.Describe();
  EXPECT_THAT(conflict.out, HasSubstr("ALREADY_EXISTS"));
  EXPECT_THAT(HeadRevision(*stub), IsOkAndHolds(before));

  const ToolRun replaced = Reelctl(target, {"import", "--replace", path});
  ASSERT_TRUE(replaced.exit.success()) << replaced.Describe();
  EXPECT_THAT(replaced.out, HasSubstr("imported: 5\nfailed: 0\n"));
  const std::vector<Film> restored = AllFilms(target);
  ExpectSameFilms(AllFilms(source), restored);
  for (const Film& film : restored) {
    EXPECT_GT(film.revision(), before) << film.name() << " was not replaced";
  }

  // `films list --all` prints the same format, and it imports too.
  const ToolRun listed = Reelctl(source, {"films", "list", "--all"});
  ASSERT_TRUE(listed.exit.success()) << listed.Describe();
  const std::string list_path = temp_.Join("list.jsonl");
  WriteFile(list_path, listed.out);
  const ToolRun from_list = Reelctl(target, {"import", "--replace", list_path});
  ASSERT_TRUE(from_list.exit.success()) << from_list.Describe();
  ExpectSameFilms(AllFilms(source), AllFilms(target));
}

TEST_F(ReelctlExportTest, ImportNamesTheLineThatIsNotValid) {
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const catalog_process,
                       StartCatalog("catalog"));
  CatalogProcess& catalog = *catalog_process;
  const std::string path = temp_.Join("films.jsonl");
  Film good;
  good.set_name("films/good");
  good.set_title("Good");
  Film also_good = good;
  also_good.set_name("films/also-good");
  WriteFile(path, JsonLine(good) + "\n" +  // An empty line 2 is skipped.
                      R"({"name": "films/broken", "title": "Bro)" + "\n" +
                      R"({"name": "films/typo", "titel": "Typo"})" + "\n" +
                      R"({"title": "No name"})" + "\n" + JsonLine(also_good));
  const ToolRun run = Reelctl(catalog, {"import", path});
  EXPECT_EQ(run.exit.exit_code(), 1) << run.Describe();
  EXPECT_THAT(run.err, HasSubstr(path + ":3: invalid JSON at byte "));
  EXPECT_THAT(run.err, HasSubstr(path + ":4: invalid Film JSON: titel"));
  EXPECT_THAT(run.err, HasSubstr(path + ":5: name: missing"));
  EXPECT_THAT(run.out, HasSubstr("imported: 2\nfailed: 3 (3 skipped here"));
  auto stub = catalog.NewStub();
  EXPECT_OK(GetFilm(*stub, "films/good").status());
  EXPECT_OK(GetFilm(*stub, "films/also-good").status());
}

TEST_F(ReelctlExportTest, FailedExportLeavesTheFileAsItWas) {
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const catalog_process,
                       StartCatalog("catalog"));
  CatalogProcess& catalog = *catalog_process;
  ASSERT_NO_FATAL_FAILURE(ImportFilmLines(catalog, FilmsWithEveryField()));
  const std::string path = temp_.Join("films.jsonl");
  WriteFile(path, "the previous export\n");

  // The catalog stops answering: the file stays as it was, and no
  // FILE.tmp is left behind.
  const std::string address = catalog.address();
  ASSERT_OK(catalogs_["catalog"]->Stop());
  ASSERT_OK_AND_ASSIGN(ToolRun failed,
                       RunReelctl({"--catalog=" + address, "films", "export",
                                   "--output=" + path}));
  EXPECT_EQ(failed.exit.exit_code(), 1) << failed.Describe();
  EXPECT_THAT(failed.err, HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(ReadFile(path), "the previous export\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  // A directory that does not exist: nothing is written.
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const restarted_process,
                       StartCatalog("restarted"));
  CatalogProcess& restarted = *restarted_process;
  const ToolRun no_dir = Reelctl(
      restarted,
      {"films", "export", "--output=" + temp_.Join("missing/films.jsonl")});
  EXPECT_EQ(no_dir.exit.exit_code(), 1) << no_dir.Describe();
  EXPECT_THAT(no_dir.err, HasSubstr("cannot create " +
                                    temp_.Join("missing/films.jsonl.tmp")));

  // A successful export replaces the file.
  const ToolRun ok =
      Reelctl(restarted, {"films", "export", "--output=" + path});
  ASSERT_TRUE(ok.exit.success()) << ok.Describe();
  EXPECT_EQ(ReadFile(path), "");  // The restarted catalog is empty.
  EXPECT_THAT(ok.err, HasSubstr("exported: 0 films"));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(ReelctlExportTest, ExportToAFullDiskFails) {
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const catalog_process,
                       StartCatalog("catalog"));
  CatalogProcess& catalog = *catalog_process;
  ASSERT_NO_FATAL_FAILURE(ImportFilmLines(catalog, FilmsWithEveryField()));

  // stdout on a full device.
  ASSERT_OK_AND_ASSIGN(
      auto shell,
      ChildProcess::Start("/bin/sh",
                          {"-c", R"(exec "$0" "$@" >/dev/full)", ReelctlPath(),
                           "--catalog=" + catalog.address(), "films", "export"},
                          CaptureStderr()));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, shell->Wait(kWaitTimeout));
  EXPECT_TRUE(exit.exited() && exit.exit_code() == 1) << exit.ToString();
  EXPECT_THAT(shell->stderr_text(),
              HasSubstr("error: RESOURCE_EXHAUSTED: cannot write stdout: No "
                        "space left on device"));
  EXPECT_THAT(shell->stderr_text(), Not(HasSubstr("exported:")));

  // A file on a filesystem that fills up while the export is written.
  absl::StatusOr<std::unique_ptr<FaultFsProcess>> fs =
      FaultFsProcess::Start({.backing_dir = temp_.Join("backing"),
                             .mountpoint = temp_.Join("mnt"),
                             .log_path = temp_.Join("faultfs.log")});
  if (absl::IsFailedPrecondition(fs.status())) {
    GTEST_SKIP() << "the file half needs faultfs: " << fs.status().message();
  }
  ASSERT_OK(fs.status());
  // Films of about 60 KB each, so the export is far larger than the room.
  auto stub = catalog.NewStub();
  std::vector<Film> large;
  for (int i = 0; i < 8; ++i) {
    Film film = TestFilm(absl::StrCat("Large ", i), 4, 15000);
    film.set_name(absl::StrCat("films/large-", i));
    large.push_back(std::move(film));
  }
  ASSERT_OK_AND_ASSIGN(auto response, ImportFilms(*stub, large));
  ASSERT_EQ(response.failed_count(), 0);
  const std::string path = (*fs)->mountpoint() + "/films.jsonl";
  WriteFile(path, "the previous export\n");
  ASSERT_OK_AND_ASSIGN(const int64_t used, (*fs)->Counter("used_bytes"));
  ASSERT_OK((*fs)->SetQuota(used + (100 << 10)));

  const ToolRun full =
      Reelctl(catalog, {"films", "export", "--output=" + path});
  EXPECT_EQ(full.exit.exit_code(), 1) << full.Describe();
  EXPECT_THAT(full.err, HasSubstr("error: RESOURCE_EXHAUSTED: "));
  EXPECT_THAT(full.err, HasSubstr("No space left on device"));
  EXPECT_THAT(full.err, HasSubstr(path + " is left as it was"));
  EXPECT_EQ(ReadFile(path), "the previous export\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  ASSERT_OK((*fs)->SetQuota(0));
  ASSERT_OK((*fs)->Unmount());
}

// The export is one WatchFilms snapshot: a write while it runs does not
// reach it. The export writes to a pipe the test stops reading after the
// first film, which holds it mid-snapshot while the test writes.
TEST_F(ReelctlExportTest, ExportIsOnePointInTimeWhileTheCatalogChanges) {
  ASSERT_OK_AND_ASSIGN(CatalogProcess* const catalog_process,
                       StartCatalog("catalog"));
  CatalogProcess& catalog = *catalog_process;
  auto stub = catalog.NewStub();
  // 30 films of about 60 KB: far more than a pipe holds.
  constexpr int kFilms = 30;
  std::vector<Film> films;
  for (int i = 0; i < kFilms; ++i) {
    Film film = TestFilm(absl::StrCat("Film ", i), 4, 15000);
    film.set_name(absl::StrFormat("films/film-%02d", i));
    films.push_back(std::move(film));
  }
  ASSERT_OK_AND_ASSIGN(auto response, ImportFilms(*stub, films));
  ASSERT_EQ(response.failed_count(), 0);

  ASSERT_OK_AND_ASSIGN(
      auto export_process,
      ChildProcess::Start(ReelctlPath(),
                          {"--catalog=" + catalog.address(), "films", "export"},
                          CaptureStderr()));
  ASSERT_OK(
      export_process->WaitForLine(R"("name":"films/film-00")", kWaitTimeout)
          .status());
  // The last film changes while the export waits for the pipe.
  const std::string last = absl::StrFormat("films/film-%02d", kFilms - 1);
  {
    catalog::v1::UpdateFilmRequest request;
    request.mutable_film()->set_name(last);
    request.mutable_film()->set_title("Changed during the export");
    request.mutable_update_mask()->add_paths("title");
    catalog::v1::UpdateFilmResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    const grpc::Status status = stub->UpdateFilm(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, export_process->Wait(kWaitTimeout));
  const std::string& err = export_process->stderr_text();
  EXPECT_TRUE(exit.success()) << exit.ToString() << "\n" << err;
  EXPECT_THAT(err, Not(HasSubstr("warning")));
  EXPECT_THAT(err, HasSubstr(absl::StrCat("revision: ", kFilms, "\n")));
  EXPECT_THAT(err, HasSubstr(absl::StrCat("exported: ", kFilms, " films")));
  const std::vector<Film> exported = ParseExport(export_process->stdout_text());
  ASSERT_EQ(exported.size(), kFilms);
  EXPECT_EQ(exported.back().title(), absl::StrCat("Film ", kFilms - 1));
  EXPECT_EQ(exported.front().revision(), 1);
}

}  // namespace
}  // namespace reel::testing
