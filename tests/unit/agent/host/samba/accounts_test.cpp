// Local SMB accounts with a fake runner: exact command lines, passwords only on stdin, and
// accounts that are not ours left alone.
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/host/samba/accounts.hpp"
#include "tests/support/fake_process_runner.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;
using sharectl::test::FakeProcessRunner;
using Argv = std::vector<std::string>;

TEST_SUITE("host") {

  TEST_CASE("accounts: provision creates the Unix account, the password goes on stdin") {
    FakeProcessRunner runner;
    SambaAccounts accounts(runner, "/etc/samba/smb.conf");
    runner.push_exit(2); // getent: no such user
    runner.push_ok();    // useradd
    runner.push_ok();    // smbpasswd
    SHARECTL_REQUIRE_OK(accounts.provision("alice", "s3cret pass"));
    const auto argvs = runner.argvs();
    REQUIRE(argvs.size() == 3);
    CHECK(argvs[0] == Argv{"getent", "passwd", "alice"});
    CHECK(argvs[1] == Argv{"useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                           "/usr/sbin/nologin", "--comment", "sharectl-agent account",
                           "--user-group", "alice"});
    CHECK(argvs[2] == Argv{"smbpasswd", "-c", "/etc/samba/smb.conf", "-a", "-s", "alice"});
    CHECK(runner.last().stdin_data == "s3cret pass\ns3cret pass\n");
    for (const auto& line : runner.command_lines()) {
      CHECK(line.find("s3cret") == std::string::npos);
    }
  }

  TEST_CASE("accounts: an existing account of ours is reused, another's is refused") {
    FakeProcessRunner runner;
    SambaAccounts accounts(runner, "/etc/samba/smb.conf");
    runner.push_ok("alice:x:1001:1001:sharectl-agent account:/nonexistent:/usr/sbin/nologin\n");
    runner.push_ok();
    SHARECTL_REQUIRE_OK(accounts.provision("alice", "pw"));
    CHECK(runner.count() == 2);
    runner.clear();
    runner.push_ok("root:x:0:0:root:/root:/bin/bash\n");
    auto refused = accounts.provision("root", "pw");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(runner.count() == 1);
    runner.push_ok("daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n");
    CHECK_FALSE(accounts.remove("daemon").has_value());
    CHECK(runner.count() == 2); // no smbpasswd -x, no userdel
  }

  TEST_CASE("accounts: end_sessions closes the user's smbd processes only") {
    FakeProcessRunner runner;
    SambaAccounts accounts(runner, "/srv/smb.conf");
    runner.push_ok("\nSamba version 4.17.12-Debian\n"
                   "PID     Username     Group        Machine        Protocol Version\n"
                   "-------------------------------------------------------------\n"
                   "4242    bob          bob          127.0.0.1 (ipv4:127.0.0.1:5000) SMB3_11\n"
                   "4343    bobby        bobby        127.0.0.1 (ipv4:127.0.0.1:5001) SMB3_11\n"
                   "4444    bob          bob          127.0.0.1 (ipv4:127.0.0.1:5002) SMB3_11\n");
    runner.push_ok();
    runner.push_ok();
    SHARECTL_REQUIRE_OK(accounts.end_sessions("bob"));
    const auto argvs = runner.argvs();
    REQUIRE(argvs.size() == 3);
    CHECK(argvs[0] == Argv{"smbstatus", "--configfile=/srv/smb.conf", "-p", "-u", "bob"});
    CHECK(argvs[1] == Argv{"smbcontrol", "--configfile=/srv/smb.conf", "4242", "close-share", "*"});
    CHECK(argvs[2] == Argv{"smbcontrol", "--configfile=/srv/smb.conf", "4444", "close-share", "*"});
    runner.clear();
    runner.push_exit(1, "", "smbd not running"); // no sessions database: nothing to end
    SHARECTL_CHECK_OK(accounts.end_sessions("bob"));
    CHECK(runner.count() == 1);
    CHECK_FALSE(accounts.end_sessions("Bob;rm").has_value());
  }

  TEST_CASE("accounts: disable and the passdb listing") {
    FakeProcessRunner runner;
    SambaAccounts accounts(runner, "/srv/smb.conf");
    runner.push_ok();
    SHARECTL_REQUIRE_OK(accounts.disable("alice"));
    CHECK(runner.last().args == Argv{"-c", "/srv/smb.conf", "-d", "alice"});
    runner.push_exit(1, "", "Failed to find entry for user carol.");
    runner.push_ok("alice:1001:\nbob:1002:Bob B\n");
    SHARECTL_CHECK_OK(accounts.disable("carol")); // no entry: nothing can log in
    runner.push_exit(1, "", "tdb error");
    runner.push_ok("alice:1001:\n");
    CHECK_FALSE(accounts.disable("alice").has_value());
    runner.push_ok("alice:1001:\nbob:1002:Bob B\n");
    auto users = accounts.passdb_users();
    SHARECTL_REQUIRE_OK(users);
    CHECK(*users == std::vector<std::string>{"alice", "bob"});
  }

  TEST_CASE("accounts: bad input is refused before anything runs") {
    FakeProcessRunner runner;
    SambaAccounts accounts(runner, "/etc/samba/smb.conf");
    CHECK_FALSE(accounts.provision("Alice", "pw").has_value());
    CHECK_FALSE(accounts.provision("-rf", "pw").has_value());
    CHECK_FALSE(accounts.provision("alice", "two\nlines").has_value());
    CHECK_FALSE(accounts.provision("alice", "").has_value());
    CHECK_FALSE(accounts.provision_nt_hash("alice", "xyz").has_value());
    CHECK_FALSE(accounts.remove("a b").has_value());
    CHECK(runner.count() == 0);
  }

  TEST_CASE("accounts: NT hash import through a private smbpasswd file, removal") {
    FakeProcessRunner runner;
    SambaAccounts accounts(runner, "/etc/samba/smb.conf");
    std::string imported;
    runner.set_handler([&](const Command& command) -> Result<ProcessResult> {
      if (command.program == "getent") {
        return ProcessResult{
            0, "bob:x:1002:1002:sharectl-agent account:/nonexistent:/usr/sbin/nologin\n", ""};
      }
      if (command.program == "pdbedit") {
        const std::string file = command.args.back().substr(std::string("smbpasswd:").size());
        std::ifstream in(file);
        std::getline(in, imported);
      }
      return ProcessResult{};
    });
    SHARECTL_REQUIRE_OK(accounts.provision_nt_hash("bob", "0123456789abcdef0123456789abcdef"));
    CHECK(runner.argvs().back().at(0) == "pdbedit");
    CHECK(runner.argvs().back().at(1) == "--configfile=/etc/samba/smb.conf");
    CHECK(runner.argvs().back().at(2) == "-i");
    CHECK(imported.starts_with("bob:1002:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:"
                               "0123456789ABCDEF0123456789ABCDEF:[U          ]:LCT-"));
    CHECK(imported.size() == std::string("bob:1002:").size() + 33 + 33 + 14 + 4 + 8 + 1);
    runner.clear();
    runner.set_handler({});
    runner.push_ok("bob:x:1002:1002:sharectl-agent account:/nonexistent:/usr/sbin/nologin\n");
    SHARECTL_REQUIRE_OK(accounts.remove("bob"));
    CHECK(runner.argvs() ==
          std::vector<Argv>{{"getent", "passwd", "bob"},
                            {"smbpasswd", "-c", "/etc/samba/smb.conf", "-x", "bob"},
                            {"userdel", "bob"}});
  }

} // TEST_SUITE
