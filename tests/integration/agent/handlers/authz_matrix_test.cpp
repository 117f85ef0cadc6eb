// The route × caller authorization matrix, generated from the agent's route table (agent_routes
// plus the transport's built-ins, as the running server reports it), not hand-listed: for every
// route that is not open to anyone, anonymous, malformed-header, wrong-X-User-ID and
// disabled-user callers get 401 (400 for the malformed header), a plain user gets 403 exactly
// when authz::authorize with the route's Permission denies it, and an admin never 401 or 403.
#include <memory>
#include <set>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/auth/password.hpp"
#include "agent/authz/authorize.hpp"
#include "tests/integration/agent/handlers/harness.hpp"
#include "tests/support/require.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
namespace handlers = sharectl::agent::handlers;
namespace api = sharectl::agent::api;
namespace auth = sharectl::agent::auth;
namespace authz = sharectl::agent::authz;

constexpr const char* k_password = "correct horse battery";

// A path parameter value that names nothing in the store but passes every name rule.
std::string sample_value(std::string_view param) {
  if (param.ends_with("id")) {
    return "00000000-0000-4000-8000-000000000000";
  }
  return "zz-" + std::string(param);
}

// The pattern with every {param} replaced by its sample value.
std::string sample(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      out += sample_value(pattern.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

// An agent in this process with the agent's routes, and users of each kind.
class Agent : public test::InProcessAgent {
public:
  Agent() { m_hash = *auth::hash_password(k_password); }

  // A user stored directly with k_password.
  model::User add_user(const std::string& name, bool admin = false) {
    auto user = store().transact_result([&](store::Tx& tx) -> Result<model::User> {
      model::User u;
      u.username = name;
      u.is_admin = admin;
      auto stored = tx.create(u);
      if (stored) {
        if (auto set = tx.set_user_secrets(stored->id, {m_hash, std::nullopt}); !set) {
          return std::unexpected(set.error());
        }
      }
      return stored;
    });
    REQUIRE_MESSAGE(user.has_value(), test::error_text(user));
    return *user;
  }

  // Marks a user disabled directly in the store (their apps stay, so the token is still known).
  void disable(const model::User& user) {
    auto done = store().transact([&](store::Tx& tx) -> Status {
      auto current = tx.get<model::User>(user.id);
      if (!current) {
        return std::unexpected(current.error());
      }
      current->is_active = false;
      auto updated = tx.update(*current);
      if (!updated) {
        return std::unexpected(updated.error());
      }
      return {};
    });
    REQUIRE(done.has_value());
  }

  // Logs in and returns the login answer.
  json login(const std::string& name) {
    const auto answer =
        call("POST", "/api/v1/apps", json{{"username", name}, {"password", k_password}}.dump());
    REQUIRE_MESSAGE(answer.status == 201, answer.body);
    return json::parse(answer.body);
  }

  // Credential headers: X-User-ID `user_id` with the login answer's token.
  static http::HttpHeaders creds(const json& app, const std::string& user_id = {}) {
    return {{"X-User-ID", user_id.empty() ? app["user_id"].get<std::string>() : user_id},
            {"Authorization", "Bearer " + app["token"].get<std::string>()}};
  }

private:
  std::string m_hash;
};

bool refused(int status) {
  return status == 401 || status == 403;
}

} // namespace

TEST_CASE("authz matrix: every protected route × anonymous, bad credentials, user, admin") {
  Agent agent;
  const auto root = agent.add_user("root", true);
  const auto alice = agent.add_user("alice");
  const auto dave = agent.add_user("dave");
  const json dave_app = agent.login("dave");
  agent.disable(dave);
  const auto catalog = authz::RoleCatalog::with_builtins();

  std::size_t protected_routes = 0;
  std::set<std::string> seen_actions;
  for (const api::Route& route : agent.routes()) {
    if (route.permission.access == api::Access::anyone) {
      continue;
    }
    ++protected_routes;
    const std::string path = sample(route.pattern);
    const std::string body = route.method == "GET" || route.method == "DELETE" ? "" : "{}";
    CAPTURE(route.method);
    CAPTURE(path);
    CAPTURE(route.permission.to_string());

    CHECK(agent.call(route.method, path, body).status == 401);
    CHECK(agent
              .call(route.method, path, body,
                    {{"X-User-ID", "not-a-uuid"}, {"Authorization", "Bearer x"}})
              .status == 400);
    CHECK(agent.call(route.method, path, body, Agent::creds(dave_app)).status == 401);
    // Fresh logins per route: some routes (DELETE /api/v1/apps) end the caller's apps.
    const json alice_app = agent.login("alice");
    CHECK(agent.call(route.method, path, body, Agent::creds(alice_app, root.id)).status == 401);

    const auto as_user = agent.call(route.method, path, body, Agent::creds(alice_app));
    CAPTURE(as_user.body);
    CHECK(as_user.status != 401);
    if (route.permission.access == api::Access::action) {
      seen_actions.insert(route.permission.action);
      const std::string resource = sample(route.permission.resource);
      const auto decision =
          authz::authorize(authz::subject_of(alice), route.permission.action,
                           authz::Resource{resource, std::nullopt, false}, {}, catalog);
      CAPTURE(decision.reason);
      CHECK((as_user.status == 403) == !decision.allowed);
      if (as_user.status == 403) {
        CHECK(json::parse(as_user.body)["error"]["code"] == "forbidden");
      }
    } else if (route.permission.access == api::Access::deny) {
      CHECK(as_user.status == 403);
    }

    const auto as_admin = agent.call(route.method, path, body, Agent::creds(agent.login("root")));
    CAPTURE(as_admin.body);
    if (route.permission.access != api::Access::deny) {
      CHECK_FALSE(refused(as_admin.status));
    }
  }
  CHECK(protected_routes >= 10);
  CHECK(seen_actions.contains("users.update"));
  CHECK(seen_actions.contains("audit.read"));
}
