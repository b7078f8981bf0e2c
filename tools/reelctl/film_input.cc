#include "tools/reelctl/film_input.h"

#include <google/protobuf/util/json_util.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "catalog-service/importer/film_page_parser.h"
#include "catalog-service/importer/gz_line_reader.h"
#include "common/status/status_macros.h"

namespace reel::reelctl {
namespace {

// Film JSON and film pages are far smaller than this.
constexpr size_t kMaxInputBytes = 16 << 20;

absl::Status WithPath(const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(path, ": ", status.message()));
}

}  // namespace

absl::StatusOr<catalog::v1::Film> FilmFromJson(absl::string_view json) {
  catalog::v1::Film film;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &film);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid Film JSON: ", status.message().ToString()));
  }
  return film;
}

absl::StatusOr<catalog::v1::Film> FilmFromFile(const std::string& path) {
  REEL_ASSIGN_OR_RETURN(std::unique_ptr<catalog::GzLineReader> reader,
                        catalog::GzLineReader::Open(path));
  std::string text;
  REEL_RETURN_IF_ERROR(reader->ReadAll(kMaxInputBytes, &text));
  absl::string_view content = text;
  absl::ConsumePrefix(&content, "\xEF\xBB\xBF");
  absl::StatusOr<catalog::v1::Film> film =
      absl::StartsWith(absl::StripLeadingAsciiWhitespace(content), "{")
          ? FilmFromJson(content)
          : catalog::ParseFilmPage(content);
  if (!film.ok()) return WithPath(path, film.status());
  return film;
}

}  // namespace reel::reelctl
