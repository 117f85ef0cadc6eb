#include "agent/handlers/space_authz.hpp"

#include <vector>

#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"

namespace sharectl::agent::handlers {

Result<authz::Decision> decide(AgentContext& context, const Caller& caller, std::string_view action,
                               const std::string& resource,
                               const std::optional<authz::SpaceContext>& space) {
  authz::Resource target;
  target.path = resource;
  target.space = space;
  return decide(context, caller, action, target);
}

Result<authz::Decision> decide(AgentContext& context, const Caller& caller, std::string_view action,
                               const authz::Resource& target) {
  const auto& space = target.space;
  struct Inputs {
    std::vector<model::Binding> bindings;
    std::vector<model::Role> roles;
    std::vector<model::Rule> rules;
  };
  const std::optional<model::Id> space_id = space ? space->space_id : std::nullopt;
  auto inputs = context.store.view_result([&](store::Tx& tx) -> Result<Inputs> {
    auto bindings = tx.applicable_bindings(caller.user.id, {}, space_id);
    auto roles = tx.list<model::Role>();
    auto rules = tx.list<model::Rule>();
    if (!bindings || !roles || !rules) {
      return std::unexpected(!bindings ? bindings.error() : !roles ? roles.error() : rules.error());
    }
    return Inputs{std::move(*bindings), std::move(*roles), std::move(*rules)};
  });
  if (!inputs) {
    return std::unexpected(inputs.error());
  }
  auto catalog = authz::RoleCatalog::from_store(inputs->roles, inputs->rules);
  if (!catalog) {
    return std::unexpected(catalog.error());
  }
  std::vector<authz::EffectiveBinding> effective;
  for (const auto& binding : inputs->bindings) {
    effective.push_back(authz::effective_binding(binding));
  }
  return authz::authorize(authz::subject_of(caller.user), action, target, effective, *catalog);
}

Status authorize_resource(AgentContext& context, const api::Request& request, const Caller& caller,
                          std::string_view action, const authz::Resource& target) {
  auto decision = decide(context, caller, action, target);
  if (!decision) {
    return std::unexpected(decision.error());
  }
  if (!decision->allowed) {
    audit_outside(context, audit_event(request, &caller.user, std::string(action), target.path,
                                       model::AuditOutcome::denied, decision->reason));
    return fail(ErrorCode::forbidden, decision->reason);
  }
  return {};
}

Status authorize_in_space(AgentContext& context, const api::Request& request, const Caller& caller,
                          std::string_view action, const std::string& resource,
                          const authz::SpaceContext& space) {
  authz::Resource target;
  target.path = resource;
  target.space = space;
  return authorize_resource(context, request, caller, action, target);
}

} // namespace sharectl::agent::handlers
