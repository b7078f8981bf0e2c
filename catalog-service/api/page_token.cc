#include "catalog-service/api/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catalog-service/model/film_name.h"

namespace reel::catalog {
namespace {

constexpr absl::string_view kVersionPrefix = "L1:";

absl::Status Malformed() {
  return absl::InvalidArgumentError(
      "page_token: is not a token returned by ListFilms");
}

}  // namespace

std::string EncodePageToken(absl::string_view last_film_id) {
  return absl::WebSafeBase64Escape(absl::StrCat(kVersionPrefix, last_film_id));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token) {
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(token, &decoded) ||
      !absl::StartsWith(decoded, kVersionPrefix)) {
    return Malformed();
  }
  std::string film_id = decoded.substr(kVersionPrefix.size());
  if (!ValidateFilmId(film_id).ok()) return Malformed();
  return film_id;
}

}  // namespace reel::catalog
