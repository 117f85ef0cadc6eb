// Quotas of abuse (handlers/caps.hpp) against the in-process agent: each per-user cap — spaces,
// shares, groups, apps — stops the user at the configured number with 409 naming the cap and
// its config key and changes nothing; admins are exempt, and so is what an admin creates for a
// user; a space is at least 1 MiB; the default allowance binds users, not admins.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/config/agent_config.hpp"
#include "tests/integration/agent/handlers/storage_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

json space(const std::string& name, std::uint64_t size = k_mib) {
  return json{{"name", name}, {"size_bytes", size}};
}

} // namespace

TEST_CASE("caps: spaces, shares, groups and apps per user stop at the cap with 409") {
  test::StorageAgent agent;
  auto& config = agent.context().config;
  config.spaces.max_per_user = 2;
  config.shares.max_per_user = 3;
  config.groups.max_per_user = 1;
  config.apps.max_per_user = 2;
  const auto root = agent.user("root", std::nullopt, true);
  const auto alice = agent.user("alice"); // alice's first app

  SUBCASE("spaces, and shares on them") {
    CHECK(agent.as(alice, "POST", "/api/v1/spaces", space("a")).status == 201); // + share a
    CHECK(agent.as(alice, "POST", "/api/v1/spaces", space("b")).status == 201); // + share b
    const auto third = agent.as(alice, "POST", "/api/v1/spaces", space("c"));
    CHECK(third.status == 409);
    CHECK_MESSAGE(contains(test::message_of(third), "alice has 2 spaces, the most one user may "
                                                    "have (spaces.max_per_user: 2)"),
                  third.body);
    CHECK(agent.as(alice, "GET", "/api/v1/spaces/alice/c").status == 404); // nothing made
    // Shares: a third on her spaces is fine, a fourth is over.
    CHECK(agent.as(alice, "POST", "/api/v1/shares", json{{"name", "a2"}, {"space", "alice/a"}})
              .status == 201);
    const auto fourth =
        agent.as(alice, "POST", "/api/v1/shares", json{{"name", "a3"}, {"space", "alice/a"}});
    CHECK(fourth.status == 409);
    CHECK_MESSAGE(contains(test::message_of(fourth), "(shares.max_per_user: 3)"), fourth.body);
    // An admin exceeds no cap of alice's when acting for her, nor of their own.
    CHECK(agent
              .as(root, "POST", "/api/v1/spaces",
                  json{{"name", "c"}, {"size_bytes", k_mib}, {"owner", "alice"}})
              .status == 201);
    for (const char* name : {"r1", "r2", "r3"}) {
      CHECK(agent.as(root, "POST", "/api/v1/spaces", space(name)).status == 201);
    }
  }
  SUBCASE("groups") {
    CHECK(agent.as(alice, "POST", "/api/v1/groups", json{{"name", "team"}}).status == 201);
    const auto second = agent.as(alice, "POST", "/api/v1/groups", json{{"name", "team2"}});
    CHECK(second.status == 409);
    CHECK_MESSAGE(contains(test::message_of(second), "(groups.max_per_user: 1)"), second.body);
    CHECK(agent.as(root, "GET", "/api/v1/groups/team2").status == 404);
    CHECK(agent.as(root, "POST", "/api/v1/groups", json{{"name", "ops"}}).status == 201);
    CHECK(agent.as(root, "POST", "/api/v1/groups", json{{"name", "ops2"}}).status == 201);
  }
  SUBCASE("apps: a login past the cap is refused until one logs out") {
    const json body{{"username", "alice"}, {"password", test::InProcessAgent::k_password}};
    const auto second = agent.call("POST", "/api/v1/apps", body.dump());
    REQUIRE(second.status == 201);
    const auto third = agent.call("POST", "/api/v1/apps", body.dump());
    CHECK(third.status == 409);
    CHECK_MESSAGE(contains(test::message_of(third), "(apps.max_per_user: 2)"), third.body);
    CHECK(agent.as(alice, "DELETE", "/api/v1/apps").status == 204); // logs out of both
    CHECK(agent.call("POST", "/api/v1/apps", body.dump()).status == 201);
    for (int i = 0; i < 3; ++i) { // admins are exempt
      CHECK(
          agent
              .call(
                  "POST", "/api/v1/apps",
                  json{{"username", "root"}, {"password", test::InProcessAgent::k_password}}.dump())
              .status == 201);
    }
  }
}

TEST_CASE("caps: a space is at least 1 MiB, and the default allowance binds users only") {
  test::StorageAgent agent;
  const auto root = agent.user("root", std::nullopt, true);
  const auto alice = agent.user("alice");
  for (const std::uint64_t size : {std::uint64_t{1}, k_mib - 1}) {
    const auto tiny = agent.as(alice, "POST", "/api/v1/spaces", space("tiny", size));
    CHECK(tiny.status == 400);
    CHECK_MESSAGE(contains(test::message_of(tiny), "a space has at least 1 MiB"), tiny.body);
  }
  REQUIRE(agent.as(alice, "POST", "/api/v1/spaces", space("one")).status == 201);
  const auto shrink =
      agent.as(alice, "PATCH", "/api/v1/spaces/alice/one", json{{"size_bytes", 1024}});
  CHECK(shrink.status == 400);
  // The default allowance (100 GiB) is a size: a user cannot reserve more, an admin can.
  agent.context().config.spaces.user_allowance = 4 * k_mib;
  const auto big = agent.as(alice, "POST", "/api/v1/spaces", space("big", 4 * k_mib));
  CHECK(big.status == 409);
  CHECK_MESSAGE(contains(test::message_of(big), "(spaces.user_allowance)"), big.body);
  CHECK(agent.as(root, "POST", "/api/v1/spaces", space("big", 4 * k_mib)).status == 201);
  CHECK(config::AgentConfig{}.spaces.user_allowance == config::k_default_user_allowance);
}
