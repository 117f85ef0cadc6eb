// Escalation prevention in the handlers; see escalation.hpp and agent/authz/README.md.
#include "agent/handlers/escalation.hpp"

#include <map>

#include <fmt/core.h>

#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"

namespace sharectl::agent::handlers {

Result<std::vector<authz::RuleDef>> rules_in_force(const model::Role& role,
                                                   const std::vector<model::Rule>& rows) {
  auto catalog = authz::RoleCatalog::from_store({role}, rows);
  if (!catalog) {
    return std::unexpected(catalog.error());
  }
  return catalog->find(role.id)->rules;
}

Result<std::vector<Giving>> group_giving(store::Tx& tx, const model::Id& group_id) {
  auto bindings = tx.list<model::Binding>();
  if (!bindings) {
    return std::unexpected(bindings.error());
  }
  std::vector<Giving> out;
  for (const auto& binding : *bindings) {
    if (binding.subject_kind != model::SubjectKind::group || binding.subject != group_id) {
      continue;
    }
    auto role = tx.get<model::Role>(binding.role_id);
    auto rows = role ? tx.list<model::Rule>(store::ListQuery{role->id, 0})
                     : Result<std::vector<model::Rule>>(std::unexpected(role.error()));
    if (!rows) {
      if (rows.error().code == ErrorCode::not_found) {
        continue;
      }
      return std::unexpected(rows.error());
    }
    Giving giving;
    giving.source = "role " + role->name;
    if (binding.space_id) {
      auto space = tx.get<model::Space>(*binding.space_id);
      if (!space) {
        if (space.error().code == ErrorCode::not_found) {
          continue;
        }
        return std::unexpected(space.error());
      }
      giving.scope.space = authz::SpaceContext{space->id, space->owner_id};
      giving.source += " on space " + space->name;
    } else {
      giving.source += " (cluster-wide)";
    }
    auto rules = rules_in_force(*role, *rows);
    if (!rules) {
      return std::unexpected(rules.error());
    }
    giving.rules = std::move(*rules);
    out.push_back(std::move(giving));
  }
  return out;
}

Status check_no_escalation(AgentContext& context, const api::Request& request, const Caller& caller,
                           std::string_view action, const std::string& resource,
                           std::string_view what, const std::vector<Giving>& giving) {
  if (giving.empty() || caller.user.is_admin) {
    return {};
  }
  struct Inputs {
    std::map<std::optional<model::Id>, std::vector<model::Binding>> bindings; // per scope
    std::vector<model::Role> roles;
    std::vector<model::Rule> rules;
  };
  auto inputs = context.store.view_result([&](store::Tx& tx) -> Result<Inputs> {
    Inputs in;
    for (const auto& g : giving) {
      std::optional<model::Id> space_id = g.scope.space ? g.scope.space->space_id : std::nullopt;
      if (in.bindings.contains(space_id)) {
        continue;
      }
      auto held = tx.applicable_bindings(caller.user.id, {}, space_id);
      if (!held) {
        return std::unexpected(held.error());
      }
      in.bindings[space_id] = std::move(*held);
    }
    auto roles = tx.list<model::Role>();
    auto rules = tx.list<model::Rule>();
    if (!roles || !rules) {
      return std::unexpected(!roles ? roles.error() : rules.error());
    }
    in.roles = std::move(*roles);
    in.rules = std::move(*rules);
    return in;
  });
  if (!inputs) {
    return std::unexpected(inputs.error());
  }
  auto catalog = authz::RoleCatalog::from_store(inputs->roles, inputs->rules);
  if (!catalog) {
    return std::unexpected(catalog.error());
  }
  const authz::Subject who = authz::subject_of(caller.user);
  for (const auto& g : giving) {
    std::optional<model::Id> space_id = g.scope.space ? g.scope.space->space_id : std::nullopt;
    std::vector<authz::EffectiveBinding> held;
    for (const auto& binding : inputs->bindings[space_id]) {
      held.push_back(authz::effective_binding(binding));
    }
    if (auto missing = authz::first_rule_not_held(who, g.rules, g.scope, held, *catalog)) {
      std::string reason =
          fmt::format("cannot {}: it would give {} through {}, which you do not hold", what,
                      authz::describe_rule(*missing), g.source);
      audit_outside(context, audit_event(request, &caller.user, std::string(action), resource,
                                         model::AuditOutcome::denied, reason));
      return fail(ErrorCode::forbidden, std::move(reason));
    }
  }
  return {};
}

} // namespace sharectl::agent::handlers
