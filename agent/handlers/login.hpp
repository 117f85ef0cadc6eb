// The login routes (SPEC.md "HTTP API"): POST /api/v1/apps (log in: an app and its token, under
// the login pool and the login rate limits, with one answer for every failure), GET
// /api/v1/apps and DELETE /api/v1/apps[/{app_id}] (log out), and the helpers registration and
// password changes share with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/router.hpp"
#include "agent/auth/rate_limit.hpp"
#include "agent/handlers/context.hpp"
#include "agent/store/tx.hpp"

namespace sharectl::agent::handlers {

// Who a login names, read before the password is checked: the user (none when unknown) and their
// password hash (none for an account without a local password).
struct LoginAccount {
  std::optional<model::User> user;
  std::optional<std::string> hash;
  bool has_nt_hash = false;
};

// The account named `name`, by e-mail when `by_email`, else by username. Fails with the store's
// errors only (an unknown name is an empty LoginAccount).
Result<LoginAccount> find_login_account(AgentContext& context, const std::string& name,
                                        bool by_email);

// The login routes over `context` (which must outlive them).
std::vector<api::Route> login_routes(AgentContext& context);

// ASCII letters lowered (the rate limiter's account key). Never fails.
std::string lower_ascii(std::string_view text);

// An error response carrying Retry-After: `seconds` (at least 1).
api::Response retry_later(const Error& error, const api::Request& request, std::int64_t seconds);

// What a refusal by the failed-login limits says in the audit log: which limit, and for how long
// ("login throttled: too many failed logins of this account from this address; retry after
// 4 s"). Never fails.
std::string throttle_detail(const auth::LoginDecision& decision);

// 503 + Retry-After: the login pool is full.
api::Response pool_busy(const api::Request& request);

// The answer of a change that ended apps `removed` (committed): forgets their pending last
// uses and answers 204.
api::Response apps_ended(AgentContext& context, const std::vector<model::Id>& removed);

// Removes every app of the user except `keep` (when set) inside tx, appending their ids to
// `removed_ids`; returns how many. Fails with the store's errors.
Result<std::size_t> remove_apps(store::Tx& tx, const model::Id& user_id,
                                const std::optional<model::Id>& keep,
                                std::vector<model::Id>& removed_ids);

} // namespace sharectl::agent::handlers
