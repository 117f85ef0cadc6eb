// Both sides of a share as the people involved meet it, with real components: a private smbd
// whose smb.conf includes the agent's file, a `dir` filesystem, the real `sharectl-agent` and the
// real `sharectl` of alice (who owns the share), bob (to whom she grants it) and carol (no
// access). One case per finding of the issue "Both sides of a share…":
//  - bob finds the share granted to him (share list / show), with his level and why, and a
//    change he tries is 403 while carol's look is 404;
//  - the share's connect URL is printed, and bob connects with exactly what it says;
//  - a grant, then bob's smbclient at once (no sleep, no retry) works; a revoke, then bob's
//    smbclient at once fails — `--wait` waits until the host has applied the change;
//  - `space delete NAME --yes` takes the space's share with it: not in the include file, no
//    directory left, once the command returns.
#include <fstream>
#include <regex>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/integration/e2e/smb_session.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

using namespace sharectl;

namespace {

bool prerequisites() {
  return test::prerequisite(test::running_as_root(), "root (Unix accounts, smbd)") &&
         test::programs_available({"smbd", "smbclient", "smbcontrol", "smbstatus", "testparm",
                                   "pdbedit", "smbpasswd", "useradd", "userdel"}) &&
         test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                                std::filesystem::exists(test::sharectl_binary()),
                            "the sharectl-agent and sharectl binaries (build all targets)");
}

// alice, bob and carol with their own `sharectl`, a private smbd and an agent serving a dir
// filesystem through it.
struct BothSides {
  test::SmbHost host;
  test::SmbdServer& smbd = host.smbd;
  std::string tag = std::to_string(::getpid()) + "_" + test::random_hex(4);
  std::string alice = "sctest_balice_" + tag;
  std::string bob = "sctest_bbob_" + tag;
  std::string carol = "sctest_bcarol_" + tag;
  std::map<std::string, std::string> passwords{
      {alice, "alice's password 1"}, {bob, "bob's password 22"}, {carol, "carol's password 3"}};
  std::unique_ptr<test::SmbAccountsGuard> accounts;
  std::unique_ptr<test::AgentProcess> agent;
  std::map<std::string, std::unique_ptr<test::CliUser>> shells;
  test::TempDir files;

  // Starts smbd and the agent, registers the three and has alice create `space` (20 MiB, with
  // its share); false (a loud skip) when this machine lacks what it takes.
  bool start(const std::string& space, const std::string& store = {}) {
    if (!prerequisites()) {
      return false;
    }
    host.start();
    accounts = std::make_unique<test::SmbAccountsGuard>(
        test::SmbAccountsGuard{smbd.config_path(), {alice, bob, carol}});
    auto options = host.agent_options();
    options.store = store;
    auto started = test::AgentProcess::start(options);
    REQUIRE_MESSAGE(started.has_value(), test::error_text(started));
    agent = std::move(*started);
    for (const auto& [name, password] : passwords) {
      shells[name] = std::make_unique<test::CliUser>();
      SHARECTL_REQUIRE_OK(shells[name]->register_and_login(agent->url(), name, password));
    }
    const auto created = sharectl(alice, {"space", "create", space, "--size", "20M"});
    REQUIRE_MESSAGE(created.exit_code == 0, (created.err + agent->log_tail()));
    return true;
  }

  ProcessResult sharectl(const std::string& who, const std::vector<std::string>& args) {
    auto ran = shells.at(who)->run(args);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  }

  nlohmann::json json(const std::string& who, std::vector<std::string> args) {
    args.insert(args.end(), {"-o", "json"});
    const auto ran = sharectl(who, args);
    REQUIRE_MESSAGE(ran.exit_code == 0, (ran.err + agent->log_tail()));
    return nlohmann::json::parse(ran.out);
  }

  // smbclient as `who` on `share`, once: its output (NT_STATUS_… on failure).
  std::string smb(const std::string& who, const std::string& share, const std::string& commands) {
    auto out = smbd.smbclient(share, who, passwords.at(who), commands);
    REQUIRE_MESSAGE(out.has_value(), test::error_text(out));
    return *out;
  }

  std::string include_text() const {
    std::ifstream in(host.include);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

} // namespace

TEST_CASE("e2e: the person a share is granted to finds it, sees why, and cannot change it") {
  BothSides w;
  if (!w.start("docs")) {
    return;
  }
  // Before the grant bob sees nothing of it, like carol.
  CHECK(w.json(w.bob, {"share", "list"}).empty());
  CHECK(w.sharectl(w.bob, {"share", "show", "docs"}).exit_code == 5);

  const auto granted =
      w.sharectl(w.alice, {"share", "grant", "docs", "--user", w.bob, "--level", "read"});
  REQUIRE_MESSAGE(granted.exit_code == 0, granted.err);

  const auto listed = w.json(w.bob, {"share", "list"});
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["name"] == "docs");
  CHECK(listed[0]["owner"] == w.alice);
  CHECK(listed[0]["relation"] == "granted");
  CHECK(listed[0]["level"] == "read");
  CHECK(listed[0]["state"] == "active");
  const auto table = w.sharectl(w.bob, {"share", "list"});
  CHECK(table.out.find("granted") != std::string::npos);

  const auto shown = w.json(w.bob, {"share", "show", "docs"});
  CHECK(shown["relation"] == "granted");
  CHECK(shown["via"] == nlohmann::json::array({"direct read"}));
  CHECK(shown["server"] == "e2e-host");
  CHECK(shown.dump().find(w.carol) == std::string::npos);
  // The other grantees are not a grantee's business.
  CHECK(w.sharectl(w.bob, {"share", "access", "docs"}).exit_code == 4);

  // alice sees her own share as its owner.
  const auto own = w.json(w.alice, {"share", "list"});
  REQUIRE(own.size() == 1);
  CHECK(own[0]["relation"] == "owner");
  CHECK(own[0]["level"] == "write");

  // bob may not change it: 403 (exit 4), and nothing changed. carol does not even see it.
  CHECK(w.sharectl(w.bob, {"share", "grant", "docs", "--user", w.carol, "--level", "read"})
            .exit_code == 4);
  CHECK(w.sharectl(w.bob, {"share", "update", "docs", "--comment", "mine"}).exit_code == 4);
  CHECK(w.sharectl(w.bob, {"share", "delete", "docs", "--yes"}).exit_code == 4);
  CHECK(w.sharectl(w.carol, {"share", "show", "docs"}).exit_code == 5);
  CHECK(w.sharectl(w.carol, {"share", "grant", "docs", "--user", w.carol, "--level", "read"})
            .exit_code == 5);
  CHECK(w.json(w.carol, {"share", "list"}).empty());
  const auto access = w.json(w.alice, {"share", "access", "docs"});
  REQUIRE(access.size() == 1);
  CHECK(access[0]["user"] == w.bob);
}

TEST_CASE("e2e: a grantee connects with the path sharectl prints") {
  BothSides w;
  if (!w.start("docs")) {
    return;
  }
  const auto space = w.json(w.alice, {"space", "show", "docs"});
  const std::string port = std::to_string(w.smbd.port());
  CHECK(space["url"] == "smb://127.0.0.1:" + port + "/docs");
  CHECK(space["unc"] == "\\\\127.0.0.1\\docs");
  const auto hello = test::make_file(w.files.path(), "hello.txt", 1000);
  CHECK(w.smb(w.alice, "docs", "put " + hello.string() + " hello.txt").find("NT_STATUS_") ==
        std::string::npos);
  REQUIRE(w.sharectl(w.alice, {"share", "grant", "docs", "--user", w.bob, "--level", "read"})
              .exit_code == 0);

  // What bob is told, in the table and in JSON; he connects to exactly that host, port, share.
  const auto shown = w.sharectl(w.bob, {"share", "show", "docs"});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("\\\\127.0.0.1\\docs") != std::string::npos);
  const std::string url = w.json(w.bob, {"share", "show", "docs"})["url"];
  std::smatch parts;
  REQUIRE(std::regex_match(url, parts, std::regex(R"(smb://([^/:]+):(\d+)/(.+))")));
  CHECK(parts[1] == "127.0.0.1");
  CHECK(parts[2] == port);
  auto listing =
      w.smbd.run_smbclient({"//" + parts[1].str() + "/" + parts[3].str(), "-p", parts[2].str(),
                            "-U", w.bob + "%" + w.passwords[w.bob], "-c", "ls"});
  REQUIRE_MESSAGE(listing.has_value(), test::error_text(listing));
  CHECK_MESSAGE(listing->out.find("hello.txt") != std::string::npos, (listing->out + listing->err));
  // And a plain user may see where the host is.
  const auto servers = w.json(w.bob, {"server", "list"});
  REQUIRE(servers.size() == 1);
  CHECK(servers[0]["address"] == "127.0.0.1");
  CHECK(servers[0]["smb_port"] == w.smbd.port());
}

TEST_CASE("e2e: share grant and revoke return once the host applied them") {
  BothSides w;
  if (!w.start("docs")) {
    return;
  }
  const auto hello = test::make_file(w.files.path(), "hello.txt", 1000);
  CHECK(w.smb(w.alice, "docs", "put " + hello.string() + " hello.txt").find("NT_STATUS_") ==
        std::string::npos);
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    const auto granted =
        w.sharectl(w.alice, {"share", "grant", "docs", "--user", w.bob, "--level", "read"});
    REQUIRE_MESSAGE(granted.exit_code == 0, granted.err);
    const auto read = w.smb(w.bob, "docs", "ls"); // at once: no sleep, no retry
    CHECK_MESSAGE(read.find("hello.txt") != std::string::npos, (read + w.agent->log_tail()));
    const auto revoked = w.sharectl(w.alice, {"share", "revoke", "docs", "--user", w.bob});
    REQUIRE_MESSAGE(revoked.exit_code == 0, revoked.err);
    const auto refused = w.smb(w.bob, "docs", "ls");
    CHECK_MESSAGE(refused.find("NT_STATUS_") != std::string::npos, refused);
  }
  // A host that cannot apply the grant (smbd gone: no reload): exit 10 with the host's message.
  SHARECTL_REQUIRE_OK(w.smbd.stop());
  const auto failed =
      w.sharectl(w.alice, {"share", "grant", "docs", "--user", w.carol, "--level", "read"});
  CHECK_MESSAGE(failed.exit_code == 10, failed.err);
  CHECK_MESSAGE(failed.err.find("the host failed to apply the grant of user:" + w.carol) !=
                    std::string::npos,
                failed.err);
}

TEST_CASE("e2e: space delete takes its shares with it and returns once the host removed them") {
  BothSides w;
  if (!w.start("docs")) {
    return;
  }
  REQUIRE(w.sharectl(w.alice, {"share", "create", "docs2", "--space", "docs"}).exit_code == 0);
  const std::string path = w.json(w.alice, {"space", "show", "docs"})["path"];
  REQUIRE(std::filesystem::exists(path));
  CHECK(w.include_text().find("[docs2]") != std::string::npos);

  const auto deleted = w.sharectl(w.alice, {"space", "delete", "docs", "--yes"});
  REQUIRE_MESSAGE(deleted.exit_code == 0, (deleted.err + w.agent->log_tail()));
  CHECK(w.include_text().find("[docs]") == std::string::npos);
  CHECK(w.include_text().find("[docs2]") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(w.sharectl(w.alice, {"space", "show", "docs"}).exit_code == 5);
  CHECK(w.sharectl(w.alice, {"share", "show", "docs2"}).exit_code == 5);

  // share delete likewise returns once the host stopped serving it.
  REQUIRE(w.sharectl(w.alice, {"space", "create", "more", "--size", "20M"}).exit_code == 0);
  CHECK(w.include_text().find("[more]") != std::string::npos);
  const auto gone = w.sharectl(w.alice, {"share", "delete", "more", "--yes"});
  REQUIRE_MESSAGE(gone.exit_code == 0, gone.err);
  CHECK(w.include_text().find("[more]") == std::string::npos);
  CHECK(w.smb(w.alice, "more", "ls").find("NT_STATUS_") != std::string::npos);
}

// The same people on an agent whose store is a 3-member etcd cluster: what they see and what
// smbd lets them do does not depend on the backend.
TEST_CASE("e2e: on an etcd store, a grantee connects and a revoke shuts them out") {
  if (!test::programs_available({"etcd"})) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  BothSides w;
  if (!w.start("docs", "etcd://" + cluster.endpoints() + "/e2e")) {
    return;
  }
  const auto hello = test::make_file(w.files.path(), "hello.txt", 1000);
  CHECK(w.smb(w.alice, "docs", "put " + hello.string() + " hello.txt").find("NT_STATUS_") ==
        std::string::npos);
  const auto before = w.smb(w.bob, "docs", "ls");
  CHECK(before.find("hello.txt") == std::string::npos);
  CHECK(before.find("NT_STATUS_") != std::string::npos);
  const auto granted =
      w.sharectl(w.alice, {"share", "grant", "docs", "--user", w.bob, "--level", "read", "--wait"});
  REQUIRE_MESSAGE(granted.exit_code == 0, (granted.err + w.agent->log_tail()));
  CHECK(w.smb(w.bob, "docs", "ls").find("hello.txt") != std::string::npos);
  const auto listed = w.json(w.bob, {"share", "list"});
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["relation"] == "granted");
  const auto revoked = w.sharectl(w.alice, {"share", "revoke", "docs", "--user", w.bob, "--wait"});
  REQUIRE_MESSAGE(revoked.exit_code == 0, revoked.err);
  CHECK(w.smb(w.bob, "docs", "ls").find("hello.txt") == std::string::npos);
  CHECK(w.sharectl(w.carol, {"share", "show", "docs"}).exit_code == 5);
  const auto deleted = w.sharectl(w.alice, {"space", "delete", "docs", "--yes"});
  CHECK_MESSAGE(deleted.exit_code == 0, deleted.err);
  CHECK(w.include_text().find("[docs]") == std::string::npos);
}
