// The OpenAPI 3 description of the agent's API, generated from the route table so that the
// document cannot drift from what the router serves. Nothing here fails.
#pragma once

#include <string>
#include <vector>

#include "agent/api/router.hpp"

namespace sharectl::agent::api {

// The OpenAPI 3.0.3 document for these routes as compact JSON: one operation per route with its
// summary, path parameters, the permission it needs (x-sharectl-permission), security
// requirements (bearer token + X-User-ID unless the route is open to anyone), the request body
// and success response the route declares (Route::takes / answers; named schemas become
// components/schemas and are referred to by $ref) and the SPEC.md error schema for error
// responses. The routes must have passed Router::create (which checks their schemas are JSON).
std::string openapi_document(const std::vector<Route>& routes);

} // namespace sharectl::agent::api
