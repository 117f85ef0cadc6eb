// Escalation prevention; see escalation.hpp and README.md §Escalation.
#include "agent/authz/escalation.hpp"

#include <algorithm>

#include "common/validate/glob.hpp"

namespace sharectl::agent::authz {

namespace {

// The glob's characters before its first wildcard.
std::string_view literal_prefix(std::string_view glob) {
  std::size_t n = 0;
  while (n < glob.size() && glob[n] != '*' && glob[n] != '?') {
    ++n;
  }
  return glob.substr(0, n);
}

bool is_literal(std::string_view glob) {
  return literal_prefix(glob).size() == glob.size();
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

} // namespace

bool glob_contains(std::string_view outer, std::string_view inner) {
  if (outer == inner || outer == "**") {
    return true;
  }
  if (is_literal(inner)) {
    return validate::glob_match(outer, inner);
  }
  const std::string_view prefix = literal_prefix(outer);
  return outer.size() == prefix.size() + 2 && outer.substr(prefix.size()) == "**" &&
         starts_with(inner, prefix);
}

bool globs_may_intersect(std::string_view a, std::string_view b) {
  if (is_literal(a) && is_literal(b)) {
    return a == b;
  }
  if (is_literal(a)) {
    return validate::glob_match(b, a);
  }
  if (is_literal(b)) {
    return validate::glob_match(a, b);
  }
  const std::string_view pa = literal_prefix(a);
  const std::string_view pb = literal_prefix(b);
  return starts_with(pa, pb) || starts_with(pb, pa);
}

bool role_holds(const RoleDef& role, const RuleDef& rule, std::span<const RuleDef> decided) {
  const auto shadowed = [&](std::string_view glob) {
    return std::ranges::any_of(decided,
                               [&](const RuleDef& d) { return glob_contains(d.glob, glob); });
  };
  if (shadowed(rule.glob)) {
    return true; // the rule decides nothing: earlier rules match all it matches
  }
  // role.rules are in evaluation order (RoleCatalog sorts them): the first that matches decides.
  for (const RuleDef& own : role.rules) {
    if (shadowed(own.glob)) {
      continue; // where it matches, an earlier wanted rule decides (and is checked on its own)
    }
    if (glob_contains(own.glob, rule.glob)) {
      return own.level >= rule.level;
    }
    if (own.level < rule.level && globs_may_intersect(own.glob, rule.glob)) {
      return false; // decides some of the resources, with less
    }
  }
  return false;
}

std::optional<RuleDef> first_rule_not_held(const Subject& who, const std::vector<RuleDef>& wanted,
                                           const Scope& scope,
                                           const std::vector<EffectiveBinding>& bindings,
                                           const RoleCatalog& catalog) {
  std::span<const RuleDef> decided; // the wanted rules before the one being checked
  const auto held = [&](const RuleDef& rule) {
    if (!who.is_active) {
      return false;
    }
    if (who.is_admin || std::ranges::any_of(decided, [&](const RuleDef& d) {
          return glob_contains(d.glob, rule.glob);
        })) {
      return true; // the admin flag; or a rule that decides nothing (earlier ones match it all)
    }
    if (scope.space && !who.user_id.empty() && scope.space->owner_id == who.user_id) {
      return true; // admin on the space and its shares: all a role scoped to it can give
    }
    if (who.is_manager && rule.level <= Level::modify && glob_contains("groups/**", rule.glob)) {
      return true;
    }
    for (const EffectiveBinding& b : bindings) {
      if (b.space_id && (!scope.space || scope.space->space_id != b.space_id)) {
        continue; // another space's binding, or a cluster-wide change
      }
      const RoleDef* role = catalog.find(b.role_id);
      if (role != nullptr && role_holds(*role, rule, decided)) {
        return true;
      }
    }
    return false;
  };
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    decided = std::span<const RuleDef>(wanted.data(), i);
    if (!held(wanted[i])) {
      return wanted[i];
    }
  }
  return std::nullopt;
}

std::string describe_rule(const RuleDef& rule) {
  return "rule " + rule.glob + " " + std::string(model::to_string(rule.level));
}

} // namespace sharectl::agent::authz
