// The account routes (SPEC.md "HTTP API"): POST /api/v1/users (registration), POST /api/v1/apps
// (login), GET/DELETE /api/v1/apps[/{app_id}], GET /api/v1/whoami, PUT
// /api/v1/users/me/password. Handlers fail with the SPEC error codes; every change and every
// refused login writes an audit event; no response or audit detail ever holds a password, a
// token or a hash. Registration, a password change and the first successful login of a user
// without one also store the password's NT hash (UserSecrets.nt_hash, common/util/nt_hash),
// from which the reconciler provisions the user's SMB account on every host.
#pragma once

#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The account routes over `context` (which must outlive them), with their permissions.
std::vector<api::Route> account_routes(AgentContext& context);

// Every route of the agent beyond the transport's built-ins (account, user and audit routes).
std::vector<api::Route> agent_routes(AgentContext& context);

// Checks an e-mail address: 3 to 254 bytes, one '@' with text on both sides, no spaces or
// control characters. Fails with bad_request saying what is wrong.
Status validate_email(std::string_view email);

} // namespace sharectl::agent::handlers
