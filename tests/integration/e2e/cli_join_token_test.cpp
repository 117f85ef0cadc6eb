// End to end, `sharectl server join-token create|list|revoke` of the real `sharectl` against a
// real `sharectl-agent`: an admin (the built-in admin role at cluster scope) creates a token,
// sees it printed once with the command the new host runs, lists it (never the token), revokes
// it; a plain user's create exits 4 (forbidden).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/e2e/cli_e2e.hpp"

using namespace sharectl;
using test::e2e::Cluster;

TEST_CASE("e2e cli: an admin creates, lists and revokes a join token, a plain user exits 4") {
  if (!test::e2e::ready_for_spaces()) {
    return;
  }
  Cluster cluster;
  auto adam = cluster.person("adam");
  auto bob = cluster.person("bob");
  cluster.bind_cluster_role(adam->name(), "admin");

  const auto created = adam->run({"server", "join-token", "create", "--ttl", "30m", "--roles",
                                  "samba,iscsi", "--description", "host 2", "-o", "json"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  const auto token = nlohmann::json::parse(created.out);
  const std::string secret = token["token"];
  const std::string id = token["id"];
  CHECK(secret.size() >= 43);
  CHECK(token["roles"] == nlohmann::json::array({"samba", "iscsi"}));
  CHECK(token["state"] == "active");
  // The command the new host runs, on stderr (stdout holds only the object).
  CHECK_MESSAGE(created.err.find("sharectl-agent init --join ") != std::string::npos, created.err);
  CHECK_MESSAGE(created.err.find(" --token " + secret) != std::string::npos, created.err);

  // The table: once with the token, as people see it.
  const auto shown = adam->run({"server", "join-token", "create"});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  CHECK(shown.out.find("TOKEN") != std::string::npos);
  CHECK(shown.err.find("sharectl-agent init --join") != std::string::npos);

  const auto listed = adam->run({"server", "join-token", "list"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  for (const char* header : {"ID", "ROLES", "STATE", "EXPIRES", "CREATED BY", "USED BY"}) {
    CHECK(listed.out.find(header) != std::string::npos);
  }
  CHECK(listed.out.find(id) != std::string::npos);
  CHECK(listed.out.find("samba,iscsi") != std::string::npos);
  CHECK(listed.out.find("active") != std::string::npos);
  CHECK(listed.out.find(adam->name()) != std::string::npos);
  CHECK(listed.out.find(secret) == std::string::npos);

  const auto revoked = adam->run({"server", "join-token", "revoke", id});
  CHECK_MESSAGE(revoked.exit_code == 0, revoked.err);
  const auto after = adam->run({"server", "join-token", "list", "-o", "json"});
  REQUIRE_MESSAGE(after.exit_code == 0, after.err);
  CHECK(after.out.find(id) == std::string::npos);
  CHECK(adam->run({"server", "join-token", "revoke", id}).exit_code == 5); // not found

  const auto denied = bob->run({"server", "join-token", "create"});
  CHECK(denied.exit_code == 4);
  CHECK(denied.out.empty());
  CHECK_MESSAGE(denied.err.rfind("sharectl: error: ", 0) == 0, denied.err);
  CHECK_MESSAGE(denied.err.find("servers") != std::string::npos, denied.err); // the reason
  CHECK(bob->run({"server", "join-token", "list"}).exit_code == 4);
  CHECK(adam->run({"server", "join-token", "create", "--ttl", "8d"}).exit_code == 7);
  CHECK(adam->run({"server", "join-token", "create", "--ttl", "soon"}).exit_code == 2);
}
