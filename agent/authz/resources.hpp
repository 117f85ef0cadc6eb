// The names authorization speaks: resource paths ("spaces/alice/projects", "shares/projects",
// "users/bob", "audit", …) built from validated object names, and the actions of the API
// ("spaces.create") with the level each needs. Route permissions (agent/api/router.hpp) name
// these actions and resource templates; agent/authz/README.md lists both.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/model/entities.hpp"

namespace sharectl::agent::authz {

// Control-plane levels, ordered: view < client < modify < admin.
using Level = model::RoleLevel;

// "spaces/<owner username>/<space name>". Never fails.
std::string space_resource(std::string_view owner, std::string_view name);
// "shares/<share name>". Never fails.
std::string share_resource(std::string_view name);
// "users/<username>". Never fails.
std::string user_resource(std::string_view username);
// "groups/<group name>". Never fails.
std::string group_resource(std::string_view name);
// "roles/<role name>" (a role, its rules and its bindings). Never fails.
std::string role_resource(std::string_view name);
// "servers/<server name>". Never fails.
std::string server_resource(std::string_view name);
// "servers/<server name>/filesystems/<filesystem id>". Never fails.
std::string filesystem_resource(std::string_view server, std::string_view filesystem_id);
// "iscsi/<target IQN>". Never fails.
std::string iscsi_resource(std::string_view iqn);
// "notify/<notify method name>". Never fails.
std::string notify_resource(std::string_view name);
// "audit": the audit log. Never fails.
std::string audit_resource();

// One thing a caller may ask to do, and the level it needs on the resource.
struct Action {
  std::string_view name;        // e.g. "spaces.create"
  Level needed = Level::admin;  // the least level that allows it
  std::string_view description; // completes "<role> role cannot …", e.g. "create spaces"
};

// Every action of the API, in a fixed order (for route tables and test matrices).
std::span<const Action> all_actions();

// The action with this name; nullptr for an unknown name (which authorize() denies).
const Action* find_action(std::string_view name);

} // namespace sharectl::agent::authz
