#include "agent/handlers/share_access.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/lookup.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;

// One user's access, built from their rows.
struct Access {
  model::ShareLevel level = model::ShareLevel::read;
  model::AclState state = model::AclState::pending;
  std::vector<std::string> via;
};

Result<nlohmann::json> access_json(store::Tx& tx, const model::Id& share_id) {
  auto rows = tx.list_acl(share_id);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  std::map<std::string, Access> by_user; // by username: sorted output
  std::map<model::Id, std::string> names;
  const auto name_of = [&](const model::Id& id, bool group) -> std::string {
    if (auto it = names.find(id); it != names.end()) {
      return it->second;
    }
    std::string name = id;
    if (group) {
      if (auto g = tx.get<model::Group>(id)) {
        name = g->name;
      }
    } else if (auto u = tx.get<model::User>(id)) {
      name = u->username;
    }
    return names[id] = name;
  };
  for (const auto& row : *rows) {
    auto [it, fresh] = by_user.try_emplace(name_of(row.user_id, false));
    Access& access = it->second;
    if (fresh || row.level > access.level) {
      access.level = row.level;
    }
    access.state = row.state; // one state per (user, share): see agent/store/README.md
    const std::string level(model::to_string(row.level));
    access.via.push_back(row.group_id ? "group " + name_of(*row.group_id, true) + " " + level
                                      : "direct " + level);
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [user, access] : by_user) {
    std::ranges::sort(access.via);
    out.push_back({{"user", user},
                   {"level", model::to_string(access.level)},
                   {"state", model::to_string(access.state)},
                   {"via", access.via}});
  }
  return out;
}

// GET /api/v1/shares/{name}/access
Result<Response> show_access(AgentContext& context, Request& request) {
  auto at = authorized_share(context, request, caller_of(request), "shares.acl.read");
  if (!at) {
    return std::unexpected(at.error());
  }
  auto out =
      context.store.view_result([&](store::Tx& tx) { return access_json(tx, at->share.id); });
  if (!out) {
    return std::unexpected(out.error());
  }
  return Response::json(200, out->dump());
}

} // namespace

api::Route share_access_route(AgentContext& context) {
  return api::Route{"GET", "/api/v1/shares/{name}/access", bind_handler(context, show_access),
                    api::Permission::in_handler("shares.acl.read", "shares/{name}"),
                    "Every user with access to a share, their effective level, and why"}
      .answers(200, api::Schema::list_of(schemas::share_access()));
}

} // namespace sharectl::agent::handlers
