// The space and share routes against a real HttpServer on 127.0.0.1:0 with a SQLite store and
// a dir-driver filesystem in a temp dir (registered as this host): create → 201 pending with
// its share, duplicates and taken share names → 409 before anything is created, no room → 409
// naming the largest free room, allowance, bad names → 400, other users' spaces → 404/403,
// grants, and delete with shares → 409 unless forced.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/agent/handlers/storage_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;
using test::message_of;
using Agent = test::StorageAgent;

json space_body(const std::string& name, std::uint64_t size) {
  return json{{"name", name}, {"size_bytes", size}};
}

} // namespace

TEST_CASE("space create: 201 pending with its share, duplicates and taken share names 409") {
  Agent agent;
  const auto alice = agent.user("alice");
  const auto bob = agent.user("bob");
  const auto created = agent.as(alice, "POST", "/api/v1/spaces", space_body("projects", k_mib));
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const auto space = json::parse(created.body);
  CHECK(space["status"] == "pending");
  CHECK(space["owner"] == "alice");
  CHECK(space["share"] == "projects");
  CHECK(space["server"] == "testhost");
  CHECK(space["size_bytes"] == k_mib);

  CHECK(agent.as(alice, "POST", "/api/v1/spaces", space_body("projects", k_mib)).status == 409);

  // bob's space "Projects" would publish a share whose name is taken (case-insensitively).
  const auto taken = agent.as(bob, "POST", "/api/v1/spaces", space_body("Projects", k_mib));
  CHECK(taken.status == 409);
  CHECK(message_of(taken).find("--share-name") != std::string::npos);
  CHECK(agent.as(bob, "GET", "/api/v1/spaces/bob/Projects").status == 404);
  auto renamed = space_body("Projects", k_mib);
  renamed["share_name"] = "bobs-projects";
  const auto retried = agent.as(bob, "POST", "/api/v1/spaces", renamed);
  REQUIRE_MESSAGE(retried.status == 201, retried.body);
  CHECK(json::parse(retried.body)["share"] == "bobs-projects");
  auto no_share = space_body("scratch", k_mib);
  no_share["share_name"] = nullptr;
  const auto bare = agent.as(bob, "POST", "/api/v1/spaces", no_share);
  REQUIRE_MESSAGE(bare.status == 201, bare.body);
  CHECK(json::parse(bare.body)["share"] == "");

  const auto mine = json::parse(agent.as(bob, "GET", "/api/v1/spaces").body);
  CHECK(mine.size() == 2);
  const auto shares = json::parse(agent.as(alice, "GET", "/api/v1/shares").body);
  REQUIRE(shares.size() == 1);
  CHECK(shares[0]["name"] == "projects");
}

TEST_CASE("space create: no room and over allowance are 409, bad input 400") {
  Agent agent;
  const auto alice = agent.user("alice", 3 * k_mib);
  const auto huge =
      agent.as(alice, "POST", "/api/v1/spaces", space_body("huge", agent.capacity() + 1));
  CHECK(huge.status == 409);
  CHECK(message_of(huge).find("largest free room") != std::string::npos);

  CHECK(agent.as(alice, "POST", "/api/v1/spaces", space_body("a", 2 * k_mib)).status == 201);
  const auto over = agent.as(alice, "POST", "/api/v1/spaces", space_body("b", 2 * k_mib));
  CHECK(over.status == 409);
  CHECK(message_of(over).find("in total") != std::string::npos);

  for (const char* bad : {"../x", "a b", "", "x;y", "-lead", "name\nnl"}) {
    CAPTURE(bad);
    CHECK(agent.as(alice, "POST", "/api/v1/spaces", space_body(bad, k_mib)).status == 400);
  }
  CHECK(agent.as(alice, "POST", "/api/v1/spaces", space_body("zero", 0)).status == 400);
  auto reserved = space_body("c", k_mib);
  reserved["share_name"] = "global";
  CHECK(agent.as(alice, "POST", "/api/v1/spaces", reserved).status == 400);
  auto unknown = space_body("d", k_mib);
  unknown["colour"] = "blue";
  CHECK(agent.as(alice, "POST", "/api/v1/spaces", unknown).status == 400);
  for (const char* comment : {"bad%comment", "back\\slash", ";starts", "line\nbreak"}) {
    CAPTURE(comment);
    CHECK(agent
              .as(alice, "POST", "/api/v1/shares",
                  json{{"name", "s1"}, {"space", "a"}, {"comment", comment}})
              .status == 400);
  }
  CHECK(agent
            .as(alice, "POST", "/api/v1/shares",
                json{{"name", "s1"}, {"space", "a"}, {"subdir", "../etc"}})
            .status == 400);
  CHECK(agent.as({}, "POST", "/api/v1/spaces", space_body("e", k_mib)).status == 401);
}

TEST_CASE("other users' spaces: 404 to read, 403 to create for them, grants and delete") {
  Agent agent;
  const auto alice = agent.user("alice");
  const auto bob = agent.user("bob");
  REQUIRE(agent.as(alice, "POST", "/api/v1/spaces", space_body("projects", k_mib)).status == 201);
  CHECK(agent.as(bob, "GET", "/api/v1/spaces/alice/projects").status == 404);
  CHECK(agent.as(bob, "DELETE", "/api/v1/spaces/alice/projects").status == 404);
  CHECK(
      agent.as(bob, "PATCH", "/api/v1/spaces/alice/projects", json{{"size_bytes", k_mib}}).status ==
      404);
  CHECK(agent.as(bob, "GET", "/api/v1/shares/projects").status == 404);
  auto for_alice = space_body("gift", k_mib);
  for_alice["owner"] = "alice";
  CHECK(agent.as(bob, "POST", "/api/v1/spaces", for_alice).status == 403);
  CHECK(agent.as(bob, "GET", "/api/v1/spaces").body == "[]");

  const auto resized =
      agent.as(alice, "PATCH", "/api/v1/spaces/alice/projects", json{{"size_bytes", 2 * k_mib}});
  REQUIRE_MESSAGE(resized.status == 200, resized.body);
  CHECK(json::parse(resized.body)["size_bytes"] == 2 * k_mib);

  const auto granted =
      agent.as(alice, "PUT", "/api/v1/shares/projects/acl/user:bob", json{{"level", "read"}});
  REQUIRE_MESSAGE(granted.status == 200, granted.body);
  const auto acl = json::parse(agent.as(alice, "GET", "/api/v1/shares/projects/acl").body);
  REQUIRE(acl.size() == 1);
  CHECK(acl[0]["user"] == "bob");
  CHECK(acl[0]["level"] == "read");
  CHECK(agent.as(bob, "PUT", "/api/v1/shares/projects/acl/user:bob", json{{"level", "write"}})
            .status != 200);
  CHECK(agent.as(alice, "PUT", "/api/v1/shares/projects/acl/user:bob", json{{"level", "all"}})
            .status == 400);
  CHECK(agent.as(alice, "DELETE", "/api/v1/shares/projects/acl/user:bob").status == 200);

  const auto busy = agent.as(alice, "DELETE", "/api/v1/spaces/alice/projects");
  CHECK(busy.status == 409);
  const auto forced = agent.as(alice, "DELETE", "/api/v1/spaces/alice/projects?force=true");
  REQUIRE_MESSAGE(forced.status == 202, forced.body);
  CHECK(json::parse(forced.body)["status"] == "deleting");
  CHECK(agent.as(alice, "GET", "/api/v1/shares/projects").status == 404);
}
