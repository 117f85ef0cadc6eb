// The built-in routes every agent serves: GET /healthz, /readyz, /metrics and
// /api/v1/openapi.json. They are ordinary table entries, so they appear in the OpenAPI document
// and the authorization matrix like any other route. Nothing here fails.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/metrics.hpp"
#include "agent/api/router.hpp"

namespace sharectl::agent::api {

// What the built-in handlers read; the server fills it in once the full route table is known.
struct BuiltinState {
  std::function<Status()> readiness;          // unset: always ready
  const Metrics* metrics = nullptr;           // null: /metrics answers 503
  std::function<std::string()> metrics_extra; // appended to /metrics when set
  std::string openapi;                        // the rendered OpenAPI document
};

// The built-in routes reading `state` (which may be null when only the table is needed, e.g.
// for the authorization matrix; the handlers then answer 503).
std::vector<Route> builtin_routes(std::shared_ptr<const BuiltinState> state);

} // namespace sharectl::agent::api
