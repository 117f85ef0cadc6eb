// User groups and several members at once, end to end with real components: the real
// `sharectl-agent` (groups.user_groups on, the default) and the real `sharectl` of an admin and
// plain users, and (second case) a private smbd whose smb.conf includes the agent's file over a
// `dir` filesystem.
//
// 1. `group add-member g U1 U2` adds both in one call, `add-member g U1 nosuchuser` exits 5
//    naming nosuchuser and adds nobody, `remove-member g U1 U2` removes both.
// 2. alice, a plain user, creates group team, grants her share to it (write) and adds carol;
//    the moment `add-member` returns (its --wait, no retry) carol writes over SMB; the moment
//    `remove-member` returns carol is refused, and likewise after `group delete`. bob cannot
//    change alice's group; an admin cannot bind a role to it (409); alice may bind a role on
//    her own space to her own group, not to bob's.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/integration/e2e/shells.hpp"
#include "tests/integration/e2e/smb_session.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

using namespace sharectl;
using test::e2e::binaries_built;
using test::e2e::contains;
using test::e2e::Shells;

namespace {} // namespace

TEST_CASE("e2e: group add-member and remove-member take several users, all or nothing") {
  if (!binaries_built()) {
    return;
  }
  test::AgentOptions options; // no filesystem: nothing is served, nothing provisioned
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const std::string tag = std::to_string(::getpid()) + "_" + test::random_hex(4);
  const std::string owner = "sctest_gown_" + tag;
  const std::string u1 = "sctest_gu1_" + tag;
  const std::string u2 = "sctest_gu2_" + tag;
  Shells sharectl((*agent)->url(),
                  {{owner, "owner's password 1"}, {u1, "u1's password 1"}, {u2, "u2's password 1"}},
                  options.admin_password);

  // A plain user makes the group (user groups) and manages it.
  const auto created = sharectl(owner, {"group", "create", "g"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);

  const auto unknown = sharectl(owner, {"group", "add-member", "g", u1, "nosuchuser"});
  CHECK(unknown.exit_code == 5);
  CHECK_MESSAGE(contains(unknown.err, "nosuchuser"), unknown.err);
  CHECK(sharectl.members(owner, "g").empty());

  const auto added = sharectl(owner, {"group", "add-member", "g", u1, u2, "-o", "json"});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  const auto answer = nlohmann::json::parse(added.out); // one JSON document on stdout
  CHECK(answer["members"] == nlohmann::json::array({u1, u2}));
  CHECK(sharectl.members(owner, "g") == nlohmann::json::array({u1, u2}));

  const auto not_member = sharectl(owner, {"group", "remove-member", "g", u1, owner});
  CHECK(not_member.exit_code == 5);
  CHECK(sharectl.members(owner, "g").size() == 2);
  const auto removed = sharectl(owner, {"group", "remove-member", "g", u1, u2});
  REQUIRE_MESSAGE(removed.exit_code == 0, removed.err);
  CHECK(sharectl.members(owner, "g").empty());
}

TEST_CASE("e2e: a user's own group: its --wait serves new members at once over real Samba") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "smbcontrol", "smbstatus", "testparm", "pdbedit",
                            "smbpasswd", "useradd", "userdel");
  if (!binaries_built()) {
    return;
  }
  test::SmbHost host;
  host.start();
  test::SmbdServer& smbd = host.smbd;
  test::TempDir files;

  const std::string tag = std::to_string(::getpid()) + "_" + test::random_hex(4);
  const std::string alice = "sctest_ualice_" + tag;
  const std::string bob = "sctest_ubob_" + tag;
  const std::string carol = "sctest_ucarol_" + tag;
  const std::map<std::string, std::string> passwords{
      {alice, "alice's password 1"}, {bob, "bob's password 22"}, {carol, "carol's password 3"}};
  test::SmbAccountsGuard accounts{smbd.config_path(), {alice, bob, carol}};

  const test::AgentOptions options = host.agent_options();
  auto agent = test::AgentProcess::start(options); // resync 60s: the change feed must do it
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  Shells sharectl((*agent)->url(), passwords, options.admin_password);
  const auto hello = test::make_file(files.path(), "hello.txt", 1000);
  auto carol_smb = [&](const std::string& commands) {
    auto out = smbd.smbclient("teamx", carol, passwords.at(carol), commands);
    REQUIRE_MESSAGE(out.has_value(), test::error_text(out));
    return *out;
  };

  const auto space = sharectl(alice, {"space", "create", "teamx", "--size", "20M"});
  REQUIRE_MESSAGE(space.exit_code == 0, (space.err + "\n" + (*agent)->log_tail()));
  REQUIRE(sharectl(alice, {"group", "create", "team"}).exit_code == 0);
  const auto granted =
      sharectl(alice, {"share", "grant", "teamx", "--group", "team", "--level", "write"});
  REQUIRE_MESSAGE(granted.exit_code == 0, granted.err);

  // The moment add-member returns, carol writes: no sleep, no retry.
  const auto added = sharectl(alice, {"group", "add-member", "team", carol});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
  const auto put = carol_smb("put " + hello.string() + " carol.txt");
  CHECK_MESSAGE(!contains(put, "NT_STATUS_"), (put + "\n" + (*agent)->log_tail()));
  CHECK(contains(carol_smb("ls"), "carol.txt"));

  // bob is not the owner: he cannot add himself, and nothing changes.
  const auto bob_adds = sharectl(bob, {"group", "add-member", "team", bob});
  CHECK((bob_adds.exit_code == 4 || bob_adds.exit_code == 5));
  CHECK(sharectl.members(alice, "team") == nlohmann::json::array({carol}));

  // No role binds to a user group at cluster scope, not even by an admin.
  const auto admin_binds = sharectl("admin", {"role", "bind", "admin", "--group", "team"});
  CHECK(admin_binds.exit_code == 6);
  CHECK_MESSAGE(contains(admin_binds.err, "user groups carry share grants only, never roles"),
                admin_binds.err);
  // On her own space alice may bind a role to her own group, not to bob's.
  const std::string space_name = alice + "/teamx";
  const auto own =
      sharectl(alice, {"role", "bind", "maintainer", "--group", "team", "--space", space_name});
  CHECK_MESSAGE(own.exit_code == 0, own.err);
  REQUIRE(sharectl(bob, {"group", "create", "bobs"}).exit_code == 0);
  const auto others =
      sharectl(alice, {"role", "bind", "maintainer", "--group", "bobs", "--space", space_name});
  CHECK(others.exit_code == 6);
  CHECK_MESSAGE(contains(others.err, "user group"), others.err);

  // The moment remove-member returns, carol is refused; back in, then the group goes.
  const auto removed = sharectl(alice, {"group", "remove-member", "team", carol});
  REQUIRE_MESSAGE(removed.exit_code == 0, removed.err);
  const auto refused = carol_smb("ls");
  CHECK_MESSAGE(contains(refused, "NT_STATUS_"), refused);
  REQUIRE(sharectl(alice, {"group", "add-member", "team", carol}).exit_code == 0);
  CHECK(!contains(carol_smb("ls"), "NT_STATUS_"));
  const auto deleted = sharectl(alice, {"group", "delete", "team", "--yes"});
  REQUIRE_MESSAGE(deleted.exit_code == 0, deleted.err);
  const auto gone = carol_smb("ls");
  CHECK_MESSAGE(contains(gone, "NT_STATUS_"), gone);
}
