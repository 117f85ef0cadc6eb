// The grant routes of a share (SPEC.md "HTTP API"): GET /api/v1/shares/{name}/acl and
// PUT/DELETE /api/v1/shares/{name}/acl/{subject} with subject `user:NAME` (a direct grant) or
// `group:NAME` (a group grant: the store keeps one ACL row per member with group = NAME; a
// user's effective level is the max over their rows). Reading needs shares.acl.read, changing
// shares.acl.write, both in the share's space context (the space owner is admin of it). An
// unknown user or group is 404, a malformed subject or level 400, revoking a grant that does not
// exist 404; every change and every denial is audited.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The grant routes over `context` (which must outlive them).
std::vector<api::Route> share_acl_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
