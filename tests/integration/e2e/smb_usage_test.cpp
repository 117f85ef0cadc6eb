// Space usage and a drive that tells the truth, end to end with real components: a loop-mounted
// btrfs (tests/integration/agent/host/btrfs_fixture.hpp), a private smbd whose smb.conf includes
// the agent's file, the real `sharectl-agent` (with sharectl-dfree beside it) and the real
// `sharectl`. alice creates a 20M space (and is told where to connect); smbclient sees a 20 MiB
// disk; after an 8 MiB `put` over SMB, `space show` reports the usage (USED, USE%) within one
// heartbeat and smbclient sees that much less room; `space delete` names the share going with it.
#include <chrono>
#include <optional>
#include <regex>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "tests/integration/agent/host/accounts_guard.hpp"
#include "tests/integration/agent/host/btrfs_fixture.hpp"
#include "tests/integration/e2e/smb_session.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/smbd_fixture.hpp"
#include "tests/support/test_user.hpp"

using namespace sharectl;
using namespace std::chrono_literals;

namespace {

// What smbclient's `ls` says about the disk: "N blocks of size B. M blocks available".
struct DiskLine {
  std::uint64_t blocks = 0;
  std::uint64_t block_size = 0;
  std::uint64_t available = 0;
};

std::optional<DiskLine> disk_line(const std::string& out) {
  static const std::regex k_line(R"((\d+) blocks of size (\d+)\. (\d+) blocks available)");
  std::smatch match;
  if (!std::regex_search(out, match, k_line)) {
    return std::nullopt;
  }
  return DiskLine{std::stoull(match[1]), std::stoull(match[2]), std::stoull(match[3])};
}

} // namespace

TEST_CASE("e2e: a space's usage shows in sharectl and its size and room over SMB") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "smbcontrol", "testparm", "pdbedit", "smbpasswd",
                            "useradd", "userdel", "mkfs.btrfs", "losetup", "mount", "umount",
                            "btrfs", "truncate");
  const auto dfree = std::filesystem::path(test::agent_binary()).parent_path() / "sharectl-dfree";
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                              std::filesystem::exists(test::sharectl_binary()) &&
                              std::filesystem::exists(dfree),
                          "the sharectl-agent, sharectl-dfree and sharectl binaries (build all)")) {
    return;
  }
  auto btrfs = test::LoopBtrfs::create(256);
  if (!test::prerequisite(btrfs.has_value(), "a loop-mounted btrfs: " + test::error_text(btrfs))) {
    return;
  }
  test::SmbdServer smbd;
  const auto include = smbd.dir() / "sharectl.conf";
  SHARECTL_REQUIRE_OK(smbd.add_include(include));
  SHARECTL_REQUIRE_OK(smbd.start());
  test::TempDir files;

  const std::string alice =
      "sctest_ualice_" + std::to_string(::getpid()) + "_" + test::random_hex(4);
  const std::string password = "alice's password 1";
  test::SmbAccountsGuard accounts{smbd.config_path(), {alice}};

  test::AgentOptions options;
  options.samba_config = smbd.config_path();
  options.samba_include = include;
  options.filesystems = {{(*btrfs)->mount_point(), "btrfs"}};
  options.resync = "5s";
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  test::CliUser shell;
  SHARECTL_REQUIRE_OK(shell.register_and_login((*agent)->url(), alice, password));
  auto sharectl = [&](const std::vector<std::string>& args) {
    auto ran = shell.run(args);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };
  // smbclient's disk line for `ls` as alice, once `ok` holds or after 20 s (the last one seen).
  auto disk_until = [&](auto ok) {
    std::optional<DiskLine> line;
    std::string out;
    for (auto deadline = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(500ms)) {
      auto ran = smbd.smbclient("usage", alice, password, "ls");
      REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
      out = *ran;
      line = disk_line(out);
      if (line && ok(*line)) {
        break;
      }
    }
    REQUIRE_MESSAGE(line.has_value(), (out + "\n" + (*agent)->log_tail()));
    return *line;
  };

  // Create: the table output ends with where to connect (stderr), JSON never does.
  const auto created = sharectl({"space", "create", "usage", "--size", "20M"});
  REQUIRE_MESSAGE(created.exit_code == 0, (created.err + "\n" + (*agent)->log_tail()));
  CHECK_MESSAGE(created.err.find("Connect: \\\\") != std::string::npos, created.err);
  CHECK_MESSAGE(created.err.find("\\usage  (smb://") != std::string::npos, created.err);
  CHECK(created.out.find("Connect:") == std::string::npos);

  // The drive is the space: 20 MiB in all, all of it free.
  const auto empty =
      disk_until([](const DiskLine& d) { return d.blocks * d.block_size == 20u << 20; });
  CHECK(empty.blocks * empty.block_size == 20u << 20);
  CHECK(empty.available * empty.block_size > (20u << 20) - (1u << 20));

  // 8 MiB over SMB: `space show --refresh` has the host measure it at once (no heartbeat wait).
  const auto eight = test::make_file(files.path(), "eight.bin", 8u << 20);
  const auto put = smbd.smbclient("usage", alice, password, "put " + eight.string() + " eight.bin");
  REQUIRE(put.has_value());
  REQUIRE_MESSAGE(put->find("NT_STATUS_") == std::string::npos, *put);
  const auto refreshed = sharectl({"space", "show", "usage", "--refresh", "-o", "json"});
  REQUIRE_MESSAGE(refreshed.exit_code == 0, (refreshed.err + (*agent)->log_tail()));
  const nlohmann::json shown = nlohmann::json::parse(refreshed.out);
  CHECK_MESSAGE(shown["used_bytes"].get<std::uint64_t>() >= 8u << 20,
                (shown.dump() + "\n" + (*agent)->log_tail()));
  CHECK(shown["used_bytes"].get<std::uint64_t>() < 10u << 20);
  CHECK(shown["used_at"].is_string());
  const auto table = sharectl({"space", "show", "usage", "--refresh"});
  REQUIRE(table.exit_code == 0);
  const std::regex used_line(R"(USED:\s+8(\.\d+)? MiB)");
  const std::regex use_line(R"(USE%:\s+(4[0-9])%)");
  CHECK_MESSAGE(std::regex_search(table.out, used_line), table.out);
  CHECK_MESSAGE(std::regex_search(table.out, use_line), table.out);
  const auto list = sharectl({"space", "list"});
  REQUIRE(list.exit_code == 0);
  CHECK_MESSAGE(list.out.find("USED") != std::string::npos, list.out);
  CHECK_MESSAGE(list.out.find("USE%") != std::string::npos, list.out);

  // Over SMB: the same 20 MiB drive with 8 MiB less room.
  constexpr std::uint64_t k_slack_blocks = 256; // btrfs metadata of the file
  const auto full = disk_until([&](const DiskLine& d) {
    return d.available * d.block_size <= (12u << 20) + k_slack_blocks * 1024;
  });
  CHECK(full.blocks * full.block_size == 20u << 20);
  CHECK_MESSAGE(full.available * full.block_size <= (12u << 20) + k_slack_blocks * 1024,
                (std::to_string(full.available) + " blocks available\n" + (*agent)->log_tail()));

  // Delete: the share goes with the space, and the question names it.
  const auto deleted = sharectl({"space", "delete", "usage", "--yes"});
  CHECK_MESSAGE(deleted.exit_code == 0, deleted.err);
  CHECK_MESSAGE(deleted.err.find("deleted space usage and its share usage") != std::string::npos,
                deleted.err);
  CHECK(sharectl({"space", "show", "usage"}).exit_code == 5);
}
