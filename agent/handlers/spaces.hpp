// The space routes (SPEC.md "HTTP API"): POST/GET /api/v1/spaces, GET/PATCH/DELETE
// /api/v1/spaces/{owner}/{name}.
// Placement (placement.hpp) happens in one store transaction, so concurrent creators never
// over-commit a filesystem. Handlers fail with the SPEC error codes (bad_request, forbidden,
// not_found, conflict, precondition_failed); every change and every denial writes an audit
// event.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The space routes over `context` (which must outlive them); all need an authenticated caller
// and check the action themselves (in the space's context).
std::vector<api::Route> space_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
