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
#include "agent/handlers/render.hpp"
#include "agent/handlers/roles.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/servers.hpp"
#include "agent/handlers/share_access.hpp"
#include "agent/handlers/shares.hpp"
#include "agent/handlers/spaces.hpp"
#include "agent/handlers/users.hpp"
#include "common/json/strict.hpp"
#include "common/util/nt_hash.hpp"
#include "common/validate/names.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// The one answer to every failed login: it never says whether the account exists.
constexpr std::string_view k_login_failed = "invalid username, email or password";

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

// An error response carrying Retry-After (429 from the limiter, 503 from a full login pool).
Response retry_later(const Error& error, const Request& request, std::int64_t seconds) {
  Response response = api::error_response(error, request.request_id);
  response.headers.set("Retry-After", std::to_string(std::max<std::int64_t>(seconds, 1)));
  return response;
}

Response pool_busy(const Request& request) {
  return retry_later(Error{ErrorCode::unavailable, "too many logins at once; try again shortly"},
                     request, 1);
}

template <typename T>
Status first_error(const Result<T>& result) {
  if (!result) {
    return std::unexpected(result.error());
  }
  return {};
}

Status validate_app_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || !validate::is_valid_utf8(name)) {
    return fail(ErrorCode::bad_request, "name: give 1 to 128 bytes of UTF-8 text");
  }
  for (const unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return fail(ErrorCode::bad_request, "name: control characters are not allowed");
    }
  }
  return {};
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

// POST /api/v1/apps
Result<Response> login(AgentContext& context, Request& request) {
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto username = reader.optional_string("username");
  auto email = reader.optional_string("email");
  auto password = reader.required_string("password");
  auto name = reader.optional_string("name");
  for (const Status& st : {first_error(username), first_error(email), first_error(password),
                           first_error(name), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (username->has_value() == email->has_value()) {
    return fail(ErrorCode::bad_request, "give either username or email (exactly one)");
  }
  const std::string app_name = name->value_or("app");
  if (auto ok = validate_app_name(app_name); !ok) {
    return std::unexpected(ok.error());
  }
  const std::string identifier = *username ? **username : **email;
  const std::string key = lower_ascii(identifier);
  const auto decision = context.limiter.check(key, request.remote_address);
  if (!decision.allowed) {
    audit_outside(context, audit_event(request, nullptr, "apps.create", "apps",
                                       AuditOutcome::denied, "login rate limit reached"));
    return retry_later(Error{ErrorCode::rate_limited, "too many failed logins; try again later"},
                       request, decision.retry_after.count());
  }
  struct Account {
    std::optional<model::User> user;
    std::optional<std::string> hash;
    bool has_nt_hash = false;
  };
  auto account = context.store.view_result([&](store::Tx& tx) -> Result<Account> {
    auto user = *username ? tx.find_user(**username) : tx.find_user_by_email(**email);
    if (!user) {
      if (user.error().code == ErrorCode::not_found) {
        return Account{};
      }
      return std::unexpected(user.error());
    }
    auto secrets = tx.get_user_secrets(user->id);
    if (!secrets) {
      return std::unexpected(secrets.error());
    }
    return Account{std::move(*user), secrets->password_hash, secrets->nt_hash.has_value()};
  });
  if (!account) {
    return std::unexpected(account.error());
  }
  auto verified = context.login_pool.run([&]() -> Result<auth::VerifyOutcome> {
    if (!account->user || !account->hash) {
      auth::burn_equal_time(*password);
      return auth::VerifyOutcome{};
    }
    return auth::verify_password(*password, *account->hash);
  });
  if (!verified) {
    return pool_busy(request);
  }
  if (!*verified) {
    return std::unexpected(verified->error());
  }
  const model::User* user = account->user ? &*account->user : nullptr;
  if (!(*verified)->ok || user == nullptr || !user->is_active) {
    context.limiter.record_failure(key, request.remote_address);
    const char* why = user == nullptr    ? "no such account"
                      : !account->hash   ? "account has no local password"
                      : !(*verified)->ok ? "wrong password"
                                         : "user is disabled";
    audit_outside(context, audit_event(request, user, "apps.create",
                                       user ? authz::user_resource(user->username) : "apps",
                                       AuditOutcome::denied, fmt::format("login failed: {}", why)));
    return fail(ErrorCode::unauthenticated, std::string(k_login_failed));
  }
  context.limiter.record_success(key);
  std::optional<std::string> rehashed;
  if ((*verified)->needs_rehash) {
    auto fresh = context.login_pool.run([&] { return auth::hash_password(*password); });
    if (fresh && *fresh) {
      rehashed = **fresh;
    }
  }
  // A user from before SMB passwords were kept (or imported without one) gets the NT hash of
  // the password just verified, so that the hosts can provision their SMB account.
  std::optional<std::string> nt_hash;
  if (!account->has_nt_hash) {
    if (auto computed = nt_hash_hex(*password); computed) {
      nt_hash = std::move(*computed);
    }
  }
  auto token = auth::issue_token();
  if (!token) {
    return std::unexpected(token.error());
  }
  const auto now = context.clock.now();
  auto app = context.store.transact_result([&](store::Tx& tx) -> Result<model::App> {
    model::App fresh;
    fresh.user_id = user->id;
    fresh.name = app_name;
    fresh.token_sha256 = token->sha256_hex;
    fresh.last_used_at = now;
    fresh.expires_at = auth::app_expires_at(now, now, context.lifetime);
    auto created = tx.create(fresh);
    if (!created) {
      return std::unexpected(created.error());
    }
    auto current = tx.get<model::User>(user->id);
    if (!current) {
      return std::unexpected(current.error());
    }
    current->last_login = now;
    if (auto updated = tx.update(*current); !updated) {
      return std::unexpected(updated.error());
    }
    if (rehashed || nt_hash) {
      auto secrets = tx.get_user_secrets(user->id);
      if (!secrets) {
        return std::unexpected(secrets.error());
      }
      if (rehashed) {
        secrets->password_hash = *rehashed;
      }
      if (nt_hash && !secrets->nt_hash) {
        secrets->nt_hash = *nt_hash;
      }
      if (auto set = tx.set_user_secrets(user->id, *secrets); !set) {
        return std::unexpected(set.error());
      }
    }
    auto audit = tx.create(audit_event(
        request, user, "apps.create", authz::user_resource(user->username), AuditOutcome::allowed,
        fmt::format("login, app {} ({}){}{}", created->id, app_name,
                    rehashed ? ", legacy password hash upgraded" : "",
                    nt_hash ? ", SMB password set" : "")));
    if (!audit) {
      return std::unexpected(audit.error());
    }
    return created;
  });
  if (!app) {
    return std::unexpected(app.error());
  }
  const nlohmann::json answer{
      {"app_id", app->id},
      {"user_id", app->user_id},
      {"name", app->name},
      {"token", token->token},
      {"expires_at",
       rfc3339(auth::app_expires_at(app->created_at, app->last_used_at, context.lifetime))}};
  return Response::json(201, answer.dump());
}

// GET /api/v1/apps
Result<Response> list_apps(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto apps = context.store.view_result([&](store::Tx& tx) {
    return tx.list<model::App>(store::ListQuery{caller.user.id, 0});
  });
  if (!apps) {
    return std::unexpected(apps.error());
  }
  const auto now = context.clock.now();
  std::string out = "[";
  for (const auto& app : *apps) {
    const auto used = context.last_used.effective_last_used(app.id, app.last_used_at);
    if (auth::app_expired(app.created_at, used, now, context.lifetime)) {
      continue;
    }
    model::App shown = app;
    shown.last_used_at = used;
    if (out.size() > 1) {
      out += ',';
    }
    out += app_json(shown, auth::app_expires_at(app.created_at, used, context.lifetime));
  }
  out += ']';
  return Response::json(200, out);
}

// DELETE /api/v1/apps/{app_id}
Result<Response> delete_app(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  const std::string app_id(request.param("app_id"));
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    auto app = tx.get<model::App>(app_id);
    if (!app || app->user_id != caller.user.id) {
      return fail(ErrorCode::not_found, fmt::format("you have no app {}", app_id));
    }
    if (auto removed = tx.remove<model::App>(app_id); !removed) {
      return removed;
    }
    auto audit = tx.create(audit_event(
        request, &caller.user, "apps.delete", authz::user_resource(caller.user.username),
        AuditOutcome::allowed, fmt::format("logout, app {} ({})", app->id, app->name)));
    return first_error(audit);
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  context.last_used.forget(app_id);
  return Response::no_content();
}

// Removes every app of the user except `keep` (when set) inside tx; returns how many.
Result<std::size_t> remove_apps(store::Tx& tx, const model::Id& user_id,
                                const std::optional<model::Id>& keep,
                                std::vector<model::Id>& removed_ids) {
  auto apps = tx.list<model::App>(store::ListQuery{user_id, 0});
  if (!apps) {
    return std::unexpected(apps.error());
  }
  std::size_t count = 0;
  for (const auto& app : *apps) {
    if (keep && app.id == *keep) {
      continue;
    }
    if (auto removed = tx.remove<model::App>(app.id); !removed) {
      return std::unexpected(removed.error());
    }
    removed_ids.push_back(app.id);
    ++count;
  }
  return count;
}

// DELETE /api/v1/apps
Result<Response> delete_all_apps(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  std::vector<model::Id> removed;
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    removed.clear();
    auto count = remove_apps(tx, caller.user.id, std::nullopt, removed);
    if (!count) {
      return std::unexpected(count.error());
    }
    return first_error(tx.create(audit_event(
        request, &caller.user, "apps.delete", authz::user_resource(caller.user.username),
        AuditOutcome::allowed, fmt::format("logout of all {} apps", *count))));
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  for (const auto& id : removed) {
    context.last_used.forget(id);
  }
  return Response::no_content();
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
    audit_outside(context, audit_event(request, &caller.user, "users.password", resource,
                                       AuditOutcome::denied, "password rate limit reached"));
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
  context.limiter.record_success(key);
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
  for (const auto& id : removed) {
    context.last_used.forget(id);
  }
  return Response::no_content();
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
  return {
      api::Route{"POST", "/api/v1/users", bind(register_user), Permission::anyone(),
                 "Register a user (open registration) or create one (admins, managers)"}
          .takes(schemas::registration())
          .answers(201, schemas::user()),
      api::Route{"POST", "/api/v1/apps", bind(login), Permission::anyone(),
                 "Log in: create an app and return its token (only here)"}
          .takes(schemas::login())
          .answers(201, schemas::login_answer()),
      api::Route{"GET", "/api/v1/apps", bind(list_apps), Permission::authenticated(),
                 "List the caller's apps"}
          .cached()
          .answers(200, api::Schema::list_of(schemas::app())),
      api::Route{"DELETE", "/api/v1/apps", bind(delete_all_apps), Permission::authenticated(),
                 "Log out of every app of the caller"}
          .answers(204),
      api::Route{"DELETE", "/api/v1/apps/{app_id}", bind(delete_app), Permission::authenticated(),
                 "Log out one app of the caller"}
          .answers(204),
      api::Route{"GET", "/api/v1/whoami", bind(whoami), Permission::authenticated(),
                 "The caller: user, roles, current app"}
          .cached()
          .answers(200, schemas::whoami()),
      api::Route{"PUT", "/api/v1/users/me/password", bind(change_password),
                 Permission::authenticated(), "Change the caller's password; ends their other apps"}
          .takes(schemas::password_change())
          .answers(204),
  };
}

std::vector<api::Route> agent_routes(AgentContext& context) {
  auto routes = account_routes(context);
  std::ranges::move(user_routes(context), std::back_inserter(routes));
  std::ranges::move(audit_routes(context), std::back_inserter(routes));
  std::ranges::move(space_routes(context), std::back_inserter(routes));
  std::ranges::move(share_routes(context), std::back_inserter(routes));
  std::ranges::move(server_routes(context), std::back_inserter(routes));
  std::ranges::move(group_routes(context), std::back_inserter(routes));
  std::ranges::move(role_routes(context), std::back_inserter(routes));
  std::ranges::move(binding_routes(context), std::back_inserter(routes));
  std::ranges::move(invitation_routes(context), std::back_inserter(routes));
  routes.push_back(share_access_route(context));
  return routes;
}

} // namespace sharectl::agent::handlers
