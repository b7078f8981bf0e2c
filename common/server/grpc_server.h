// GrpcServer: the start-up and shutdown sequence both Reel services share.
//
// Start() builds a gRPC server on `listen_address` (port 0 picks a free
// port) with the standard health service (grpc.health.v1) and server
// reflection, registers the given services and starts serving. Health starts
// NOT_SERVING: the caller marks it SERVING once its state is ready (e.g.
// RocksDB open, first snapshot applied).
//
// Shutdown() is the graceful stop: health goes NOT_SERVING so balancers stop
// routing, the `before_drain` hooks run (services end their long-lived
// streams there, with UNAVAILABLE so clients resume elsewhere), new calls are
// refused, and in-flight calls get until `drain_timeout` to finish before the
// rest are cancelled.
//
// Thread-safe. Shutdown() is idempotent and also runs from the destructor.
#ifndef REEL_COMMON_SERVER_GRPC_SERVER_H_
#define REEL_COMMON_SERVER_GRPC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace reel {

struct GrpcServerOptions {
  // host:port to listen on; port 0 picks a free one (see GrpcServer::port()).
  std::string listen_address = "127.0.0.1:0";
  // How long Shutdown() lets in-flight calls finish before cancelling them.
  absl::Duration drain_timeout = absl::Seconds(20);
  // Largest request message accepted (RESOURCE_EXHAUSTED beyond it).
  int max_receive_message_bytes = 64 << 20;
  // Largest response message sent.
  int max_send_message_bytes = 64 << 20;
  // Name reported by the health service for each registered service, besides
  // the server-wide "" entry.
  std::vector<std::string> health_service_names;
};

class GrpcServer {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, std::vector<grpc::Service*> services);

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;
  ~GrpcServer();

  // The port actually bound.
  int port() const { return port_; }

  // Reports SERVING or NOT_SERVING for "" and every health_service_names.
  void SetServing(bool serving);

  // Registers a hook that Shutdown() runs after health goes NOT_SERVING and
  // before it waits for calls to drain. Call before Shutdown().
  void AddBeforeDrainHook(std::function<void()> hook);

  // Graceful stop; see the file comment. Blocks until the server has stopped.
  void Shutdown();

  // Blocks until Shutdown() has completed (from another thread).
  void Wait();

 private:
  GrpcServer(GrpcServerOptions options, std::unique_ptr<grpc::Server> server,
             int port);

  const GrpcServerOptions options_;
  const std::unique_ptr<grpc::Server> server_;
  const int port_;

  std::mutex mutex_;
  std::vector<std::function<void()>> before_drain_hooks_;  // GUARDED_BY(mutex_)
  bool shut_down_ = false;                                 // GUARDED_BY(mutex_)
};

}  // namespace reel

#endif  // REEL_COMMON_SERVER_GRPC_SERVER_H_
