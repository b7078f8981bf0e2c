// Page tokens: what one signer encodes it decodes unchanged; anything
// altered, forged, foreign or malformed is INVALID_ARGUMENT naming
// page_token.
#include "search-service/api/page_cursor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace reel::search {
namespace {

using ::reel::testing::StatusIs;
using ::testing::HasSubstr;

PageCursor Sample() {
  PageCursor cursor;
  cursor.index_revision = 2758;
  cursor.request_fingerprint = 0x0123456789abcdefULL;
  cursor.returned = 40;
  cursor.position = std::string("films/x\0\x01\xff", 10);
  return cursor;
}

TEST(PageCursorTest, RoundTrips) {
  const CursorSigner signer = CursorSigner::WithRandomKey();
  const std::string token = signer.Encode(Sample());
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                    "opqrstuvwxyz0123456789-_"),
            std::string::npos)
      << token;  // URL-safe as it is.
  ASSERT_OK_AND_ASSIGN(PageCursor decoded, signer.Decode(token));
  EXPECT_EQ(decoded.index_revision, 2758);
  EXPECT_EQ(decoded.request_fingerprint, 0x0123456789abcdefULL);
  EXPECT_EQ(decoded.returned, 40);
  EXPECT_EQ(decoded.position, Sample().position);
}

TEST(PageCursorTest, AlteredForgedOrForeignTokensAreRejected) {
  const CursorSigner signer = CursorSigner::WithRandomKey();
  const std::string token = signer.Encode(Sample());
  std::string bytes;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &bytes));
  // Every single flipped byte, payload or signature, is caught.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string altered = bytes;
    altered[i] ^= 0x20;
    EXPECT_THAT(signer.Decode(absl::WebSafeBase64Escape(altered)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("page_token: was not issued by this "
                                   "service, or was altered")))
        << "byte " << i;
  }
  // Another key (another replica without a shared key file).
  EXPECT_THAT(CursorSigner::WithRandomKey().Decode(token),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--page_token_key_file")));
  // Spare bits of the last character, padding and spaces do not change the
  // decoded bytes but still make another token.
  std::string spare_bits = token;
  spare_bits.back() = spare_bits.back() == 'A' ? 'B' : 'A';
  for (const std::string& junk :
       {std::string(""), std::string("not a token!"), std::string("AAAA"),
        token.substr(0, token.size() / 2), token + "=", token + " ",
        " " + token, token + "\n", spare_bits}) {
    EXPECT_THAT(
        signer.Decode(junk),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token: ")))
        << junk;
  }
  EXPECT_THAT(signer.Decode(std::string(CursorSigner::kMaxTokenBytes + 1, 'A')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tokens are at most")));
}

TEST(PageCursorTest, ReplicasSharingAKeyFileAcceptEachOthersTokens) {
  reel::testing::TempDir dir;
  std::ofstream(dir.Join("key")) << std::string(32, 'k');
  ASSERT_OK_AND_ASSIGN(CursorSigner first,
                       CursorSigner::FromKeyFile(dir.Join("key")));
  ASSERT_OK_AND_ASSIGN(CursorSigner second,
                       CursorSigner::FromKeyFile(dir.Join("key")));
  ASSERT_OK_AND_ASSIGN(PageCursor decoded,
                       second.Decode(first.Encode(Sample())));
  EXPECT_EQ(decoded.returned, 40);

  std::ofstream(dir.Join("short")) << "too short";
  EXPECT_THAT(
      CursorSigner::FromKeyFile(dir.Join("short")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 32")));
  EXPECT_THAT(CursorSigner::FromKeyFile(dir.Join("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

// Tokens stay those of earlier versions: the signature is HMAC-SHA256 of
// the payload under the key file's bytes (shorter and longer than SHA-256's
// block), truncated to 16 bytes, as OpenSSL's HMAC computes it.
TEST(PageCursorTest, TheSignatureIsTheKeysHmacSha256) {
  reel::testing::TempDir dir;
  for (const std::string& key :
       {std::string(32, 'k'), std::string("0123456789abcdef0123456789abcdef!"),
        std::string(64, 'x'), std::string(100, 'y')}) {
    std::ofstream(dir.Join("key"), std::ios::trunc) << key;
    ASSERT_OK_AND_ASSIGN(CursorSigner signer,
                         CursorSigner::FromKeyFile(dir.Join("key")));
    std::string bytes;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(signer.Encode(Sample()), &bytes));
    ASSERT_GT(bytes.size(), 16u);
    const std::string payload = bytes.substr(0, bytes.size() - 16);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
         mac, &length);
    ASSERT_EQ(length, 32u);
    EXPECT_EQ(bytes.substr(bytes.size() - 16),
              std::string(reinterpret_cast<const char*>(mac), 16))
        << key.size() << "-byte key";
  }
}

}  // namespace
}  // namespace reel::search
