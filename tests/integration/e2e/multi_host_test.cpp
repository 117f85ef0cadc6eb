// Two storage hosts on one PostgreSQL store, each a real `sharectl-agent` with its own private
// smbd, include file and dir filesystem (on one machine, as two hosts would be): spaces created
// through either agent spread over both by free room, each share is served by its own host's
// smbd and by no other, and a grant made through agent 1 on a share of host 2 is applied by
// host 2 — `--wait` through agent 1 returns once host 2's smbd lets the grantee in. On
// PostgreSQL and on a 3-member etcd cluster. The first increment of the many-hosts issue.
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/integration/e2e/smb_session.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/postgres_fixture.hpp"
#include "tests/support/require.hpp"
#include "tests/support/test_user.hpp"

using namespace sharectl;

namespace {

bool prerequisites() {
  return test::prerequisite(test::running_as_root(), "root (Unix accounts, smbd)") &&
         test::programs_available({"smbd", "smbclient", "smbcontrol", "testparm", "pdbedit",
                                   "smbpasswd", "useradd", "userdel"}) &&
         test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                                std::filesystem::exists(test::sharectl_binary()),
                            "the sharectl-agent and sharectl binaries (build all targets)");
}

// The scenario on the store at `store_url` (shared by both agents).
void two_hosts(const std::string& store_url) {
  test::SmbHost host1, host2;
  host1.start();
  host2.start();
  const std::string tag = std::to_string(::getpid()) + "_" + test::random_hex(4);
  const std::string alice = "sctest_mhalice_" + tag, bob = "sctest_mhbob_" + tag;
  const std::string alice_pw = "alice's password 1", bob_pw = "bob's password 22";
  test::SmbAccountsGuard accounts1{host1.smbd.config_path(), {alice, bob}};
  test::SmbAccountsGuard accounts2{host2.smbd.config_path(), {alice, bob}};
  auto options1 = host1.agent_options();
  options1.server_name = "host1";
  options1.store = store_url;
  auto options2 = host2.agent_options();
  options2.server_name = "host2";
  options2.store = store_url;
  auto agent1 = test::AgentProcess::start(options1);
  REQUIRE_MESSAGE(agent1.has_value(), test::error_text(agent1));
  auto agent2 = test::AgentProcess::start(options2); // init on a store made: changes nothing
  REQUIRE_MESSAGE(agent2.has_value(), test::error_text(agent2));

  test::CliUser alice_at1, alice_at2, bob_at1;
  SHARECTL_REQUIRE_OK(alice_at1.register_and_login((*agent1)->url(), alice, alice_pw));
  SHARECTL_REQUIRE_OK(bob_at1.register_and_login((*agent1)->url(), bob, bob_pw));
  auto logged = alice_at2.run({"login", alice, "--password-stdin", "--server", (*agent2)->url()},
                              alice_pw + "\n");
  REQUIRE(logged.has_value());
  REQUIRE_MESSAGE(logged->exit_code == 0, logged->err);
  auto sharectl = [](test::CliUser& who, const std::vector<std::string>& args) {
    auto ran = who.run(args);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };

  // Four spaces through both agents: they spread by free room over the two hosts.
  std::map<std::string, std::string> host_of;
  for (int i = 0; i < 4; ++i) {
    const std::string name = "mh" + std::to_string(i);
    auto& shell = i % 2 == 0 ? alice_at1 : alice_at2;
    const auto made = sharectl(shell, {"space", "create", name, "--size", "20M", "--wait"});
    REQUIRE_MESSAGE(made.exit_code == 0,
                    (made.err + (*agent1)->log_tail() + (*agent2)->log_tail()));
    const auto shown = sharectl(alice_at1, {"space", "show", name, "-o", "json"});
    REQUIRE(shown.exit_code == 0);
    host_of[name] = nlohmann::json::parse(shown.out)["server"].get<std::string>();
  }
  const auto on1 =
      std::ranges::count_if(host_of, [](const auto& e) { return e.second == "host1"; });
  const auto on2 =
      std::ranges::count_if(host_of, [](const auto& e) { return e.second == "host2"; });
  CHECK(on1 == 2);
  CHECK(on2 == 2);

  // Each share is served by its own host's smbd, and by no other.
  for (const auto& [name, server] : host_of) {
    CAPTURE(name);
    CAPTURE(server);
    auto& own = server == "host1" ? host1 : host2;
    auto& other = server == "host1" ? host2 : host1;
    auto served = own.smbd.smbclient(name, alice, alice_pw, "ls");
    REQUIRE(served.has_value());
    CHECK(served->find("NT_STATUS_") == std::string::npos);
    auto elsewhere = other.smbd.smbclient(name, alice, alice_pw, "ls");
    REQUIRE(elsewhere.has_value());
    CHECK(elsewhere->find("NT_STATUS_BAD_NETWORK_NAME") != std::string::npos);
  }

  // A grant through agent 1 on a share of host 2: host 2 applies it before --wait returns.
  std::string on_host2;
  for (const auto& [name, server] : host_of) {
    if (server == "host2") {
      on_host2 = name;
    }
  }
  REQUIRE_FALSE(on_host2.empty());
  auto before = host2.smbd.smbclient(on_host2, bob, bob_pw, "ls");
  REQUIRE(before.has_value());
  CHECK(before->find("NT_STATUS_") != std::string::npos);
  const auto granted =
      sharectl(alice_at1, {"share", "grant", on_host2, "--user", bob, "--level", "read", "--wait"});
  REQUIRE_MESSAGE(granted.exit_code == 0, granted.err);
  auto after = host2.smbd.smbclient(on_host2, bob, bob_pw, "ls");
  REQUIRE(after.has_value());
  CHECK_MESSAGE(after->find("NT_STATUS_") == std::string::npos, *after);
  const auto servers = sharectl(bob_at1, {"server", "list", "-o", "json"});
  REQUIRE(servers.exit_code == 0);
  CHECK(nlohmann::json::parse(servers.out).size() == 2);
}

} // namespace

TEST_CASE("e2e: two hosts on one PostgreSQL spread spaces, serve each share on its own host "
          "only, and apply a grant made through the other agent") {
  if (!prerequisites() || !test::programs_available({"setpriv"}) ||
      !test::prerequisite(test::find_postgres_bindir().has_value(), "PostgreSQL binaries")) {
    return;
  }
  test::PostgresServer postgres;
  SHARECTL_REQUIRE_OK(postgres.start());
  two_hosts(postgres.url());
}

TEST_CASE("e2e: two hosts on one etcd cluster spread spaces, serve each share on its own host "
          "only, and apply a grant made through the other agent") {
  if (!prerequisites() || !test::programs_available({"etcd"})) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  two_hosts("etcd://" + cluster.endpoints() + "/two-hosts");
}

// A host lost and back, on etcd (reconcile.heartbeat 1s, so its lease lives 3 s): killed with
// SIGKILL, host 2 shows down through agent 1, a space asked of it is refused (409, "down"), its
// smbd keeps serving what it had; a revoke made meanwhile is applied once its agent returns,
// without any manual step.
TEST_CASE("e2e: on etcd, a killed host shows down, takes no new space, keeps serving, and "
          "applies a revoke made meanwhile when it returns") {
  if (!prerequisites() || !test::programs_available({"etcd"})) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  const std::string store = "etcd://" + cluster.endpoints() + "/host-lost";
  test::SmbHost host1, host2;
  host1.start();
  host2.start();
  const std::string tag = std::to_string(::getpid()) + "_" + test::random_hex(4);
  const std::string alice = "sctest_hlalice_" + tag, bob = "sctest_hlbob_" + tag;
  const std::string alice_pw = "alice's password 1", bob_pw = "bob's password 22";
  test::SmbAccountsGuard accounts1{host1.smbd.config_path(), {alice, bob}};
  test::SmbAccountsGuard accounts2{host2.smbd.config_path(), {alice, bob}};
  auto options1 = host1.agent_options();
  options1.server_name = "host1";
  options1.store = store;
  options1.heartbeat = "1s";
  auto options2 = host2.agent_options();
  options2.server_name = "host2";
  options2.store = store;
  options2.heartbeat = "1s";
  auto agent1 = test::AgentProcess::start(options1);
  REQUIRE_MESSAGE(agent1.has_value(), test::error_text(agent1));
  auto agent2 = test::AgentProcess::start(options2);
  REQUIRE_MESSAGE(agent2.has_value(), test::error_text(agent2));
  test::CliUser alice_sh, bob_sh;
  SHARECTL_REQUIRE_OK(alice_sh.register_and_login((*agent1)->url(), alice, alice_pw));
  SHARECTL_REQUIRE_OK(bob_sh.register_and_login((*agent1)->url(), bob, bob_pw));
  auto sharectl = [](test::CliUser& who, const std::vector<std::string>& args) {
    auto ran = who.run(args);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };
  const auto made = sharectl(
      alice_sh, {"space", "create", "kept", "--size", "20M", "--server", "host2", "--wait"});
  REQUIRE_MESSAGE(made.exit_code == 0, (made.err + (*agent2)->log_tail()));
  REQUIRE(sharectl(alice_sh, {"share", "grant", "kept", "--user", bob, "--level", "read", "--wait"})
              .exit_code == 0);
  auto reads = [&] {
    auto out = host2.smbd.smbclient("kept", bob, bob_pw, "ls");
    REQUIRE(out.has_value());
    return out->find("NT_STATUS_") == std::string::npos;
  };
  CHECK(reads());

  SHARECTL_REQUIRE_OK((*agent2)->kill());
  auto host2_status = [&] {
    const auto listed = sharectl(alice_sh, {"server", "list", "-o", "json"});
    REQUIRE(listed.exit_code == 0);
    for (const auto& s : nlohmann::json::parse(listed.out)) {
      if (s["name"] == "host2") {
        return s["status"].get<std::string>();
      }
    }
    return std::string("missing");
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (host2_status() != "down") {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "host2 never showed down");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const auto refused =
      sharectl(alice_sh, {"space", "create", "nope", "--size", "20M", "--server", "host2"});
  CHECK(refused.exit_code == 6);
  CHECK_MESSAGE(refused.err.find("down") != std::string::npos, refused.err);
  const auto elsewhere =
      sharectl(alice_sh, {"space", "create", "elsewhere", "--size", "20M", "--wait"});
  CHECK_MESSAGE(elsewhere.exit_code == 0, (elsewhere.err + (*agent1)->log_tail(40))); // host 1
  CHECK(reads()); // host 2's smbd serves what it had

  // Revoked while host 2 is down: recorded now, applied when it returns.
  CHECK(sharectl(alice_sh, {"share", "revoke", "kept", "--user", bob, "--no-wait"}).exit_code == 0);
  CHECK(reads());
  SHARECTL_REQUIRE_OK((*agent2)->restart());
  const auto applied_by = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (reads()) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < applied_by,
                    "the revoke was not applied after host 2 returned");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  // Agent 1 reads liveness from its read view, refreshed every 250 ms: up again shortly.
  const auto up_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (host2_status() != "up") {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < up_by, "host2 never showed up again");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}
