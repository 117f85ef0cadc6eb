// The group routes: GET,POST /api/v1/groups, GET,DELETE /api/v1/groups/{name},
// GET /api/v1/groups/{name}/grants, and the member routes of group_members.hpp. A group is
// visible to whoever may read groups/<name> and to its members (others get 404, as for spaces).
// Creating needs groups.create (managers, admins, maintainers, or a role rule on groups/…) —
// or, with groups.user_groups (the default), nothing beyond being an active user: such a user
// group carries share grants only, never roles (bindings.cpp). The creator owns the group
// (admin on it: members, delete). External groups (synchronized from LDAP) have read-only
// membership (409). Deleting a group removes every member's rows in one transaction and answers
// X-Sharectl-Revision; the grants route lists the group's shares with their status and
// revisions, for `--wait`. Every change and every denial is audited. Handlers fail with SPEC
// error codes.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The group routes over `context` (which must outlive them).
std::vector<api::Route> group_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
