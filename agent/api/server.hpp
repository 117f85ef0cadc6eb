// The agent's HTTP/1.1 server (Beast and Asio stay in server.cpp): TLS 1.2+ by default, plain
// HTTP only on a loopback address, C++20 coroutines on a few I/O threads, handlers on a bounded
// worker pool so that blocking store calls never stall other connections. It enforces the
// request limits (16 KiB of headers -> 431, 1 MiB of body -> 413, read and idle timeouts, a
// connection cap), answers every request with an X-Request-Id and every error with the SPEC.md
// error body, and serves the built-in routes (/healthz, /readyz, /metrics, /api/v1/openapi.json).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/http.hpp"
#include "agent/api/metrics.hpp"
#include "agent/api/router.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::api {

// How the server listens and what it tolerates. Defaults serve production; tests shorten the
// timeouts.
struct ServerConfig {
  std::string address = "127.0.0.1";     // a numeric IPv4 or IPv6 address to listen on
  std::uint16_t port = 0;                // 0: the kernel picks a free port (see HttpServer::port)
  bool tls = true;                       // false is refused unless address is a loopback address
  std::filesystem::path cert_file;       // PEM certificate chain (tls only)
  std::filesystem::path key_file;        // PEM private key (tls only)
  std::size_t io_threads = 2;            // threads running the network I/O
  std::size_t worker_threads = 4;        // threads running blocking handlers
  std::size_t max_queued_handlers = 256; // handlers running or waiting; beyond that 503
  std::size_t max_connections = 1024;    // open connections; excess ones are closed at once
  std::size_t max_header_bytes = 16 * 1024;        // request line + headers; beyond that 431
  std::size_t max_body_bytes = 1024 * 1024;        // beyond that 413
  std::chrono::milliseconds read_timeout{30'000};  // to read one whole request (and handshake)
  std::chrono::milliseconds idle_timeout{60'000};  // between requests on a keep-alive connection
  std::chrono::milliseconds write_timeout{30'000}; // to write one response
  std::chrono::milliseconds stop_grace{10'000};    // stop(): how long in-flight requests may run
};

// One line of the access log: no request target, body or header values (they may hold secrets).
struct AccessLogEntry {
  std::string_view method;
  std::string_view route; // the matched pattern, or "unmatched"
  int status = 0;
  std::string_view remote_address;
  std::string_view request_id;
  std::chrono::microseconds duration{0};
};

// Why the authorizer refused a request: the error (rendered as the SPEC error body with its
// code's status) and the headers that response must carry, e.g. Retry-After with a 429 from the
// login rate limit or a 503 from a full login pool. Converts implicitly from an Error, so an
// authorizer may return std::unexpected(error) or a Status.
struct Refusal {
  Refusal(Error error_value)
      : error(std::move(error_value)) {} // NOLINT(google-explicit-constructor)
  Refusal(Error error_value, Headers extra)
      : error(std::move(error_value)), headers(std::move(extra)) {}

  Error error;
  Headers headers;
};

// Decides whether the caller may use request.route (its permission); may set request.auth for
// the handler. Returns unauthenticated (401) or forbidden (403) to refuse, with headers when
// the answer needs them. It runs on the worker pool, so it may block on the store.
using Authorizer = std::function<std::expected<void, Refusal>(Request& request)>;

// Code the server calls into. Every member is optional.
struct ServerHooks {
  // Called for every route whose permission is not Access::anyone, before its handler. When
  // unset, such routes are refused with 401 (deny by default).
  Authorizer authorize;
  // For a GET or HEAD of a cacheable route (Route::cacheable) that the client lets us answer
  // from a cache (no Cache-Control no-cache/no-store/max-age=0, no Pragma: no-cache): called on
  // the I/O thread after routing. Returns the answer when it can give one without blocking and
  // without changing anything (a repeat whose kept answer is still valid for this caller),
  // nullopt to authorize and run the handler as usual. Must not throw.
  std::function<std::optional<Response>(Request&)> cached_answer;
  // Called on the worker after a cacheable route's handler answered 200 (authorization done,
  // Request::auth set), unless the client sent Cache-Control: no-store, so that the answer may
  // be kept for cached_answer.
  std::function<void(const Request&, const Response&)> remember;
  // GET /readyz: 200 when it succeeds, 503 with its error otherwise. Unset: always ready.
  std::function<Status()> readiness;
  // More Prometheus text for GET /metrics (metrics other layers keep, e.g. the login limits),
  // appended after the server's own. Must be cheap and must not throw.
  std::function<std::string()> metrics_extra;
  // Called once per request when its response is ready (on an I/O thread; keep it cheap).
  std::function<void(const AccessLogEntry&)> access_log;
  // Transport problems worth a log line (handler exceptions, accept failures).
  std::function<void(std::string_view message)> log;
};

// A running server. Create it with start(); stop() or the destructor ends it.
class HttpServer {
public:
  // Validates config, loads the TLS certificate and key, binds and starts the I/O and worker
  // threads. The built-in routes are added to `routes`. Fails with bad_request for a bad config
  // (plain HTTP on a non-loopback address, unparsable address, unreadable or mismatched
  // certificate/key, zero threads), internal for a bad route table, unavailable when the address
  // cannot be bound.
  static Result<std::unique_ptr<HttpServer>> start(ServerConfig config, std::vector<Route> routes,
                                                   ServerHooks hooks = {});

  // Stops the server (see stop()).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the kernel's choice when config.port was 0).
  std::uint16_t port() const;

  // The full route table, built-in routes included (for the authorization test matrix).
  const std::vector<Route>& routes() const;

  // The server's metrics, for other layers to add counters to.
  Metrics& metrics();

  // Stops accepting, closes idle connections, lets in-flight requests finish (answered with
  // Connection: close) for up to config.stop_grace, then closes the rest and joins every thread.
  // A handler still running after the grace period is waited for. Idempotent; never fails.
  void stop();

  struct Impl;

private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

} // namespace sharectl::agent::api
