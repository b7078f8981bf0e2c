// Invariant checks shared by the fuzz targets. A failed check prints what
// was expected and aborts, which libFuzzer reports as a crash and saves the
// input; "no crash" alone would miss wrong answers.
#ifndef REEL_TESTS_FUZZ_FUZZ_CHECKS_H_
#define REEL_TESTS_FUZZ_FUZZ_CHECKS_H_

#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace reel::fuzz {

[[noreturn]] inline void Fail(absl::string_view what,
                              absl::string_view detail = "") {
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n%.*s\n",
               static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void Check(bool ok, absl::string_view what,
                  absl::string_view detail = "") {
  if (!ok) Fail(what, detail);
}

// Drops protobuf's log lines (e.g. "invalid UTF-8 when parsing" for every
// fuzzed message), which would slow the run and bury the report; the
// checks here say what went wrong. Call once, from a static initialiser.
inline bool SilenceProtobufLogs() {
  google::protobuf::SetLogHandler(nullptr);
  return true;
}

// Every rejection of request or file content is INVALID_ARGUMENT with a
// message that starts with one of `prefixes` (the field or line at fault).
inline void CheckNamedError(const absl::Status& status,
                            std::initializer_list<absl::string_view> prefixes) {
  Check(status.code() == absl::StatusCode::kInvalidArgument,
        "error is not INVALID_ARGUMENT", status.ToString());
  Check(!status.message().empty(), "error has an empty message");
  for (absl::string_view prefix : prefixes) {
    if (absl::StartsWith(status.message(), prefix)) return;
  }
  Fail("error message does not name the field or line", status.ToString());
}

// The message survives the wire: it serialises, parses back (proto3 strings
// must be UTF-8, or the peer's parse fails) and compares equal.
template <typename Message>
Message RoundTrip(const Message& message) {
  std::string bytes;
  Check(message.SerializeToString(&bytes), "message does not serialise");
  Message parsed;
  Check(parsed.ParseFromString(bytes),
        "message does not parse back after serialising (invalid UTF-8?)",
        message.ShortDebugString());
  Check(google::protobuf::util::MessageDifferencer::Equals(message, parsed),
        "message changes in a round trip", message.ShortDebugString());
  return parsed;
}

}  // namespace reel::fuzz

#endif  // REEL_TESTS_FUZZ_FUZZ_CHECKS_H_
