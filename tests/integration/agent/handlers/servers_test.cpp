// GET /api/v1/servers[/{name}] and GET /api/v1/filesystems against the in-process agent with a
// registered dir filesystem (storage_fixture.hpp): the fields `sharectl server list|show` and
// `server fs list` show, who sees what (viewers and admins every figure, other users name,
// roles, status, address and smb port only, filesystems only with filesystems.read), allocated and
// unallocated bytes following the spaces, and 404/400 for unknown names and parameters.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/agent/handlers/storage_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;

json get(test::StorageAgent& agent, const http::HttpHeaders& who, const std::string& path) {
  const auto answer = agent.as(who, "GET", path);
  REQUIRE_MESSAGE(answer.status == 200, answer.body);
  return json::parse(answer.body);
}

} // namespace

TEST_CASE("servers: viewers see every figure, plain users where to connect but no load") {
  test::StorageAgent agent;
  const auto alice = agent.user("alice");
  const auto vera = agent.user("vera");
  agent.bind("viewer", agent.stored_user("vera"));
  const auto root = agent.user("root", std::nullopt, true);

  for (const auto* who : {&vera, &root}) {
    const auto servers = get(agent, *who, "/api/v1/servers");
    REQUIRE(servers.size() == 1);
    const auto& s = servers[0];
    CHECK(s["name"] == "testhost");
    CHECK(s["status"] == "up");
    CHECK(s["roles"] == json::array({"samba"}));
    CHECK(s["address"] == "127.0.0.1");
    CHECK(s["last_heartbeat"].is_string());
    CHECK(s.contains("load_average"));
    CHECK(s.contains("memory_total_bytes"));
    CHECK(s["revision"].is_number());
  }
  const auto plain = get(agent, alice, "/api/v1/servers");
  REQUIRE(plain.size() == 1);
  CHECK(plain[0]["name"] == "testhost");
  CHECK(plain[0]["status"] == "up");
  CHECK(plain[0]["address"] == "127.0.0.1"); // where their shares are served
  CHECK(plain[0]["smb_port"].is_number());
  CHECK(plain[0]["observed_revision"].is_number());
  CHECK_FALSE(plain[0].contains("load_average"));
  CHECK_FALSE(plain[0].contains("memory_used_bytes"));
  CHECK_FALSE(plain[0].contains("last_heartbeat"));
  // Seeing less is not a denial: nothing audited for it.
  CHECK(agent.audit_text().find("denied servers.read") == std::string::npos);

  const auto one = get(agent, vera, "/api/v1/servers/testhost");
  CHECK(one["name"] == "testhost");
  CHECK(one.contains("memory_used_bytes"));
  CHECK(agent.as(vera, "GET", "/api/v1/servers/nosuch").status == 404);
  CHECK(agent.as(vera, "GET", "/api/v1/servers?colour=blue").status == 400);
  CHECK(agent.as({}, "GET", "/api/v1/servers").status == 401);
}

TEST_CASE("filesystems: capacity, allocated, unallocated, free, only for viewers") {
  test::StorageAgent agent;
  const auto alice = agent.user("alice");
  const auto vera = agent.user("vera");
  agent.bind("viewer", agent.stored_user("vera"));
  REQUIRE(agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "a"}, {"size_bytes", 3 * k_mib}})
              .status == 201);
  REQUIRE(agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "b"}, {"size_bytes", 2 * k_mib}})
              .status == 201);

  const auto all = get(agent, vera, "/api/v1/filesystems");
  REQUIRE(all.size() == 1);
  const auto& fs = all[0];
  CHECK(fs["server"] == "testhost");
  CHECK(fs["driver"] == "dir");
  CHECK(fs["status"] == "up");
  CHECK(fs["capacity_bytes"] == agent.capacity());
  CHECK(fs["allocated_bytes"] == 5 * k_mib);
  CHECK(fs["unallocated_bytes"] == agent.capacity() - 5 * k_mib);
  CHECK(fs["free_bytes"].get<std::uint64_t>() > 0);
  CHECK(fs["free_bytes"].get<std::uint64_t>() <= agent.capacity());

  CHECK(get(agent, vera, "/api/v1/filesystems?server=testhost").size() == 1);
  CHECK(agent.as(vera, "GET", "/api/v1/filesystems?server=nosuch").status == 404);
  CHECK(agent.as(vera, "GET", "/api/v1/filesystems?srv=testhost").status == 400);
  CHECK(get(agent, alice, "/api/v1/filesystems").empty());
}
