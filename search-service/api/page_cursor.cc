#include "search-service/api/page_cursor.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace reel::search {
namespace {

constexpr char kVersion = 1;
constexpr size_t kMacBytes = 16;  // HMAC-SHA256, truncated.
constexpr size_t kFixedBytes = 1 + 8 + 8 + 8;

absl::Status BadToken(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "page_token: ", why,
      "; pass the next_page_token of this service's previous response "
      "unchanged, or leave it empty for the first page"));
}

void PutUint64(uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

uint64_t GetUint64(const char* bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

}  // namespace

struct CursorSigner::Hmac {
  EVP_MD* sha256 = nullptr;
  // Digests of the key xor ipad and xor opad, to be continued.
  EVP_MD_CTX* inner = nullptr;
  EVP_MD_CTX* outer = nullptr;

  ~Hmac() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
    EVP_MD_free(sha256);
  }
};

CursorSigner::CursorSigner(const std::string& key) {
  auto hmac = std::make_shared<Hmac>();
  constexpr size_t kBlockBytes = 64;  // SHA-256's.
  unsigned char block[kBlockBytes] = {};
  unsigned char pad[kBlockBytes];
  hmac->sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  hmac->inner = EVP_MD_CTX_new();
  hmac->outer = EVP_MD_CTX_new();
  bool ok = hmac->sha256 != nullptr && hmac->inner != nullptr &&
            hmac->outer != nullptr;
  // A key longer than a block is replaced by its digest.
  if (ok && key.size() > kBlockBytes) {
    ok = EVP_Digest(key.data(), key.size(), block, nullptr, hmac->sha256,
                    nullptr) == 1;
  } else if (ok) {
    std::memcpy(block, key.data(), key.size());
  }
  for (auto [ctx, mask] :
       {std::pair{hmac->inner, 0x36}, std::pair{hmac->outer, 0x5c}}) {
    for (size_t i = 0; i < kBlockBytes; ++i) {
      pad[i] = static_cast<unsigned char>(block[i] ^ mask);
    }
    ok = ok && EVP_DigestInit_ex2(ctx, hmac->sha256, nullptr) == 1 &&
         EVP_DigestUpdate(ctx, pad, kBlockBytes) == 1;
  }
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
  // Only a broken libcrypto fails here; a signer must never sign weakly.
  if (!ok) std::abort();
  hmac_ = std::move(hmac);
}

CursorSigner CursorSigner::WithRandomKey() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()),
                 static_cast<int>(key.size())) != 1) {
    // OpenSSL's generator is seeded from the OS; failing here means the OS
    // gave it nothing, and a predictable key would let tokens be forged.
    std::abort();
  }
  return CursorSigner(std::move(key));
}

absl::StatusOr<CursorSigner> CursorSigner::FromKeyFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "page token key file ", path, " cannot be read: ", strerror(errno)));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  std::string key = contents.str();
  if (key.size() < 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("page token key file ", path, " holds ", key.size(),
                     " bytes; a key needs at least 32 (e.g. from "
                     "`head -c 32 /dev/urandom`)"));
  }
  return CursorSigner(std::move(key));
}

std::string CursorSigner::Mac(absl::string_view payload) const {
  // H(key ^ opad || H(key ^ ipad || payload)), from the digested pads.
  unsigned char inner[EVP_MAX_MD_SIZE];
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr &&
                  EVP_MD_CTX_copy_ex(ctx, hmac_->inner) == 1 &&
                  EVP_DigestUpdate(ctx, payload.data(), payload.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, inner, &length) == 1 &&
                  EVP_MD_CTX_copy_ex(ctx, hmac_->outer) == 1 &&
                  EVP_DigestUpdate(ctx, inner, length) == 1 &&
                  EVP_DigestFinal_ex(ctx, mac, &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();  // Out of memory in libcrypto.
  return std::string(reinterpret_cast<const char*>(mac), kMacBytes);
}

std::string CursorSigner::Encode(const PageCursor& cursor) const {
  std::string payload;
  payload.push_back(kVersion);
  PutUint64(static_cast<uint64_t>(cursor.index_revision), &payload);
  PutUint64(cursor.request_fingerprint, &payload);
  PutUint64(static_cast<uint64_t>(cursor.returned), &payload);
  payload.append(cursor.position);
  payload.append(Mac(payload));
  return absl::WebSafeBase64Escape(payload);
}

absl::StatusOr<PageCursor> CursorSigner::Decode(absl::string_view token) const {
  if (token.size() > kMaxTokenBytes) {
    return BadToken(absl::StrCat("is ", token.size(),
                                 " bytes; tokens are at "
                                 "most ",
                                 kMaxTokenBytes));
  }
  std::string bytes;
  // Only the exact text Encode wrote: base64 decoders forgive spare bits
  // and padding, and an altered token must not pass for the same one.
  if (!absl::WebSafeBase64Unescape(token, &bytes) ||
      bytes.size() < kFixedBytes + kMacBytes ||
      absl::WebSafeBase64Escape(bytes) != token) {
    return BadToken("is not a page token");
  }
  const absl::string_view payload(bytes.data(), bytes.size() - kMacBytes);
  const std::string expected = Mac(payload);
  if (CRYPTO_memcmp(expected.data(), bytes.data() + payload.size(),
                    kMacBytes) != 0) {
    return BadToken(
        "was not issued by this service, or was altered (a token from "
        "another replica needs the same --page_token_key_file)");
  }
  if (payload[0] != kVersion) return BadToken("has an unknown version");
  PageCursor cursor;
  cursor.index_revision = static_cast<int64_t>(GetUint64(payload.data() + 1));
  cursor.request_fingerprint = GetUint64(payload.data() + 9);
  cursor.returned = static_cast<int64_t>(GetUint64(payload.data() + 17));
  cursor.position = std::string(payload.substr(kFixedBytes));
  return cursor;
}

std::string EncodePosition(const ResultPosition& position) {
  std::string bytes;
  uint32_t score_bits = 0;
  static_assert(sizeof(score_bits) == sizeof(position.score));
  std::memcpy(&score_bits, &position.score, sizeof(score_bits));
  PutUint64(static_cast<uint32_t>(position.matched_clauses), &bytes);
  PutUint64(score_bits, &bytes);
  PutUint64(static_cast<uint64_t>(static_cast<int64_t>(position.year)), &bytes);
  PutUint64(static_cast<uint32_t>(position.scene_ordinal), &bytes);
  PutUint64(position.title_key.size(), &bytes);
  bytes.append(position.title_key);
  bytes.append(position.film);
  return bytes;
}

absl::StatusOr<ResultPosition> DecodePosition(absl::string_view bytes) {
  if (bytes.size() < 40) return BadToken("holds no position");
  ResultPosition position;
  position.matched_clauses = static_cast<int>(GetUint64(bytes.data()));
  const uint32_t score_bits =
      static_cast<uint32_t>(GetUint64(bytes.data() + 8));
  std::memcpy(&position.score, &score_bits, sizeof(score_bits));
  position.year =
      static_cast<int>(static_cast<int64_t>(GetUint64(bytes.data() + 16)));
  position.scene_ordinal = static_cast<int>(GetUint64(bytes.data() + 24));
  const uint64_t title_bytes = GetUint64(bytes.data() + 32);
  if (title_bytes > bytes.size() - 40) return BadToken("holds no position");
  position.title_key = std::string(bytes.substr(40, title_bytes));
  position.film = std::string(bytes.substr(40 + title_bytes));
  return position;
}

}  // namespace reel::search
