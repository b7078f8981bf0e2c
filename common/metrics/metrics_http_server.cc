#include "common/metrics/metrics_http_server.h"

#include <CivetServer.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace reel {
namespace {

// The host to connect to for reaching a server listening on `listen_host`.
std::string ConnectHost(std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

// Opens and closes one TCP connection to host:port, ignoring failures.
void Poke(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints,
                  &addresses) != 0) {
    return;
  }
  if (addresses != nullptr) {
    const int fd = socket(addresses->ai_family, addresses->ai_socktype,
                          addresses->ai_protocol);
    if (fd >= 0) {
      timeval timeout{.tv_sec = 0, .tv_usec = 200000};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
      (void)connect(fd, addresses->ai_addr, addresses->ai_addrlen);
      close(fd);
    }
  }
  freeaddrinfo(addresses);
}

}  // namespace

class MetricsHttpServer::Handler : public CivetHandler {
 public:
  explicit Handler(const MetricsRegistry* registry) : registry_(registry) {}

  bool handleGet(CivetServer* server, mg_connection* conn) override {
    const mg_request_info* request = mg_get_request_info(conn);
    if (request->local_uri == nullptr ||
        std::strcmp(request->local_uri, "/metrics") != 0) {
      mg_send_http_error(conn, 404, "%s", "not found; try /metrics\n");
      return true;
    }
    const std::string body = registry_->Render();
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\n"
              "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: %zu\r\n"
              "Cache-Control: no-store\r\n"
              "Connection: close\r\n\r\n",
              body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }

  bool handlePost(CivetServer* server, mg_connection* conn) override {
    return MethodNotAllowed(conn);
  }
  bool handlePut(CivetServer* server, mg_connection* conn) override {
    return MethodNotAllowed(conn);
  }
  bool handleDelete(CivetServer* server, mg_connection* conn) override {
    return MethodNotAllowed(conn);
  }

 private:
  static bool MethodNotAllowed(mg_connection* conn) {
    mg_send_http_error(conn, 405, "%s", "only GET\n");
    return true;
  }

  const MetricsRegistry* const registry_;
};

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& listen_address, const MetricsRegistry* registry) {
  const size_t colon = listen_address.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen_address.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address \"", listen_address, "\" is not host:port"));
  }
  // No document root: civetweb serves only the registered handler.
  const std::vector<std::string> options = {
      "listening_ports",    listen_address,  //
      "num_threads",        "2",             //
      "request_timeout_ms", "10000",         //
      "enable_keep_alive",  "no"};
  std::unique_ptr<MetricsHttpServer> result(new MetricsHttpServer());
  result->handler_ = std::make_unique<Handler>(registry);
  try {
    result->server_ = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ",
                                               listen_address, ": ", e.what()));
  }
  // Before the handler is registered nothing but 404s is served.
  result->server_->addHandler("/metrics", result->handler_.get());
  result->server_->addHandler("/", result->handler_.get());
  const std::vector<int> ports = result->server_->getListeningPorts();
  if (ports.empty() || ports[0] == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on ", listen_address, ": no port bound"));
  }
  result->port_ = ports[0];
  result->wake_host_ = ConnectHost(listen_address.substr(0, colon));
  return result;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (server_ == nullptr) return;
  // civetweb's acceptor polls with a 2 s timeout and notices the stop flag
  // only when it wakes, so close() alone can stall shutdown (and the pod's
  // grace period) by 2 s. Connecting to it wakes it at once.
  std::atomic<bool> closed{false};
  std::thread waker([this, &closed] {
    while (!closed.load()) {
      Poke(wake_host_, port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  server_->close();
  closed.store(true);
  waker.join();
}

}  // namespace reel
