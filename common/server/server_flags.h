// The command-line flags both services share for their gRPC and /metrics
// limits (connections, streams, threads, memory, keepalive), authorization,
// certificate rotation and reflection, defined once so the two binaries
// cannot drift apart. Each flag's help gives its default.
#ifndef REEL_COMMON_SERVER_SERVER_FLAGS_H_
#define REEL_COMMON_SERVER_SERVER_FLAGS_H_

#include "common/server/grpc_server.h"

namespace reel {

// Copies the limit flags into `options` (after the caller set the rest).
void ApplyServerLimitFlags(GrpcServerOptions* options);

}  // namespace reel

#endif  // REEL_COMMON_SERVER_SERVER_FLAGS_H_
