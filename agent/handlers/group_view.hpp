// What the group routes (groups.cpp, group_members.cpp) and the binding routes share about a
// group: the view the API shows (members by name, owner), its authz resource (groups/<name>
// owned by its creator), who may see it (groups.read or membership; others get 404), and
// whether it is a user group (groups.user_groups: created by someone without groups.create, so
// it carries share grants only, never roles). Failures are the store's errors and not_found.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/api/http.hpp"
#include "agent/authz/authorize.hpp"
#include "agent/handlers/context.hpp"
#include "agent/store/tx.hpp"

namespace sharectl::agent::handlers {

// A group with what the API shows of it.
struct GroupView {
  model::Group group;
  std::vector<model::Id> member_ids;
  std::vector<std::string> members; // usernames, sorted
  std::string owner;                // username; "" when none
};

// The view of `group` as of `tx`. Fails with the store's errors.
Result<GroupView> load_group_view(store::Tx& tx, model::Group group);

// The group as the API shows it (schemas::group()). Never fails.
std::string group_json(const GroupView& view);

// The authz resource of a group: groups/<name>, owned by its creator. Never fails.
authz::Resource group_target(const model::Group& group);

// Whether `user_id` is a member of the viewed group. Never fails.
bool is_group_member(const GroupView& view, const model::Id& user_id);

// The group named by the route's {name}, if the caller may see it (groups.read on it, or
// membership); bad_request for an invalid name, not_found "no group NAME" when it does not
// exist or the caller may not see it (existence is not revealed), else the store's errors.
Result<GroupView> visible_group(AgentContext& context, const api::Request& request,
                                const Caller& caller);

// The owner's username when `group` is a user group: a local group whose owner holds no
// groups.create on groups/<name> through the admin or manager flag or a cluster-wide role
// binding (so they could make it only under groups.user_groups); nullopt for other groups
// (external, ownerless, or owned by someone who manages groups anyway). Decided on the owner's
// flags and bindings now. Fails with the store's errors.
Result<std::optional<std::string>> user_group_owner(AgentContext& context,
                                                    const model::Group& group);

} // namespace sharectl::agent::handlers
