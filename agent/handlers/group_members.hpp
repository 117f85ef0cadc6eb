// The member routes of a group: PUT,DELETE /api/v1/groups/{name}/members/{user} (one user) and
// PATCH /api/v1/groups/{name}/members with {"add": [users]} or {"remove": [users]} (1 to 1000,
// all or nothing, in one store transaction). Visible to whoever may see the group (others get
// 404); changing needs groups.update on groups/<name> (its owner, managers, admins, or a role
// rule). Adding a member gives them a row on every share the group is granted (pending with
// invitations on), removing one deletes those rows; the shares concerned are marked pending at
// the transaction's revision, which the answer carries in X-Sharectl-Revision (for --wait).
// External groups' members are 409. Every change (one audit event per user added or removed)
// and every denial is audited. Handlers fail with SPEC error codes.
#pragma once

#include <cstddef>
#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The most users one PATCH /api/v1/groups/{name}/members names.
inline constexpr std::size_t k_max_member_change = 1000;

// The member routes over `context` (which must outlive them).
std::vector<api::Route> group_member_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
