// End to end with the real binaries: `sharectl-agent init` and `run` (a child process on a
// free loopback port, plain HTTP, SQLite in a temp dir), then the real `sharectl` registers,
// logs in, shows whoami and apps, logs out; whoami then exits 3; SIGTERM stops the agent with 0.
#include <csignal>
#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/util/process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace sharectl;

const std::string k_agent = SHARECTL_BINARY_DIR "/agent/sharectl-agent";
const std::string k_sharectl = SHARECTL_BINARY_DIR "/cli/sharectl";

ProcessResult run(const std::string& program, const std::vector<std::string>& args,
                  const std::filesystem::path& home, std::optional<std::string> input = {}) {
  Command command;
  command.program = program;
  command.args = args;
  command.env =
      std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"},
                                         {"HOME", home.string()},
                                         {"XDG_CONFIG_HOME", (home / ".config").string()}};
  command.stdin_data = std::move(input);
  command.timeout = std::chrono::seconds(60);
  auto result = make_process_runner()->run(command);
  REQUIRE_MESSAGE(result.has_value(), test::error_text(result));
  return *result;
}

} // namespace

TEST_CASE("e2e: sharectl-agent init + run, sharectl register/login/whoami/apps/logout") {
  if (!test::prerequisite(std::filesystem::exists(k_agent) && std::filesystem::exists(k_sharectl),
                          "the sharectl-agent and sharectl binaries (build all targets)")) {
    return;
  }
  test::TempDir dir;
  const auto home = dir.path() / "home";
  std::filesystem::create_directories(home);
  const int port = test::free_tcp_port();
  const auto config = dir.path() / "agent.yaml";
  {
    std::ofstream out(config);
    // Private Samba paths and no filesystems: this test must never touch the host's smb.conf.
    out << "listen: 127.0.0.1:" << port << "\ntls:\n  enabled: false\nstore: sqlite://"
        << (dir.path() / "state" / "state.db").string()
        << "\nsamba:\n  config: " << (dir.path() / "smb.conf").string()
        << "\n  include: " << (dir.path() / "sharectl.conf").string() << "\nfilesystems: []\n";
  }
  std::ofstream(dir.path() / "smb.conf") << "[global]\n";
  const auto init = run(k_agent, {"init", "--config", config.string(), "--password-stdin"}, home,
                        std::string("admin password 1\n"));
  REQUIRE_MESSAGE(init.exit_code == 0, init.err);
  CHECK(init.out.find("Created the admin user admin") != std::string::npos);
  const auto again = run(k_agent, {"init", "--config", config.string()}, home);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("nothing changed") != std::string::npos);
  CHECK(run(k_agent, {"check-config", "--config", config.string()}, home).exit_code == 0);

  test::SpawnOptions spawn;
  spawn.argv = {k_agent, "run", "--config", config.string()};
  spawn.log_file = dir.path() / "agent.log";
  spawn.parent_death_signal = SIGTERM;
  auto agent = test::ChildProcess::spawn(spawn);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  REQUIRE_MESSAGE(test::wait_for_tcp("127.0.0.1", port, std::chrono::seconds(20)),
                  test::tail_of_file(spawn.log_file));

  const std::string server = "http://127.0.0.1:" + std::to_string(port);
  const auto registered =
      run(k_sharectl,
          {"register", "alice", "alice@example.org", "--password-stdin", "--server", server}, home,
          std::string("alice password 1\n"));
  REQUIRE_MESSAGE(registered.exit_code == 0, registered.err);
  const auto login = run(k_sharectl, {"login", "alice", "--password-stdin", "--server", server},
                         home, std::string("alice password 1\n"));
  REQUIRE_MESSAGE(login.exit_code == 0, login.err);
  const auto whoami = run(k_sharectl, {"whoami", "-o", "json"}, home);
  REQUIRE_MESSAGE(whoami.exit_code == 0, whoami.err);
  const auto me = nlohmann::json::parse(whoami.out);
  CHECK(me["user"]["username"] == "alice");
  const auto apps = run(k_sharectl, {"apps", "list"}, home);
  CHECK_MESSAGE(apps.exit_code == 0, apps.err);
  CHECK(apps.out.find("*") != std::string::npos);
  const auto logout = run(k_sharectl, {"logout"}, home);
  CHECK_MESSAGE(logout.exit_code == 0, logout.err);
  const auto after = run(k_sharectl, {"whoami"}, home);
  CHECK_MESSAGE(after.exit_code == 3, after.err);

  auto stopped = agent->stop(SIGTERM, std::chrono::seconds(15));
  REQUIRE_MESSAGE(stopped.has_value(), test::error_text(stopped));
  CHECK_MESSAGE(*stopped == 0, test::tail_of_file(spawn.log_file));
}
