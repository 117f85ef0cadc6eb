// End to end with the real binaries (tests/support/agent_process.hpp): `sharectl-agent init` and
// `run` on a free loopback port (plain HTTP, SQLite in a temp dir, private Samba paths), then the
// real `sharectl` registers, logs in, shows whoami and apps, logs out; whoami then exits 3;
// SIGTERM stops the agent with 0.
#include <csignal>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;

TEST_CASE("e2e: sharectl-agent init + run, sharectl register/login/whoami/apps/logout") {
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                              std::filesystem::exists(test::sharectl_binary()),
                          "the sharectl-agent and sharectl binaries (build all targets)")) {
    return;
  }
  auto agent = test::AgentProcess::start();
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  test::CliUser shell;
  auto agent_cmd = [&](std::vector<std::string> args) {
    Command command;
    command.program = test::agent_binary();
    command.args = std::move(args);
    auto ran = make_process_runner()->run(command);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };
  const auto again = agent_cmd({"init", "--config", (*agent)->config_path().string()});
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("nothing changed") != std::string::npos);
  CHECK(agent_cmd({"check-config", "--config", (*agent)->config_path().string()}).exit_code == 0);

  const std::string server = (*agent)->url();
  auto sharectl = [&](std::vector<std::string> args, std::optional<std::string> input = {}) {
    auto ran = shell.run(args, std::move(input));
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };
  const auto registered =
      sharectl({"register", "alice", "alice@example.org", "--password-stdin", "--server", server},
               "alice password 1\n");
  REQUIRE_MESSAGE(registered.exit_code == 0, registered.err);
  const auto login =
      sharectl({"login", "alice", "--password-stdin", "--server", server}, "alice password 1\n");
  REQUIRE_MESSAGE(login.exit_code == 0, login.err);
  const auto whoami = sharectl({"whoami", "-o", "json"});
  REQUIRE_MESSAGE(whoami.exit_code == 0, whoami.err);
  const auto me = nlohmann::json::parse(whoami.out);
  CHECK(me["user"]["username"] == "alice");
  const auto apps = sharectl({"apps", "list"});
  CHECK_MESSAGE(apps.exit_code == 0, apps.err);
  CHECK(apps.out.find("*") != std::string::npos);
  const auto logout = sharectl({"logout"});
  CHECK_MESSAGE(logout.exit_code == 0, logout.err);
  const auto after = sharectl({"whoami"});
  CHECK_MESSAGE(after.exit_code == 3, after.err);

  auto stopped = (*agent)->stop(SIGTERM);
  REQUIRE_MESSAGE(stopped.has_value(), test::error_text(stopped));
  CHECK_MESSAGE(*stopped == 0, (*agent)->log_tail());
}
