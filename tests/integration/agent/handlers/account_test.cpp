// The account routes against a real HttpServer on 127.0.0.1:0 with a SQLite store in a temp
// dir, driven over HTTP with libcurl: registration, login, logout, apps, whoami, password
// change, 401 vs 403, rate limiting, and no secret in any response or audit detail.
#include <memory>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/auth/password.hpp"
#include "common/util/nt_hash.hpp"
#include "tests/integration/agent/handlers/harness.hpp"
#include "tests/support/require.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
namespace handlers = sharectl::agent::handlers;
namespace api = sharectl::agent::api;
namespace auth = sharectl::agent::auth;

constexpr const char* k_password = "correct horse battery";

// An agent in this process: store and the agent's routes (audit.read: GET /api/v1/audit).
class Agent : public test::InProcessAgent {
public:
  explicit Agent(config::Registration registration = config::Registration::open,
                 auth::LoginRateLimitConfig limits = {})
      : InProcessAgent(with_registration(registration), nullptr, limits) {}

  static config::AgentConfig with_registration(config::Registration registration) {
    config::AgentConfig cfg;
    cfg.auth.registration = registration;
    return cfg;
  }

  // A user stored directly (admin or not) with k_password.
  model::User add_user(const std::string& name, bool admin) {
    auto hash = auth::hash_password(k_password);
    REQUIRE(hash.has_value());
    auto user = store().transact_result([&](store::Tx& tx) -> Result<model::User> {
      model::User u;
      u.username = name;
      u.is_admin = admin;
      auto stored = tx.create(u);
      if (stored) {
        auto set = tx.set_user_secrets(stored->id, {*hash, std::nullopt});
        if (!set) {
          return std::unexpected(set.error());
        }
      }
      return stored;
    });
    REQUIRE_MESSAGE(user.has_value(), test::error_text(user));
    return *user;
  }

  // Logs in; returns the parsed 201 body.
  json login(const std::string& name, const std::string& password = k_password) {
    const auto answer =
        call("POST", "/api/v1/apps", json{{"username", name}, {"password", password}}.dump());
    REQUIRE_MESSAGE(answer.status == 201, answer.body);
    return json::parse(answer.body);
  }

  // The credential headers of a login answer.
  static http::HttpHeaders creds(const json& app) {
    return {{"X-User-ID", app["user_id"].get<std::string>()},
            {"Authorization", "Bearer " + app["token"].get<std::string>()}};
  }

  // Every audit detail, concatenated.
  std::string audit_text() {
    auto events = store().view_result([](store::Tx& tx) {
      return tx.list_audit(store::AuditQuery{std::nullopt, std::nullopt, 1000});
    });
    REQUIRE(events.has_value());
    std::string out;
    for (const auto& e : *events) {
      out += e.action + " " + e.resource + " " + e.detail + "\n";
    }
    return out;
  }
};

json error_of(const http::HttpResponse& answer) {
  auto body = json::parse(answer.body);
  body["error"].erase("request_id");
  return body;
}

} // namespace

TEST_CASE("register: 201 without secrets, duplicate 409, bad input 400") {
  Agent agent;
  const auto created = agent.call(
      "POST", "/api/v1/users",
      json{{"username", "alice"}, {"email", "alice@example.org"}, {"password", k_password}}.dump());
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const auto user = json::parse(created.body);
  CHECK(user["username"] == "alice");
  CHECK(user["revision"].get<long>() > 0);
  CHECK(user["created_at"].get<std::string>().ends_with("Z"));
  CHECK(created.body.find("hash") == std::string::npos);
  CHECK(created.body.find("password") == std::string::npos);

  const auto duplicate = agent.call("POST", "/api/v1/users",
                                    json{{"username", "alice"}, {"password", k_password}}.dump());
  CHECK(duplicate.status == 409);
  CHECK(agent
            .call("POST", "/api/v1/users",
                  json{{"username", "Bad Name"}, {"password", k_password}}.dump())
            .status == 400);
  CHECK(agent.call("POST", "/api/v1/users", json{{"username", "bob"}, {"password", "short"}}.dump())
            .status == 400);
  CHECK(agent
            .call("POST", "/api/v1/users",
                  json{{"username", "bob"}, {"password", k_password}, {"admin", true}}.dump())
            .status == 400);
}

TEST_CASE("closed registration: anonymous 403, admin 201") {
  Agent agent(config::Registration::closed);
  agent.add_user("root", true);
  const auto body = json{{"username", "carol"}, {"password", k_password}}.dump();
  const auto anonymous = agent.call("POST", "/api/v1/users", body);
  CHECK(anonymous.status == 403);
  CHECK(error_of(anonymous)["error"]["code"] == "forbidden");
  const auto admin = agent.login("root");
  CHECK(agent.call("POST", "/api/v1/users", body, Agent::creds(admin)).status == 201);
  CHECK(agent.audit_text().find("users.create users/carol") != std::string::npos);
}

TEST_CASE("login: wrong password and unknown user get the same 401") {
  Agent agent;
  agent.add_user("alice", false);
  const auto wrong = agent.call(
      "POST", "/api/v1/apps", json{{"username", "alice"}, {"password", "not the password"}}.dump());
  const auto unknown =
      agent.call("POST", "/api/v1/apps",
                 json{{"username", "nobody"}, {"password", "not the password"}}.dump());
  CHECK(wrong.status == 401);
  CHECK(unknown.status == 401);
  CHECK(error_of(wrong) == error_of(unknown));
  const auto app = agent.login("alice");
  CHECK(app["token"].get<std::string>().size() == 43);
  CHECK(app.contains("expires_at"));
}

TEST_CASE("login: rate limited per account and address with 429 and Retry-After") {
  auth::LoginRateLimitConfig limits;
  limits.per_account_address.limit = 3;
  limits.per_account_address.backoff_after = 0;
  Agent agent(config::Registration::open, limits);
  agent.add_user("alice", false);
  const auto bad = json{{"username", "alice"}, {"password", "not the password"}}.dump();
  for (int i = 0; i < 3; ++i) {
    CHECK(agent.call("POST", "/api/v1/apps", bad).status == 401);
  }
  const auto limited = agent.call("POST", "/api/v1/apps", bad);
  CHECK(limited.status == 429);
  CHECK(limited.header("Retry-After").has_value());
  CHECK(error_of(limited)["error"]["code"] == "rate_limited");
  // The right password is refused too from this address while the pair is limited...
  const auto good = json{{"username", "alice"}, {"password", k_password}}.dump();
  CHECK(agent.call("POST", "/api/v1/apps", good).status == 429);
  // ...not from another one (the agent listens on 127.0.0.1; 127.0.0.2 is loopback too).
  http::ClientOptions elsewhere;
  elsewhere.local_address = "127.0.0.2";
  http::HttpClient other(elsewhere);
  const auto answer =
      other.request("POST", "http://127.0.0.1:" + std::to_string(agent.port()) + "/api/v1/apps",
                    {{"Content-Type", "application/json"}}, good);
  REQUIRE_MESSAGE(answer.has_value(), test::error_text(answer));
  CHECK_MESSAGE(answer->status == 201, answer->body);
  // One audit event for the run of refusals, none per refused attempt.
  const std::string audit = agent.audit_text();
  std::size_t throttled = 0;
  for (auto at = audit.find("login throttled"); at != std::string::npos;
       at = audit.find("login throttled", at + 1)) {
    ++throttled;
  }
  CHECK(throttled == 1);
}

TEST_CASE("apps, whoami and logout") {
  Agent agent;
  agent.add_user("alice", false);
  const auto app = agent.login("alice");
  const auto who = agent.call("GET", "/api/v1/whoami", {}, Agent::creds(app));
  REQUIRE_MESSAGE(who.status == 200, who.body);
  const auto me = json::parse(who.body);
  CHECK(me["user"]["username"] == "alice");
  CHECK(me["app"]["id"] == app["app_id"]);
  const auto apps = agent.call("GET", "/api/v1/apps", {}, Agent::creds(app));
  REQUIRE(apps.status == 200);
  CHECK(json::parse(apps.body).size() == 1);
  const auto path = "/api/v1/apps/" + app["app_id"].get<std::string>();
  CHECK(agent.call("DELETE", path, {}, Agent::creds(app)).status == 204);
  CHECK(agent.call("GET", "/api/v1/whoami", {}, Agent::creds(app)).status == 401);

  const auto one = agent.login("alice");
  const auto two = agent.login("alice");
  CHECK(agent.call("DELETE", "/api/v1/apps", {}, Agent::creds(one)).status == 204);
  CHECK(agent.call("GET", "/api/v1/whoami", {}, Agent::creds(two)).status == 401);
}

TEST_CASE("another user's app cannot be deleted, a mismatched X-User-ID is 401") {
  Agent agent;
  agent.add_user("alice", false);
  const auto bob = agent.add_user("bob", false);
  const auto alice_app = agent.login("alice");
  const auto bob_app = agent.login("bob");
  CHECK(agent
            .call("DELETE", "/api/v1/apps/" + bob_app["app_id"].get<std::string>(), {},
                  Agent::creds(alice_app))
            .status == 404);
  http::HttpHeaders mixed{{"X-User-ID", bob.id},
                          {"Authorization", "Bearer " + alice_app["token"].get<std::string>()}};
  CHECK(agent.call("GET", "/api/v1/whoami", {}, mixed).status == 401);
}

TEST_CASE("password change ends the other apps") {
  Agent agent;
  agent.add_user("alice", false);
  const auto here = agent.login("alice");
  const auto other = agent.login("alice");
  const auto wrong = agent.call(
      "PUT", "/api/v1/users/me/password",
      json{{"old_password", "not the password"}, {"new_password", "a new secret!"}}.dump(),
      Agent::creds(here));
  CHECK(wrong.status == 401);
  const auto changed =
      agent.call("PUT", "/api/v1/users/me/password",
                 json{{"old_password", k_password}, {"new_password", "a new secret!"}}.dump(),
                 Agent::creds(here));
  CHECK_MESSAGE(changed.status == 204, changed.body);
  CHECK(agent.call("GET", "/api/v1/whoami", {}, Agent::creds(here)).status == 200);
  CHECK(agent.call("GET", "/api/v1/whoami", {}, Agent::creds(other)).status == 401);
  CHECK(agent
            .call("POST", "/api/v1/apps",
                  json{{"username", "alice"}, {"password", k_password}}.dump())
            .status == 401);
  agent.login("alice", "a new secret!");
}

TEST_CASE("the SMB NT hash is kept at register, passwd and the first login without one") {
  Agent agent;
  auto nt_of = [&](const std::string& name) {
    auto secrets = agent.store().view_result([&](store::Tx& tx) -> Result<model::UserSecrets> {
      auto user = tx.find_user(name);
      if (!user) {
        return std::unexpected(user.error());
      }
      return tx.get_user_secrets(user->id);
    });
    REQUIRE_MESSAGE(secrets.has_value(), test::error_text(secrets));
    return secrets->nt_hash;
  };
  REQUIRE(agent
              .call("POST", "/api/v1/users",
                    json{{"username", "alice"}, {"password", k_password}}.dump())
              .status == 201);
  CHECK(nt_of("alice") == *nt_hash_hex(k_password));
  const auto app = agent.login("alice");
  CHECK(nt_of("alice") == *nt_hash_hex(k_password));
  REQUIRE(agent
              .call("PUT", "/api/v1/users/me/password",
                    json{{"old_password", k_password}, {"new_password", "a new secret!"}}.dump(),
                    Agent::creds(app))
              .status == 204);
  CHECK(nt_of("alice") == *nt_hash_hex("a new secret!"));
  // A user stored without one (from before SMB passwords) gets it at a successful login only.
  agent.add_user("bob", false);
  CHECK_FALSE(nt_of("bob").has_value());
  CHECK(agent
            .call("POST", "/api/v1/apps",
                  json{{"username", "bob"}, {"password", "not bob's password"}}.dump())
            .status == 401);
  CHECK_FALSE(nt_of("bob").has_value());
  agent.login("bob");
  CHECK(nt_of("bob") == *nt_hash_hex(k_password));
  CHECK(agent.audit_text().find("SMB password set") != std::string::npos);
}

TEST_CASE("401 for unknown callers, 403 with the reason for known ones") {
  Agent agent;
  agent.add_user("alice", false);
  agent.add_user("root", true);
  CHECK(agent.call("GET", "/api/v1/audit").status == 401);
  CHECK(agent.call("GET", "/api/v1/whoami", {}, {{"Authorization", "Bearer nonsense"}}).status ==
        401);
  const auto alice = agent.login("alice");
  const auto denied = agent.call("GET", "/api/v1/audit", {}, Agent::creds(alice));
  CHECK(denied.status == 403);
  CHECK(error_of(denied)["error"]["message"].get<std::string>().find("view") != std::string::npos);
  const auto root = agent.login("root");
  CHECK(agent.call("GET", "/api/v1/audit", {}, Agent::creds(root)).status == 200);
  CHECK(agent.audit_text().find("audit.read audit") != std::string::npos);
}

TEST_CASE("no token, hash or password in any response or audit detail") {
  Agent agent;
  agent.call(
      "POST", "/api/v1/users",
      json{{"username", "alice"}, {"email", "a@example.org"}, {"password", k_password}}.dump());
  const auto app = agent.login("alice");
  const std::string token = app["token"].get<std::string>();
  agent.call("GET", "/api/v1/whoami", {}, Agent::creds(app));
  agent.call("GET", "/api/v1/apps", {}, Agent::creds(app));
  agent.call("POST", "/api/v1/apps",
             json{{"username", "alice"}, {"password", "guess-9f2c-xyz"}}.dump());
  agent.call("PUT", "/api/v1/users/me/password",
             json{{"old_password", k_password}, {"new_password", "another secret"}}.dump(),
             Agent::creds(app));
  // The token appears once: in the login answer itself.
  const std::string& bodies = agent.bodies();
  CHECK(bodies.find(token) == bodies.rfind(token));
  for (const std::string& secret :
       {std::string("$argon2"), std::string(k_password), std::string("another secret"),
        std::string("token_sha256"), std::string("guess-9f2c-xyz"), *nt_hash_hex(k_password),
        *nt_hash_hex("another secret"), std::string("nt_hash")}) {
    CHECK_MESSAGE(bodies.find(secret) == std::string::npos, secret);
    CHECK_MESSAGE(agent.audit_text().find(secret) == std::string::npos, secret);
  }
  CHECK(agent.audit_text().find(token) == std::string::npos);
}
