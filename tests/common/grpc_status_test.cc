#include "common/status/grpc_status.h"

#include <gtest/gtest.h>

#include "common/status/rocksdb_status.h"
#include "tests/testing/status_matchers.h"

namespace reel {
namespace {

using ::reel::testing::StatusIs;
using ::testing::HasSubstr;

TEST(GrpcStatusTest, KeepsCodeAndMessageBothWays) {
  absl::Status aborted = absl::AbortedError("film.etag: stale");
  grpc::Status wire = ToGrpcStatus(aborted);
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(wire.error_message(), "film.etag: stale");
  EXPECT_EQ(FromGrpcStatus(wire), aborted);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::OUT_OF_RANGE), "OUT_OF_RANGE");
}

TEST(RocksDbStatusTest, MapsCorruptionToDataLossWithContext) {
  EXPECT_THAT(FromRocksDbStatus(rocksdb::Status::Corruption("bad block"),
                                "reading films/x"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("reading films/x: Corruption: bad block")));
  EXPECT_THAT(FromRocksDbStatus(rocksdb::Status::IOError("disk"), "write"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("disk")));
  EXPECT_TRUE(FromRocksDbStatus(rocksdb::Status::OK(), "x").ok());
}

}  // namespace
}  // namespace reel
