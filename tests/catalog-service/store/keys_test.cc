#include "catalog-service/store/keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/testing/status_matchers.h"

namespace reel::catalog::keys {
namespace {

using ::reel::testing::IsOkAndHolds;
using ::reel::testing::StatusIs;
using ::testing::HasSubstr;

TEST(EncodeRevisionTest, IsEightBytesBigEndian) {
  EXPECT_EQ(EncodeRevision(0), std::string(8, '\0'));
  EXPECT_EQ(EncodeRevision(1), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(EncodeRevision(0x0102030405060708),
            std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(EncodeRevision(256), std::string("\0\0\0\0\0\0\x01\0", 8));
}

TEST(EncodeRevisionTest, ByteOrderIsNumericOrder) {
  const std::vector<int64_t> revisions = {0,
                                          1,
                                          2,
                                          9,
                                          10,
                                          255,
                                          256,
                                          257,
                                          65'535,
                                          65'536,
                                          1'000'000,
                                          (int64_t{1} << 32) - 1,
                                          int64_t{1} << 32,
                                          std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i + 1 < revisions.size(); ++i) {
    EXPECT_LT(EncodeRevision(revisions[i]), EncodeRevision(revisions[i + 1]))
        << revisions[i] << " vs " << revisions[i + 1];
  }
}

TEST(DecodeRevisionTest, RoundTrips) {
  for (int64_t revision :
       {int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256}, int64_t{800},
        int64_t{123'456'789'012}, std::numeric_limits<int64_t>::max()}) {
    EXPECT_THAT(DecodeRevision(EncodeRevision(revision)),
                IsOkAndHolds(revision));
  }
}

TEST(DecodeRevisionTest, WrongLengthIsDataLoss) {
  EXPECT_THAT(DecodeRevision(std::string(7, '\0')),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("7 bytes")));
  EXPECT_THAT(DecodeRevision(std::string(9, '\0')),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("9 bytes")));
  EXPECT_THAT(DecodeRevision(""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("0 bytes")));
}

TEST(IdempotencyRecordTest, RoundTrips) {
  IdempotencyRecord record;
  record.request_checksum = 0xDEADBEEF;
  record.created = absl::FromUnixMicros(1'700'000'000'123'456);
  record.response_film = std::string("film\0bytes\xff", 11);

  ASSERT_OK_AND_ASSIGN(
      IdempotencyRecord decoded,
      DecodeIdempotencyRecord(EncodeIdempotencyRecord(record)));
  EXPECT_EQ(decoded.request_checksum, 0xDEADBEEFu);
  EXPECT_EQ(decoded.created, record.created);
  EXPECT_EQ(decoded.response_film, record.response_film);
}

TEST(IdempotencyRecordTest, EmptyResponseRoundTrips) {
  IdempotencyRecord record;
  record.request_checksum = 7;
  record.created = absl::FromUnixSeconds(1);
  const std::string bytes = EncodeIdempotencyRecord(record);
  EXPECT_EQ(bytes.size(), 12u);
  ASSERT_OK_AND_ASSIGN(IdempotencyRecord decoded,
                       DecodeIdempotencyRecord(bytes));
  EXPECT_EQ(decoded.request_checksum, 7u);
  EXPECT_EQ(decoded.created, absl::FromUnixSeconds(1));
  EXPECT_EQ(decoded.response_film, "");
}

TEST(IdempotencyRecordTest, KeepsMicrosecondPrecision) {
  IdempotencyRecord record;
  record.created = absl::FromUnixNanos(1'700'000'000'123'456'789);
  ASSERT_OK_AND_ASSIGN(
      IdempotencyRecord decoded,
      DecodeIdempotencyRecord(EncodeIdempotencyRecord(record)));
  EXPECT_EQ(decoded.created, absl::FromUnixMicros(1'700'000'000'123'456));
}

TEST(IdempotencyRecordTest, TruncatedIsDataLoss) {
  IdempotencyRecord record;
  record.request_checksum = 1;
  record.created = absl::FromUnixSeconds(5);
  const std::string bytes = EncodeIdempotencyRecord(record);
  EXPECT_THAT(DecodeIdempotencyRecord(bytes.substr(0, 11)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
  EXPECT_THAT(DecodeIdempotencyRecord(""),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

TEST(SliceTest, BridgesWithoutCopyingOrLosingNuls) {
  const std::string bytes("a\0b", 3);
  rocksdb::Slice slice = ToSlice(bytes);
  EXPECT_EQ(slice.data(), bytes.data());
  EXPECT_EQ(slice.size(), 3u);
  absl::string_view back = FromSlice(slice);
  EXPECT_EQ(back.data(), bytes.data());
  EXPECT_EQ(back, absl::string_view(bytes));
}

}  // namespace
}  // namespace reel::catalog::keys
