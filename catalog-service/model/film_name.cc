#include "catalog-service/model/film_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace reel::catalog {
namespace {

constexpr absl::string_view kPrefix = "films/";
constexpr absl::string_view kIdPunctuation = "-._~:%()!,'+";

}  // namespace

absl::Status ValidateFilmId(absl::string_view film_id,
                            absl::string_view field) {
  if (film_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": is required"));
  }
  if (film_id.size() > kMaxFilmIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is ", film_id.size(), " bytes; the limit is ",
                     kMaxFilmIdBytes));
  }
  // Path segments of their own meaning in URLs and files: never an id.
  if (film_id == "." || film_id == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", film_id, "\" is not allowed as an id"));
  }
  for (size_t i = 0; i < film_id.size(); ++i) {
    const char c = film_id[i];
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
        kIdPunctuation.find(c) != absl::string_view::npos) {
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": character ", i, " (byte 0x",
        absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2),
        ") is not allowed; use ASCII letters, digits and ", kIdPunctuation));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseFilmName(absl::string_view name,
                                          absl::string_view field) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is required (films/{film_id})"));
  }
  if (!absl::StartsWith(name, kPrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", absl::CHexEscape(name.substr(0, 64)),
                     "\" is not a film name of the form films/{film_id}"));
  }
  absl::string_view id = name.substr(kPrefix.size());
  if (absl::Status status = ValidateFilmId(id, field); !status.ok()) {
    return status;
  }
  return std::string(id);
}

std::string FilmName(absl::string_view film_id) {
  return absl::StrCat(kPrefix, film_id);
}

}  // namespace reel::catalog
