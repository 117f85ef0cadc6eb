// The user administration routes (SPEC.md "HTTP API", `sharectl user …`): GET /api/v1/users,
// GET/PATCH/DELETE /api/v1/users/{name}. Listing filters by users.read (it never 403s); PATCH
// takes {is_active} (disabling ends the user's apps) and {allowance_bytes}; disabling or
// deleting the last active admin (admin flag) is refused with conflict (409); every change and
// every denial is audited. Handlers fail with the SPEC error codes (forbidden, not_found,
// conflict, precondition_failed, bad_request); no answer or audit detail holds a hash.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The user administration routes over `context` (which must outlive them).
std::vector<api::Route> user_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
