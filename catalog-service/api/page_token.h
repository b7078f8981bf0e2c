// ListFilms page tokens: an opaque, versioned encoding of the last film id a
// page returned. Because a token is a position in id order rather than an
// offset, it stays valid however the catalog changes between pages.
#ifndef REEL_CATALOG_SERVICE_API_PAGE_TOKEN_H_
#define REEL_CATALOG_SERVICE_API_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reel::catalog {

std::string EncodePageToken(absl::string_view last_film_id);

// The last film id, or INVALID_ARGUMENT naming page_token when the token was
// not made by EncodePageToken.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token);

}  // namespace reel::catalog

#endif  // REEL_CATALOG_SERVICE_API_PAGE_TOKEN_H_
