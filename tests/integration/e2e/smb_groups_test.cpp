// Group sharing end to end with real components: a private smbd whose smb.conf includes the
// agent's file, a `dir` filesystem, the real `sharectl-agent` and the real `sharectl` of an
// admin and two users. alice grants her share to group eng (read); the admin adds bob to eng →
// bob reads over SMB with his sharectl password and cannot write, and `share access` says why;
// the admin removes bob while his session is open → his next operation fails; bob is added
// again and the group is deleted → bob cannot connect.
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/integration/e2e/smb_session.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

using namespace sharectl;
using namespace std::chrono_literals;

TEST_CASE("e2e: a group's grant follows its members over real Samba") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "smbcontrol", "smbstatus", "testparm", "pdbedit",
                            "smbpasswd", "useradd", "userdel", "stdbuf");
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                              std::filesystem::exists(test::sharectl_binary()),
                          "the sharectl-agent and sharectl binaries (build all targets)")) {
    return;
  }
  test::SmbHost host;
  host.start();
  test::SmbdServer& smbd = host.smbd;
  test::TempDir files;

  const std::string tag = std::to_string(::getpid()) + "_" + test::random_hex(4);
  const std::string alice = "sctest_galice_" + tag;
  const std::string bob = "sctest_gbob_" + tag;
  const std::map<std::string, std::string> passwords{{alice, "alice's password 1"},
                                                     {bob, "bob's password 22"}};
  test::SmbAccountsGuard accounts{smbd.config_path(), {alice, bob}};

  test::AgentOptions options = host.agent_options();
  options.resync = "5s";
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const std::string server = (*agent)->url();

  std::map<std::string, std::unique_ptr<test::CliUser>> shells;
  for (const auto& [name, password] : passwords) {
    shells[name] = std::make_unique<test::CliUser>();
    SHARECTL_REQUIRE_OK(shells[name]->register_and_login(server, name, password));
  }
  shells["admin"] = std::make_unique<test::CliUser>();
  {
    auto login = shells["admin"]->run({"login", "admin", "--password-stdin", "--server", server},
                                      options.admin_password + "\n");
    REQUIRE_MESSAGE(login.has_value(), test::error_text(login));
    REQUIRE_MESSAGE(login->exit_code == 0, login->err);
  }
  auto sharectl = [&](const std::string& who, const std::vector<std::string>& args) {
    auto ran = shells.at(who)->run(args);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };
  auto smb = [&](const std::string& commands) {
    auto out = smbd.smbclient("teamdata", bob, passwords.at(bob), commands);
    REQUIRE_MESSAGE(out.has_value(), test::error_text(out));
    return *out;
  };
  // Retries `commands` as bob until its output holds (or lacks) NT_STATUS_, for up to 20 s.
  auto smb_until = [&](const std::string& commands, bool want_error) {
    std::string out;
    for (auto deadline = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(300ms)) {
      out = smb(commands);
      if ((out.find("NT_STATUS_") != std::string::npos) == want_error) {
        break;
      }
    }
    return out;
  };

  const auto created = sharectl(alice, {"space", "create", "teamdata", "--size", "20M"});
  REQUIRE_MESSAGE(created.exit_code == 0, (created.err + "\n" + (*agent)->log_tail()));
  const auto hello = test::make_file(files.path(), "hello.txt", 1000);
  auto alice_put = smbd.smbclient("teamdata", alice, passwords.at(alice),
                                  "put " + hello.string() + " hello.txt");
  REQUIRE(alice_put.has_value());
  CHECK_MESSAGE(alice_put->find("NT_STATUS_") == std::string::npos, *alice_put);

  REQUIRE(sharectl("admin", {"group", "create", "eng"}).exit_code == 0);
  const auto granted =
      sharectl(alice, {"share", "grant", "teamdata", "--group", "eng", "--level", "read"});
  REQUIRE_MESSAGE(granted.exit_code == 0, granted.err);
  CHECK(smb("ls").find("NT_STATUS_") != std::string::npos); // not a member yet

  // bob joins eng: reads, cannot write, and share access explains it.
  REQUIRE(sharectl("admin", {"group", "add-member", "eng", bob}).exit_code == 0);
  const auto fetched = files.path() / "fetched.txt";
  const auto read = smb_until("get hello.txt " + fetched.string(), false);
  CHECK_MESSAGE(read.find("NT_STATUS_") == std::string::npos, (read + (*agent)->log_tail()));
  CHECK(std::filesystem::exists(fetched));
  const auto denied = smb("put " + hello.string() + " bob.txt");
  CHECK_MESSAGE(denied.find("NT_STATUS_ACCESS_DENIED") != std::string::npos, denied);
  const auto access = sharectl(alice, {"share", "access", "teamdata", "-o", "json"});
  REQUIRE_MESSAGE(access.exit_code == 0, access.err);
  const auto rows = nlohmann::json::parse(access.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["user"] == bob);
  CHECK(rows[0]["level"] == "read");
  CHECK(rows[0]["via"] == nlohmann::json::array({"group eng read"}));

  // bob leaves eng while connected: his next operation fails.
  {
    test::SmbSession session(smbd, "teamdata", bob, passwords.at(bob),
                             files.path() / "bob-session.log");
    REQUIRE_MESSAGE(session.send_until("ls", "hello.txt", 0, 20s), session.output());
    const std::size_t before = session.output().size();
    const auto removed = sharectl("admin", {"group", "remove-member", "eng", bob});
    REQUIRE_MESSAGE(removed.exit_code == 0, removed.err);
    CHECK_MESSAGE(session.send_until("ls", "NT_STATUS_", before, 20s),
                  (session.output().substr(before) + "\n" + (*agent)->log_tail()));
  }

  // Back in, then the group goes: nobody of it has access.
  REQUIRE(sharectl("admin", {"group", "add-member", "eng", bob}).exit_code == 0);
  CHECK(smb_until("ls", false).find("hello.txt") != std::string::npos);
  const auto deleted = sharectl("admin", {"group", "delete", "eng", "--yes"});
  REQUIRE_MESSAGE(deleted.exit_code == 0, deleted.err);
  const auto gone = smb_until("ls", true);
  CHECK_MESSAGE(gone.find("NT_STATUS_") != std::string::npos, gone);
}
