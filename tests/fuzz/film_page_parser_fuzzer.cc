// Fuzzes ParseFilmPage (catalog-service/importer/film_page_parser.h) with
// arbitrary page text. Invariants beyond "no crash":
//  - a rejected page is INVALID_ARGUMENT naming the line ("line N: ...");
//  - a parsed film has a title, no id, name or year, and scene ids s1, s2...;
//  - it survives the wire (serialise, parse back, equal), since the importer
//    sends it to the catalog;
//  - ValidateFilm either accepts it, and then accepts its round-tripped copy
//    too, or names the film field at fault;
//  - parsing is deterministic.
#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "catalog-service/importer/film_page_parser.h"
#include "catalog-service/model/film_validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_checks.h"

namespace reel::fuzz {
namespace {

using ::google::protobuf::util::MessageDifferencer;

void FuzzPage(absl::string_view text) {
  absl::StatusOr<catalog::v1::Film> film = catalog::ParseFilmPage(text);
  if (!film.ok()) {
    CheckNamedError(film.status(), {"line "});
    return;
  }
  Check(!film->title().empty(), "parsed film has no title");
  Check(film->name().empty() && film->year() == 0,
        "parsed film has a name or year the page cannot hold");
  for (int i = 0; i < film->scenes_size(); ++i) {
    Check(film->scenes(i).scene_id() == absl::StrCat("s", i + 1),
          "scene ids are not s1, s2, ...", film->scenes(i).scene_id());
  }
  const catalog::v1::Film copy = RoundTrip(*film);

  const absl::Status valid = catalog::ValidateFilm(*film);
  if (valid.ok()) {
    Check(catalog::ValidateFilm(copy).ok(),
          "a valid film is invalid after a round trip");
  } else {
    CheckNamedError(valid, {"film.", "film:"});
  }

  absl::StatusOr<catalog::v1::Film> again = catalog::ParseFilmPage(text);
  Check(again.ok() && MessageDifferencer::Equals(*film, *again),
        "parsing the same page twice differs");
}

}  // namespace
}  // namespace reel::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = reel::fuzz::SilenceProtobufLogs();
  (void)quiet;
  reel::fuzz::FuzzPage(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
