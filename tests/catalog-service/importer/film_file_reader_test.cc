#include "catalog-service/importer/film_file_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog-service/importer/film_id.h"
#include "catalog-service/model/film_name.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::catalog {
namespace {

using ::reel::testing::StatusIs;
using ::reel::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct ReadResult {
  std::vector<ImportedFilm> films;   // Parsed records.
  std::vector<ImportedFilm> errors;  // Records that did not parse.
  absl::Status status;               // How reading ended.
};

ReadResult ReadAll(const std::string& path) {
  ReadResult result;
  absl::StatusOr<std::unique_ptr<FilmFileReader>> reader =
      FilmFileReader::Open(path);
  if (!reader.ok()) {
    result.status = reader.status();
    return result;
  }
  ImportedFilm record;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&record);
    if (!more.ok() || !*more) {
      result.status = more.status();
      return result;
    }
    (record.status.ok() ? result.films : result.errors).push_back(record);
  }
}

int SceneCount(const std::vector<ImportedFilm>& films) {
  int scenes = 0;
  for (const ImportedFilm& film : films) scenes += film.film.scenes_size();
  return scenes;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

void WriteGzip(const std::string& path, const std::string& contents) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, contents.data(), contents.size()),
            static_cast<int>(contents.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

std::string Record(absl::string_view id, absl::string_view title) {
  return absl::StrCat(R"({"id": ")", id, R"(", "title": ")", title, R"("})");
}

TEST(FilmFileReaderTest, ReadsTheSmallCorpus) {
  const std::string path =
      reel::testing::SharedDataDir() + "/corpus/films-small.jsonl";
  const ReadResult result = ReadAll(path);
  ASSERT_OK(result.status);
  EXPECT_THAT(result.errors, IsEmpty());
  ASSERT_EQ(result.films.size(), 200u);
  EXPECT_EQ(SceneCount(result.films), 832);
  EXPECT_EQ(result.films[0].film_id, "wp:Condemned_to_Death");
  EXPECT_EQ(result.films[0].film.title(), "Condemned to Death");
  EXPECT_EQ(result.films[0].source, path + ":1");
  EXPECT_EQ(result.films[199].source, path + ":200");
  std::set<std::string> ids;
  for (const ImportedFilm& film : result.films) ids.insert(film.film_id);
  EXPECT_EQ(ids.size(), 200u);
}

TEST(FilmFileReaderTest, ReadsTheGzippedDevCorpus) {
  const ReadResult result =
      ReadAll(reel::testing::SharedDataDir() + "/corpus/films-dev.jsonl.gz");
  ASSERT_OK(result.status);
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.films.size(), 2758u);
  EXPECT_EQ(SceneCount(result.films), 13106);
  // Real titles (accents, punctuation, long ones) all make valid ids.
  for (const ImportedFilm& film : result.films) {
    EXPECT_OK(
        ValidateFilmId(SlugFromTitle(film.film.title(), film.film.year())))
        << film.film.title();
  }
}

TEST(FilmFileReaderTest, BadLinesAreReportedAndReadingContinues) {
  TempDir dir;
  const std::string path = dir.Join("films.jsonl");
  WriteFile(path, absl::StrCat(Record("a", "A"), "\n", "{not json\n", "\n",
                               R"({"id": "c", "title": 3})", "\r\n",
                               Record("d", "D"), "\r\n"));
  const ReadResult result = ReadAll(path);
  ASSERT_OK(result.status);
  ASSERT_EQ(result.films.size(), 2u);
  EXPECT_EQ(result.films[0].film_id, "a");
  EXPECT_EQ(result.films[1].film_id, "d");
  EXPECT_EQ(result.films[1].source, path + ":5");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].source, path + ":2");
  EXPECT_THAT(result.errors[0].status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(path + ":2: invalid JSON")));
  EXPECT_THAT(result.errors[0].film_id, IsEmpty());
  EXPECT_THAT(result.errors[1].status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(path + ":4: title: expected a string")));
}

TEST(FilmFileReaderTest, ReadsGzipLinesLongerThanItsBuffers) {
  TempDir dir;
  const std::string path = dir.Join("long.jsonl.gz");
  const std::string long_title(1 << 20, 'x');
  // The last line has no "\n".
  WriteGzip(path,
            absl::StrCat("\xEF\xBB\xBF", Record("a", "A"), "\n",
                         Record("long", long_title), "\n", Record("z", "Z")));
  const ReadResult result = ReadAll(path);
  ASSERT_OK(result.status);
  EXPECT_THAT(result.errors, IsEmpty());
  ASSERT_EQ(result.films.size(), 3u);
  EXPECT_EQ(result.films[1].film.title(), long_title);
  EXPECT_EQ(result.films[2].film_id, "z");
  EXPECT_EQ(result.films[2].source, path + ":3");
}

TEST(FilmFileReaderTest, TruncatedGzipIsDataLossAfterTheGoodRecords) {
  TempDir dir;
  const std::string path = dir.Join("cut.jsonl.gz");
  std::string contents;
  for (int i = 0; i < 2000; ++i) {
    absl::StrAppend(&contents, Record(absl::StrCat("f", i), "T"), "\n");
  }
  WriteGzip(path, contents);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  const ReadResult result = ReadAll(path);
  EXPECT_THAT(result.status,
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
  EXPECT_GT(result.films.size(), 0u);
  EXPECT_LT(result.films.size(), 2000u);
}

TEST(FilmFileReaderTest, OtherFilesAreOneFilmPage) {
  const std::string path =
      reel::testing::SharedDataDir() + "/seed/the-red-shoes.txt";
  const ReadResult result = ReadAll(path);
  ASSERT_OK(result.status);
  EXPECT_THAT(result.errors, IsEmpty());
  ASSERT_EQ(result.films.size(), 1u);
  EXPECT_EQ(result.films[0].film_id, "the-red-shoes");
  EXPECT_EQ(result.films[0].source, path);
  EXPECT_EQ(result.films[0].film.title(), "The Red Shoes");
  EXPECT_EQ(result.films[0].film.scenes_size(), 9);
}

TEST(FilmFileReaderTest, PageWithoutTitleIsARecordError) {
  TempDir dir;
  const std::string path = dir.Join("empty.txt");
  WriteFile(path, "\n\nDownload App\n");
  const ReadResult result = ReadAll(path);
  ASSERT_OK(result.status);
  EXPECT_THAT(result.films, IsEmpty());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0].status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(path + ": line 1: the page has no title")));
}

TEST(FilmFileReaderTest, UnreadablePathsFailToOpen) {
  TempDir dir;
  EXPECT_THAT(
      FilmFileReader::Open(dir.Join("missing.jsonl")),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.jsonl")));
  EXPECT_THAT(FilmFileReader::Open(dir.path()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is a directory")));
}

}  // namespace
}  // namespace reel::catalog
