// The role routes: GET,POST /api/v1/roles, GET,DELETE /api/v1/roles/{name},
// POST,DELETE /api/v1/roles/{name}/rules (custom roles = prioritized rules: resource glob →
// level), and GET,POST,DELETE /api/v1/bindings (a role given to a user, a group or an external
// group name, at cluster scope or on one space). Reading needs roles.read; creating, changing
// and deleting roles need admin on roles/<name>; binding needs roles.bind on roles/<name> in the
// space's context when a space is named (so a space's owner or space admin may bind roles on
// that space only). Built-in roles (admin, maintainer, viewer, client) are rows like any other
// but cannot be changed or deleted (409). Every change and every denial is audited; handlers
// fail with the SPEC error codes.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The role and rule routes over `context` (which must outlive them).
std::vector<api::Route> role_routes(AgentContext& context);

// The binding routes (bindings.cpp) over `context` (which must outlive them).
std::vector<api::Route> binding_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
