// Roles as the evaluator sees them: a role is a named list of rules (resource glob → level,
// priority); the highest-priority matching rule of a role decides its level on a resource
// (ties: the rule listed first). RoleCatalog holds the roles in force — the built-in admin,
// maintainer, viewer and client, and custom roles read from the store. agent/authz/README.md
// says exactly what each built-in role allows.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/authz/resources.hpp"
#include "common/model/entities.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::authz {

// One rule: resources matching `glob` (common/validate/glob.hpp) get `level`.
struct RuleDef {
  std::string glob;
  Level level = Level::view;
  int priority = 0; // higher is considered first
};

// A role: its id (the store's; the name for built-ins), name and rules.
struct RoleDef {
  model::Id id;
  std::string name;
  std::vector<RuleDef> rules; // in RoleCatalog: sorted by priority, highest first, stable
  bool builtin = false;

  // The level the role gives on `resource`: that of the first rule (in priority order) whose
  // glob matches; nullopt when none matches. Never fails.
  std::optional<Level> level_for(std::string_view resource) const;
};

// The built-in roles (ids equal their names): admin, maintainer, viewer, client.
const std::vector<RoleDef>& builtin_roles();

// The roles in force, by id and by name. Not thread-safe to modify; read-only use from many
// threads is safe.
class RoleCatalog {
public:
  // An empty catalog.
  RoleCatalog() = default;

  // A catalog of the built-in roles only.
  static RoleCatalog with_builtins();

  // The roles and rules read from the store (rules grouped by role_id, each role's rules in the
  // order given, which breaks priority ties). A built-in role row without rule rows gets the
  // compiled-in rules of the built-in role of that name. Rules of roles not listed are ignored.
  // Fails like add().
  static Result<RoleCatalog> from_store(const std::vector<model::Role>& roles,
                                        const std::vector<model::Rule>& rules);

  // Adds a role, sorting its rules by priority (stable). Fails with conflict when the id or name
  // is taken and bad_request when a glob is invalid (the message names the role and glob).
  Status add(RoleDef role);

  // The role with this id; nullptr when unknown. Never fails.
  const RoleDef* find(std::string_view id) const;

  // The role with this name; nullptr when unknown. Never fails.
  const RoleDef* find_by_name(std::string_view name) const;

  // Every role, in the order added.
  const std::vector<RoleDef>& roles() const { return m_roles; }

private:
  // Hashes std::string and std::string_view alike, so look-ups need no temporary string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index = std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>>;

  std::vector<RoleDef> m_roles;
  Index m_by_id;
  Index m_by_name;
};

} // namespace sharectl::agent::authz
