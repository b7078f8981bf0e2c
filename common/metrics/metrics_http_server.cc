#include "common/metrics/metrics_http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace reel {
namespace {

constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

MHD_Result Respond(MHD_Connection* connection, unsigned int code,
                   const std::string& body, const char* content_type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", content_type);
  MHD_add_response_header(response, "Cache-Control", "no-store");
  const MHD_Result result = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return result;
}

MHD_Result HandleRequest(void* server_arg, MHD_Connection* connection,
                         const char* url, const char* method,
                         const char* /*version*/, const char* /*upload_data*/,
                         size_t* upload_data_size, void** /*state*/) {
  const auto* server = static_cast<const MetricsHttpServer*>(server_arg);
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    // Answered before any body is read; libmicrohttpd then closes the
    // connection instead of reading the rest.
    *upload_data_size = 0;
    return Respond(connection, 405, "only GET\n", "text/plain");
  }
  if (std::strcmp(url, "/healthz") == 0) {
    return Respond(connection, 200, "ok\n", "text/plain");
  }
  if (std::strcmp(url, "/readyz") == 0) {
    return server->ready()
               ? Respond(connection, 200, "ready\n", "text/plain")
               : Respond(connection, 503, "not ready\n", "text/plain");
  }
  if (std::strcmp(url, "/metrics") != 0) {
    return Respond(connection, 404,
                   "not found; try /metrics, /healthz or /readyz\n",
                   "text/plain");
  }
  return Respond(connection, 200, server->registry()->Render(),
                 kMetricsContentType);
}

// libmicrohttpd's diagnostics (a refused connection, a timeout) would print
// one line per hostile connection; they are dropped.
void IgnoreLog(void*, const char*, va_list) {}

// host:port -> a bindable address. "" and "0.0.0.0" mean every IPv4 address,
// "[::]" every IPv6 one; names are resolved.
absl::StatusOr<sockaddr_storage> ParseListenAddress(
    const std::string& listen_address, socklen_t* length) {
  const size_t colon = listen_address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen_address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address \"", listen_address, "\" is not host:port"));
  }
  std::string host = listen_address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  if (getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", listen_address,
                     "\": unknown host \"", host, "\""));
  }
  sockaddr_storage address{};
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  *length = found->ai_addrlen;
  freeaddrinfo(found);
  return address;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& listen_address, const MetricsRegistry* registry,
    const MetricsHttpOptions& options) {
  socklen_t length = 0;
  absl::StatusOr<sockaddr_storage> address =
      ParseListenAddress(listen_address, &length);
  if (!address.ok()) return address.status();
  const bool ipv6 = address->ss_family == AF_INET6;

  // Bind here rather than in libmicrohttpd so "address in use" is told apart
  // from other failures, and without SO_REUSEPORT so two servers never
  // share one port.
  const int fd = socket(address->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on ", listen_address, ": ", strerror(errno)));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ipv6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&*address), length) != 0 ||
      listen(fd, 128) != 0) {
    const int error = errno;
    close(fd);
    if (error == EADDRINUSE) {
      return absl::FailedPreconditionError(
          absl::StrCat("metrics address ", listen_address,
                       " is already in use by another process"));
    }
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on ", listen_address, ": ", strerror(error)));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  const int port =
      ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                 : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  std::unique_ptr<MetricsHttpServer> result(new MetricsHttpServer());
  result->registry_ = registry;
  result->port_ = port;
  const unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                             (ipv6 ? MHD_USE_IPv6 : 0);
  const auto timeout_seconds = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(options.idle_timeout)));
  result->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &HandleRequest, result.get(),
      MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
      static_cast<unsigned int>(std::max(1, options.threads)),
      MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned int>(std::max(1, options.max_connections)),
      MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned int>(
          std::max(1, options.max_connections_per_address)),
      MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
      MHD_OPTION_EXTERNAL_LOGGER, &IgnoreLog, nullptr, MHD_OPTION_END);
  if (result->daemon_ == nullptr) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", listen_address,
                     ": the HTTP server did not start"));
  }
  return result;
}

MetricsHttpServer::~MetricsHttpServer() {
  if (daemon_ == nullptr) return;
  // Closes the listening socket too (it was handed over at start).
  MHD_stop_daemon(daemon_);
}

}  // namespace reel
