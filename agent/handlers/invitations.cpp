#include "agent/handlers/invitations.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/lookup.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// One share's invitation for the caller, from their pending rows on it.
Result<nlohmann::json> invitation_json(store::Tx& tx, const model::Id& share_id,
                                       const std::vector<model::AclEntry>& rows) {
  auto share = tx.get<model::Share>(share_id);
  if (!share) {
    return std::unexpected(share.error());
  }
  auto at = locate_share(tx, share->name);
  if (!at) {
    return std::unexpected(at.error());
  }
  model::ShareLevel level = model::ShareLevel::read;
  model::Timestamp created = rows.front().created_at;
  std::vector<std::string> groups;
  for (const auto& row : rows) {
    level = std::max(level, row.level);
    created = std::min(created, row.created_at);
    if (row.group_id) {
      auto group = tx.get<model::Group>(*row.group_id);
      groups.push_back(group ? group->name : *row.group_id);
    }
  }
  std::ranges::sort(groups);
  std::string via;
  for (const auto& g : groups) {
    via += (via.empty() ? "" : ",") + g;
  }
  return nlohmann::json{{"share", at->share.name},    {"level", model::to_string(level)},
                        {"from", at->owner.username}, {"group", via},
                        {"state", "pending"},         {"created_at", rfc3339(created)}};
}

// GET /api/v1/invitations
Result<Response> list_invitations(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto out = context.store.view_result([&](store::Tx& tx) -> Result<nlohmann::json> {
    auto rows = tx.list_user_acl(caller.user.id);
    if (!rows) {
      return std::unexpected(rows.error());
    }
    std::map<model::Id, std::vector<model::AclEntry>> pending;
    for (const auto& row : *rows) {
      if (row.state == model::AclState::pending) {
        pending[row.share_id].push_back(row);
      }
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [share_id, share_rows] : pending) {
      auto item = invitation_json(tx, share_id, share_rows);
      if (!item) {
        return std::unexpected(item.error());
      }
      list.push_back(std::move(*item));
    }
    return list;
  });
  if (!out) {
    return std::unexpected(out.error());
  }
  return Response::json(200, out->dump());
}

// POST /api/v1/invitations/{share}/accept and …/decline.
Result<Response> answer(AgentContext& context, Request& request, bool accept) {
  const Caller& caller = caller_of(request);
  const std::string name(request.param("share"));
  if (auto ok = validate::validate_share_name(name); !ok) {
    return std::unexpected(ok.error());
  }
  const std::string resource = authz::share_resource(name);
  model::Revision revision = 0;
  auto done = context.store.transact_result([&](store::Tx& tx) -> Result<nlohmann::json> {
    const auto none = [&] {
      return fail(ErrorCode::not_found, "you have no invitation to share " + name);
    };
    auto at = locate_share(tx, name);
    if (!at) {
      return at.error().code == ErrorCode::not_found ? none() : std::unexpected(at.error());
    }
    auto rows = tx.list_user_acl(caller.user.id);
    if (!rows) {
      return std::unexpected(rows.error());
    }
    std::vector<model::AclEntry> pending;
    for (const auto& row : *rows) {
      if (row.share_id == at->share.id && row.state == model::AclState::pending) {
        pending.push_back(row);
      }
    }
    if (pending.empty()) {
      return none();
    }
    auto item = invitation_json(tx, at->share.id, pending);
    if (!item) {
      return std::unexpected(item.error());
    }
    Status changed = accept
                         ? tx.set_acl_state(at->share.id, caller.user.id, model::AclState::active)
                         : tx.remove_user_acl(at->share.id, caller.user.id);
    if (!changed) {
      return std::unexpected(changed.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user,
                                           accept ? "invitations.accept" : "invitations.decline",
                                           resource, AuditOutcome::allowed, ""));
        !audit) {
      return std::unexpected(audit.error());
    }
    (*item)["state"] = accept ? "active" : "declined";
    revision = tx.write_revision();
    return item;
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return with_revision(Response::json(200, done->dump()), revision);
}

Result<Response> accept_invitation(AgentContext& context, Request& request) {
  return answer(context, request, true);
}

Result<Response> decline_invitation(AgentContext& context, Request& request) {
  return answer(context, request, false);
}

} // namespace

model::AclState new_acl_state(const AgentContext& context) {
  return context.config.shares.invitations ? model::AclState::pending : model::AclState::active;
}

std::vector<api::Route> invitation_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"GET", "/api/v1/invitations", bind(list_invitations), Permission::authenticated(),
                 "List the caller's pending invitations to shares"}
          .cached()
          .answers(200, api::Schema::list_of(schemas::invitation())),
      api::Route{"POST", "/api/v1/invitations/{share}/accept", bind(accept_invitation),
                 Permission::authenticated(), "Accept an invitation: the share serves the caller"}
          .answers(200, schemas::invitation()),
      api::Route{"POST", "/api/v1/invitations/{share}/decline", bind(decline_invitation),
                 Permission::authenticated(), "Decline an invitation: the caller's rows on it go"}
          .answers(200, schemas::invitation()),
  };
}

} // namespace sharectl::agent::handlers
