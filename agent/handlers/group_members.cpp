#include "agent/handlers/group_members.hpp"

#include <algorithm>
#include <set>
#include <string>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/escalation.hpp"
#include "agent/handlers/group_view.hpp"
#include "agent/handlers/groups.hpp"
#include "agent/handlers/invitations.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/json/strict.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// The group as it is after a member change, and the revision the change was written at (0 when
// nothing changed).
struct Changed {
  std::string group;
  model::Revision revision = 0;
};

// Adds (or removes) `usernames` (validated, without duplicates) to the group of `view` in one
// transaction, all or nothing: not_found naming every unknown user, or, when removing, every
// one who is not a member; members being added again are left alone. One audit event per user
// changed.
Result<Changed> change_members(AgentContext& context, const Request& request, const Caller& caller,
                               const GroupView& view, const std::vector<std::string>& usernames,
                               bool add) {
  const auto target = group_target(view.group);
  return context.store.transact_result([&](store::Tx& tx) -> Result<Changed> {
    auto members = tx.list_group_members(view.group.id);
    if (!members) {
      return std::unexpected(members.error());
    }
    std::vector<std::pair<std::string, model::Id>> to_change;
    std::vector<std::string> unknown;
    std::vector<std::string> not_members;
    for (const auto& name : usernames) {
      auto user = tx.find_user(name);
      if (!user) {
        if (user.error().code != ErrorCode::not_found) {
          return std::unexpected(user.error());
        }
        unknown.push_back(name);
        continue;
      }
      const bool member = std::ranges::any_of(
          *members, [&](const model::GroupMember& m) { return m.user_id == user->id; });
      if (add != member) {
        to_change.emplace_back(name, user->id);
      } else if (!add) {
        not_members.push_back(name);
      }
    }
    if (!unknown.empty()) {
      return fail(ErrorCode::not_found, fmt::format("no user{} {}", unknown.size() > 1 ? "s" : "",
                                                    fmt::join(unknown, ", ")));
    }
    if (!not_members.empty()) {
      return fail(ErrorCode::not_found,
                  fmt::format("{} {} a member of group {}", fmt::join(not_members, ", "),
                              not_members.size() > 1 ? "are not" : "is not", view.group.name));
    }
    for (const auto& [name, user_id] : to_change) {
      if (add) {
        // Operation 1: a row on every share of the group (an invitation when they are on).
        if (auto added = tx.add_group_member(view.group.id, user_id, new_acl_state(context));
            !added) {
          return std::unexpected(added.error());
        }
      } else if (auto removed = tx.remove_group_member(view.group.id, user_id); !removed) {
        // Operation 2: the user's rows from this group go.
        return std::unexpected(removed.error());
      }
      if (auto audit = tx.create(audit_event(request, &caller.user, "groups.update", target.path,
                                             AuditOutcome::allowed,
                                             (add ? "add member " : "remove member ") + name));
          !audit) {
        return std::unexpected(audit.error());
      }
    }
    auto group = tx.get<model::Group>(view.group.id);
    if (!group) {
      return std::unexpected(group.error());
    }
    auto fresh = load_group_view(tx, std::move(*group));
    if (!fresh) {
      return std::unexpected(fresh.error());
    }
    return Changed{group_json(*fresh), to_change.empty() ? 0 : tx.write_revision()};
  });
}

// Whether the caller may change the members of the group of `view`: groups.update on it (else
// forbidden, audited), a local group (external groups' members are a conflict), and, when
// adding, no escalation: the caller holds every role the group carries, at its scope.
Status check_changeable(AgentContext& context, const Request& request, const Caller& caller,
                        const GroupView& view, bool add) {
  if (auto ok =
          authorize_resource(context, request, caller, "groups.update", group_target(view.group));
      !ok) {
    return ok;
  }
  if (view.group.external_id) {
    return fail(ErrorCode::conflict,
                fmt::format("group {} is synchronized from the directory; its members are "
                            "changed there",
                            view.group.name));
  }
  if (!add) {
    return {};
  }
  auto giving =
      context.store.view_result([&](store::Tx& tx) { return group_giving(tx, view.group.id); });
  if (!giving) {
    return std::unexpected(giving.error());
  }
  return check_no_escalation(context, request, caller, "groups.update",
                             group_target(view.group).path,
                             "add members to group " + view.group.name, *giving);
}

Response answer(const Changed& changed) {
  return with_revision(Response::json(200, changed.group), changed.revision);
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
  if (auto ok = check_changeable(context, request, caller, *view, add); !ok) {
    return std::unexpected(ok.error());
  }
  auto changed = change_members(context, request, caller, *view, {username}, add);
  if (!changed) {
    return std::unexpected(changed.error());
  }
  return answer(*changed);
}

Result<Response> add_member(AgentContext& context, Request& request) {
  return change_member(context, request, true);
}

Result<Response> remove_member(AgentContext& context, Request& request) {
  return change_member(context, request, false);
}

// The users of a PATCH body {"add": [...]} or {"remove": [...]}: exactly one of the two, 1 to
// k_max_member_change valid usernames; duplicates dropped (first one kept). bad_request naming
// the field otherwise.
Result<std::pair<bool, std::vector<std::string>>> read_member_change(const Request& request) {
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto add = reader.optional_string_list("add");
  auto remove = reader.optional_string_list("remove");
  for (const Status& st : {first_error(add), first_error(remove), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (add->has_value() == remove->has_value()) {
    return fail(ErrorCode::bad_request, "give exactly one of add and remove (a list of users)");
  }
  const bool adding = add->has_value();
  const std::string field = adding ? "add" : "remove";
  const auto& names = adding ? **add : **remove;
  if (names.empty() || names.size() > k_max_member_change) {
    return fail(ErrorCode::bad_request,
                fmt::format("{}: give 1 to {} users", field, k_max_member_change));
  }
  std::vector<std::string> users;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (auto ok = validate::validate_username(names[i]); !ok) {
      return fail(ErrorCode::bad_request, fmt::format("{}/{}: {}", field, i, ok.error().message));
    }
    if (seen.insert(names[i]).second) {
      users.push_back(names[i]);
    }
  }
  return std::pair{adding, std::move(users)};
}

// PATCH /api/v1/groups/{name}/members: several users in or out at once, all or nothing.
Result<Response> patch_members(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto view = visible_group(context, request, caller);
  if (!view) {
    return std::unexpected(view.error());
  }
  auto change = read_member_change(request);
  if (!change) {
    return std::unexpected(change.error());
  }
  if (auto ok = check_changeable(context, request, caller, *view, change->first); !ok) {
    return std::unexpected(ok.error());
  }
  auto changed = change_members(context, request, caller, *view, change->second, change->first);
  if (!changed) {
    return std::unexpected(changed.error());
  }
  return answer(*changed);
}

} // namespace

std::vector<api::Route> group_member_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"PATCH", "/api/v1/groups/{name}/members", bind(patch_members),
                 Permission::in_handler("groups.update", "groups/{name}"),
                 "Add or remove several users at once, all or nothing"}
          .takes(schemas::group_members_change())
          .answers(200, schemas::group()),
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
