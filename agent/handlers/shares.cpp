#include "agent/handlers/shares.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/spaces.hpp"
#include "common/json/strict.hpp"
#include "common/validate/names.hpp"
#include "common/validate/path.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// A share with its space and the space's owner.
struct Located {
  model::Share share;
  model::Space space;
  model::User owner;
};

Result<Located> locate(store::Tx& tx, const std::string& name) {
  auto share = tx.find_share(name);
  if (!share) {
    if (share.error().code == ErrorCode::not_found) {
      return fail(ErrorCode::not_found, fmt::format("no share {}", name));
    }
    return std::unexpected(share.error());
  }
  auto space = tx.get<model::Space>(share->space_id);
  if (!space) {
    return std::unexpected(space.error());
  }
  auto owner = tx.get<model::User>(space->owner_id);
  if (!owner) {
    return std::unexpected(owner.error());
  }
  return Located{std::move(*share), std::move(*space), std::move(*owner)};
}

authz::SpaceContext context_of(const Located& at) {
  return authz::SpaceContext{at.space.id, at.space.owner_id};
}

std::string render(const Located& at) {
  return share_json(at.share, at.space.name, at.owner.username);
}

// The share of the route's {name} that the caller may read (else not_found).
Result<Located> readable_share(AgentContext& context, Request& request, const Caller& caller) {
  const std::string name(request.param("name"));
  auto at = context.store.view_result([&](store::Tx& tx) { return locate(tx, name); });
  if (!at) {
    return at;
  }
  if (!authorize_in_space(context, request, caller, "shares.read",
                          authz::share_resource(at->share.name), context_of(*at))) {
    return fail(ErrorCode::not_found, fmt::format("no share {}", name));
  }
  return at;
}

// POST /api/v1/shares
Result<Response> create_share(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto name = reader.required_string("name");
  auto space_ref = reader.required_string("space");
  auto subdir = reader.optional_string("subdir");
  auto read_only = reader.optional_bool("read_only");
  auto browseable = reader.optional_bool("browseable");
  auto comment = reader.optional_string("comment");
  for (const Status& st :
       {first_error(name), first_error(space_ref), first_error(subdir), first_error(read_only),
        first_error(browseable), first_error(comment), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (auto ok = validate::validate_share_name(*name); !ok) {
    return std::unexpected(ok.error());
  }
  std::string owner_name = caller.user.username;
  std::string space_name = *space_ref;
  if (const auto slash = space_ref->find('/'); slash != std::string::npos) {
    owner_name = space_ref->substr(0, slash);
    space_name = space_ref->substr(slash + 1);
    if (auto ok = validate::validate_username(owner_name); !ok) {
      return fail(ErrorCode::bad_request, "space: " + ok.error().message);
    }
  }
  if (auto ok = validate::validate_space_name(space_name); !ok) {
    return fail(ErrorCode::bad_request, "space: " + ok.error().message);
  }
  if (*subdir && !(*subdir)->empty()) {
    if (auto ok = validate::validate_relative_subdir(**subdir); !ok) {
      return fail(ErrorCode::bad_request, "subdir: " + ok.error().message);
    }
  }
  if (*comment) {
    if (auto ok = validate::validate_comment(**comment); !ok) {
      return fail(ErrorCode::bad_request, "comment: " + ok.error().message);
    }
  }
  auto space = context.store.view_result([&](store::Tx& tx) -> Result<model::Space> {
    auto owner = tx.find_user(owner_name);
    if (!owner) {
      return std::unexpected(owner.error());
    }
    return tx.find_space(owner->id, space_name);
  });
  if (!space) {
    if (space.error().code == ErrorCode::not_found) {
      return fail(ErrorCode::not_found, fmt::format("no space {}/{}", owner_name, space_name));
    }
    return std::unexpected(space.error());
  }
  const std::string resource = authz::share_resource(*name);
  if (auto ok = authorize_in_space(context, request, caller, "shares.create", resource,
                                   authz::SpaceContext{space->id, space->owner_id});
      !ok) {
    return std::unexpected(ok.error());
  }
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    if (auto taken = tx.find_share(*name); taken) {
      return fail(ErrorCode::conflict,
                  fmt::format("share name '{}' is already taken (share names ignore case)", *name));
    }
    auto current = tx.get<model::Space>(space->id);
    if (!current) {
      return std::unexpected(current.error());
    }
    if (current->status == model::ObjectStatus::deleting) {
      return fail(ErrorCode::conflict, "the space is being deleted");
    }
    model::Share share;
    share.name = *name;
    share.space_id = space->id;
    share.subdir = subdir->value_or("");
    share.read_only = read_only->value_or(false);
    share.browseable = browseable->value_or(true);
    share.comment = comment->value_or("");
    auto stored = tx.create(share);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "shares.create", resource,
                                           AuditOutcome::allowed,
                                           fmt::format("of space {}/{}", owner_name, space_name)));
        !audit) {
      return std::unexpected(audit.error());
    }
    return share_json(*stored, space_name, owner_name);
  });
  if (!created) {
    return std::unexpected(created.error());
  }
  return Response::json(201, *created);
}

// GET /api/v1/shares: the shares the caller may view.
Result<Response> list_shares(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto shares = context.store.view_result([&](store::Tx& tx) -> Result<std::vector<Located>> {
    auto all = tx.list<model::Share>();
    if (!all) {
      return std::unexpected(all.error());
    }
    std::vector<Located> out;
    for (const auto& share : *all) {
      auto at = locate(tx, share.name);
      if (at) {
        out.push_back(std::move(*at));
      }
    }
    return out;
  });
  if (!shares) {
    return std::unexpected(shares.error());
  }
  std::string out = "[";
  for (const auto& at : *shares) {
    if (at.space.owner_id != caller.user.id &&
        !authorize_in_space(context, request, caller, "shares.read",
                            authz::share_resource(at.share.name), context_of(at))) {
      continue;
    }
    if (out.size() > 1) {
      out += ',';
    }
    out += render(at);
  }
  out += ']';
  return Response::json(200, out);
}

// GET /api/v1/shares/{name}
Result<Response> show_share(AgentContext& context, Request& request) {
  auto at = readable_share(context, request, caller_of(request));
  if (!at) {
    return std::unexpected(at.error());
  }
  return Response::json(200, render(*at));
}

// DELETE /api/v1/shares/{name}
Result<Response> delete_share(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto at = readable_share(context, request, caller);
  if (!at) {
    return std::unexpected(at.error());
  }
  auto expected = if_match(request);
  if (!expected) {
    return std::unexpected(expected.error());
  }
  const std::string resource = authz::share_resource(at->share.name);
  if (auto ok =
          authorize_in_space(context, request, caller, "shares.delete", resource, context_of(*at));
      !ok) {
    return std::unexpected(ok.error());
  }
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    auto removed = tx.remove<model::Share>(at->share.id, *expected);
    if (!removed) {
      if (*expected && removed.error().code == ErrorCode::conflict) {
        return fail(ErrorCode::precondition_failed, removed.error().message);
      }
      return removed;
    }
    return first_error(tx.create(
        audit_event(request, &caller.user, "shares.delete", resource, AuditOutcome::allowed, "")));
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return Response::no_content();
}

// The ACL of a share as JSON rows {user, level, group, state, via}.
Result<std::string> acl_json(store::Tx& tx, const model::Id& share_id) {
  auto rows = tx.list_acl(share_id);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : *rows) {
    auto user = tx.get<model::User>(row.user_id);
    std::string group;
    if (row.group_id) {
      auto g = tx.get<model::Group>(*row.group_id);
      group = g ? g->name : *row.group_id;
    }
    out.push_back({{"user", user ? user->username : row.user_id},
                   {"level", model::to_string(row.level)},
                   {"group", group},
                   {"state", model::to_string(row.state)},
                   {"via", nlohmann::json::array({row.group_id ? "group " + group : "direct"})}});
  }
  return out.dump();
}

// The user a `user:NAME` subject names (bad_request for other subjects, not_found if none).
Result<model::User> subject_user(AgentContext& context, std::string_view subject) {
  constexpr std::string_view prefix = "user:";
  if (subject.substr(0, prefix.size()) != prefix) {
    return fail(ErrorCode::bad_request, "subject: give user:NAME (group grants come later)");
  }
  const std::string name(subject.substr(prefix.size()));
  if (auto ok = validate::validate_username(name); !ok) {
    return std::unexpected(ok.error());
  }
  auto user = context.store.view_result([&](store::Tx& tx) { return tx.find_user(name); });
  if (!user && user.error().code == ErrorCode::not_found) {
    return fail(ErrorCode::not_found, fmt::format("no user {}", name));
  }
  return user;
}

// GET /api/v1/shares/{name}/acl
Result<Response> show_acl(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto at = readable_share(context, request, caller);
  if (!at) {
    return std::unexpected(at.error());
  }
  if (auto ok = authorize_in_space(context, request, caller, "shares.acl.read",
                                   authz::share_resource(at->share.name), context_of(*at));
      !ok) {
    return std::unexpected(ok.error());
  }
  auto text = context.store.view_result([&](store::Tx& tx) { return acl_json(tx, at->share.id); });
  if (!text) {
    return std::unexpected(text.error());
  }
  return Response::json(200, *text);
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
    level = model::parse_enum<model::ShareLevel>(*text);
    if (!level) {
      return fail(ErrorCode::bad_request, "level: give read or write");
    }
  }
  auto user = subject_user(context, request.param("subject"));
  if (!user) {
    return std::unexpected(user.error());
  }
  const std::string resource = authz::share_resource(at->share.name);
  if (auto ok = authorize_in_space(context, request, caller, "shares.acl.write", resource,
                                   context_of(*at));
      !ok) {
    return std::unexpected(ok.error());
  }
  auto done = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    if (level) {
      if (auto granted = tx.grant_user(at->share.id, user->id, *level); !granted) {
        return std::unexpected(granted.error());
      }
    } else if (auto revoked = tx.revoke_user(at->share.id, user->id); !revoked) {
      return std::unexpected(revoked.error());
    }
    const std::string detail =
        level ? fmt::format("grant {} {}", user->username, model::to_string(*level))
              : fmt::format("revoke {}", user->username);
    if (auto audit = tx.create(audit_event(request, &caller.user, "shares.acl.write", resource,
                                           AuditOutcome::allowed, detail));
        !audit) {
      return std::unexpected(audit.error());
    }
    return acl_json(tx, at->share.id);
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return Response::json(200, *done);
}

Result<Response> grant_acl(AgentContext& context, Request& request) {
  return change_acl(context, request, true);
}

Result<Response> revoke_acl(AgentContext& context, Request& request) {
  return change_acl(context, request, false);
}

} // namespace

std::vector<api::Route> share_routes(AgentContext& context) {
  using api::Permission;
  auto bind = [&context](Result<Response> (*fn)(AgentContext&, Request&)) {
    return [&context, fn](Request& request) { return fn(context, request); };
  };
  return {
      {"POST", "/api/v1/shares", bind(create_share), Permission::authenticated(),
       "Publish a space (or a directory of it) as an SMB share"},
      {"GET", "/api/v1/shares", bind(list_shares), Permission::authenticated(),
       "List the shares the caller may view"},
      {"GET", "/api/v1/shares/{name}", bind(show_share), Permission::authenticated(),
       "Show a share"},
      {"DELETE", "/api/v1/shares/{name}", bind(delete_share), Permission::authenticated(),
       "Delete a share"},
      {"GET", "/api/v1/shares/{name}/acl", bind(show_acl), Permission::authenticated(),
       "The grants of a share"},
      {"PUT", "/api/v1/shares/{name}/acl/{subject}", bind(grant_acl), Permission::authenticated(),
       "Grant user:NAME read or write on a share"},
      {"DELETE", "/api/v1/shares/{name}/acl/{subject}", bind(revoke_acl),
       Permission::authenticated(), "Revoke user:NAME's direct grant on a share"},
  };
}

} // namespace sharectl::agent::handlers
