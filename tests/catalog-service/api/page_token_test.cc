#include "catalog-service/api/page_token.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace reel::catalog {
namespace {

using ::reel::testing::IsOkAndHolds;
using ::reel::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PageTokenTest, RoundTripsFilmIds) {
  for (const char* id :
       {"a", "wp:The_Spider_and_the_Fly_(1949_film)", "bp:1927-wings"}) {
    EXPECT_THAT(DecodePageToken(EncodePageToken(id)), IsOkAndHolds(id));
  }
}

TEST(PageTokenTest, RejectsTokensItDidNotMake) {
  for (const char* token : {"", "!!!", "YWJj", "TDE6"}) {
    EXPECT_THAT(
        DecodePageToken(token),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")))
        << token;
  }
}

}  // namespace
}  // namespace reel::catalog
