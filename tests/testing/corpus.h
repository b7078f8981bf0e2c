// Films from the shared data folder (the seed page, the corpus), read with
// the real importer and named "films/{id}" as the catalog would name them.
// A file that cannot be read fails the calling test.
#ifndef REEL_TESTS_TESTING_CORPUS_H_
#define REEL_TESTS_TESTING_CORPUS_H_

#include <string>
#include <vector>

#include "reel/catalog/v1/catalog.pb.h"

namespace reel::testing {

// `relative_path` is under SharedDataDir(), e.g. "corpus/films-small.jsonl".
std::vector<reel::catalog::v1::Film> LoadSharedFilms(
    const std::string& relative_path);

}  // namespace reel::testing

#endif  // REEL_TESTS_TESTING_CORPUS_H_
