// The product's main job end to end with real components only: a btrfs filesystem on a loop
// image, a private smbd whose smb.conf includes the agent's file, the real `sharectl-agent`
// (init + run) and the real `sharectl` of three people. alice registers and creates a 20M space
// (the share of the same name comes with it) and writes into it over SMB with her sharectl
// password; bob, granted read, reads and cannot write; carol, without a grant, cannot connect;
// bob, revoked while his session is open, fails at his next operation; a 30 MiB write into the
// 20 MiB space fails with a quota error while the agent keeps serving; a resize lets a bigger
// write through, and shrinking below the usage is refused (exit 10, the host's message).
#include <csignal>
#include <fstream>
#include <thread>

#include <doctest/doctest.h>
#include <unistd.h>

#include "agent/host/command.hpp"
#include "agent/host/samba/accounts.hpp"
#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/integration/agent/host/btrfs_fixture.hpp"
#include "tests/integration/e2e/smb_session.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

using namespace sharectl;
using namespace std::chrono_literals;

TEST_CASE("e2e: spaces and shares served by real Samba on btrfs, end to end") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "smbcontrol", "smbstatus", "testparm", "pdbedit",
                            "smbpasswd", "useradd", "userdel", "mkfs.btrfs", "losetup", "btrfs",
                            "stdbuf");
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                              std::filesystem::exists(test::sharectl_binary()),
                          "the sharectl-agent and sharectl binaries (build all targets)")) {
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  test::SmbdServer smbd;
  const auto include = smbd.dir() / "sharectl.conf";
  SHARECTL_REQUIRE_OK(smbd.add_include(include));
  SHARECTL_REQUIRE_OK(smbd.start());
  auto btrfs = test::LoopBtrfs::create(256);
  REQUIRE_MESSAGE(btrfs.has_value(), test::error_text(btrfs));
  test::TempDir files;

  const std::string tag = std::to_string(::getpid()) + "_" + test::random_hex(4);
  const std::string alice = "sctest_alice_" + tag;
  const std::string bob = "sctest_bob_" + tag;
  const std::string carol = "sctest_carol_" + tag;
  const std::map<std::string, std::string> passwords{
      {alice, "alice's password 1"}, {bob, "bob's password 22"}, {carol, "carol's password 333"}};
  test::SmbAccountsGuard accounts{smbd.config_path(), {alice, bob, carol}};

  test::AgentOptions options;
  options.samba_config = smbd.config_path();
  options.samba_include = include;
  options.filesystems = {{(*btrfs)->mount_point(), "btrfs"}};
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const std::string server = (*agent)->url();

  std::map<std::string, std::unique_ptr<test::CliUser>> shells;
  for (const auto& [name, password] : passwords) {
    shells[name] = std::make_unique<test::CliUser>();
    SHARECTL_REQUIRE_OK(shells[name]->register_and_login(server, name, password));
  }
  auto sharectl = [&](const std::string& who, const std::vector<std::string>& args) {
    auto ran = shells.at(who)->run(args);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };
  auto smb = [&](const std::string& who, const std::string& commands) {
    auto out = smbd.smbclient("projects", who, passwords.at(who), commands);
    REQUIRE_MESSAGE(out.has_value(), test::error_text(out));
    return *out;
  };

  // alice's space: `space create` waits until the host applied it, share included.
  const auto created = sharectl(alice, {"space", "create", "projects", "--size", "20M"});
  REQUIRE_MESSAGE(created.exit_code == 0, (created.err + "\n" + (*agent)->log_tail()));
  const auto hello = test::make_file(files.path(), "hello.txt", 1000);
  const auto wrote = smb(alice, "put " + hello.string() + " hello.txt; ls");
  CHECK_MESSAGE(wrote.find("NT_STATUS_") == std::string::npos, wrote);
  CHECK_MESSAGE(wrote.find("hello.txt") != std::string::npos, wrote);

  // bob, granted read: reads, cannot write. The grant reaches smbd within seconds.
  const auto granted =
      sharectl(alice, {"share", "grant", "projects", "--user", bob, "--level", "read"});
  REQUIRE_MESSAGE(granted.exit_code == 0, granted.err);
  const auto fetched = files.path() / "fetched.txt";
  std::string read;
  for (auto deadline = std::chrono::steady_clock::now() + 20s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(300ms)) {
    read = smb(bob, "get hello.txt " + fetched.string());
    if (read.find("NT_STATUS_") == std::string::npos) {
      break;
    }
  }
  CHECK_MESSAGE(read.find("NT_STATUS_") == std::string::npos, (read + "\n" + (*agent)->log_tail()));
  CHECK(std::filesystem::file_size(fetched) == 1000);
  const auto denied = smb(bob, "put " + hello.string() + " bob.txt");
  CHECK_MESSAGE(denied.find("NT_STATUS_ACCESS_DENIED") != std::string::npos, denied);

  // carol has no grant: refused at connect.
  const auto refused = smb(carol, "ls");
  CHECK_MESSAGE(refused.find("NT_STATUS_") != std::string::npos, refused);
  CHECK(refused.find("hello.txt") == std::string::npos);

  // bob is revoked while connected: his next operation fails.
  {
    test::SmbSession session(smbd, "projects", bob, passwords.at(bob),
                             files.path() / "bob-session.log");
    REQUIRE_MESSAGE(session.send_until("ls", "hello.txt", 0, 20s), session.output());
    const std::size_t before = session.output().size();
    const auto revoked = sharectl(alice, {"share", "revoke", "projects", "--user", bob});
    REQUIRE_MESSAGE(revoked.exit_code == 0, revoked.err);
    CHECK_MESSAGE(session.send_until("ls", "NT_STATUS_", before, 20s),
                  (session.output().substr(before) + "\n" + (*agent)->log_tail()));
  }
  const auto again = smb(bob, "ls");
  CHECK_MESSAGE(again.find("NT_STATUS_") != std::string::npos, again);

  // 30 MiB into 20 MiB: a quota error, and the agent keeps serving.
  const auto big = test::make_file(files.path(), "big.bin", 30u << 20);
  const auto full = smb(alice, "put " + big.string() + " big.bin");
  CHECK_MESSAGE(full.find("NT_STATUS_DISK_FULL") != std::string::npos, full);
  CHECK((*agent)->running());
  const auto shown = sharectl(alice, {"space", "show", "projects"});
  CHECK_MESSAGE(shown.exit_code == 0, shown.err);

  // Growing lets the write through; shrinking below the usage is refused by the host.
  const auto grown = sharectl(alice, {"space", "resize", "projects", "--size", "64M"});
  CHECK_MESSAGE(grown.exit_code == 0, (grown.err + "\n" + (*agent)->log_tail()));
  const auto fits = smb(alice, "put " + big.string() + " big.bin; ls");
  CHECK_MESSAGE(fits.find("NT_STATUS_") == std::string::npos, fits);
  const auto shrunk = sharectl(alice, {"space", "resize", "projects", "--size", "10M"});
  CHECK_MESSAGE(shrunk.exit_code == 10, (shrunk.out + shrunk.err));
  CHECK_MESSAGE(shrunk.err.find("cannot shrink") != std::string::npos, shrunk.err);
  const auto still = smb(alice, "ls");
  CHECK_MESSAGE(still.find("big.bin") != std::string::npos, still);

  MESSAGE("scenario took " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count()
                           << " ms");
}
