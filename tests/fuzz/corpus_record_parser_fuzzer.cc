// Fuzzes ParseCorpusRecord (catalog-service/importer/corpus_record_parser.h)
// with arbitrary lines. Invariants beyond "no crash":
//  - a rejected line is INVALID_ARGUMENT with a non-empty message;
//  - an accepted record's id is a valid film id whose resource name parses
//    back to it, its film has no name, and scene ids are s1, s2, ...;
//  - the film survives the wire (serialise, parse back, equal);
//  - ValidateFilm either accepts it (and its round-tripped copy) or names
//    the film field at fault.
#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "catalog-service/importer/corpus_record_parser.h"
#include "catalog-service/model/film_name.h"
#include "catalog-service/model/film_validation.h"
#include "tests/fuzz/fuzz_checks.h"

namespace reel::fuzz {
namespace {

void FuzzRecord(absl::string_view line) {
  absl::StatusOr<catalog::CorpusRecord> record =
      catalog::ParseCorpusRecord(line);
  if (!record.ok()) {
    Check(record.status().code() == absl::StatusCode::kInvalidArgument,
          "rejection is not INVALID_ARGUMENT", record.status().ToString());
    Check(!record.status().message().empty(), "rejection has no message");
    return;
  }
  Check(catalog::ValidateFilmId(record->film_id).ok(),
        "accepted record has an invalid film id", record->film_id);
  absl::StatusOr<std::string> id =
      catalog::ParseFilmName(catalog::FilmName(record->film_id));
  Check(id.ok() && *id == record->film_id,
        "film name does not parse back to the id", record->film_id);
  Check(record->film.name().empty(), "parsed film has a name");
  for (int i = 0; i < record->film.scenes_size(); ++i) {
    Check(record->film.scenes(i).scene_id() == absl::StrCat("s", i + 1),
          "scene ids are not s1, s2, ...");
  }
  const catalog::v1::Film copy = RoundTrip(record->film);

  const absl::Status valid = catalog::ValidateFilm(record->film);
  if (valid.ok()) {
    Check(catalog::ValidateFilm(copy).ok(),
          "a valid film is invalid after a round trip");
  } else {
    CheckNamedError(valid, {"film.", "film:"});
  }
}

}  // namespace
}  // namespace reel::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = reel::fuzz::SilenceProtobufLogs();
  (void)quiet;
  reel::fuzz::FuzzRecord(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
