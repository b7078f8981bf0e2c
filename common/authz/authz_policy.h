// AuthzPolicy: which callers may call which methods, in the JSON format of
// gRPC's authorization policies (gRFC A43), the subset Reel enforces:
//
//   {"name": "reel-catalog",
//    "deny_rules":  [RULE...],        // optional; checked first
//    "allow_rules": [RULE...]}        // required; anything unmatched is denied
//   RULE = {"name": "writer",
//           "source":  {"principals": ["*/sa/reel-writer"]},
//           "request": {"paths": ["/reel.catalog.v1.CatalogService/*"]}}
//
// A rule matches a call when one of its principals matches one of the
// caller's identities (absent "source": any caller, authenticated or not)
// and one of its paths matches the method path (absent "request": any
// method). A pattern is exact, "*" (anything), "prefix*" or "*suffix"; a
// "*" anywhere else is an error at Parse (gRPC reads it as a literal).
// Anything else in the JSON (headers, unknown fields) is an error at Parse,
// never ignored. Immutable once parsed; thread-safe.
#ifndef REEL_COMMON_AUTHZ_AUTHZ_POLICY_H_
#define REEL_COMMON_AUTHZ_AUTHZ_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace reel {

// What a caller is known by: from its mutual-TLS certificate, the URI and
// DNS subject alternative names, then the subject ("CN=...").
struct CallerIdentity {
  std::vector<std::string> names;
  bool authenticated() const { return !names.empty(); }
};

struct AuthzDecision {
  bool allowed = false;
  std::string rule;  // The matching rule's name; "" when none matched.
};

class AuthzPolicy {
 public:
  // INVALID_ARGUMENT naming the JSON path of the first problem.
  static absl::StatusOr<AuthzPolicy> Parse(absl::string_view json);

  AuthzDecision Evaluate(const CallerIdentity& caller,
                         absl::string_view method_path) const;
  const std::string& name() const { return name_; }

 private:
  struct Rule {
    std::string name;
    bool any_source = true;
    std::vector<std::string> principals;
    bool any_request = true;
    std::vector<std::string> paths;
  };
  static bool Matches(const Rule& rule, const CallerIdentity& caller,
                      absl::string_view method_path);

  std::string name_;
  std::vector<Rule> deny_rules_;
  std::vector<Rule> allow_rules_;
};

// Whether `value` matches `pattern` (exact, "*", "prefix*", "*suffix").
bool MatchesPattern(absl::string_view pattern, absl::string_view value);

}  // namespace reel

#endif  // REEL_COMMON_AUTHZ_AUTHZ_POLICY_H_
