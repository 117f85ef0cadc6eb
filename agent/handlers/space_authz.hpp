// Authorization in a space's context, shared by the space, share and ACL routes: the caller's
// applicable bindings (cluster-scoped and the space's), the role catalog, and authz::authorize.
// A denial is a forbidden value with the reason, and is audited.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/api/http.hpp"
#include "agent/authz/authorize.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The decision on `caller` doing `action` on `resource` (space context `space`, nullopt for
// resources outside spaces such as servers), without auditing: for views that show less
// rather than refuse. Fails only with the store's errors.
Result<authz::Decision> decide(AgentContext& context, const Caller& caller, std::string_view action,
                               const std::string& resource,
                               const std::optional<authz::SpaceContext>& space);

// decide() for a resource described in full (e.g. a group with its owner).
Result<authz::Decision> decide(AgentContext& context, const Caller& caller, std::string_view action,
                               const authz::Resource& target);

// Whether `caller` may do `action` on `target`; as authorize_in_space().
Status authorize_resource(AgentContext& context, const api::Request& request, const Caller& caller,
                          std::string_view action, const authz::Resource& target);

// Whether `caller` may do `action` on `resource` whose space context is `space` (ownership and
// space-scoped bindings count). Fails with forbidden (the reason) and audits the denial; store
// failures are returned as they are.
Status authorize_in_space(AgentContext& context, const api::Request& request, const Caller& caller,
                          std::string_view action, const std::string& resource,
                          const authz::SpaceContext& space);

} // namespace sharectl::agent::handlers
