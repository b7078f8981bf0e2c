// PageCursor and CursorSigner: SearchScenes' page_token, an opaque cursor
// that continues the same order at the same index revision, and that a
// client cannot forge or alter.
//
// A token carries the index revision the first page was answered at, a
// fingerprint of the request fields that decide what matches and in which
// order, how many hits earlier pages returned, and the position after which
// the next page starts (the last hit's sort key, encoded by the engine and
// opaque here). It is signed with HMAC-SHA256 under the signer's key and
// written in unpadded base64url.
//
// Replicas behind one address must share the key (--page_token_key_file);
// with a random key (the default) a token only works on the replica that
// issued it, and elsewhere it is INVALID_ARGUMENT.
//
// Thread-safe (immutable after construction).
#ifndef REEL_SEARCH_SERVICE_API_PAGE_CURSOR_H_
#define REEL_SEARCH_SERVICE_API_PAGE_CURSOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "search-service/index/scene_index.h"

namespace reel::search {

struct PageCursor {
  int64_t index_revision = 0;
  uint64_t request_fingerprint = 0;
  int64_t returned = 0;  // Hits on the pages before the next one.
  std::string position;  // After which hit the next page starts.
};

class CursorSigner {
 public:
  // Most bytes a token may have; longer ones are INVALID_ARGUMENT.
  static constexpr size_t kMaxTokenBytes = 2048;

  // A signer with a fresh random key.
  static CursorSigner WithRandomKey();
  // A signer whose key is the whole content of `path` (at least 32 bytes).
  // INVALID_ARGUMENT when shorter; NOT_FOUND or UNAVAILABLE when it cannot
  // be read.
  static absl::StatusOr<CursorSigner> FromKeyFile(const std::string& path);

  std::string Encode(const PageCursor& cursor) const;
  // INVALID_ARGUMENT ("page_token: ...") for a token this key did not sign,
  // or one that is malformed or too long.
  absl::StatusOr<PageCursor> Decode(absl::string_view token) const;

 private:
  explicit CursorSigner(const std::string& key);
  std::string Mac(absl::string_view payload) const;

  // HMAC-SHA256 (RFC 2104) with the key's two padded blocks digested once:
  // a MAC then costs two digest copies, not a key schedule per token.
  struct Hmac;
  std::shared_ptr<const Hmac> hmac_;
};

// PageCursor::position for the index's ResultPosition, and back.
// INVALID_ARGUMENT ("page_token: ...") when the bytes are not one (a token
// is signed, so only a bug could produce that).
std::string EncodePosition(const ResultPosition& position);
absl::StatusOr<ResultPosition> DecodePosition(absl::string_view bytes);

}  // namespace reel::search

#endif  // REEL_SEARCH_SERVICE_API_PAGE_CURSOR_H_
