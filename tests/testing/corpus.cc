#include "tests/testing/corpus.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "catalog-service/importer/film_file_reader.h"
#include "catalog-service/model/film_name.h"
#include "tests/testing/temp_dir.h"

namespace reel::testing {

std::vector<reel::catalog::v1::Film> LoadSharedFilms(
    const std::string& relative_path) {
  std::vector<reel::catalog::v1::Film> films;
  auto reader = catalog::FilmFileReader::Open(
      absl::StrCat(SharedDataDir(), "/", relative_path));
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return films;
  catalog::ImportedFilm imported;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&imported);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    EXPECT_TRUE(imported.status.ok()) << imported.status;
    imported.film.set_name(catalog::FilmName(imported.film_id));
    films.push_back(std::move(imported.film));
  }
  return films;
}

}  // namespace reel::testing
