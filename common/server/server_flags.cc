#include "common/server/server_flags.h"

#include <cstdint>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"

ABSL_FLAG(int, max_streams_per_connection, 100,
          "Most concurrent calls on one client connection; further calls wait "
          "in the client until one ends.");
ABSL_FLAG(int, max_sync_threads, 64,
          "Most threads serving synchronous-API calls (server reflection) at "
          "once; beyond it such calls end RESOURCE_EXHAUSTED.");
ABSL_FLAG(int64_t, max_server_memory_bytes, int64_t{1} << 30,
          "Memory gRPC may use for all connections' buffers (resource quota); "
          "beyond it new calls are refused with RESOURCE_EXHAUSTED.");
ABSL_FLAG(absl::Duration, max_connection_idle, absl::Minutes(30),
          "A client connection with no call open this long is closed.");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Minutes(1),
          "Ping a connection after this long without traffic...");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(20),
          "...and close it when the ping is not answered within this.");
ABSL_FLAG(absl::Duration, min_client_ping_interval, absl::Seconds(10),
          "Clients may send keepalive pings no more often than this; a client "
          "that does is sent GOAWAY (too_many_pings).");
ABSL_FLAG(absl::Duration, tls_refresh_interval, absl::Minutes(1),
          "How often --tls_dir is checked for rotated certificates (new "
          "connections use them; open ones keep theirs).");
ABSL_FLAG(std::string, authz_policy, "",
          "Authorization policy (JSON; docs/security.md) matching mutual-TLS "
          "client identities to methods; re-read when it changes. Needs "
          "--tls_dir with ca.crt. Empty: every caller may call every method.");
ABSL_FLAG(absl::Duration, authz_refresh_interval, absl::Seconds(5),
          "How often --authz_policy is checked for changes.");
ABSL_FLAG(bool, require_authz, false,
          "Refuse to start without mutual TLS and --authz_policy.");
ABSL_FLAG(bool, reflection, true,
          "Serve gRPC server reflection (lists every method and message to "
          "any caller); --noreflection turns it off.");
ABSL_FLAG(int, metrics_max_connections, 256,
          "Most open connections to the /metrics port.");
ABSL_FLAG(int, metrics_max_connections_per_address, 32,
          "Most open connections to the /metrics port from one client "
          "address.");
ABSL_FLAG(absl::Duration, metrics_idle_timeout, absl::Seconds(10),
          "A /metrics connection idle this long is closed.");

namespace reel {

void ApplyServerLimitFlags(GrpcServerOptions* options) {
  options->max_concurrent_streams_per_connection =
      absl::GetFlag(FLAGS_max_streams_per_connection);
  options->max_sync_threads = absl::GetFlag(FLAGS_max_sync_threads);
  options->max_memory_bytes = absl::GetFlag(FLAGS_max_server_memory_bytes);
  options->max_connection_idle = absl::GetFlag(FLAGS_max_connection_idle);
  options->keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  options->keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  options->min_client_ping_interval =
      absl::GetFlag(FLAGS_min_client_ping_interval);
  options->enable_reflection = absl::GetFlag(FLAGS_reflection);
  options->authz_policy_file = absl::GetFlag(FLAGS_authz_policy);
  options->authz_refresh_interval = absl::GetFlag(FLAGS_authz_refresh_interval);
  options->require_authz = absl::GetFlag(FLAGS_require_authz);
  options->tls_refresh_interval = absl::GetFlag(FLAGS_tls_refresh_interval);
  options->metrics_http.max_connections =
      absl::GetFlag(FLAGS_metrics_max_connections);
  options->metrics_http.max_connections_per_address =
      absl::GetFlag(FLAGS_metrics_max_connections_per_address);
  options->metrics_http.idle_timeout =
      absl::GetFlag(FLAGS_metrics_idle_timeout);
}

}  // namespace reel
