// The authorization decision: may this subject do this action on this resource? Pure and
// deny-by-default: a request is allowed only when the admin flag, the manager flag (users and
// groups), the self rule (view on one's own user), space ownership (admin on one's own spaces
// and their shares) or a binding's role grants at least the action's level. Across all of these
// the highest level wins. Every decision carries a human reason for the 403 body and the audit
// log. The rules are written down in agent/authz/README.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/authz/resources.hpp"
#include "agent/authz/roles.hpp"
#include "common/model/entities.hpp"

namespace sharectl::agent::authz {

// Who is asking (an authenticated user).
struct Subject {
  model::Id user_id;
  std::string username;
  bool is_active = true;
  bool is_admin = false;   // user flag: everything
  bool is_manager = false; // user flag: manage users and groups
};

// The Subject for a stored user. Never fails.
Subject subject_of(const model::User& user);

// The space a resource belongs to: the space itself, a share of it, a space about to be
// created (space_id empty). Space-scoped bindings and ownership apply through it.
struct SpaceContext {
  std::optional<model::Id> space_id; // nullopt: the space does not exist yet (create)
  model::Id owner_id;                // the (future) owner
};

// What is being acted on.
struct Resource {
  std::string path;                  // e.g. "spaces/alice/projects" (see resources.hpp)
  std::optional<SpaceContext> space; // set for spaces and shares
  bool admin_user = false;           // a users/<name> whose user has the admin flag
  std::optional<model::Id> owner_id = std::nullopt; // owner of a resource outside spaces (a group)
};

// A binding as the evaluator needs it: which role, where, and how it reached the subject.
struct EffectiveBinding {
  model::Id role_id;                 // a RoleCatalog id
  std::optional<model::Id> space_id; // nullopt: cluster-wide
  std::string via;                   // for reasons: "user", "group <id>", "external group X"
};

// The EffectiveBinding of a stored binding. Never fails.
EffectiveBinding effective_binding(const model::Binding& binding);

// The highest level a subject holds on a resource, and what gave it.
struct Grant {
  std::optional<Level> level; // nullopt: nothing at all
  std::string source;         // e.g. "role viewer (cluster, via user)", "admin flag"
  std::string role_name;      // when a role gave it, the role's name
};

// The outcome of authorize().
struct Decision {
  bool allowed = false;
  Grant grant;        // the best grant found (for explanations and whoami)
  std::string reason; // "allowed by …" or why not, e.g. "viewer role cannot create spaces: …"
};

// The highest level `who` holds on `resource` through flags, ownership and `bindings` (roles
// looked up in `catalog`; unknown roles and bindings of other spaces are ignored). A disabled
// subject holds nothing. Never fails.
Grant effective_grant(const Subject& who, const Resource& resource,
                      const std::vector<EffectiveBinding>& bindings, const RoleCatalog& catalog);

// Whether `who` may perform `action` on `resource`: allowed iff effective_grant() reaches
// action.needed. Never fails; a denial is a Decision with a reason naming the missing level.
Decision authorize(const Subject& who, const Action& action, const Resource& resource,
                   const std::vector<EffectiveBinding>& bindings, const RoleCatalog& catalog);

// authorize() for an action named in a route permission; an unknown action name is denied.
Decision authorize(const Subject& who, std::string_view action_name, const Resource& resource,
                   const std::vector<EffectiveBinding>& bindings, const RoleCatalog& catalog);

} // namespace sharectl::agent::authz
