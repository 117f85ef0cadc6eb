// GET /api/v1/audit against a real HttpServer on 127.0.0.1:0 with a SQLite store in a temp dir:
// who may read it (admin, cluster viewer; not a plain user), the since/actor/resource/limit
// filters, bad parameters (400), and parse_rfc3339.
#include <memory>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/auth/password.hpp"
#include "agent/handlers/audit.hpp"
#include "tests/integration/agent/handlers/harness.hpp"
#include "tests/support/require.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
namespace handlers = sharectl::agent::handlers;
namespace api = sharectl::agent::api;
namespace auth = sharectl::agent::auth;

constexpr const char* k_password = "correct horse battery";

// An agent in this process with the agent's routes.
class Agent : public test::InProcessAgent {
public:
  // Registers a user over HTTP (open registration), optionally an admin or a cluster viewer.
  void add_user(const std::string& name, bool admin = false, bool viewer = false) {
    REQUIRE(call("POST", "/api/v1/users", json{{"username", name}, {"password", k_password}}.dump())
                .status == 201);
    auto done = store().transact([&](store::Tx& tx) -> Status {
      auto user = tx.find_user(name);
      if (!user) {
        return std::unexpected(user.error());
      }
      if (admin) {
        user->is_admin = true;
        if (auto updated = tx.update(*user); !updated) {
          return std::unexpected(updated.error());
        }
      }
      if (viewer) {
        model::Role role;
        role.name = "viewer";
        role.builtin = true;
        auto stored = tx.create(role);
        if (!stored) {
          return std::unexpected(stored.error());
        }
        model::Binding binding;
        binding.role_id = stored->id;
        binding.subject = user->id;
        if (auto bound = tx.create(binding); !bound) {
          return std::unexpected(bound.error());
        }
      }
      return {};
    });
    REQUIRE_MESSAGE(done.has_value(), test::error_text(done));
  }

  // Logs in and returns the credential headers.
  http::HttpHeaders login(const std::string& name) {
    const auto answer =
        call("POST", "/api/v1/apps", json{{"username", name}, {"password", k_password}}.dump());
    REQUIRE_MESSAGE(answer.status == 201, answer.body);
    const auto app = json::parse(answer.body);
    return {{"X-User-ID", app["user_id"].get<std::string>()},
            {"Authorization", "Bearer " + app["token"].get<std::string>()}};
  }
};

// The (action resource) pairs of an audit answer, newest first.
std::vector<std::string> entries(const http::HttpResponse& answer) {
  REQUIRE_MESSAGE(answer.status == 200, answer.body);
  std::vector<std::string> out;
  for (const auto& event : json::parse(answer.body)) {
    out.push_back(event["action"].get<std::string>() + " " + event["resource"].get<std::string>());
  }
  return out;
}

} // namespace

TEST_CASE("audit: admins and cluster viewers read it, a plain user gets 403, anonymous 401") {
  Agent agent;
  agent.add_user("ada", true);
  agent.add_user("vera", false, true);
  agent.add_user("alice");
  const auto root = agent.login("ada");
  const auto all = agent.call("GET", "/api/v1/audit", {}, root);
  const auto events = entries(all);
  CHECK(events.size() >= 4); // three registrations and ada's login
  const auto first = json::parse(all.body)[0];
  for (const char* key :
       {"id", "time", "actor", "source_address", "action", "resource", "outcome", "detail"}) {
    CHECK_MESSAGE(first.contains(key), key);
  }
  CHECK(first["action"] == "apps.create"); // ada's login, the newest
  CHECK(first["actor"] == "ada");
  CHECK(agent.call("GET", "/api/v1/audit", {}, agent.login("vera")).status == 200);
  CHECK(agent.call("GET", "/api/v1/audit", {}, agent.login("alice")).status == 403);
  CHECK(agent.call("GET", "/api/v1/audit").status == 401);
  CHECK(all.body.find("argon2") == std::string::npos);
  CHECK(all.body.find("correct horse") == std::string::npos);
}

TEST_CASE("audit: since, actor, resource glob and limit filter, bad parameters are 400") {
  Agent agent;
  agent.add_user("ada", true);
  agent.add_user("alice");
  agent.add_user("bob");
  (void)agent.login("alice");
  const auto root = agent.login("ada");
  const auto get = [&](const std::string& query) {
    return agent.call("GET", "/api/v1/audit" + query, {}, root);
  };
  CHECK(entries(get("?actor=alice")) ==
        std::vector<std::string>{"apps.create users/alice", "users.create users/alice"});
  CHECK(entries(get("?resource=users/b*")) == std::vector<std::string>{"users.create users/bob"});
  CHECK(entries(get("?resource=users/**&actor=ada")).size() == 2);
  CHECK(entries(get("?limit=1")) == std::vector<std::string>{"apps.create users/ada"});
  CHECK(entries(get("?actor=ghost")).empty());
  CHECK(entries(get("?since=1h")).size() == entries(get("")).size());
  CHECK(entries(get("?since=2999-01-01T00:00:00Z")).empty());
  CHECK(entries(get("?since=2000-01-01T00:00:00.5%2B02:00")).size() == entries(get("")).size());

  for (const char* bad :
       {"?limit=0", "?limit=1001", "?limit=x", "?since=yesterday", "?since=2024-02-30T00:00:00Z",
        "?resource=users/%5Ba%5D", "?actor=Bad%20Name", "?colour=red"}) {
    CAPTURE(bad);
    const auto answer = get(bad);
    CHECK(answer.status == 400);
    CHECK(json::parse(answer.body)["error"]["code"] == "bad_request");
  }
}

TEST_CASE("parse_rfc3339: UTC, fractions and offsets, malformed times refused") {
  using handlers::parse_rfc3339;
  const auto base = parse_rfc3339("2024-01-01T00:00:00Z");
  REQUIRE(base.has_value());
  CHECK(base->time_since_epoch().count() == 1704067200000000);
  CHECK(parse_rfc3339("2024-01-01T00:00:00.25Z")->time_since_epoch().count() == 1704067200250000);
  CHECK(*parse_rfc3339("2024-01-01T02:00:00+02:00") == *base);
  CHECK(*parse_rfc3339("2023-12-31T23:30:00-00:30") == *base);
  for (const char* bad :
       {"", "2024-01-01", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z",
        "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+0200", "2024-01-01 00:00:00Z",
        "2024-01-01T00:00:00Zjunk", "+024-01-01T00:00:00Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_rfc3339(bad).has_value());
  }
}
