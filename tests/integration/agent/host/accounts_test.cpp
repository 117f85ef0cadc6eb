// SambaAccounts against a real private smbd: a provisioned account (password on stdin) and one
// provisioned from an NT hash can both log in to a share; removal deletes both records.
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "agent/host/command.hpp"
#include "agent/host/samba/accounts.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

using namespace sharectl;
using namespace sharectl::agent::host;

namespace {

// Removes the account whatever the test did.
struct AccountGuard {
  SambaAccounts& accounts;
  std::string name;
  ~AccountGuard() { (void)accounts.remove(name); }
};

} // namespace

TEST_SUITE("host") {

  TEST_CASE("accounts: provisioned users log in with a password or an NT hash, then go away") {
    SHARECTL_REQUIRE_ROOT();
    SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "smbcontrol", "smbpasswd", "pdbedit", "useradd",
                              "userdel", "getent");
    test::SmbdServer server;
    auto share_dir = server.make_directory("open");
    SHARECTL_REQUIRE_OK(share_dir);
    SHARECTL_REQUIRE_OK(server.add_share("open", *share_dir, {{"read only", "yes"}}));
    SHARECTL_REQUIRE_OK(server.start());
    auto runner = make_process_runner();
    SambaAccounts accounts(*runner, server.config_path());

    const std::string by_password = "schostp" + test::random_hex(8);
    const std::string by_hash = "schosth" + test::random_hex(8);
    AccountGuard guard_password{accounts, by_password};
    AccountGuard guard_hash{accounts, by_hash};

    SHARECTL_REQUIRE_OK(accounts.provision(by_password, "Correct Horse 1"));
    SHARECTL_CHECK_OK(accounts.provision(by_password, "Correct Horse 2")); // again: new password
    auto ours = accounts.is_ours(by_password);
    SHARECTL_REQUIRE_OK(ours);
    CHECK(*ours);
    auto login = server.smbclient("open", by_password, "Correct Horse 2", "ls");
    SHARECTL_REQUIRE_OK(login);
    CHECK_MESSAGE(login->find("NT_STATUS_") == std::string::npos, *login);
    auto old_password = server.smbclient("open", by_password, "Correct Horse 1", "ls");
    SHARECTL_REQUIRE_OK(old_password);
    CHECK(old_password->find("NT_STATUS_LOGON_FAILURE") != std::string::npos);

    // The NT hash of "password" (MD4 of its UTF-16LE form).
    SHARECTL_REQUIRE_OK(accounts.provision_nt_hash(by_hash, "8846f7eaee8fb117ad06bdd830b7586c"));
    auto hash_login = server.smbclient("open", by_hash, "password", "ls");
    SHARECTL_REQUIRE_OK(hash_login);
    CHECK_MESSAGE(hash_login->find("NT_STATUS_") == std::string::npos, *hash_login);

    auto refused = accounts.provision("root", "whatever");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::conflict);

    SHARECTL_REQUIRE_OK(accounts.remove(by_password));
    SHARECTL_REQUIRE_OK(accounts.remove(by_hash));
    CHECK_FALSE(test::unix_user_exists(by_password));
    CHECK_FALSE(test::unix_user_exists(by_hash));
    auto listed = runner->run(
        host_command("pdbedit", {"--configfile=" + server.config_path().string(), "-L"}));
    SHARECTL_REQUIRE_OK(listed);
    CHECK(listed->out.find(by_password) == std::string::npos);
    CHECK(listed->out.find(by_hash) == std::string::npos);
  }

} // TEST_SUITE
