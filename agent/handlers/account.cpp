#include "agent/handlers/account.hpp"

#include <algorithm>
#include <iterator>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/auth/password.hpp"
#include "agent/auth/tokens.hpp"
#include "agent/authz/resources.hpp"
#include "agent/handlers/audit.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/groups.hpp"
#include "agent/handlers/invitations.hpp"
#include "agent/handlers/join_tokens.hpp"
#include "agent/handlers/login.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/roles.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/servers.hpp"
#include "agent/handlers/share_access.hpp"
#include "agent/handlers/shares.hpp"
#include "agent/handlers/spaces.hpp"
#include "agent/handlers/users.hpp"
#include "agent/host/samba/identity.hpp"
#include "common/json/strict.hpp"
#include "common/util/nt_hash.hpp"
#include "common/validate/names.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// Whether `username` may be a new user's Unix identity: never a reserved name, and on this
// host (context.check_unix_name) not an account or group sharectl did not make. A refusal is a
// conflict saying why, audited as a denied users.create.
Status check_unix_identity(AgentContext& context, const Request& request, const model::User* actor,
                           const std::string& username, bool vouched) {
  Status ok = context.check_unix_name ? context.check_unix_name(username, vouched)
                                      : host::check_reserved_username(username);
  if (!ok && ok.error().code == ErrorCode::conflict) {
    audit_outside(context,
                  audit_event(request, actor, "users.create", authz::user_resource(username),
                              AuditOutcome::denied, ok.error().message));
  }
  return ok;
}

// POST /api/v1/users
Result<Response> register_user(AgentContext& context, Request& request) {
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto username = reader.required_string("username");
  auto email = reader.optional_string("email");
  auto password = reader.required_string("password");
  for (const Status& st :
       {first_error(username), first_error(email), first_error(password), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (auto ok = validate::validate_username(*username); !ok) {
    return std::unexpected(ok.error());
  }
  if (*email) {
    if (auto ok = validate_email(**email); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = auth::check_password_policy(*password); !ok) {
    return std::unexpected(ok.error());
  }
  auto nt_hash = nt_hash_hex(*password); // the SMB password every host provisions
  if (!nt_hash) {
    return std::unexpected(nt_hash.error());
  }
  const std::string resource = authz::user_resource(*username);
  std::optional<Caller> caller;
  if (request.headers.contains("Authorization")) {
    auto who = authenticate(context, request);
    if (!who) {
      return std::unexpected(who.error());
    }
    caller = std::move(*who);
  }
  if (context.config.auth.registration == config::Registration::closed) {
    Status allowed = caller ? authorize_caller(context, *caller, "users.create", resource)
                            : fail(ErrorCode::forbidden,
                                   "registration is closed: only admins and managers create users");
    if (!allowed) {
      if (allowed.error().code == ErrorCode::forbidden) {
        audit_outside(context,
                      audit_event(request, caller ? &caller->user : nullptr, "users.create",
                                  resource, AuditOutcome::denied, allowed.error().message));
      }
      return std::unexpected(allowed.error());
    }
  }
  // The name is also the user's Unix identity on every host (host/samba/identity.hpp).
  const bool vouched =
      caller && authorize_caller(context, *caller, "users.create", resource).has_value();
  if (auto ok = check_unix_identity(context, request, caller ? &caller->user : nullptr, *username,
                                    vouched);
      !ok) {
    return std::unexpected(ok.error());
  }
  auto hashed = context.login_pool.run([&] { return auth::hash_password(*password); });
  if (!hashed) {
    return pool_busy(request);
  }
  if (!*hashed) {
    return std::unexpected(hashed->error());
  }
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<model::User> {
    model::User user;
    user.username = *username;
    user.email = *email;
    auto stored = tx.create(user);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    auto secrets = tx.set_user_secrets(stored->id, model::UserSecrets{**hashed, *nt_hash});
    if (!secrets) {
      return std::unexpected(secrets.error());
    }
    auto audit = tx.create(audit_event(request, caller ? &caller->user : stored.operator->(),
                                       "users.create", resource, AuditOutcome::allowed,
                                       caller ? "created by " + caller->user.username
                                              : std::string("self-registration")));
    if (!audit) {
      return std::unexpected(audit.error());
    }
    return tx.get<model::User>(stored->id);
  });
  if (!created) {
    return std::unexpected(created.error());
  }
  return Response::json(201, user_json(*created));
}

// GET /api/v1/whoami
Result<Response> whoami(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  struct Seen {
    std::vector<model::Binding> bindings;
    std::map<model::Id, std::string> role_names;
  };
  auto seen = context.store.view_result([&](store::Tx& tx) -> Result<Seen> {
    auto bindings = tx.applicable_bindings(caller.user.id, {}, std::nullopt);
    auto roles = tx.list<model::Role>();
    if (!bindings || !roles) {
      return std::unexpected(!bindings ? bindings.error() : roles.error());
    }
    Seen out{std::move(*bindings), {}};
    for (const auto& role : *roles) {
      out.role_names[role.id] = role.name;
    }
    return out;
  });
  if (!seen) {
    return std::unexpected(seen.error());
  }
  nlohmann::json roles = nlohmann::json::array();
  nlohmann::json bindings = nlohmann::json::array();
  for (const auto& binding : seen->bindings) {
    const auto it = seen->role_names.find(binding.role_id);
    const std::string role = it == seen->role_names.end() ? binding.role_id : it->second;
    const std::string scope = binding.space_id ? "space " + *binding.space_id : "cluster";
    roles.push_back(binding.space_id ? fmt::format("{} ({})", role, scope) : role);
    bindings.push_back({{"id", binding.id},
                        {"role", role},
                        {"scope", scope},
                        {"subject_kind", model::to_string(binding.subject_kind)}});
  }
  nlohmann::json flags = nlohmann::json::array();
  if (caller.user.is_admin) {
    flags.push_back("admin");
  }
  if (caller.user.is_manager) {
    flags.push_back("manager");
  }
  const auto expires =
      auth::app_expires_at(caller.app.created_at, caller.app.last_used_at, context.lifetime);
  const nlohmann::json answer{{"user", nlohmann::json::parse(user_json(caller.user))},
                              {"roles", roles},
                              {"flags", flags},
                              {"bindings", bindings},
                              {"app", nlohmann::json::parse(app_json(caller.app, expires))}};
  return Response::json(200, answer.dump());
}

// PUT /api/v1/users/me/password
Result<Response> change_password(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto old_password = reader.required_string("old_password");
  auto new_password = reader.required_string("new_password");
  for (const Status& st : {first_error(old_password), first_error(new_password), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (auto ok = auth::check_password_policy(*new_password); !ok) {
    return fail(ErrorCode::bad_request, "new_password: " + ok.error().message);
  }
  auto new_nt_hash = nt_hash_hex(*new_password);
  if (!new_nt_hash) {
    return fail(ErrorCode::bad_request, "new_password: " + new_nt_hash.error().message);
  }
  const std::string key = lower_ascii(caller.user.username);
  const std::string resource = authz::user_resource(caller.user.username);
  const auto decision = context.limiter.check(key, request.remote_address);
  if (!decision.allowed) {
    if (decision.first) {
      audit_outside(context, audit_event(request, &caller.user, "users.password", resource,
                                         AuditOutcome::denied, throttle_detail(decision)));
    }
    return retry_later(Error{ErrorCode::rate_limited, "too many failed attempts; try later"},
                       request, decision.retry_after.count());
  }
  auto secrets =
      context.store.view_result([&](store::Tx& tx) { return tx.get_user_secrets(caller.user.id); });
  if (!secrets) {
    return std::unexpected(secrets.error());
  }
  auto work = context.login_pool.run([&]() -> Result<std::optional<std::string>> {
    if (!secrets->password_hash) {
      auth::burn_equal_time(*old_password);
      return std::optional<std::string>{};
    }
    auto verified = auth::verify_password(*old_password, *secrets->password_hash);
    if (!verified) {
      return std::unexpected(verified.error());
    }
    if (!verified->ok) {
      return std::optional<std::string>{};
    }
    auto hashed = auth::hash_password(*new_password);
    if (!hashed) {
      return std::unexpected(hashed.error());
    }
    return std::optional<std::string>{std::move(*hashed)};
  });
  if (!work) {
    return pool_busy(request);
  }
  if (!*work) {
    return std::unexpected(work->error());
  }
  if (!**work) {
    context.limiter.record_failure(key, request.remote_address);
    audit_outside(context, audit_event(request, &caller.user, "users.password", resource,
                                       AuditOutcome::denied, "wrong current password"));
    return fail(ErrorCode::unauthenticated, "the current password is wrong");
  }
  context.limiter.record_success(key, request.remote_address);
  std::vector<model::Id> removed;
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    removed.clear();
    auto stored = tx.get_user_secrets(caller.user.id);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    stored->password_hash = ***work;
    stored->nt_hash = *new_nt_hash;
    if (auto set = tx.set_user_secrets(caller.user.id, *stored); !set) {
      return std::unexpected(set.error());
    }
    auto count = remove_apps(tx, caller.user.id, caller.app.id, removed);
    if (!count) {
      return std::unexpected(count.error());
    }
    return first_error(tx.create(
        audit_event(request, &caller.user, "users.password", resource, AuditOutcome::allowed,
                    fmt::format("password changed; ended {} other apps", *count))));
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return apps_ended(context, removed);
}

} // namespace

Status validate_email(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) {
    return fail(ErrorCode::bad_request, "email: give 3 to 254 characters");
  }
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == email.size() ||
      email.find('@', at + 1) != std::string_view::npos) {
    return fail(ErrorCode::bad_request, "email: must look like name@domain");
  }
  if (!validate::is_valid_utf8(email)) {
    return fail(ErrorCode::bad_request, "email: not valid UTF-8");
  }
  for (const unsigned char c : email) {
    if (c <= 0x20 || c == 0x7f) {
      return fail(ErrorCode::bad_request, "email: spaces and control characters are not allowed");
    }
  }
  return {};
}

std::vector<api::Route> account_routes(AgentContext& context) {
  using api::Permission;
  auto bind = [&context](Result<Response> (*fn)(AgentContext&, Request&)) {
    return [&context, fn](Request& request) { return fn(context, request); };
  };
  std::vector<api::Route> routes{
      api::Route{"POST", "/api/v1/users", bind(register_user), Permission::anyone(),
                 "Register a user (open registration) or create one (admins, managers)"}
          .takes(schemas::registration())
          .answers(201, schemas::user()),
      api::Route{"GET", "/api/v1/whoami", bind(whoami), Permission::authenticated(),
                 "The caller: user, roles, current app"}
          .cached()
          .answers(200, schemas::whoami()),
      api::Route{"PUT", "/api/v1/users/me/password", bind(change_password),
                 Permission::authenticated(), "Change the caller's password; ends their other apps"}
          .takes(schemas::password_change())
          .answers(204),
  };
  auto apps = login_routes(context); // after registration, as SPEC.md lists them
  routes.insert(routes.begin() + 1, std::make_move_iterator(apps.begin()),
                std::make_move_iterator(apps.end()));
  return routes;
}

std::vector<api::Route> agent_routes(AgentContext& context) {
  auto routes = account_routes(context);
  std::ranges::move(user_routes(context), std::back_inserter(routes));
  std::ranges::move(audit_routes(context), std::back_inserter(routes));
  std::ranges::move(space_routes(context), std::back_inserter(routes));
  std::ranges::move(share_routes(context), std::back_inserter(routes));
  std::ranges::move(server_routes(context), std::back_inserter(routes));
  std::ranges::move(join_token_routes(context), std::back_inserter(routes));
  std::ranges::move(group_routes(context), std::back_inserter(routes));
  std::ranges::move(role_routes(context), std::back_inserter(routes));
  std::ranges::move(binding_routes(context), std::back_inserter(routes));
  std::ranges::move(invitation_routes(context), std::back_inserter(routes));
  routes.push_back(share_access_route(context));
  return routes;
}

} // namespace sharectl::agent::handlers
