// The handlers' side of escalation prevention (agent/authz/escalation.hpp): before a change that
// gives rights — adding members to a group with role bindings, binding a role, adding or
// removing a role's rules — check that the caller already holds everything it would give, at
// the same scope. A refusal is forbidden with the rule not held, and is audited.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/api/http.hpp"
#include "agent/authz/escalation.hpp"
#include "agent/handlers/caller.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// What a change would give: these rules at this scope; `source` says where they come from in
// the refusal ("role admin (cluster)").
struct Giving {
  std::vector<authz::RuleDef> rules;
  authz::Scope scope;
  std::string source;
};

// Whether `caller` holds every rule of every `giving`; otherwise forbidden ("cannot <what>: it
// would give <rule> through <source>, which you do not hold"), audited as a denial of `action`
// on `resource`. Fails with the store's errors.
Status check_no_escalation(AgentContext& context, const api::Request& request, const Caller& caller,
                           std::string_view action, const std::string& resource,
                           std::string_view what, const std::vector<Giving>& giving);

// What the role bindings of group `group_id` give to a member: one Giving per binding, read in
// `tx` (a binding of a role or space that is gone gives nothing). Fails with the store's errors.
Result<std::vector<Giving>> group_giving(store::Tx& tx, const model::Id& group_id);

// The rules of `role` as the evaluator sees them, given its stored rule rows `rows` (a built-in
// role without rows has its compiled-in rules). Fails with bad_request for an invalid glob.
Result<std::vector<authz::RuleDef>> rules_in_force(const model::Role& role,
                                                   const std::vector<model::Rule>& rows);

} // namespace sharectl::agent::handlers
