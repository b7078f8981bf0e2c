#include "common/authz/authz_policy.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace reel {
namespace {

using Json = nlohmann::json;

absl::Status Invalid(const std::string& where, const std::string& problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("authorization policy: ", where, ": ", problem));
}

// The strings of `json[key]` (a non-empty array of strings).
absl::StatusOr<std::vector<std::string>> Strings(const Json& json,
                                                 const std::string& key,
                                                 const std::string& where) {
  const Json& value = json.at(key);
  if (!value.is_array() || value.empty()) {
    return Invalid(absl::StrCat(where, ".", key),
                   "must be a non-empty array of strings");
  }
  std::vector<std::string> strings;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string() || value[i].get<std::string>().empty()) {
      return Invalid(absl::StrCat(where, ".", key, "[", i, "]"),
                     "must be a non-empty string");
    }
    const std::string pattern = value[i].get<std::string>();
    // gRPC's policies match exact, "*", "prefix*" and "*suffix"; a '*'
    // anywhere else would be a literal character there, a rule that
    // silently matches nothing.
    const size_t star = pattern.find('*', 1);
    if (pattern != "*" && star != std::string::npos &&
        star != pattern.size() - 1) {
      return Invalid(
          absl::StrCat(where, ".", key, "[", i, "]"),
          absl::StrCat("\"", pattern,
                       "\" has a '*' inside; a pattern is exact, \"*\", "
                       "\"prefix*\" or \"*suffix\" (e.g. "
                       "\"*/sa/reel-writer\")"));
    }
    if (pattern.size() > 1 && pattern.front() == '*' && pattern.back() == '*') {
      return Invalid(absl::StrCat(where, ".", key, "[", i, "]"),
                     absl::StrCat("\"", pattern,
                                  "\" has a '*' at both ends; a pattern is "
                                  "exact, \"*\", \"prefix*\" or \"*suffix\""));
    }
    strings.push_back(pattern);
  }
  return strings;
}

absl::Status OnlyKeys(const Json& object, const std::string& where,
                      std::initializer_list<const char*> allowed) {
  if (!object.is_object()) return Invalid(where, "must be an object");
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const char* name : allowed) known = known || key == name;
    if (!known) {
      return Invalid(absl::StrCat(where, ".", key),
                     "is not supported (Reel enforces names, principals and "
                     "paths only)");
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool MatchesPattern(absl::string_view pattern, absl::string_view value) {
  if (pattern == "*") return true;
  if (absl::EndsWith(pattern, "*")) {
    return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  }
  if (absl::StartsWith(pattern, "*")) {
    return absl::EndsWith(value, pattern.substr(1));
  }
  return pattern == value;
}

absl::StatusOr<AuthzPolicy> AuthzPolicy::Parse(absl::string_view text) {
  const Json json = Json::parse(text.begin(), text.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (json.is_discarded()) return Invalid("(file)", "is not valid JSON");
  if (absl::Status keys =
          OnlyKeys(json, "(top)", {"name", "allow_rules", "deny_rules"});
      !keys.ok()) {
    return keys;
  }
  AuthzPolicy policy;
  if (!json.contains("name") || !json["name"].is_string() ||
      json["name"].get<std::string>().empty()) {
    return Invalid("name", "is required (a non-empty string)");
  }
  policy.name_ = json["name"].get<std::string>();
  if (!json.contains("allow_rules")) {
    return Invalid("allow_rules", "is required");
  }
  for (const char* list : {"deny_rules", "allow_rules"}) {
    if (!json.contains(list)) continue;
    const Json& rules = json[list];
    if (!rules.is_array()) return Invalid(list, "must be an array");
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string where = absl::StrCat(list, "[", i, "]");
      const Json& item = rules[i];
      if (absl::Status keys =
              OnlyKeys(item, where, {"name", "source", "request"});
          !keys.ok()) {
        return keys;
      }
      Rule rule;
      if (!item.contains("name") || !item["name"].is_string() ||
          item["name"].get<std::string>().empty()) {
        return Invalid(absl::StrCat(where, ".name"), "is required");
      }
      rule.name = item["name"].get<std::string>();
      if (item.contains("source")) {
        const std::string at = absl::StrCat(where, ".source");
        if (absl::Status keys = OnlyKeys(item["source"], at, {"principals"});
            !keys.ok()) {
          return keys;
        }
        if (item["source"].contains("principals")) {
          auto principals = Strings(item["source"], "principals", at);
          if (!principals.ok()) return principals.status();
          rule.any_source = false;
          rule.principals = *std::move(principals);
        }
      }
      if (item.contains("request")) {
        const std::string at = absl::StrCat(where, ".request");
        if (absl::Status keys = OnlyKeys(item["request"], at, {"paths"});
            !keys.ok()) {
          return keys;
        }
        if (item["request"].contains("paths")) {
          auto paths = Strings(item["request"], "paths", at);
          if (!paths.ok()) return paths.status();
          rule.any_request = false;
          rule.paths = *std::move(paths);
        }
      }
      (std::string(list) == "deny_rules" ? policy.deny_rules_
                                         : policy.allow_rules_)
          .push_back(std::move(rule));
    }
  }
  return policy;
}

bool AuthzPolicy::Matches(const Rule& rule, const CallerIdentity& caller,
                          absl::string_view method_path) {
  bool source = rule.any_source;
  for (size_t i = 0; !source && i < rule.principals.size(); ++i) {
    for (const std::string& name : caller.names) {
      if (MatchesPattern(rule.principals[i], name)) {
        source = true;
        break;
      }
    }
  }
  if (!source) return false;
  if (rule.any_request) return true;
  for (const std::string& path : rule.paths) {
    if (MatchesPattern(path, method_path)) return true;
  }
  return false;
}

AuthzDecision AuthzPolicy::Evaluate(const CallerIdentity& caller,
                                    absl::string_view method_path) const {
  for (const Rule& rule : deny_rules_) {
    if (Matches(rule, caller, method_path)) return {false, rule.name};
  }
  for (const Rule& rule : allow_rules_) {
    if (Matches(rule, caller, method_path)) return {true, rule.name};
  }
  return {false, ""};
}

}  // namespace reel
