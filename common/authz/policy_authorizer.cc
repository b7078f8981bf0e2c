#include "common/authz/policy_authorizer.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace reel {
namespace {

constexpr size_t kMaxLoggedPairs = 1000;

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  if (in) contents << in.rdbuf();
  if (!in || in.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("authorization policy ", path, ": cannot be read"));
  }
  return contents.str();
}

CallerIdentity IdentityOf(const grpc::AuthContext& context) {
  CallerIdentity identity;
  for (const char* property :
       {"x509_subject_alternative_name", "x509_subject"}) {
    for (const grpc::string_ref& value : context.FindPropertyValues(property)) {
      identity.names.emplace_back(value.data(), value.size());
    }
  }
  return identity;
}

}  // namespace

absl::StatusOr<std::shared_ptr<PolicyAuthorizer>> PolicyAuthorizer::Start(
    const std::string& policy_file, absl::Duration refresh_interval,
    MetricsRegistry* registry, absl::flat_hash_set<std::string> known_methods) {
  std::shared_ptr<PolicyAuthorizer> authorizer(new PolicyAuthorizer(
      policy_file, refresh_interval, registry, std::move(known_methods)));
  if (absl::Status loaded = authorizer->Reload(); !loaded.ok()) {
    return absl::FailedPreconditionError(loaded.message());
  }
  authorizer->thread_ = std::thread([a = authorizer.get()] { a->Run(); });
  return authorizer;
}

PolicyAuthorizer::PolicyAuthorizer(
    std::string policy_file, absl::Duration refresh_interval,
    MetricsRegistry* registry, absl::flat_hash_set<std::string> known_methods)
    : policy_file_(std::move(policy_file)),
      refresh_interval_(refresh_interval),
      registry_(registry),
      known_methods_(std::move(known_methods)) {}

PolicyAuthorizer::~PolicyAuthorizer() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status PolicyAuthorizer::Reload() {
  absl::StatusOr<std::string> text = ReadWholeFile(policy_file_);
  if (!text.ok()) return text.status();
  {
    absl::MutexLock lock(&mutex_);
    if (policy_ != nullptr && *text == policy_text_) return absl::OkStatus();
  }
  absl::StatusOr<AuthzPolicy> parsed = AuthzPolicy::Parse(*text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(policy_file_, ": ", parsed.status().message()));
  }
  absl::MutexLock lock(&mutex_);
  const bool replacing = policy_ != nullptr;
  policy_ = std::make_shared<const AuthzPolicy>(*std::move(parsed));
  policy_text_ = *std::move(text);
  if (replacing) {
    spdlog::info("authorization: policy {} reloaded from {}", policy_->name(),
                 policy_file_);
  }
  return absl::OkStatus();
}

void PolicyAuthorizer::Run() {
  absl::MutexLock lock(&mutex_);
  while (!mutex_.AwaitWithTimeout(absl::Condition(&stopping_),
                                  refresh_interval_)) {
    mutex_.Unlock();
    const absl::Status status = Reload();
    mutex_.Lock();
    if (status.ok()) {
      last_error_.clear();
    } else if (std::string(status.message()) != last_error_) {
      last_error_ = std::string(status.message());
      spdlog::error(
          "authorization: {}; still enforcing the policy loaded "
          "before",
          last_error_);
    }
  }
}

grpc::Status PolicyAuthorizer::Process(const InputMetadata& auth_metadata,
                                       grpc::AuthContext* context,
                                       OutputMetadata* /*consumed*/,
                                       OutputMetadata* /*response*/) {
  std::string path;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
    path.assign(it->second.data(), it->second.size());
  }
  const CallerIdentity caller = IdentityOf(*context);
  std::shared_ptr<const AuthzPolicy> policy;
  {
    absl::MutexLock lock(&mutex_);
    policy = policy_;
  }
  const AuthzDecision decision = policy->Evaluate(caller, path);
  if (decision.allowed) return grpc::Status::OK;
  const std::string identity = caller.authenticated()
                                   ? absl::StrJoin(caller.names, ",")
                                   : "(no client certificate)";
  CountDenied(path, identity);
  return grpc::Status(
      grpc::StatusCode::PERMISSION_DENIED,
      absl::StrCat("authorization: ", identity, " may not call ", path,
                   decision.rule.empty()
                       ? " (no allow rule matches)"
                       : absl::StrCat(" (deny rule \"", decision.rule, "\")")));
}

void PolicyAuthorizer::CountDenied(const std::string& path,
                                   const std::string& identity) {
  const bool known = known_methods_.contains(path);
  const std::string series = known ? path : "unknown";
  Counter* counter = nullptr;
  bool log = false;
  {
    absl::MutexLock lock(&mutex_);
    auto [it, inserted] = denied_.try_emplace(series, nullptr);
    if (inserted) {
      std::string service = "unknown", method = "unknown";
      if (known) {
        absl::string_view name = path;
        name.remove_prefix(1);
        const size_t slash = name.rfind('/');
        service = std::string(name.substr(0, slash));
        method = std::string(name.substr(slash + 1));
      }
      it->second = &registry_->GetCounter(
          "reel_authz_denied_total",
          "Calls refused by the authorization policy (PERMISSION_DENIED).",
          {{"grpc_service", service}, {"grpc_method", method}});
    }
    counter = it->second;
    if (logged_.size() < kMaxLoggedPairs) {
      log = logged_.insert(absl::StrCat(identity, " ", series)).second;
    }
  }
  counter->Increment();
  if (log) {
    spdlog::warn(
        "authorization: denied {} to {} (logged once per caller "
        "and method)",
        known ? path : absl::StrCat(path.substr(0, 256), " [unknown]"),
        identity);
  }
}

}  // namespace reel
