#include "common/authz/authz_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace reel {
namespace {

using ::testing::HasSubstr;

constexpr char kPolicy[] = R"({
  "name": "p",
  "deny_rules": [{"name": "no-deletes-from-ci",
                  "source": {"principals": ["spiffe://reel/ns/ci/*"]},
                  "request": {"paths": ["*/DeleteFilm"]}}],
  "allow_rules": [
    {"name": "health", "request": {"paths": ["/grpc.health.v1.Health/*"]}},
    {"name": "ci", "source": {"principals": ["spiffe://reel/ns/ci/*"]}},
    {"name": "by-subject", "source": {"principals": ["CN=ops"]},
     "request": {"paths": ["/s.S/Get"]}}]
})";

TEST(AuthzPolicyTest, DenyRulesWinThenAllowRulesThenDeny) {
  auto policy = AuthzPolicy::Parse(kPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const CallerIdentity ci{{"spiffe://reel/ns/ci/sa/runner", "CN=runner"}};
  const CallerIdentity ops{{"CN=ops"}};
  const CallerIdentity anonymous;
  EXPECT_TRUE(policy->Evaluate(ci, "/s.S/Get").allowed);
  EXPECT_EQ(policy->Evaluate(ci, "/s.S/Get").rule, "ci");
  EXPECT_FALSE(policy->Evaluate(ci, "/s.S/DeleteFilm").allowed);
  EXPECT_EQ(policy->Evaluate(ci, "/s.S/DeleteFilm").rule, "no-deletes-from-ci");
  EXPECT_TRUE(policy->Evaluate(ops, "/s.S/Get").allowed);
  EXPECT_FALSE(policy->Evaluate(ops, "/s.S/Put").allowed);
  EXPECT_EQ(policy->Evaluate(ops, "/s.S/Put").rule, "");
  EXPECT_TRUE(
      policy->Evaluate(anonymous, "/grpc.health.v1.Health/Check").allowed);
  EXPECT_FALSE(policy->Evaluate(anonymous, "/s.S/Get").allowed);
}

TEST(AuthzPolicyTest, PatternsAreExactPrefixSuffixOrAny) {
  EXPECT_TRUE(MatchesPattern("*", "anything"));
  EXPECT_TRUE(MatchesPattern("/a/*", "/a/b"));
  EXPECT_FALSE(MatchesPattern("/a/*", "/b/a"));
  EXPECT_TRUE(MatchesPattern("*/Get", "/s.S/Get"));
  EXPECT_FALSE(MatchesPattern("*/Get", "/s.S/GetMore"));
  EXPECT_TRUE(MatchesPattern("/s.S/Get", "/s.S/Get"));
  EXPECT_FALSE(MatchesPattern("/s.S/Get", "/s.S/Ge"));
}

TEST(AuthzPolicyTest, WhatItDoesNotEnforceIsAnErrorNotIgnored) {
  struct Case {
    const char* json;
    const char* problem;
  } cases[] = {
      {"not json", "is not valid JSON"},
      {R"({"allow_rules": []})", "name: is required"},
      {R"({"name": "p"})", "allow_rules: is required"},
      {R"({"name": "p", "allow_rules": [{"name": "r", "request":
          {"paths": ["/a"], "headers": [{"key": "k", "values": ["v"]}]}}]})",
       "allow_rules[0].request.headers: is not supported"},
      {R"({"name": "p", "audit_logging_options": {}, "allow_rules": []})",
       "audit_logging_options: is not supported"},
      {R"({"name": "p", "allow_rules": [{"source": {"principals": ["x"]}}]})",
       "allow_rules[0].name: is required"},
      {R"({"name": "p", "allow_rules": [{"name": "r", "source":
          {"principals": []}}]})",
       "allow_rules[0].source.principals: must be a non-empty array"},
      {R"({"name": "p", "allow_rules": [{"name": "r", "request":
          {"paths": [""]}}]})",
       "allow_rules[0].request.paths[0]: must be a non-empty string"},
      // gRPC would read the inner '*' as a literal: a rule matching nothing.
      {R"({"name": "p", "allow_rules": [{"name": "r", "source":
          {"principals": ["spiffe://reel/ns/*/sa/reel-writer"]}}]})",
       "allow_rules[0].source.principals[0]: \"spiffe://reel/ns/*/sa/"
       "reel-writer\" has a '*' inside"},
      {R"({"name": "p", "deny_rules": [{"name": "r", "request":
          {"paths": ["*Get*"]}}], "allow_rules": []})",
       "deny_rules[0].request.paths[0]: \"*Get*\" has a '*' at both ends"},
  };
  for (const Case& c : cases) {
    auto policy = AuthzPolicy::Parse(c.json);
    ASSERT_FALSE(policy.ok()) << c.json;
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(policy.status().message(), HasSubstr(c.problem)) << c.json;
  }
}

}  // namespace
}  // namespace reel
