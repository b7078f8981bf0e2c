// Plain HTTP/1.1 over loopback TCP for tests of the metrics port: whole
// responses (status line, headers, body), and raw connections for tests
// that hold them open or send nothing.
#ifndef REEL_TESTS_TESTING_HTTP_CLIENT_H_
#define REEL_TESTS_TESTING_HTTP_CLIENT_H_

#include <string>

namespace reel::testing {

// A TCP connection to 127.0.0.1:port from `source` (any 127/8 address), or
// -1 when it cannot be made.
int ConnectLoopback(int port, const char* source = "127.0.0.1");

// The whole response to `GET path` (Connection: close) on 127.0.0.1:port,
// or "" when the connection fails.
std::string HttpGet(int port, const std::string& path);

// The body of an HTTP response ("" when it has none).
std::string HttpBody(const std::string& response);

}  // namespace reel::testing

#endif  // REEL_TESTS_TESTING_HTTP_CLIENT_H_
