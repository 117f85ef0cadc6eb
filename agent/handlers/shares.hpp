// The share routes (SPEC.md "HTTP API"): POST/GET /api/v1/shares, GET/DELETE
// /api/v1/shares/{name}, and the grants GET /api/v1/shares/{name}/acl and PUT/DELETE
// /api/v1/shares/{name}/acl/{subject} (subject `user:NAME`; groups later). Authorization is in
// the share's space context (the space owner is admin of it). Handlers fail with the SPEC error
// codes; every change and every denial writes an audit event.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The share and grant routes over `context` (which must outlive them).
std::vector<api::Route> share_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
