// The space routes (SPEC.md "HTTP API"): POST/GET /api/v1/spaces, GET/PATCH/DELETE
// /api/v1/spaces/{owner}/{name}, and the helpers the share routes share with them
// (authorization in a space's context, the JSON of spaces and shares). Placement happens in one
// store transaction, so concurrent creators never over-commit a filesystem. Handlers fail with
// the SPEC error codes (bad_request, forbidden, not_found, conflict, precondition_failed); every
// change and every denial writes an audit event.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/router.hpp"
#include "agent/authz/authorize.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The space routes over `context` (which must outlive them); all need an authenticated caller
// and check the action themselves (in the space's context).
std::vector<api::Route> space_routes(AgentContext& context);

// Whether `caller` may do `action` on `resource` whose space context is `space` (ownership and
// space-scoped bindings count). Fails with forbidden (the reason) and audits the denial.
Status authorize_in_space(AgentContext& context, const api::Request& request, const Caller& caller,
                          std::string_view action, const std::string& resource,
                          const authz::SpaceContext& space);

// The space as API JSON text: SPEC object fields, name, owner, size_bytes, server, filesystem
// path, share (the first share of the space, "" when none), status. Never fails.
std::string space_json(const model::Space& space, const std::string& owner,
                       const std::string& server, const std::string& share);

// The share as API JSON text: SPEC object fields, name, space, owner, subdir, read_only,
// browseable, comment, status. Never fails.
std::string share_json(const model::Share& share, const std::string& space,
                       const std::string& owner);

} // namespace sharectl::agent::handlers
