#include "agent/handlers/share_acl.hpp"

#include <map>
#include <variant>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/invitations.hpp"
#include "agent/handlers/lookup.hpp"
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

// The ACL of a share as JSON rows {user, level, group, state, via, grant}: one row per ACL entry
// (direct rows have group "" and via ["direct"], group rows the group's name and via
// ["group G"]; `grant` is the subject that revokes it), then one row with user "" for each
// group grant that has no members yet.
Result<std::string> acl_json(store::Tx& tx, const model::Id& share_id) {
  auto rows = tx.list_acl(share_id);
  auto grants = tx.list_group_grants(share_id);
  if (!rows || !grants) {
    return std::unexpected(!rows ? rows.error() : grants.error());
  }
  std::map<model::Id, std::string> group_names;
  for (const auto& grant : *grants) {
    auto group = tx.get<model::Group>(grant.group_id);
    group_names[grant.group_id] = group ? group->name : grant.group_id;
  }
  nlohmann::json out = nlohmann::json::array();
  std::map<model::Id, bool> has_rows;
  for (const auto& row : *rows) {
    auto user = tx.get<model::User>(row.user_id);
    const std::string username = user ? user->username : row.user_id;
    std::string group;
    if (row.group_id) {
      has_rows[*row.group_id] = true;
      const auto it = group_names.find(*row.group_id);
      group = it != group_names.end() ? it->second : *row.group_id;
    }
    out.push_back({{"user", username},
                   {"level", model::to_string(row.level)},
                   {"group", group},
                   {"state", model::to_string(row.state)},
                   {"via", nlohmann::json::array({row.group_id ? "group " + group : "direct"})},
                   {"grant", row.group_id ? "group:" + group : "user:" + username}});
  }
  for (const auto& grant : *grants) {
    if (has_rows.contains(grant.group_id)) {
      continue;
    }
    const std::string& group = group_names[grant.group_id];
    out.push_back({{"user", ""},
                   {"level", model::to_string(grant.level)},
                   {"group", group},
                   {"state", ""},
                   {"via", nlohmann::json::array({"group " + group + " (no members)"})},
                   {"grant", "group:" + group}});
  }
  return out.dump();
}

// Who a `user:NAME` or `group:NAME` subject names (bad_request for other subjects, not_found
// when there is no such user or group).
using Subject = std::variant<model::User, model::Group>;

Result<Subject> subject_of(AgentContext& context, std::string_view subject) {
  const auto colon = subject.find(':');
  const std::string_view kind = subject.substr(0, colon);
  const std::string name(colon == std::string_view::npos ? "" : subject.substr(colon + 1));
  if (kind == "user" && colon != std::string_view::npos) {
    if (auto ok = validate::validate_username(name); !ok) {
      return std::unexpected(ok.error());
    }
    auto user = context.store.view_result([&](store::Tx& tx) { return tx.find_user(name); });
    if (!user) {
      return user.error().code == ErrorCode::not_found
                 ? fail(ErrorCode::not_found, fmt::format("no user {}", name))
                 : std::unexpected(user.error());
    }
    return Subject{std::move(*user)};
  }
  if (kind == "group" && colon != std::string_view::npos) {
    if (auto ok = validate::validate_group_name(name); !ok) {
      return std::unexpected(ok.error());
    }
    auto group = context.store.view_result([&](store::Tx& tx) { return tx.find_group(name); });
    if (!group) {
      return group.error().code == ErrorCode::not_found
                 ? fail(ErrorCode::not_found, fmt::format("no group {}", name))
                 : std::unexpected(group.error());
    }
    return Subject{std::move(*group)};
  }
  return fail(ErrorCode::bad_request, "subject: give user:NAME or group:NAME");
}

// GET /api/v1/shares/{name}/acl
Result<Response> show_acl(AgentContext& context, Request& request) {
  auto at = authorized_share(context, request, caller_of(request), "shares.acl.read");
  if (!at) {
    return std::unexpected(at.error());
  }
  auto text = context.store.view_result([&](store::Tx& tx) { return acl_json(tx, at->share.id); });
  if (!text) {
    return std::unexpected(text.error());
  }
  return Response::json(200, *text);
}

// The level of a grant's body {level}.
Result<model::ShareLevel> level_of(const Request& request) {
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto text = reader.required_string("level");
  for (const Status& st : {first_error(text), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  auto level = model::parse_enum<model::ShareLevel>(*text);
  if (!level) {
    return fail(ErrorCode::bad_request, "level: give read or write");
  }
  return *level;
}

// Grants (`level` set) or revokes `who` on the share, in `tx`; the audit detail.
Result<std::string> apply_grant(store::Tx& tx, const model::Id& share_id, const Subject& who,
                                const std::optional<model::ShareLevel>& level,
                                model::AclState new_rows) {
  if (const auto* user = std::get_if<model::User>(&who)) {
    if (level) {
      if (auto granted = tx.grant_user(share_id, user->id, *level, new_rows); !granted) {
        return std::unexpected(granted.error());
      }
      return fmt::format("grant user {} {}", user->username, model::to_string(*level));
    }
    if (auto revoked = tx.revoke_user(share_id, user->id); !revoked) {
      return revoked.error().code == ErrorCode::not_found
                 ? fail(ErrorCode::not_found,
                        fmt::format("user {} has no direct grant on this share", user->username))
                 : std::unexpected(revoked.error());
    }
    return fmt::format("revoke user {}", user->username);
  }
  const auto& group = std::get<model::Group>(who);
  if (level) {
    if (auto granted = tx.grant_group(share_id, group.id, *level, new_rows); !granted) {
      return std::unexpected(granted.error());
    }
    return fmt::format("grant group {} {}", group.name, model::to_string(*level));
  }
  if (auto revoked = tx.revoke_group(share_id, group.id); !revoked) {
    return revoked.error().code == ErrorCode::not_found
               ? fail(ErrorCode::not_found,
                      fmt::format("group {} has no grant on this share", group.name))
               : std::unexpected(revoked.error());
  }
  return fmt::format("revoke group {}", group.name);
}

// PUT /api/v1/shares/{name}/acl/{subject}: {level} — and DELETE (revoke) when `grant` is false.
Result<Response> change_acl(AgentContext& context, Request& request, bool grant) {
  const Caller& caller = caller_of(request);
  auto at = readable_share(context, request, caller);
  if (!at) {
    return std::unexpected(at.error());
  }
  std::optional<model::ShareLevel> level;
  if (grant) {
    auto parsed = level_of(request);
    if (!parsed) {
      return std::unexpected(parsed.error());
    }
    level = *parsed;
  }
  auto who = subject_of(context, request.param("subject"));
  if (!who) {
    return std::unexpected(who.error());
  }
  const std::string resource = authz::share_resource(at->share.name);
  if (auto ok = authorize_in_space(context, request, caller, "shares.acl.write", resource,
                                   context_of(*at));
      !ok) {
    return std::unexpected(ok.error());
  }
  model::Revision revision = 0;
  auto done = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    auto detail = apply_grant(tx, at->share.id, *who, level, new_acl_state(context));
    if (!detail) {
      return std::unexpected(detail.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "shares.acl.write", resource,
                                           AuditOutcome::allowed, *detail));
        !audit) {
      return std::unexpected(audit.error());
    }
    revision = tx.write_revision();
    return acl_json(tx, at->share.id);
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return with_revision(Response::json(200, *done), revision);
}

Result<Response> grant_acl(AgentContext& context, Request& request) {
  return change_acl(context, request, true);
}

Result<Response> revoke_acl(AgentContext& context, Request& request) {
  return change_acl(context, request, false);
}

} // namespace

std::vector<api::Route> share_acl_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"GET", "/api/v1/shares/{name}/acl", bind(show_acl),
                 Permission::in_handler("shares.acl.read", "shares/{name}"),
                 "The grants of a share (direct and group rows)"}
          .answers(200, api::Schema::list_of(schemas::acl_entry())),
      api::Route{"PUT", "/api/v1/shares/{name}/acl/{subject}", bind(grant_acl),
                 Permission::in_handler("shares.acl.write", "shares/{name}"),
                 "Grant user:NAME or group:NAME read or write on a share"}
          .takes(schemas::acl_grant())
          .answers(200, api::Schema::list_of(schemas::acl_entry())),
      api::Route{"DELETE", "/api/v1/shares/{name}/acl/{subject}", bind(revoke_acl),
                 Permission::in_handler("shares.acl.write", "shares/{name}"),
                 "Revoke user:NAME's direct grant or group:NAME's grant"}
          .answers(200, api::Schema::list_of(schemas::acl_entry())),
  };
}

} // namespace sharectl::agent::handlers
