// The group routes: GET,POST /api/v1/groups, GET,DELETE /api/v1/groups/{name},
// PUT,DELETE /api/v1/groups/{name}/members/{user}. A group is visible to whoever may read
// groups/<name> and to its members (others get 404, as for spaces); creating needs
// groups.create (managers, admins, maintainers, or a role rule on groups/…), and the creator
// owns the group (admin on it: members, delete). External groups (synchronized from LDAP) have
// read-only membership (409). Adding a member gives them a row on every share the group is
// granted, removing one deletes those rows, deleting the group removes every member's rows —
// each in one transaction (the store's five ACL operations), so the hosts' reconcile renders
// the change. Every change and every denial is audited. Handlers fail with SPEC error codes.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The group routes over `context` (which must outlive them).
std::vector<api::Route> group_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
