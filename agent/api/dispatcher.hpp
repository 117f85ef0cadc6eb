// Everything the server does with one request except moving bytes: routing, the worker queue
// bound, authorization, calling the handler, turning errors and exceptions into SPEC.md error
// responses, request ids, metrics and the access log. Beast-free, so it is unit-tested without
// sockets; agent/api/server.cpp drives it. Nothing here fails: every outcome is a Response.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/api/http.hpp"
#include "agent/api/metrics.hpp"
#include "agent/api/router.hpp"
#include "agent/api/server.hpp"

namespace sharectl::agent::api {

// Routes and runs requests for one server.
class Dispatcher {
public:
  using Clock = std::chrono::steady_clock;

  // What route() decided.
  struct Plan {
    std::optional<Response> response; // set when the request is answered without a handler
    bool blocking = false;            // the handler must run on the worker pool
    std::size_t slot = 0;             // the metrics slot for finish()
  };

  // A dispatcher over a checked table (built-ins included) with at most max_queued blocking
  // handlers running or waiting at once.
  Dispatcher(Router router, ServerHooks hooks, std::size_t max_queued);

  // Fills request.path/query (from target), route, path_params and query_params. Answers at
  // once with 400 (hostile path, bad query), 404, 405 + Allow, a kept answer of a cacheable
  // route (hooks.cached_answer), or 503 + Retry-After when the worker queue is full; otherwise
  // says where the handler runs. A blocking plan holds a queue
  // place until invoke() returns.
  Plan route(Request& request);

  // Authorizes (routes not open to anyone; 401 when no authorizer is configured) and runs the
  // handler (offering a cacheable route's 200 to hooks.remember); an Error becomes its SPEC error
  // response, an exception a 500 that hides the detail (logged through hooks.log). Releases the
  // queue place of a blocking plan.
  Response invoke(Request& request);

  // Stamps X-Request-Id, records the metrics of `slot` and writes the access log entry.
  void finish(Response& response, const Request& request, std::size_t slot,
              Clock::time_point start);

  // The table, built-ins included.
  const Router& router() const { return m_router; }
  // The server's metrics.
  Metrics& metrics() { return *m_metrics; }
  // Passes a transport message to hooks.log when set.
  void log(std::string_view message) const;

  // The request id to answer with: the client's X-Request-Id when valid_request_id() accepts
  // it, else a fresh UUID. Never fails.
  static std::string request_id_for(std::string_view client_id);

  // What the client's Cache-Control (or Pragma) lets the agent do with kept answers: use them,
  // only refresh them (no-cache, max-age=0: answer afresh, keep the new answer) or neither
  // (no-store). Never fails.
  enum class CacheUse { use, refresh, bypass };
  static CacheUse cache_use(const Headers& headers);

  // Whether a response header a handler set may be sent (token name, no CR/LF/NUL in value).
  static bool sendable_header(std::string_view name, std::string_view value);

private:
  Router m_router;
  ServerHooks m_hooks;
  std::unique_ptr<Metrics> m_metrics;
  std::size_t m_max_queued;
  std::atomic<std::size_t> m_queued{0};
  Counter* m_cached_answers;
};

} // namespace sharectl::agent::api
