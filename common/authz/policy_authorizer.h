// PolicyAuthorizer: enforces an AuthzPolicy file on a server with mutual TLS.
//
// It is the server credentials' gRPC AuthMetadataProcessor, so it runs for
// every call before any handler, with the method path and the identities
// of the client certificate (URI and DNS subject alternative names, then
// the subject). A denied call ends PERMISSION_DENIED ("authorization:
// <identity> may not call <method>"), is counted in
// reel_authz_denied_total{grpc_service,grpc_method} (methods the server does
// not serve share the "unknown" series) and is logged once per identity and
// method (the first 1,000 pairs; later ones are only counted).
//
// The policy file is re-read every `refresh_interval` when its contents
// change; an edit that does not parse is logged and the last good policy
// kept. Thread-safe; one background thread.
#ifndef REEL_COMMON_AUTHZ_POLICY_AUTHORIZER_H_
#define REEL_COMMON_AUTHZ_POLICY_AUTHORIZER_H_

#include <grpcpp/security/auth_metadata_processor.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/authz/authz_policy.h"
#include "common/metrics/metrics.h"

namespace reel {

class PolicyAuthorizer : public grpc::AuthMetadataProcessor {
 public:
  // Reads `policy_file` (FAILED_PRECONDITION naming it when it cannot be
  // read or parsed) and starts watching it. `known_methods` are the full
  // paths the server serves; `registry` must outlive the authorizer.
  static absl::StatusOr<std::shared_ptr<PolicyAuthorizer>> Start(
      const std::string& policy_file, absl::Duration refresh_interval,
      MetricsRegistry* registry,
      absl::flat_hash_set<std::string> known_methods);
  ~PolicyAuthorizer() override;

  // Runs on gRPC's own thread: the decision is a lookup in memory.
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata,
                       grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  PolicyAuthorizer(std::string policy_file, absl::Duration refresh_interval,
                   MetricsRegistry* registry,
                   absl::flat_hash_set<std::string> known_methods);
  // Re-reads the file; OK when unchanged or replaced by a good policy.
  absl::Status Reload();
  void Run();
  void CountDenied(const std::string& path, const std::string& identity);

  const std::string policy_file_;
  const absl::Duration refresh_interval_;
  MetricsRegistry* const registry_;
  const absl::flat_hash_set<std::string> known_methods_;

  mutable absl::Mutex mutex_;
  std::shared_ptr<const AuthzPolicy> policy_ ABSL_GUARDED_BY(mutex_);
  std::string policy_text_ ABSL_GUARDED_BY(mutex_);
  std::string last_error_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, Counter*> denied_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_set<std::string> logged_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace reel

#endif  // REEL_COMMON_AUTHZ_POLICY_AUTHORIZER_H_
