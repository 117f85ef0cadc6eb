// The user administration routes (GET /api/v1/users[/{name}], PATCH and DELETE
// /api/v1/users/{name}) against a real HttpServer on 127.0.0.1:0 with a SQLite store in a temp
// dir, driven over HTTP with libcurl: filtering by role, disable ending apps, allowance,
// If-Match, the manager/admin boundary, the last active admin guard, audit of changes and
// denials, and no hash in output.
#include <memory>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/auth/password.hpp"
#include "tests/integration/agent/handlers/harness.hpp"
#include "tests/support/require.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
namespace handlers = sharectl::agent::handlers;
namespace api = sharectl::agent::api;
namespace auth = sharectl::agent::auth;

// The in-process agent; it stores users with test::InProcessAgent::k_password.
using Agent = test::InProcessAgent;
constexpr const char* k_password = Agent::k_password;

// The usernames of a JSON array of users.
std::vector<std::string> names(const http::HttpResponse& answer) {
  std::vector<std::string> out;
  for (const auto& user : json::parse(answer.body)) {
    out.push_back(user["username"].get<std::string>());
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("users list: admin and viewer see everyone, a plain user only themselves") {
  Agent agent;
  agent.add_user("root", true);
  agent.add_user("alice");
  const auto vera = agent.add_user("vera");
  agent.bind("viewer", vera);
  const std::vector<std::string> everyone{"root", "alice", "vera"};

  const auto admin = agent.call("GET", "/api/v1/users", {}, agent.login("root"));
  REQUIRE_MESSAGE(admin.status == 200, admin.body);
  CHECK(names(admin) == everyone);
  CHECK(names(agent.call("GET", "/api/v1/users", {}, agent.login("vera"))) == everyone);
  const auto own = agent.call("GET", "/api/v1/users", {}, agent.login("alice"));
  CHECK(own.status == 200);
  CHECK(names(own) == std::vector<std::string>{"alice"});
  CHECK(agent.call("GET", "/api/v1/users").status == 401);
  CHECK_FALSE(contains(agent.bodies(), "hash"));
  CHECK_FALSE(contains(agent.bodies(), "$argon2"));
}

TEST_CASE("users show: self 200, another 403 (audited), unknown 404 for an admin") {
  Agent agent;
  agent.add_user("root", true);
  agent.add_user("alice");
  agent.add_user("bob");
  const auto alice = agent.login("alice");
  const auto self = agent.call("GET", "/api/v1/users/alice", {}, alice);
  REQUIRE_MESSAGE(self.status == 200, self.body);
  CHECK(json::parse(self.body)["username"] == "alice");
  const auto other = agent.call("GET", "/api/v1/users/bob", {}, alice);
  CHECK(other.status == 403);
  CHECK(json::parse(other.body)["error"]["code"] == "forbidden");
  CHECK(contains(agent.audit_text(), "denied users.read users/bob"));
  CHECK(agent.call("GET", "/api/v1/users/nobody", {}, agent.login("root")).status == 404);
  CHECK_FALSE(contains(agent.bodies(), "$argon2"));
}

TEST_CASE("users disable: ends the user's apps at once, enable lets them log in again") {
  Agent agent;
  agent.add_user("root", true);
  agent.add_user("alice");
  const auto root = agent.login("root");
  const auto alice = agent.login("alice");
  REQUIRE(agent.call("GET", "/api/v1/whoami", {}, alice).status == 200);

  const auto disabled =
      agent.call("PATCH", "/api/v1/users/alice", json{{"is_active", false}}.dump(), root);
  REQUIRE_MESSAGE(disabled.status == 200, disabled.body);
  CHECK(json::parse(disabled.body)["is_active"] == false);
  CHECK(agent.call("GET", "/api/v1/whoami", {}, alice).status == 401);
  CHECK(agent
            .call("POST", "/api/v1/apps",
                  json{{"username", "alice"}, {"password", k_password}}.dump())
            .status == 401);
  CHECK(contains(agent.audit_text(), "allowed users.update users/alice disabled, ended 1 apps"));

  const auto enabled =
      agent.call("PATCH", "/api/v1/users/alice", json{{"is_active", true}}.dump(), root);
  REQUIRE_MESSAGE(enabled.status == 200, enabled.body);
  CHECK(agent.call("GET", "/api/v1/whoami", {}, agent.login("alice")).status == 200);
  CHECK(agent.call("PATCH", "/api/v1/users/root", json{{"is_active", false}}.dump(), root).status ==
        409);
}

TEST_CASE("users patch: allowance, bad bodies, If-Match, and plain users are refused") {
  Agent agent;
  agent.add_user("root", true);
  agent.add_user("alice");
  const auto root = agent.login("root");
  const auto set = agent.call("PATCH", "/api/v1/users/alice",
                              json{{"allowance_bytes", 21474836480ULL}}.dump(), root);
  REQUIRE_MESSAGE(set.status == 200, set.body);
  const auto user = json::parse(set.body);
  CHECK(user["allowance_bytes"] == 21474836480ULL);
  const auto reset =
      agent.call("PATCH", "/api/v1/users/alice", json{{"allowance_bytes", nullptr}}.dump(), root);
  CHECK(json::parse(reset.body)["allowance_bytes"].is_null());

  for (const std::string& body :
       {json{{"allowance_bytes", -1}}.dump(), json{{"allowance_bytes", "20G"}}.dump(),
        json{{"is_active", "no"}}.dump(), json{{"is_admin", true}}.dump(), json::object().dump(),
        std::string("{\"is_active\":true,\"is_active\":false}")}) {
    CAPTURE(body);
    CHECK(agent.call("PATCH", "/api/v1/users/alice", body, root).status == 400);
  }
  auto stale = root;
  stale.emplace_back("If-Match", std::to_string(user["revision"].get<long>()));
  CHECK(
      agent.call("PATCH", "/api/v1/users/alice", json{{"is_active", false}}.dump(), stale).status ==
      412);

  const auto alice = agent.login("alice");
  const auto self = agent.call("PATCH", "/api/v1/users/alice",
                               json{{"allowance_bytes", 1ULL << 50}}.dump(), alice);
  CHECK(self.status == 403);
  CHECK(contains(agent.audit_text(), "denied users.update users/alice"));
}

TEST_CASE("users: a manager manages plain users but not admins, delete removes the user") {
  Agent agent;
  agent.add_user("root", true);
  agent.add_user("mary", false, true);
  agent.add_user("alice");
  const auto mary = agent.login("mary");
  CHECK(agent.call("PATCH", "/api/v1/users/root", json{{"is_active", false}}.dump(), mary).status ==
        403);
  CHECK(agent.call("DELETE", "/api/v1/users/root", {}, mary).status == 403);
  CHECK(contains(agent.audit_text(), "denied users.delete users/root"));
  CHECK(
      agent.call("PATCH", "/api/v1/users/alice", json{{"is_active", false}}.dump(), mary).status ==
      200);

  const auto root = agent.login("root");
  CHECK(agent.call("DELETE", "/api/v1/users/root", {}, root).status == 409);
  const auto removed = agent.call("DELETE", "/api/v1/users/alice", {}, mary);
  CHECK_MESSAGE(removed.status == 204, removed.body);
  CHECK(agent.call("GET", "/api/v1/users/alice", {}, root).status == 404);
  CHECK(agent.call("DELETE", "/api/v1/users/alice", {}, root).status == 404);
  CHECK(contains(agent.audit_text(), "allowed users.delete users/alice"));
}

TEST_CASE("users: the last active admin cannot be disabled or deleted, by anyone") {
  Agent agent;
  agent.add_user("root", true);
  agent.add_user("second", true);
  const auto carol = agent.add_user("carol");
  agent.bind("admin", carol); // a cluster admin by role, without the admin flag
  const auto carol_creds = agent.login("carol");

  // Two admins: one of them may go.
  const auto disabled =
      agent.call("PATCH", "/api/v1/users/second", json{{"is_active", false}}.dump(), carol_creds);
  REQUIRE_MESSAGE(disabled.status == 200, disabled.body);

  // root is now the last active admin: neither disabling nor deleting is allowed.
  const auto disable_last =
      agent.call("PATCH", "/api/v1/users/root", json{{"is_active", false}}.dump(), carol_creds);
  CHECK(disable_last.status == 409);
  CHECK(json::parse(disable_last.body)["error"]["code"] == "conflict");
  CHECK(contains(disable_last.body, "last active admin"));
  const auto delete_last = agent.call("DELETE", "/api/v1/users/root", {}, carol_creds);
  CHECK(delete_last.status == 409);
  CHECK(contains(delete_last.body, "last active admin"));
  // Nothing changed: root still logs in and is active.
  const auto root_creds = agent.login("root");
  const auto shown = agent.call("GET", "/api/v1/users/root", {}, root_creds);
  CHECK(json::parse(shown.body)["is_active"] == true);

  // A disabled admin does not count, and deleting them is fine.
  CHECK(agent.call("DELETE", "/api/v1/users/second", {}, carol_creds).status == 204);
  // Allowance changes of the last admin are not a demotion.
  CHECK(
      agent.call("PATCH", "/api/v1/users/root", json{{"allowance_bytes", 1024}}.dump(), carol_creds)
          .status == 200);
}
