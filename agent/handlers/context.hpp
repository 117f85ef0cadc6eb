// What the request handlers share: the store, the configuration and the auth machinery (clock,
// login rate limiter, login pool, last-used tracker, recently authenticated callers, kept
// answers). Plain data; nothing here fails.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/auth/app_expiry.hpp"
#include "agent/auth/clock.hpp"
#include "agent/auth/login_pool.hpp"
#include "agent/auth/rate_limit.hpp"
#include "agent/handlers/answer_cache.hpp"
#include "agent/handlers/caller.hpp"
#include "agent/handlers/caller_cache.hpp"
#include "agent/store/store.hpp"
#include "common/config/agent_config.hpp"

namespace sharectl::agent::handlers {

// The shared state of all handlers; it must outlive the server that runs them.
struct AgentContext {
  // Builds the auth machinery for `config` over `store` and `clock` (both must outlive it).
  AgentContext(store::Store& store_ref, config::AgentConfig config_value,
               const auth::Clock& clock_ref, auth::LoginRateLimitConfig limits = {},
               auth::LoginPoolConfig pool = {})
      : store(store_ref), config(std::move(config_value)),
        clock(clock_ref), lifetime{config.apps.idle_expiry, config.apps.max_lifetime},
        limiter(clock_ref, limits), login_pool(pool) {}

  store::Store& store;             // the desired state
  config::AgentConfig config;      // agent.yaml as loaded
  const auth::Clock& clock;        // the time source for expiry and rate limits
  auth::AppLifetime lifetime;      // apps.idle_expiry / apps.max_lifetime
  auth::LoginRateLimiter limiter;  // failed logins per account and address
  auth::LoginPool login_pool;      // where password verification runs
  auth::LastUsedTracker last_used; // batched last_used_at updates
  CallerCache callers;             // recently authenticated callers by token hash
  AnswerCache answers;             // answers of cacheable routes by app and target
  // Measures a space of this host now and records its usage (reconcile/usage_refresh.hpp); set
  // by `run` before serving, empty where nothing measures (in-process tests): then refused.
  std::function<Status(const model::Space&)> refresh_usage;
  // Whether a new user may take this name as their Unix identity on this host
  // (host/samba/identity.hpp check_new_username; `vouched`: an admin or manager creates them).
  // Set by `run`; empty in in-process tests, where only the reserved names are refused.
  std::function<Status(std::string_view username, bool vouched)> check_unix_name;
};

} // namespace sharectl::agent::handlers
