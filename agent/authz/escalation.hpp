// Escalation prevention (Kubernetes RBAC's rule): a caller may make a change that gives rights —
// add a member to a group that carries role bindings, bind a role, add or remove a role's rules —
// only if the caller already holds everything the change would give, at the same scope. Pure and
// conservative: when it cannot prove the caller holds a rule, the answer is "not held". The rule
// is written down in agent/authz/README.md §Escalation.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/authz/authorize.hpp"

namespace sharectl::agent::authz {

// Where a change would give its rules: cluster-wide, or one space (a space-scoped binding).
struct Scope {
  std::optional<SpaceContext> space; // nullopt: cluster-wide
};

// Whether every resource matched by `inner` is matched by `outer` — proved from the globs'
// shapes (equal; `outer` is "**" or a literal prefix followed by "**" that `inner` starts with;
// `inner` has no wildcard and `outer` matches it). False when not provable. Never fails.
bool glob_contains(std::string_view outer, std::string_view inner);

// Whether some resource could match both globs: false only when their literal prefixes (up to
// the first wildcard) differ, or both are literal and differ. Never fails.
bool globs_may_intersect(std::string_view a, std::string_view b);

// Whether `role` gives at least `rule.level` on every resource `rule.glob` decides in the role
// it belongs to, where `decided` are that role's rules evaluated before it (their resources are
// not this rule's to decide): a rule of `role` contains the glob at that level or higher, and
// no rule considered before it (higher priority, or equal and listed first) that may match one
// of those resources gives less. Rules of `role` lying wholly within `decided` are passed over.
bool role_holds(const RoleDef& role, const RuleDef& rule, std::span<const RuleDef> decided = {});

// The first of `wanted` (a role's rules in evaluation order, highest priority first) that `who`
// does not provably hold at `scope` through the admin flag,
// the manager flag (modify on groups/**; not users/**, which excepts admin users), ownership of
// the scope's space (admin on everything a space-scoped role can give) or `bindings` (the
// caller's own, cluster-wide ones and, at a space scope, that space's; others are ignored).
// nullopt when every rule is held. A disabled subject holds nothing. Never fails.
std::optional<RuleDef> first_rule_not_held(const Subject& who, const std::vector<RuleDef>& wanted,
                                           const Scope& scope,
                                           const std::vector<EffectiveBinding>& bindings,
                                           const RoleCatalog& catalog);

// "rule <glob> <level>" for messages. Never fails.
std::string describe_rule(const RuleDef& rule);

} // namespace sharectl::agent::authz
