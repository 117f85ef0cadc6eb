#include "agent/handlers/group_view.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::handlers {

namespace {

// Whether the caller may see the group: groups.read on it, or membership.
Result<bool> may_see(AgentContext& context, const Caller& caller, const GroupView& view) {
  if (is_group_member(view, caller.user.id)) {
    return true;
  }
  auto decision = decide(context, caller, "groups.read", group_target(view.group));
  if (!decision) {
    return std::unexpected(decision.error());
  }
  return decision->allowed;
}

} // namespace

Result<GroupView> load_group_view(store::Tx& tx, model::Group group) {
  GroupView view{std::move(group), {}, {}, {}};
  auto members = tx.list_group_members(view.group.id);
  if (!members) {
    return std::unexpected(members.error());
  }
  for (const auto& member : *members) {
    auto user = tx.get<model::User>(member.user_id);
    if (!user) {
      return std::unexpected(user.error());
    }
    view.member_ids.push_back(member.user_id);
    view.members.push_back(user->username);
  }
  std::ranges::sort(view.members);
  if (view.group.owner_id) {
    auto owner = tx.get<model::User>(*view.group.owner_id);
    if (owner) {
      view.owner = owner->username;
    } else if (owner.error().code != ErrorCode::not_found) {
      return std::unexpected(owner.error());
    }
  }
  return view;
}

std::string group_json(const GroupView& view) {
  const auto& g = view.group;
  nlohmann::json out{{"id", g.id},
                     {"revision", g.revision},
                     {"created_at", rfc3339(g.created_at)},
                     {"updated_at", rfc3339(g.updated_at)},
                     {"name", g.name},
                     {"description", g.description},
                     {"origin", g.external_id ? "external" : "local"},
                     {"members", view.members}};
  out["owner"] = view.owner.empty() ? nlohmann::json(nullptr) : nlohmann::json(view.owner);
  return out.dump();
}

authz::Resource group_target(const model::Group& group) {
  authz::Resource target;
  target.path = authz::group_resource(group.name);
  target.owner_id = group.owner_id;
  return target;
}

bool is_group_member(const GroupView& view, const model::Id& user_id) {
  return std::ranges::find(view.member_ids, user_id) != view.member_ids.end();
}

Result<GroupView> visible_group(AgentContext& context, const api::Request& request,
                                const Caller& caller) {
  const std::string name(request.param("name"));
  if (auto ok = validate::validate_group_name(name); !ok) {
    return std::unexpected(ok.error());
  }
  auto view = context.store.view_result([&](store::Tx& tx) -> Result<GroupView> {
    auto group = tx.find_group(name);
    if (!group) {
      return std::unexpected(group.error());
    }
    return load_group_view(tx, std::move(*group));
  });
  const auto not_found = [&] { return fail(ErrorCode::not_found, "no group " + name); };
  if (!view) {
    return view.error().code == ErrorCode::not_found ? not_found() : std::unexpected(view.error());
  }
  auto seen = may_see(context, caller, *view);
  if (!seen) {
    return std::unexpected(seen.error());
  }
  if (!*seen) {
    return not_found();
  }
  return view;
}

Result<std::optional<std::string>> user_group_owner(AgentContext& context,
                                                    const model::Group& group) {
  if (group.external_id || !group.owner_id) {
    return std::optional<std::string>();
  }
  auto owner = context.store.view_result(
      [&](store::Tx& tx) { return tx.get<model::User>(*group.owner_id); });
  if (!owner) {
    return owner.error().code == ErrorCode::not_found ? Result<std::optional<std::string>>()
                                                      : std::unexpected(owner.error());
  }
  // Without owner_id on the resource: the "owner of the group" rule must not count here.
  authz::Resource target;
  target.path = authz::group_resource(group.name);
  const Caller as_owner{*owner, {}, {}};
  auto decision = decide(context, as_owner, "groups.create", target);
  if (!decision) {
    return std::unexpected(decision.error());
  }
  if (decision->allowed) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(owner->username);
}

} // namespace sharectl::agent::handlers
