// Conversions between absl::Status, used inside Reel, and grpc::Status, used
// on the wire. Services map at their edge with ToGrpcStatus; clients map what
// they receive with FromGrpcStatus. Codes share numeric values, so the
// mapping is exact and messages pass through unchanged.
#ifndef REEL_COMMON_STATUS_GRPC_STATUS_H_
#define REEL_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace reel {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// "NOT_FOUND", "ABORTED", ...: the canonical name of a gRPC code.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace reel

#endif  // REEL_COMMON_STATUS_GRPC_STATUS_H_
