// Early-return helpers for absl::Status / absl::StatusOr<T>, which Debian's
// Abseil does not ship.
//
//   REEL_RETURN_IF_ERROR(store.Put(key, value));
//   REEL_ASSIGN_OR_RETURN(Film film, store.Get(name));
#ifndef REEL_COMMON_STATUS_STATUS_MACROS_H_
#define REEL_COMMON_STATUS_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define REEL_RETURN_IF_ERROR(expr)                                  \
  do {                                                              \
    if (::absl::Status reel_status_ = (expr); !reel_status_.ok()) { \
      return reel_status_;                                          \
    }                                                               \
  } while (false)

#define REEL_STATUS_CONCAT_INNER_(a, b) a##b
#define REEL_STATUS_CONCAT_(a, b) REEL_STATUS_CONCAT_INNER_(a, b)

#define REEL_ASSIGN_OR_RETURN(lhs, expr)                                     \
  REEL_ASSIGN_OR_RETURN_IMPL_(REEL_STATUS_CONCAT_(reel_statusor_, __LINE__), \
                              lhs, expr)

#define REEL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)   \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // REEL_COMMON_STATUS_STATUS_MACROS_H_
