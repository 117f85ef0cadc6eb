// Role evaluation and the role catalog; see roles.hpp.
#include "agent/authz/roles.hpp"

#include <algorithm>

#include "common/validate/glob.hpp"

namespace sharectl::agent::authz {

namespace {

RoleDef builtin(std::string name, std::vector<RuleDef> rules) {
  RoleDef role;
  role.id = name;
  role.name = std::move(name);
  role.rules = std::move(rules);
  role.builtin = true;
  std::stable_sort(role.rules.begin(), role.rules.end(),
                   [](const RuleDef& a, const RuleDef& b) { return a.priority > b.priority; });
  return role;
}

} // namespace

std::optional<Level> RoleDef::level_for(std::string_view resource) const {
  for (const RuleDef& rule : rules) {
    // Cheap pre-check: the glob's literal prefix (up to its first wildcard) must match.
    const std::string_view glob = rule.glob;
    std::size_t literal = 0;
    while (literal < glob.size() && glob[literal] != '*' && glob[literal] != '?') {
      ++literal;
    }
    const std::string_view prefix = glob.substr(0, literal);
    if (resource.substr(0, prefix.size()) != prefix) {
      continue;
    }
    if (prefix.size() == glob.size() ? resource.size() == glob.size()
                                     : validate::glob_match(glob, resource)) {
      return rule.level;
    }
  }
  return std::nullopt;
}

const std::vector<RoleDef>& builtin_roles() {
  static const std::vector<RoleDef> roles = {
      builtin("admin", {{"**", Level::admin, 0}}),
      builtin(
          "maintainer",
          {{"users/**", Level::view, 10}, {"roles/**", Level::view, 10}, {"**", Level::modify, 0}}),
      builtin("viewer", {{"**", Level::view, 0}}),
      builtin("client", {{"spaces/**", Level::client, 0}, {"shares/**", Level::client, 0}}),
  };
  return roles;
}

RoleCatalog RoleCatalog::with_builtins() {
  RoleCatalog catalog;
  for (const RoleDef& role : builtin_roles()) {
    catalog.m_by_id.emplace(role.id, catalog.m_roles.size());
    catalog.m_by_name.emplace(role.name, catalog.m_roles.size());
    catalog.m_roles.push_back(role);
  }
  return catalog;
}

Result<RoleCatalog> RoleCatalog::from_store(const std::vector<model::Role>& roles,
                                            const std::vector<model::Rule>& rules) {
  std::unordered_map<std::string, std::vector<RuleDef>> by_role;
  for (const model::Rule& rule : rules) {
    by_role[rule.role_id].push_back(RuleDef{rule.resource_glob, rule.level, rule.priority});
  }
  RoleCatalog catalog;
  for (const model::Role& role : roles) {
    RoleDef def;
    def.id = role.id;
    def.name = role.name;
    def.builtin = role.builtin;
    if (auto it = by_role.find(role.id); it != by_role.end()) {
      def.rules = std::move(it->second);
    } else if (role.builtin) {
      // A built-in role row without rule rows: its rules are the compiled-in ones.
      for (const RoleDef& b : builtin_roles()) {
        if (b.name == role.name) {
          def.rules = b.rules;
        }
      }
    }
    if (Status st = catalog.add(std::move(def)); !st) {
      return std::unexpected(st.error());
    }
  }
  return catalog;
}

Status RoleCatalog::add(RoleDef role) {
  if (m_by_id.contains(role.id)) {
    return fail(ErrorCode::conflict, "role id " + role.id + " is already in the catalog");
  }
  if (m_by_name.contains(role.name)) {
    return fail(ErrorCode::conflict, "role " + role.name + " is already in the catalog");
  }
  for (const RuleDef& rule : role.rules) {
    if (Status st = validate::validate_glob(rule.glob); !st) {
      return fail(ErrorCode::bad_request, "role " + role.name + ": " + st.error().message);
    }
  }
  std::stable_sort(role.rules.begin(), role.rules.end(),
                   [](const RuleDef& a, const RuleDef& b) { return a.priority > b.priority; });
  m_by_id.emplace(role.id, m_roles.size());
  m_by_name.emplace(role.name, m_roles.size());
  m_roles.push_back(std::move(role));
  return {};
}

const RoleDef* RoleCatalog::find(std::string_view id) const {
  auto it = m_by_id.find(id);
  return it == m_by_id.end() ? nullptr : &m_roles[it->second];
}

const RoleDef* RoleCatalog::find_by_name(std::string_view name) const {
  auto it = m_by_name.find(name);
  return it == m_by_name.end() ? nullptr : &m_roles[it->second];
}

} // namespace sharectl::agent::authz
