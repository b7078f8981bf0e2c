// gMock matchers for absl::Status and absl::StatusOr<T> (Debian's Abseil does
// not ship absl/status/status_matchers.h):
//
//   EXPECT_THAT(store.Get("films/x"), StatusIs(absl::StatusCode::kNotFound,
//                                              HasSubstr("films/x")));
//   EXPECT_THAT(store.Get("films/y"), IsOkAndHolds(Field(&Film::title, "Y")));
//   ASSERT_OK(status);  ASSERT_OK_AND_ASSIGN(Film film, store.Get(name));
#ifndef REEL_TESTS_TESTING_STATUS_MATCHERS_H_
#define REEL_TESTS_TESTING_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace reel::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& status = ::reel::testing::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(status.message()), result_listener);
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = ::reel::testing::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.ok();
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace reel::testing

#define REEL_TESTING_CONCAT_INNER_(a, b) a##b
#define REEL_TESTING_CONCAT_(a, b) REEL_TESTING_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::reel::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::reel::testing::IsOk())

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                               \
  auto REEL_TESTING_CONCAT_(reel_statusor_, __LINE__) = (expr);       \
  ASSERT_OK(REEL_TESTING_CONCAT_(reel_statusor_, __LINE__).status()); \
  lhs = std::move(REEL_TESTING_CONCAT_(reel_statusor_, __LINE__)).value()

#endif  // REEL_TESTS_TESTING_STATUS_MATCHERS_H_
