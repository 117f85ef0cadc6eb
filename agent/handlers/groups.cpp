#include "agent/handlers/groups.hpp"

#include <algorithm>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/invitations.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/json/strict.hpp"
#include "common/validate/names.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// A group with what the API shows of it.
struct GroupView {
  model::Group group;
  std::vector<model::Id> member_ids;
  std::vector<std::string> members; // usernames, sorted
  std::string owner;                // username; "" when none
};

Result<GroupView> load_view(store::Tx& tx, model::Group group) {
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

// The authz resource of a group: groups/<name>, owned by its creator.
authz::Resource resource_of(const model::Group& group) {
  authz::Resource target;
  target.path = authz::group_resource(group.name);
  target.owner_id = group.owner_id;
  return target;
}

bool is_member(const GroupView& view, const model::Id& user_id) {
  return std::ranges::find(view.member_ids, user_id) != view.member_ids.end();
}

// Whether the caller may see the group: groups.read on it, or membership.
Result<bool> may_see(AgentContext& context, const Caller& caller, const GroupView& view) {
  if (is_member(view, caller.user.id)) {
    return true;
  }
  auto decision = decide(context, caller, "groups.read", resource_of(view.group));
  if (!decision) {
    return std::unexpected(decision.error());
  }
  return decision->allowed;
}

// The group named in the route, if the caller may see it; 404 otherwise (as for other users'
// spaces: existence is not revealed).
Result<GroupView> visible_group(AgentContext& context, const Request& request,
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
    return load_view(tx, std::move(*group));
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

// GET /api/v1/groups: the groups the caller may see.
Result<Response> list_groups(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto views = context.store.view_result([&](store::Tx& tx) -> Result<std::vector<GroupView>> {
    auto groups = tx.list<model::Group>();
    if (!groups) {
      return std::unexpected(groups.error());
    }
    std::vector<GroupView> out;
    for (auto& group : *groups) {
      auto view = load_view(tx, std::move(group));
      if (!view) {
        return std::unexpected(view.error());
      }
      out.push_back(std::move(*view));
    }
    return out;
  });
  if (!views) {
    return std::unexpected(views.error());
  }
  std::string out = "[";
  for (const auto& view : *views) {
    auto seen = may_see(context, caller, view);
    if (!seen) {
      return std::unexpected(seen.error());
    }
    if (!*seen) {
      continue;
    }
    if (out.size() > 1) {
      out += ',';
    }
    out += group_json(view);
  }
  out += ']';
  return Response::json(200, out);
}

// POST /api/v1/groups: {name, description?}; the caller owns the new group.
Result<Response> create_group(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto body = read_named_body(request, validate::validate_group_name);
  if (!body) {
    return std::unexpected(body.error());
  }
  model::Group group;
  group.name = body->name;
  group.description = body->description;
  group.owner_id = caller.user.id;
  authz::Resource target;
  target.path = authz::group_resource(group.name);
  if (auto ok = authorize_resource(context, request, caller, "groups.create", target); !ok) {
    return std::unexpected(ok.error());
  }
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    auto stored = tx.create(group);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "groups.create", target.path,
                                           AuditOutcome::allowed, ""));
        !audit) {
      return std::unexpected(audit.error());
    }
    return group_json(GroupView{std::move(*stored), {}, {}, caller.user.username});
  });
  if (!created) {
    return std::unexpected(created.error());
  }
  return Response::json(201, *created);
}

// GET /api/v1/groups/{name}
Result<Response> show_group(AgentContext& context, Request& request) {
  auto view = visible_group(context, request, caller_of(request));
  if (!view) {
    return std::unexpected(view.error());
  }
  return Response::json(200, group_json(*view));
}

// DELETE /api/v1/groups/{name}: the group, its members' rows and its grants (operation 5).
Result<Response> delete_group(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto view = visible_group(context, request, caller);
  if (!view) {
    return std::unexpected(view.error());
  }
  auto expected = if_match(request);
  if (!expected) {
    return std::unexpected(expected.error());
  }
  const auto target = resource_of(view->group);
  if (auto ok = authorize_resource(context, request, caller, "groups.delete", target); !ok) {
    return std::unexpected(ok.error());
  }
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    auto removed = tx.remove<model::Group>(view->group.id, *expected);
    if (!removed) {
      if (*expected && removed.error().code == ErrorCode::conflict) {
        return fail(ErrorCode::precondition_failed, removed.error().message);
      }
      return removed;
    }
    return first_error(tx.create(audit_event(request, &caller.user, "groups.delete", target.path,
                                             AuditOutcome::allowed,
                                             fmt::format("{} members", view->members.size()))));
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return Response::no_content();
}

// PUT (add) or DELETE (remove) /api/v1/groups/{name}/members/{user}. Adding an existing member
// changes nothing and answers the group as it is.
Result<Response> change_member(AgentContext& context, Request& request, bool add) {
  const Caller& caller = caller_of(request);
  auto view = visible_group(context, request, caller);
  if (!view) {
    return std::unexpected(view.error());
  }
  const std::string username(request.param("user"));
  if (auto ok = validate::validate_username(username); !ok) {
    return std::unexpected(ok.error());
  }
  const auto target = resource_of(view->group);
  if (auto ok = authorize_resource(context, request, caller, "groups.update", target); !ok) {
    return std::unexpected(ok.error());
  }
  if (view->group.external_id) {
    return fail(ErrorCode::conflict,
                fmt::format("group {} is synchronized from the directory; its members are "
                            "changed there",
                            view->group.name));
  }
  auto changed = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    auto user = tx.find_user(username);
    if (!user) {
      return user.error().code == ErrorCode::not_found
                 ? fail(ErrorCode::not_found, "no user " + username)
                 : std::unexpected(user.error());
    }
    auto members = tx.list_group_members(view->group.id);
    if (!members) {
      return std::unexpected(members.error());
    }
    const bool member = std::ranges::any_of(
        *members, [&](const model::GroupMember& m) { return m.user_id == user->id; });
    if (add && !member) {
      // Operation 1: a row on every share of the group (an invitation when they are on).
      if (auto added = tx.add_group_member(view->group.id, user->id, new_acl_state(context));
          !added) {
        return std::unexpected(added.error());
      }
    } else if (!add) {
      if (!member) {
        return fail(ErrorCode::not_found,
                    fmt::format("{} is not a member of group {}", username, view->group.name));
      }
      // Operation 2: the user's rows from this group go.
      if (auto removed = tx.remove_group_member(view->group.id, user->id); !removed) {
        return std::unexpected(removed.error());
      }
    }
    if (add == member) { // nothing changed
      return std::string();
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "groups.update", target.path,
                                           AuditOutcome::allowed,
                                           (add ? "add member " : "remove member ") + username));
        !audit) {
      return std::unexpected(audit.error());
    }
    auto group = tx.get<model::Group>(view->group.id);
    if (!group) {
      return std::unexpected(group.error());
    }
    auto fresh = load_view(tx, std::move(*group));
    if (!fresh) {
      return std::unexpected(fresh.error());
    }
    return group_json(*fresh);
  });
  if (!changed) {
    return std::unexpected(changed.error());
  }
  return Response::json(200, changed->empty() ? group_json(*view) : *changed);
}

Result<Response> add_member(AgentContext& context, Request& request) {
  return change_member(context, request, true);
}

Result<Response> remove_member(AgentContext& context, Request& request) {
  return change_member(context, request, false);
}

} // namespace

std::vector<api::Route> group_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"GET", "/api/v1/groups", bind(list_groups), Permission::authenticated(),
                 "List the groups the caller may see (readable ones and their own)"}
          .cached()
          .answers(200, api::Schema::list_of(schemas::group())),
      api::Route{"POST", "/api/v1/groups", bind(create_group),
                 Permission::in_handler("groups.create", "groups/{name}"),
                 "Create a local group; the caller owns it"}
          .takes(schemas::group_create())
          .answers(201, schemas::group()),
      api::Route{"GET", "/api/v1/groups/{name}", bind(show_group),
                 Permission::in_handler("groups.read", "groups/{name}"),
                 "Show a group and its members"}
          .cached()
          .answers(200, schemas::group()),
      api::Route{"DELETE", "/api/v1/groups/{name}", bind(delete_group),
                 Permission::in_handler("groups.delete", "groups/{name}"),
                 "Delete a group; its members lose the access it gave"}
          .answers(204),
      api::Route{"PUT", "/api/v1/groups/{name}/members/{user}", bind(add_member),
                 Permission::in_handler("groups.update", "groups/{name}"),
                 "Add a user to a group (rows on the group's shares)"}
          .answers(200, schemas::group()),
      api::Route{"DELETE", "/api/v1/groups/{name}/members/{user}", bind(remove_member),
                 Permission::in_handler("groups.update", "groups/{name}"),
                 "Remove a user from a group (and the access it gave)"}
          .answers(200, schemas::group()),
  };
}

} // namespace sharectl::agent::handlers
