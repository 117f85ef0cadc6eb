// The authorization decision; see authorize.hpp and README.md.
#include "agent/authz/authorize.hpp"

#include "common/validate/glob.hpp"

namespace sharectl::agent::authz {

namespace {

// Raises `grant` to `level` from `source` when that is higher (the first of equals is kept).
void raise(Grant& grant, Level level, std::string source, std::string role_name = {}) {
  if (!grant.level || level > *grant.level) {
    grant.level = level;
    grant.source = std::move(source);
    grant.role_name = std::move(role_name);
  }
}

std::string scope_text(const EffectiveBinding& b) {
  std::string out = b.space_id ? "space " + *b.space_id : std::string("cluster");
  if (!b.via.empty()) {
    out += ", via " + b.via;
  }
  return out;
}

} // namespace

Subject subject_of(const model::User& user) {
  return Subject{user.id, user.username, user.is_active, user.is_admin, user.is_manager};
}

EffectiveBinding effective_binding(const model::Binding& binding) {
  std::string via;
  switch (binding.subject_kind) {
  case model::SubjectKind::user:
    via = "user";
    break;
  case model::SubjectKind::group:
    via = "group " + binding.subject;
    break;
  case model::SubjectKind::external_group:
    via = "external group " + binding.subject;
    break;
  }
  return EffectiveBinding{binding.role_id, binding.space_id, std::move(via)};
}

Grant effective_grant(const Subject& who, const Resource& resource,
                      const std::vector<EffectiveBinding>& bindings, const RoleCatalog& catalog) {
  Grant grant;
  if (!who.is_active) {
    return grant;
  }
  if (who.is_admin) {
    raise(grant, Level::admin, "admin flag");
    return grant;
  }
  const std::string_view path = resource.path;
  if (who.is_manager && !resource.admin_user &&
      (validate::glob_match("users/**", path) || validate::glob_match("groups/**", path))) {
    raise(grant, Level::modify, "manager flag");
  }
  if (!who.username.empty() && path == user_resource(who.username)) {
    raise(grant, Level::view, "own user");
  }
  if (resource.space && !who.user_id.empty() && resource.space->owner_id == who.user_id) {
    raise(grant, Level::admin, "owner of the space");
  }
  if (resource.owner_id && !who.user_id.empty() && *resource.owner_id == who.user_id) {
    raise(grant, Level::admin, "owner of the group");
  }
  for (const EffectiveBinding& b : bindings) {
    if (grant.level == Level::admin) {
      break; // nothing can raise it further
    }
    if (b.space_id && (!resource.space || resource.space->space_id != b.space_id)) {
      continue; // a space-scoped binding of another space, or a resource outside any space
    }
    const RoleDef* role = catalog.find(b.role_id);
    if (role == nullptr) {
      continue; // deleted or unknown role: grants nothing
    }
    const std::optional<Level> level = role->level_for(path);
    if (level && (!grant.level || *level > *grant.level)) {
      raise(grant, *level, "role " + role->name + " (" + scope_text(b) + ")", role->name);
    }
  }
  return grant;
}

Decision authorize(const Subject& who, const Action& action, const Resource& resource,
                   const std::vector<EffectiveBinding>& bindings, const RoleCatalog& catalog) {
  Decision d;
  if (!who.is_active) {
    d.reason = "user " + who.username + " is disabled";
    return d;
  }
  d.grant = effective_grant(who, resource, bindings, catalog);
  const std::string needed(model::to_string(action.needed));
  if (d.grant.level && *d.grant.level >= action.needed) {
    d.allowed = true;
    d.reason = "allowed by " + d.grant.source;
    return d;
  }
  if (!d.grant.level) {
    d.reason = "cannot " + std::string(action.description) + ": no role grants " + needed + " on " +
               resource.path;
    return d;
  }
  const std::string has(model::to_string(*d.grant.level));
  if (!d.grant.role_name.empty()) {
    d.reason = d.grant.role_name + " role cannot " + std::string(action.description) + ": needs " +
               needed + " on " + resource.path + ", " + d.grant.role_name + " gives " + has;
  } else {
    d.reason = "cannot " + std::string(action.description) + ": needs " + needed + " on " +
               resource.path + ", " + d.grant.source + " gives " + has;
  }
  return d;
}

Decision authorize(const Subject& who, std::string_view action_name, const Resource& resource,
                   const std::vector<EffectiveBinding>& bindings, const RoleCatalog& catalog) {
  const Action* action = find_action(action_name);
  if (action == nullptr) {
    Decision d;
    d.reason = "unknown action " + std::string(action_name) + " (denied by default)";
    return d;
  }
  return authorize(who, *action, resource, bindings, catalog);
}

} // namespace sharectl::agent::authz
