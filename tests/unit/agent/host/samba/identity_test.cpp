// Which Unix identity a new sharectl user may take (agent/host/samba/identity.hpp), with the
// passwd and group databases scripted through FakeProcessRunner: reserved names, system
// accounts, accounts and groups sharectl did not make, its own leftovers, external accounts an
// admin vouches for, getent failures, and UID_MIN from login.defs.
#include <fstream>
#include <map>
#include <string>

#include <doctest/doctest.h>

#include "agent/host/samba/accounts.hpp"
#include "agent/host/samba/identity.hpp"
#include "tests/support/fake_process_runner.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;

namespace {

// A host whose passwd and group databases hold these lines (getent exits 2 for the rest).
struct Host {
  std::map<std::string, std::string> passwd; // name → passwd line
  std::map<std::string, bool> groups;        // name → exists
  test::FakeProcessRunner runner;

  Host() {
    runner.set_handler([this](const Command& command) -> Result<ProcessResult> {
      REQUIRE(command.program == "getent");
      REQUIRE(command.args.size() == 2);
      ProcessResult result;
      if (command.args[0] == "passwd" && passwd.contains(command.args[1])) {
        result.out = passwd.at(command.args[1]) + "\n";
      } else if (command.args[0] == "group" && groups.contains(command.args[1])) {
        result.out = command.args[1] + ":x:1001:\n";
      } else {
        result.exit_code = 2;
      }
      return result;
    });
  }

  Status check(const std::string& name, bool external = false, bool vouched = false) {
    return check_new_username(runner, name, NameCheck{external, vouched, 1000});
  }
};

} // namespace

TEST_CASE("identity: reserved names are refused whatever the host has") {
  Host host;
  for (const char* name : {"root", "nobody", "daemon", "www-data", "postgres", "sharectl", "_apt",
                           "systemd-network", "guest"}) {
    CAPTURE(name);
    const auto refused = host.check(name, true, true);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(refused.error().message.find("reserved for the system") != std::string::npos);
  }
  CHECK(host.runner.count() == 0); // decided without asking the host
  CHECK(is_reserved_username("root"));
  CHECK_FALSE(is_reserved_username("alice"));
  CHECK_FALSE(is_reserved_username("rooted"));
}

TEST_CASE("identity: accounts and groups of the host that sharectl did not make") {
  Host host;
  host.passwd["svc"] = "svc:x:998:998:a service:/var/lib/svc:/usr/sbin/nologin";
  host.passwd["alice"] = "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash";
  host.passwd["bob"] = "bob:x:1001:1001:" + std::string(k_account_gecos) + ":/nonexistent:/x";
  host.passwd["nfs"] = "nfs:x:65534:65534::/:/x";
  host.groups["docker"] = true;

  SUBCASE("a system account (below UID_MIN, or 65534) is refused even when vouched") {
    for (const char* name : {"svc", "nfs"}) {
      const auto refused = host.check(name, true, true);
      REQUIRE_FALSE(refused);
      CHECK(refused.error().message.find("system account") != std::string::npos);
    }
  }
  SUBCASE("a login account not made by sharectl is refused, unless external and vouched") {
    const auto refused = host.check("alice");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(refused.error().message.find("sharectl did not make") != std::string::npos);
    CHECK_FALSE(host.check("alice", true, false)); // self-registration of a directory name
    CHECK(host.check("alice", true, true));        // an admin names a directory account
  }
  SUBCASE("an account sharectl made (its user deleted since) may be taken again") {
    CHECK(host.check("bob"));
  }
  SUBCASE("a group of that name: local accounts would need it as the user's own group") {
    const auto refused = host.check("docker");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("Unix group") != std::string::npos);
    CHECK(host.check("docker", true, false)); // external: groups are the directory's business
  }
  SUBCASE("a free name passes, asking passwd and group with argv") {
    CHECK(host.check("carol"));
    CHECK(host.runner.argvs() == std::vector<std::vector<std::string>>{
                                     {"getent", "passwd", "carol"}, {"getent", "group", "carol"}});
  }
}

TEST_CASE("identity: getent failing otherwise is an internal error, not a yes") {
  test::FakeProcessRunner runner;
  runner.push_exit(1, "", "getent: broken NSS");
  const auto failed = check_new_username(runner, "carol", NameCheck{});
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == ErrorCode::internal);
  runner.push_exit(0, "garbage-without-fields\n");
  CHECK_FALSE(find_unix_account(runner, "carol"));
}

TEST_CASE("identity: UID_MIN comes from login.defs, 1000 without it") {
  test::TempDir dir;
  const auto defs = dir.path() / "login.defs";
  std::ofstream(defs) << "# UID_MIN 5\nUID_MINIMUM 7\n  UID_MIN\t\t 2000\nUID_MAX 60000\n";
  CHECK(login_uid_min(defs) == 2000);
  CHECK(login_uid_min(dir.path() / "missing") == 1000);
  std::ofstream(defs) << "UID_MIN nope\n";
  CHECK(login_uid_min(defs) == 1000);
}
