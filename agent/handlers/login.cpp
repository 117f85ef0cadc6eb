// The login routes; see login.hpp.
#include "agent/handlers/login.hpp"

#include <algorithm>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/auth/password.hpp"
#include "agent/auth/tokens.hpp"
#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/caps.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "common/json/strict.hpp"
#include "common/util/nt_hash.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

using api::Request;
using api::Response;
using model::AuditOutcome;

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

Response retry_later(const Error& error, const Request& request, std::int64_t seconds) {
  Response response = api::error_response(error, request.request_id);
  response.headers.set("Retry-After", std::to_string(std::max<std::int64_t>(seconds, 1)));
  return response;
}

std::string throttle_detail(const auth::LoginDecision& decision) {
  return fmt::format("login throttled: too many failed logins {}; retry after {} s",
                     decision.by == auth::LoginThrottle::address
                         ? "from this address"
                         : "of this account from this address",
                     decision.retry_after.count());
}

Result<LoginAccount> find_login_account(AgentContext& context, const std::string& name,
                                        bool by_email) {
  return context.store.view_result([&](store::Tx& tx) -> Result<LoginAccount> {
    auto user = by_email ? tx.find_user_by_email(name) : tx.find_user(name);
    if (!user) {
      if (user.error().code == ErrorCode::not_found) {
        return LoginAccount{};
      }
      return std::unexpected(user.error());
    }
    auto secrets = tx.get_user_secrets(user->id);
    if (!secrets) {
      return std::unexpected(secrets.error());
    }
    return LoginAccount{std::move(*user), secrets->password_hash, secrets->nt_hash.has_value()};
  });
}

Response apps_ended(AgentContext& context, const std::vector<model::Id>& removed) {
  for (const auto& id : removed) {
    context.last_used.forget(id);
  }
  return Response::no_content();
}

Response pool_busy(const Request& request) {
  return retry_later(Error{ErrorCode::unavailable, "too many logins at once; try again shortly"},
                     request, 1);
}

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

namespace {

constexpr std::string_view k_login_failed = "invalid username, email or password";

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
    if (decision.first) { // once per run of refusals: an attacker cannot flood the audit log
      audit_outside(context, audit_event(request, nullptr, "apps.create", "apps",
                                         AuditOutcome::denied, throttle_detail(decision)));
    }
    return retry_later(Error{ErrorCode::rate_limited, "too many failed logins; try again later"},
                       request, decision.retry_after.count());
  }
  auto account = find_login_account(context, identifier, email->has_value());
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
  context.limiter.record_success(key, request.remote_address);
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
    if (auto ok = check_app_cap(context, tx, *user, now); !ok) {
      return std::unexpected(ok.error());
    }
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
  return apps_ended(context, removed);
}

} // namespace

std::vector<api::Route> login_routes(AgentContext& context) {
  using api::Permission;
  auto bind = [&context](Result<Response> (*fn)(AgentContext&, Request&)) {
    return [&context, fn](Request& request) { return fn(context, request); };
  };
  return {
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
  };
}

} // namespace sharectl::agent::handlers
