#include "agent/handlers/groups.hpp"

#include <iterator>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/caps.hpp"
#include "agent/handlers/group_members.hpp"
#include "agent/handlers/group_view.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

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
      auto view = load_group_view(tx, std::move(group));
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
    bool seen = is_group_member(view, caller.user.id);
    if (!seen) {
      auto decision = decide(context, caller, "groups.read", group_target(view.group));
      if (!decision) {
        return std::unexpected(decision.error());
      }
      seen = decision->allowed;
    }
    if (!seen) {
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

// POST /api/v1/groups: {name, description?}; the caller owns the new group. With
// groups.user_groups any (authenticated, hence active) user may create one — a user group,
// which never carries roles (bindings.cpp); otherwise it takes groups.create on groups/<name>.
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
  if (!context.config.groups.user_groups) {
    if (auto ok = authorize_resource(context, request, caller, "groups.create", target); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    if (auto ok = check_group_cap(context, tx, caller.user, caller.user.is_admin); !ok) {
      return std::unexpected(ok.error());
    }
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

// GET /api/v1/groups/{name}/grants: the shares the group is granted, each with its level and
// the share's status and revisions (what `sharectl group add-member` waits on). Whoever may see
// the group may see this.
Result<Response> list_grants(AgentContext& context, Request& request) {
  auto view = visible_group(context, request, caller_of(request));
  if (!view) {
    return std::unexpected(view.error());
  }
  auto grants = context.store.view_result([&](store::Tx& tx) -> Result<nlohmann::json> {
    auto shares = tx.list<model::Share>();
    if (!shares) {
      return std::unexpected(shares.error());
    }
    // Sorted by share name. One query per share: Tx has no look-up of grants by group yet.
    std::map<std::string, nlohmann::json> by_name;
    for (const auto& share : *shares) {
      auto of_share = tx.list_group_grants(share.id);
      if (!of_share) {
        return std::unexpected(of_share.error());
      }
      for (const auto& grant : *of_share) {
        if (grant.group_id != view->group.id) {
          continue;
        }
        by_name[share.name] = nlohmann::json{{"share", share.name},
                                             {"name", share.name},
                                             {"level", model::to_string(grant.level)},
                                             {"status", model::status_name(share.status)},
                                             {"status_message", share.status_message},
                                             {"revision", share.revision},
                                             {"observed_revision", share.observed_revision}};
      }
    }
    nlohmann::json out = nlohmann::json::array();
    for (auto& [name, item] : by_name) {
      out.push_back(std::move(item));
    }
    return out;
  });
  if (!grants) {
    return std::unexpected(grants.error());
  }
  return Response::json(200, grants->dump());
}

// DELETE /api/v1/groups/{name}: the group, its members' rows and its grants (operation 5).
// Answers with the revision the shares that lost rows were marked pending at.
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
  const auto target = group_target(view->group);
  if (auto ok = authorize_resource(context, request, caller, "groups.delete", target); !ok) {
    return std::unexpected(ok.error());
  }
  auto done = context.store.transact_result([&](store::Tx& tx) -> Result<model::Revision> {
    auto removed = tx.remove<model::Group>(view->group.id, *expected);
    if (!removed) {
      if (*expected && removed.error().code == ErrorCode::conflict) {
        return fail(ErrorCode::precondition_failed, removed.error().message);
      }
      return std::unexpected(removed.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "groups.delete", target.path,
                                           AuditOutcome::allowed,
                                           fmt::format("{} members", view->members.size())));
        !audit) {
      return std::unexpected(audit.error());
    }
    return tx.write_revision();
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return with_revision(Response::no_content(), *done);
}

} // namespace

std::vector<api::Route> group_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  std::vector<api::Route> routes{
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
      api::Route{"GET", "/api/v1/groups/{name}/grants", bind(list_grants),
                 Permission::in_handler("groups.read", "groups/{name}"),
                 "The shares a group is granted, with their status (for --wait)"}
          .answers(200, api::Schema::list_of(schemas::group_grant())),
  };
  std::ranges::move(group_member_routes(context), std::back_inserter(routes));
  return routes;
}

} // namespace sharectl::agent::handlers
