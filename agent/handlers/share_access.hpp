// GET /api/v1/shares/{name}/access: every user with a row on the share, their effective level
// (the max over their direct row and the rows their groups gave them), the rows' state, and why
// (`via`: "direct write", "group eng read", …), sorted by username — what `sharectl share access`
// shows. Needs shares.acl.read in the share's space context; another user's share is 404.
#pragma once

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The route over `context` (which must outlive it).
api::Route share_access_route(AgentContext& context);

} // namespace sharectl::agent::handlers
