// The invitation routes: GET /api/v1/invitations (the caller's pending share access, one entry
// per share: the highest level, the space owner who shares it, the groups it comes through),
// POST /api/v1/invitations/{share}/accept (all the caller's rows on the share become active, so
// the host serves them) and POST /api/v1/invitations/{share}/decline (the caller's rows on the
// share are deleted; group memberships stay). Invitations exist when `shares.invitations` is
// true in the agent config; otherwise grants are active at once and the list is empty. Only
// the caller's own invitations are visible; another user's share without an invitation is 404.
// Changes are audited; handlers fail with the SPEC error codes.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The state new ACL rows take under the agent config: pending with invitations, else active.
model::AclState new_acl_state(const AgentContext& context);

// The invitation routes over `context` (which must outlive them).
std::vector<api::Route> invitation_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
