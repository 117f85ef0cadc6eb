// Proves tests/support/smbd_fixture: a private smbd serves a share to a test user, refuses a
// wrong password, runs side by side with another instance, and leaves nothing behind.
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

namespace sharectl::test {

namespace {

// Skips (or fails under CI) unless smbd and its tools are installed and we are root.
bool smbd_prerequisites() {
  return running_as_root() &&
         programs_available({"smbd", "smbclient", "smbcontrol", "smbpasswd", "useradd", "userdel"});
}

} // namespace

TEST_CASE("smbd fixture: smbclient lists a file in a share, a wrong password is refused") {
  if (!smbd_prerequisites()) {
    return;
  }
  SmbdServer server;
  auto share_dir = server.make_directory("projects");
  SHARECTL_REQUIRE_OK(share_dir);
  std::ofstream(*share_dir / "hello.txt") << "hello\n";
  SHARECTL_REQUIRE_OK(server.add_share("projects", *share_dir, {{"read only", "yes"}}));
  auto user = server.add_user("alice", "s3cret-Pass");
  SHARECTL_REQUIRE_OK(user);
  SHARECTL_REQUIRE_OK(server.start());
  CHECK(server.port() > 0);
  CHECK(process_alive(server.pid()));

  auto listing = server.smbclient("projects", (*user)->name(), "s3cret-Pass", "ls");
  SHARECTL_REQUIRE_OK(listing);
  INFO("smbclient output:\n" << *listing);
  CHECK(listing->find("hello.txt") != std::string::npos);
  CHECK(listing->find("NT_STATUS_") == std::string::npos);

  auto refused = server.smbclient("projects", (*user)->name(), "wrong-password", "ls");
  SHARECTL_REQUIRE_OK(refused);
  INFO("smbclient output:\n" << *refused);
  CHECK(refused->find("NT_STATUS_LOGON_FAILURE") != std::string::npos);
  CHECK(refused->find("hello.txt") == std::string::npos);
}

TEST_CASE("smbd fixture: a share added while running is served after reload") {
  if (!smbd_prerequisites()) {
    return;
  }
  SmbdServer server;
  auto user = server.add_user("bob", "pw-bob-1");
  SHARECTL_REQUIRE_OK(user);
  SHARECTL_REQUIRE_OK(server.start());
  auto missing = server.smbclient("later", (*user)->name(), "pw-bob-1", "ls");
  SHARECTL_REQUIRE_OK(missing);
  CHECK(missing->find("NT_STATUS_BAD_NETWORK_NAME") != std::string::npos);

  // The share comes from an included file, as the agent's own file will.
  auto share_dir = server.make_directory("later");
  SHARECTL_REQUIRE_OK(share_dir);
  std::ofstream(*share_dir / "late.txt") << "late\n";
  const auto include = server.dir() / "agent.conf";
  std::ofstream(include) << "[later]\n\tpath = " << share_dir->string() << "\n";
  SHARECTL_REQUIRE_OK(server.add_include(include));
  auto listing = server.smbclient("later", (*user)->name(), "pw-bob-1", "ls");
  SHARECTL_REQUIRE_OK(listing);
  INFO("smbclient output:\n" << *listing);
  CHECK(listing->find("late.txt") != std::string::npos);
}

TEST_CASE("smbd fixture: two servers run side by side and clean up after themselves") {
  if (!smbd_prerequisites()) {
    return;
  }
  pid_t first_pid = 0;
  pid_t second_pid = 0;
  std::string user_name;
  std::filesystem::path first_dir;
  {
    SmbdServer first;
    SmbdServer second;
    auto first_share = first.make_directory("one");
    auto second_share = second.make_directory("two");
    SHARECTL_REQUIRE_OK(first_share);
    SHARECTL_REQUIRE_OK(second_share);
    std::ofstream(*first_share / "first.txt") << "1\n";
    std::ofstream(*second_share / "second.txt") << "2\n";
    SHARECTL_REQUIRE_OK(first.add_share("data", *first_share));
    SHARECTL_REQUIRE_OK(second.add_share("data", *second_share));
    auto user = first.add_user("carol", "pw-carol-1");
    SHARECTL_REQUIRE_OK(user);
    user_name = (*user)->name();
    SHARECTL_REQUIRE_OK(second.set_smb_password(user_name, "pw-carol-2"));
    SHARECTL_REQUIRE_OK(first.start());
    SHARECTL_REQUIRE_OK(second.start());
    CHECK(first.port() != second.port());
    first_pid = first.pid();
    second_pid = second.pid();
    first_dir = first.dir();

    auto from_first = first.smbclient("data", user_name, "pw-carol-1", "ls");
    auto from_second = second.smbclient("data", user_name, "pw-carol-2", "ls");
    SHARECTL_REQUIRE_OK(from_first);
    SHARECTL_REQUIRE_OK(from_second);
    INFO("first:\n" << *from_first << "second:\n" << *from_second);
    CHECK(from_first->find("first.txt") != std::string::npos);
    CHECK(from_first->find("second.txt") == std::string::npos);
    CHECK(from_second->find("second.txt") != std::string::npos);
    // Each passdb is private: the first server's password does not open the second.
    auto crossed = second.smbclient("data", user_name, "pw-carol-1", "ls");
    SHARECTL_REQUIRE_OK(crossed);
    CHECK(crossed->find("NT_STATUS_LOGON_FAILURE") != std::string::npos);
    // An RPC call makes smbd start samba-dcerpcd, which must not outlive the fixture.
    auto shares = first.run_smbclient({"-L", "//127.0.0.1", "-U", user_name + "%pw-carol-1"});
    SHARECTL_REQUIRE_OK(shares);
    CHECK(shares->out.find("data") != std::string::npos);
  }
  CHECK_FALSE(process_alive(first_pid));
  CHECK_FALSE(process_alive(second_pid));
  CHECK_FALSE(unix_user_exists(user_name));
  CHECK_FALSE(std::filesystem::exists(first_dir));
  CHECK(kill_processes_with_argument("--configfile=" + (first_dir / "smb.conf").string(),
                                     std::chrono::seconds(1)) == 0);
}

} // namespace sharectl::test
