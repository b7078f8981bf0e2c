// echo_server: a bare callback-API gRPC echo service, the ceiling the Reel
// services are compared with (GetFilm and SearchScenes as a share of it).
//
//   echo_server [--listen=127.0.0.1:0]
//
// Prints "echo-server listening on port N" once serving; stops on SIGTERM or
// SIGINT. No health service, no reflection, default server options: the
// least a gRPC unary call can cost on this machine.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/server/mutex_mode.h"
#include "reel/bench/v1/echo.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "host:port to serve on; port 0 picks a free port");

namespace reel::bench {
namespace {

class EchoServiceImpl final : public v1::EchoService::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const v1::EchoRequest* request,
                                 v1::EchoResponse* response) override {
    response->set_payload(request->payload());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

int Run() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // Before gRPC's threads.

  EchoServiceImpl service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "echo-server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  std::cout << "echo-server listening on port " << port << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown();
  return 0;
}

}  // namespace
}  // namespace reel::bench

int main(int argc, char** argv) {
  // As in the services, so the load client and the echo ceiling alike.
  reel::DisableMutexDeadlockDetection();
  absl::ParseCommandLine(argc, argv);
  return reel::bench::Run();
}
