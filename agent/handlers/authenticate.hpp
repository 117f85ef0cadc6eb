// The authentication step of every non-public route: X-User-ID + Bearer → the app (looked up by
// token hash, compared in constant time), its idle and absolute expiry, an active user → Caller;
// then, for routes that name an action, authorize() with the user's bindings. Fails with
// unauthenticated (401: unknown caller) or forbidden (403: known, not permitted, with the
// reason); bad_request for malformed credential headers. Every denial is audited.
#pragma once

#include <optional>
#include <string>

#include "agent/api/server.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// Who the request's credentials name. Fails with unauthenticated (no or bad credentials, an
// expired app, a disabled user), bad_request (malformed headers), unavailable (store down).
Result<Caller> authenticate(AgentContext& context, const api::Request& request);

// authenticate() with the headers its refusal must carry: Retry-After on the Basic path's 429
// (login rate limit) and 503 (full login pool), as the login route answers.
std::expected<Caller, api::Refusal> authenticate_request(AgentContext& context,
                                                         const api::Request& request);

// Whether `caller` may do `action` on `resource` (authz::authorize over the user's bindings and
// the roles in the store); the reason of a denial is the error message (forbidden).
Status authorize_caller(AgentContext& context, const Caller& caller, std::string_view action,
                        const std::string& resource);

// The server's Authorizer: authenticate(), then the route's permission; leaves the Caller in
// request.auth. Writes an audit event for each denial.
api::Authorizer make_authorizer(AgentContext& context);

// The kept answer (context.answers) of a cacheable route for this request, when it can be
// given without reading the store: Bearer credentials of a recently authenticated caller
// (context.callers) that is still admitted, and an answer for its app and this target that is
// still valid. nullopt otherwise (the usual path then authenticates, audits a refusal, and
// answers). Records the app's use like authentication does. Never fails.
std::optional<api::Response> cached_answer(AgentContext& context, const api::Request& request);

// Keeps a cacheable route's 200 answer for the request's app and target at the read stamp its
// authentication took (Basic callers have no app: nothing is kept). Never fails.
void remember_answer(AgentContext& context, const api::Request& request,
                     const api::Response& answer);

// Sets the server hooks this layer provides: authorize (make_authorizer), cached_answer and
// remember (the answer cache).
void install_hooks(AgentContext& context, api::ServerHooks& hooks);

// Writes a denial (or failure) audit event in its own transaction; best effort (a store error
// is ignored: the request is refused either way). Never fails.
void audit_outside(AgentContext& context, const model::AuditEvent& event);

// The Caller the authentication step stored in request.auth; throws std::logic_error when a
// handler of an authenticated route runs without one (a bug).
const Caller& caller_of(const api::Request& request);

// The route's resource template with its {params} replaced by the request's values
// ("spaces/{owner}/{name}" → "spaces/alice/projects"). Never fails.
std::string expand_resource(const std::string& pattern, const api::Request& request);

} // namespace sharectl::agent::handlers
