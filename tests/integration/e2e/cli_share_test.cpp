// End to end, the real `sharectl` against a real `sharectl-agent`: `share update` changes only
// the settings it is given (on|off switches, so each can be undone), a usage error changes
// nothing, and `--invitations on|off` (create and update) decides whether a new grant waits for
// the grantee's accept (`invite list`) or is served at once.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/e2e/cli_e2e.hpp"

using namespace sharectl;
using test::e2e::Cluster;

namespace {

// The JSON a successful `sharectl … -o json` printed; REQUIREs exit 0.
nlohmann::json json_of(const ProcessResult& ran) {
  REQUIRE_MESSAGE(ran.exit_code == 0, ran.err);
  return nlohmann::json::parse(ran.out);
}

} // namespace

TEST_CASE("e2e cli: share update changes only what is given, invitations on|off decide grants") {
  if (!test::e2e::ready_for_spaces()) {
    return;
  }
  Cluster cluster;
  auto alice = cluster.person("alice");
  auto bob = cluster.person("bob");
  auto carol = cluster.person("carol");
  // The hosts' side (smb.conf, smbd) is not what this test is about: --no-wait throughout.
  json_of(alice->run({"space", "create", "proj", "--size", "1M", "--no-wait", "-o", "json"}));

  const auto on = json_of(
      alice->run({"share", "update", "proj", "--invitations", "on", "--no-wait", "-o", "json"}));
  CHECK(on["invitations"] == true);
  CHECK(on["comment"] == "");
  CHECK(on["read_only"] == false);
  CHECK(on["browseable"] == true);
  json_of(alice->run({"share", "grant", "proj", "--user", bob->name(), "--level", "read",
                      "--no-wait", "-o", "json"}));
  const auto invited = json_of(bob->run({"invite", "list", "-o", "json"}));
  REQUIRE(invited.size() == 1);
  CHECK(invited[0]["share"] == "proj");
  CHECK(invited[0]["state"] == "pending");

  const auto commented = json_of(alice->run({"share", "update", "proj", "--comment", "team files",
                                             "--read-only", "on", "--no-wait", "-o", "json"}));
  CHECK(commented["comment"] == "team files");
  CHECK(commented["read_only"] == true);
  CHECK(commented["invitations"] == true); // untouched
  CHECK(commented["browseable"] == true);
  const auto hidden = json_of(alice->run({"share", "update", "proj", "--read-only", "off",
                                          "--hidden", "on", "--no-wait", "-o", "json"}));
  CHECK(hidden["read_only"] == false);
  CHECK(hidden["browseable"] == false);
  CHECK(hidden["comment"] == "team files"); // untouched

  // Usage errors: exit 2, nothing sent.
  const auto nothing = alice->run({"share", "update", "proj"});
  CHECK(nothing.exit_code == 2);
  CHECK(nothing.err.find("give at least one of") != std::string::npos);
  CHECK(alice->run({"share", "update", "proj", "--hidden", "maybe"}).exit_code == 2);
  const auto same = json_of(alice->run({"share", "show", "proj", "-o", "json"}));
  CHECK(same["revision"] == hidden["revision"]);

  // Off: the next grant is served at once (no invitation); bob's pending one stays pending.
  json_of(
      alice->run({"share", "update", "proj", "--invitations", "off", "--no-wait", "-o", "json"}));
  json_of(alice->run({"share", "grant", "proj", "--user", carol->name(), "--level", "write",
                      "--no-wait", "-o", "json"}));
  CHECK(json_of(carol->run({"invite", "list", "-o", "json"})).empty());
  const auto access = json_of(alice->run({"share", "access", "proj", "-o", "json"}));
  bool carol_active = false;
  bool bob_pending = false;
  for (const auto& row : access) {
    carol_active = carol_active || (row["user"] == carol->name() && row["state"] == "active");
    bob_pending = bob_pending || (row["user"] == bob->name() && row["state"] == "pending");
  }
  CHECK(carol_active);
  CHECK(bob_pending);

  // create --invitations on: a second share of the space starts with invitations.
  const auto second = json_of(alice->run({"share", "create", "proj-docs", "--space", "proj",
                                          "--invitations", "on", "--no-wait", "-o", "json"}));
  CHECK(second["invitations"] == true);
}
