// The share routes (SPEC.md "HTTP API"): POST/GET /api/v1/shares, GET/PATCH/DELETE
// /api/v1/shares/{name}, followed by the grant routes (share_acl.hpp). Authorization is in the
// share's space context (the space owner is admin of it). PATCH changes comment (free-text
// rules of common/validate/text), read_only and browseable, honours If-Match (412) and marks
// the share pending at a new revision so its host renders it again. Handlers fail with the SPEC
// error codes; every change and every denial writes an audit event.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The share routes, then share_acl_routes(context), over `context` (which must outlive them).
std::vector<api::Route> share_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
