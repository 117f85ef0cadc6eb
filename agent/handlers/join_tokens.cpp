#include "agent/handlers/join_tokens.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/auth/tokens.hpp"
#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/json/strict.hpp"
#include "common/util/random.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// "servers/join-tokens/<id>": where a token's audit events point.
std::string token_resource(const model::Id& id) {
  return std::string(k_join_tokens_resource) + "/" + id;
}

// What a POST asks for, checked.
struct NewJoinToken {
  std::uint64_t ttl_seconds = k_join_token_default_ttl;
  bool samba = true;
  bool iscsi = false;
  std::string description;
};

Result<NewJoinToken> read_create_body(const Request& request) {
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto ttl = reader.optional_uint64("ttl_seconds");
  auto roles = reader.optional_string_list("roles");
  auto description = reader.optional_string("description");
  for (const Status& st :
       {first_error(ttl), first_error(roles), first_error(description), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  NewJoinToken out;
  if (*ttl) {
    if (**ttl < k_join_token_min_ttl || **ttl > k_join_token_max_ttl) {
      return fail(ErrorCode::bad_request,
                  fmt::format("ttl_seconds: {} is out of range: give {} (1 minute) to {} (7 days)",
                              **ttl, k_join_token_min_ttl, k_join_token_max_ttl));
    }
    out.ttl_seconds = **ttl;
  }
  if (*roles) {
    if ((*roles)->empty()) {
      return fail(ErrorCode::bad_request, "roles: give at least one of samba, iscsi");
    }
    out.samba = false;
    for (std::size_t i = 0; i < (*roles)->size(); ++i) {
      const std::string& role = (**roles)[i];
      bool& flag = role == "samba" ? out.samba : out.iscsi;
      if ((role != "samba" && role != "iscsi") || flag) {
        return fail(ErrorCode::bad_request,
                    fmt::format("roles/{}: \"{}\" is {}: give samba and/or iscsi, each once", i,
                                role, flag ? "repeated" : "not a server role"));
      }
      flag = true;
    }
  }
  if (*description) {
    if (auto ok = validate::validate_comment(**description); !ok) {
      return fail(ErrorCode::bad_request, "description: " + ok.error().message);
    }
    out.description = **description;
  }
  return out;
}

// A token as the API shows it: never the token nor its hash. `created_by` is the creator's
// username (null when gone), `used_by` the server's name (null when unused or gone).
nlohmann::json token_json(const model::JoinToken& token, model::Timestamp now,
                          const std::optional<std::string>& created_by,
                          const std::optional<std::string>& used_by) {
  nlohmann::json roles = nlohmann::json::array();
  if (token.role_samba) {
    roles.push_back("samba");
  }
  if (token.role_iscsi) {
    roles.push_back("iscsi");
  }
  const auto or_null = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return nlohmann::json{
      {"id", token.id},
      {"revision", token.revision},
      {"created_at", rfc3339(token.created_at)},
      {"updated_at", rfc3339(token.updated_at)},
      {"description", token.description},
      {"roles", std::move(roles)},
      {"expires_at", rfc3339(token.expires_at)},
      {"created_by", or_null(created_by)},
      {"used_at", token.used_at ? nlohmann::json(rfc3339(*token.used_at)) : nullptr},
      {"used_by", or_null(used_by)},
      {"state", token.used_at ? "used" : (now >= token.expires_at ? "expired" : "active")}};
}

// POST /api/v1/join-tokens
Result<Response> create_join_token(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto asked = read_create_body(request);
  if (!asked) {
    return std::unexpected(asked.error());
  }
  auto secret = random_token(32); // 256 bits
  if (!secret) {
    return std::unexpected(secret.error());
  }
  model::JoinToken token;
  token.token_sha256 = auth::token_hash(*secret);
  token.description = asked->description;
  token.role_samba = asked->samba;
  token.role_iscsi = asked->iscsi;
  const auto now = context.clock.now();
  token.expires_at = now + std::chrono::seconds(asked->ttl_seconds);
  token.created_by = caller.user.id;
  model::Revision revision = 0;
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<nlohmann::json> {
    auto stored = tx.create(token);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    auto out = token_json(*stored, now, caller.user.username, std::nullopt);
    if (auto audit = tx.create(audit_event(
            request, &caller.user, "join-tokens.create", token_resource(stored->id),
            AuditOutcome::allowed,
            fmt::format("roles {}, expires {}", out["roles"].dump(), rfc3339(stored->expires_at))));
        !audit) {
      return std::unexpected(audit.error());
    }
    revision = tx.write_revision();
    return out;
  });
  if (!created) {
    return std::unexpected(created.error());
  }
  (*created)["token"] = *secret; // shown here only
  return with_revision(Response::json(201, created->dump()), revision);
}

// The name of object `id` of kind E (a user's username, a server's name), nullopt when there
// is no id or the object is gone; each id is read once per answer (`seen`).
template <typename E>
Result<std::optional<std::string>> name_of(store::Tx& tx,
                                           std::map<model::Id, std::optional<std::string>>& seen,
                                           const std::optional<model::Id>& id) {
  if (!id) {
    return std::optional<std::string>{};
  }
  if (auto it = seen.find(*id); it != seen.end()) {
    return it->second;
  }
  auto found = tx.get<E>(*id);
  if (!found && found.error().code != ErrorCode::not_found) {
    return std::unexpected(found.error());
  }
  std::optional<std::string> name;
  if (found) {
    if constexpr (std::is_same_v<E, model::User>) {
      name = found->username;
    } else {
      name = found->name;
    }
  }
  return seen[*id] = name;
}

// GET /api/v1/join-tokens: every token, oldest first.
Result<Response> list_join_tokens(AgentContext& context, Request& request) {
  if (!request.query_params.empty()) {
    return fail(ErrorCode::bad_request,
                fmt::format("{}: unknown query parameter", request.query_params.front().first));
  }
  const auto now = context.clock.now();
  auto out = context.store.view_result([&](store::Tx& tx) -> Result<nlohmann::json> {
    auto tokens = tx.list<model::JoinToken>();
    if (!tokens) {
      return std::unexpected(tokens.error());
    }
    std::ranges::sort(*tokens, [](const model::JoinToken& a, const model::JoinToken& b) {
      return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    std::map<model::Id, std::optional<std::string>> names; // users' and servers' by id
    nlohmann::json list = nlohmann::json::array();
    for (const auto& token : *tokens) {
      auto by = name_of<model::User>(tx, names, token.created_by);
      auto used = name_of<model::Server>(tx, names, token.used_by_server_id);
      if (!by || !used) {
        return std::unexpected(!by ? by.error() : used.error());
      }
      list.push_back(token_json(token, now, *by, *used));
    }
    return list;
  });
  if (!out) {
    return std::unexpected(out.error());
  }
  return Response::json(200, out->dump());
}

// DELETE /api/v1/join-tokens/{id}: authorized before the token is looked up, so that
// non-admins learn nothing about which ids exist.
Result<Response> revoke_join_token(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  const std::string id(request.param("id"));
  authz::Resource target;
  target.path = k_join_tokens_resource;
  if (auto ok = authorize_resource(context, request, caller, "servers.manage", target); !ok) {
    return std::unexpected(ok.error());
  }
  const auto none = [&] { return fail(ErrorCode::not_found, "no join token " + id); };
  if (!auth::is_uuid(id)) {
    return none();
  }
  auto done = context.store.transact_result([&](store::Tx& tx) -> Result<model::Revision> {
    auto removed = tx.remove<model::JoinToken>(id);
    if (!removed) {
      return removed.error().code == ErrorCode::not_found ? none()
                                                          : std::unexpected(removed.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "join-tokens.revoke",
                                           token_resource(id), AuditOutcome::allowed, ""));
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

std::vector<api::Route> join_token_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"POST", "/api/v1/join-tokens", bind(create_join_token),
                 Permission::of("servers.manage", k_join_tokens_resource),
                 "Create a single-use token a new host joins with (the token is shown only here)"}
          .takes(schemas::join_token_create())
          .answers(201, schemas::new_join_token()),
      api::Route{"GET", "/api/v1/join-tokens", bind(list_join_tokens),
                 Permission::of("servers.manage", k_join_tokens_resource),
                 "List join tokens and their state (never the tokens)"}
          .answers(200, api::Schema::list_of(schemas::join_token())),
      api::Route{"DELETE", "/api/v1/join-tokens/{id}", bind(revoke_join_token),
                 Permission::in_handler("servers.manage", k_join_tokens_resource),
                 "Revoke a join token"}
          .answers(204),
  };
}

} // namespace sharectl::agent::handlers
