#include "agent/handlers/authenticate.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>

#include "agent/auth/password.hpp"
#include "agent/auth/tokens.hpp"
#include "agent/authz/authorize.hpp"
#include "agent/handlers/caller_cache.hpp"
#include "agent/handlers/login.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/space_authz.hpp"

namespace sharectl::agent::handlers {

namespace {

// One message for every credential that names nobody, so the answer reveals nothing.
constexpr std::string_view k_invalid_credentials = "invalid or expired credentials";

Error unauthenticated(std::string message = std::string(k_invalid_credentials)) {
  return Error{ErrorCode::unauthenticated, std::move(message)};
}

// Authorization: Basic (auth.basic: true): the password is checked on every request, on the
// login pool and under the login rate limits, with login's one answer for every failure. The
// Caller has no app (an empty model::App).
// A refusal whose answer carries Retry-After (429 from the limiter, 503 from a full login pool).
api::Refusal retry_later(ErrorCode code, std::string message, std::chrono::seconds after) {
  api::Headers headers;
  headers.set("Retry-After", std::to_string(std::max<std::int64_t>(after.count(), 1)));
  return api::Refusal{Error{code, std::move(message)}, std::move(headers)};
}

std::expected<Caller, api::Refusal> authenticate_basic(AgentContext& context,
                                                       const api::Request& request,
                                                       const auth::Credentials& credentials) {
  std::string key = credentials.username;
  for (char& c : key) {
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const auto decision = context.limiter.check(key, request.remote_address);
  if (!decision.allowed) {
    return std::unexpected(retry_later(
        ErrorCode::rate_limited, "too many failed logins; try again later", decision.retry_after));
  }
  auto account = find_login_account(context, credentials.username,
                                    credentials.username.find('@') != std::string::npos);
  if (!account) {
    return std::unexpected(account.error());
  }
  auto verified = context.login_pool.run([&]() -> Result<bool> {
    if (!account->user || !account->hash) {
      auth::burn_equal_time(credentials.password);
      return false;
    }
    auto outcome = auth::verify_password(credentials.password, *account->hash);
    if (!outcome) {
      return std::unexpected(outcome.error());
    }
    return outcome->ok;
  });
  if (!verified) {
    return std::unexpected(retry_later(ErrorCode::unavailable,
                                       "too many logins at once; try again shortly",
                                       std::chrono::seconds{1}));
  }
  if (!*verified) {
    return std::unexpected(verified->error());
  }
  if (!**verified || !account->user || !account->user->is_active) {
    context.limiter.record_failure(key, request.remote_address);
    return std::unexpected(unauthenticated("invalid username, email or password"));
  }
  context.limiter.record_success(key, request.remote_address);
  return Caller{std::move(*account->user), model::App{}, ReadStamp{}};
}

// The app with this token hash and its user, from the store.
Result<Caller> read_caller(AgentContext& context, const std::string& token_hash) {
  return context.store.view_result([&](store::Tx& tx) -> Result<Caller> {
    auto app = tx.find_app_by_token(token_hash);
    if (!app) {
      return std::unexpected(app.error());
    }
    auto user = tx.get<model::User>(app->user_id);
    if (!user) {
      return std::unexpected(user.error());
    }
    return Caller{std::move(*user), std::move(*app), ReadStamp{}};
  });
}

} // namespace

Result<Caller> authenticate(AgentContext& context, const api::Request& request) {
  auto caller = authenticate_request(context, request);
  if (!caller) {
    return std::unexpected(std::move(caller.error().error));
  }
  return std::move(*caller);
}

namespace {

// Where this request's reads begin (see ReadStamp).
ReadStamp read_stamp(AgentContext& context) {
  return ReadStamp{context.store.seen_revision(), context.last_used.generation(),
                   context.clock.now()};
}

// Whether the app found by the token's hash is the one the credentials name and may be used at
// stamp.at: the hash compared again in constant time, the X-User-ID it belongs to, idle and
// absolute expiry, an active user. Returns the app's effective last use; unauthenticated when
// refused.
Result<model::Timestamp> admit(AgentContext& context, const Caller& found,
                               const std::string& token_hash, const std::string& user_id,
                               const ReadStamp& stamp) {
  if (!auth::token_hash_matches(token_hash, found.app.token_sha256) ||
      found.app.user_id != user_id) {
    return std::unexpected(unauthenticated());
  }
  const auto last_used =
      context.last_used.effective_last_used(found.app.id, found.app.last_used_at);
  if (auth::app_expired(found.app.created_at, last_used, stamp.at, context.lifetime)) {
    return std::unexpected(unauthenticated("the app has expired; log in again"));
  }
  if (!found.user.is_active) {
    return std::unexpected(unauthenticated());
  }
  return last_used;
}

} // namespace

std::expected<Caller, api::Refusal> authenticate_request(AgentContext& context,
                                                         const api::Request& request) {
  auto credentials = auth::parse_credentials(request.headers.get("Authorization"),
                                             request.headers.get("X-User-ID"),
                                             auth::CredentialOptions{context.config.auth.basic});
  if (!credentials) {
    return std::unexpected(credentials.error());
  }
  if (credentials->kind == auth::CredentialKind::none) {
    return std::unexpected(unauthenticated("authentication required: send X-User-ID and "
                                           "Authorization: Bearer <token> (sharectl login)"));
  }
  if (credentials->kind == auth::CredentialKind::basic) {
    return authenticate_basic(context, request, *credentials);
  }
  if (auto app_shape = auth::require_app_credentials(*credentials); !app_shape) {
    return std::unexpected(app_shape.error());
  }
  const std::string hash = auth::token_hash(credentials->token);
  // The stamp is taken before the store is read so that a commit racing the read leaves what is
  // kept from it (the caller here, the answer later) stale rather than wrong.
  const auto stamp = read_stamp(context);
  const auto read_at = CallerCache::Clock::now();
  const auto cached = context.callers.find(hash, stamp.revision, read_at);
  auto found = cached ? Result<Caller>(*cached) : read_caller(context, hash);
  if (found && !cached) {
    context.callers.put(hash, *found, stamp.revision, read_at);
  }
  if (!found) {
    if (found.error().code == ErrorCode::not_found) {
      return std::unexpected(unauthenticated());
    }
    return std::unexpected(found.error());
  }
  auto last_used = admit(context, *found, hash, *credentials->user_id, stamp);
  if (!last_used) {
    return std::unexpected(last_used.error());
  }
  context.last_used.note_use(found->app.id, found->app.last_used_at, stamp.at);
  found->app.last_used_at = *last_used;
  found->stamp = stamp;
  return std::move(*found);
}

std::optional<api::Response> cached_answer(AgentContext& context, const api::Request& request) {
  auto credentials = auth::parse_credentials(request.headers.get("Authorization"),
                                             request.headers.get("X-User-ID"),
                                             auth::CredentialOptions{context.config.auth.basic});
  if (!credentials || credentials->kind != auth::CredentialKind::bearer ||
      !auth::require_app_credentials(*credentials)) {
    return std::nullopt;
  }
  const std::string hash = auth::token_hash(credentials->token);
  const auto stamp = read_stamp(context);
  const auto caller = context.callers.find(hash, stamp.revision, CallerCache::Clock::now());
  if (!caller || !admit(context, *caller, hash, *credentials->user_id, stamp)) {
    return std::nullopt; // the usual path answers, refuses and audits
  }
  auto answer = context.answers.find(caller->app.id, request.target, stamp);
  if (answer) {
    context.last_used.note_use(caller->app.id, caller->app.last_used_at, stamp.at);
  }
  return answer;
}

void remember_answer(AgentContext& context, const api::Request& request,
                     const api::Response& answer) {
  const auto* caller = std::any_cast<Caller>(&request.auth);
  if (caller != nullptr && !caller->app.id.empty()) { // Basic callers have no app: not kept
    context.answers.put(caller->app.id, request.target, answer, caller->stamp);
  }
}

Status authorize_caller(AgentContext& context, const Caller& caller, std::string_view action,
                        const std::string& resource) {
  auto decision = decide(context, caller, action, authz::Resource{resource, std::nullopt, false});
  if (!decision) {
    return std::unexpected(decision.error());
  }
  if (!decision->allowed) {
    return fail(ErrorCode::forbidden, decision->reason);
  }
  return {};
}

void audit_outside(AgentContext& context, const model::AuditEvent& event) {
  (void)context.store.transact([&](store::Tx& tx) -> Status {
    auto created = tx.create(event);
    if (!created) {
      return std::unexpected(created.error());
    }
    return {};
  });
}

const Caller& caller_of(const api::Request& request) {
  const auto* caller = std::any_cast<Caller>(&request.auth);
  if (caller == nullptr) {
    throw std::logic_error("handler of an authenticated route ran without a caller");
  }
  return *caller;
}

std::string expand_resource(const std::string& pattern, const api::Request& request) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      if (close != std::string::npos) {
        out += request.param(std::string_view(pattern).substr(i + 1, close - i - 1));
        i = close + 1;
        continue;
      }
    }
    out += pattern[i++];
  }
  return out;
}

void install_hooks(AgentContext& context, api::ServerHooks& hooks) {
  hooks.authorize = make_authorizer(context);
  hooks.cached_answer = [&context](api::Request& request) {
    return cached_answer(context, request);
  };
  hooks.remember = [&context](const api::Request& request, const api::Response& answer) {
    remember_answer(context, request, answer);
  };
  hooks.metrics_extra = [&context] { return context.limiter.metrics_text(); };
}

api::Authorizer make_authorizer(AgentContext& context) {
  return [&context](api::Request& request) -> std::expected<void, api::Refusal> {
    const auto& permission = request.route->permission;
    const std::string action_name = permission.action.empty() ? "request" : permission.action;
    // A create's resource names body fields, not path parameters: audit the pattern then.
    const auto names = api::Router::param_names(permission.resource);
    const bool from_path = std::all_of(names.begin(), names.end(), [&](const std::string& name) {
      return request.path_params.contains(name);
    });
    const std::string resource = from_path ? expand_resource(permission.resource, request) : "";
    auto caller = authenticate_request(context, request);
    if (!caller) {
      const Error& error = caller.error().error;
      if (error.code != ErrorCode::unavailable && error.code != ErrorCode::internal) {
        audit_outside(context, audit_event(request, nullptr, action_name,
                                           resource.empty() ? request.route->pattern : resource,
                                           model::AuditOutcome::denied, error.message));
      }
      return std::unexpected(std::move(caller.error()));
    }
    switch (permission.access) {
    case api::Access::anyone:
    case api::Access::authenticated:
    case api::Access::in_handler: // the handler decides, in the object's context
      break;
    case api::Access::deny:
      return fail(ErrorCode::forbidden, "this route is closed to everyone");
    case api::Access::action: {
      auto allowed = authorize_caller(context, *caller, permission.action, resource);
      if (!allowed) {
        if (allowed.error().code == ErrorCode::forbidden) {
          audit_outside(context, audit_event(request, &caller->user, permission.action, resource,
                                             model::AuditOutcome::denied, allowed.error().message));
        }
        return allowed;
      }
      break;
    }
    }
    request.auth = std::move(*caller);
    return {};
  };
}

} // namespace sharectl::agent::handlers
