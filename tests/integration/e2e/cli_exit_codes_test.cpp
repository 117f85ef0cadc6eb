// SPEC.md "Exit codes", one test per row, with the real `sharectl` against a real
// `sharectl-agent` (plain HTTP on loopback, no filesystems). Rows 9 and 10 (--wait) are in
// cli_wait_test.cpp, the TLS side of row 8 in cli_tls_test.cpp. Every failure prints
// "sharectl: error: …" on stderr and nothing on stdout.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;

namespace {

constexpr const char* k_password = "exit password 1";

// An agent, and `alice` registered and logged in to it.
struct Setup {
  std::unique_ptr<test::AgentProcess> agent;
  test::CliUser alice;

  Setup() {
    auto started = test::AgentProcess::start();
    REQUIRE_MESSAGE(started.has_value(), test::error_text(started));
    agent = std::move(*started);
    const auto done = alice.register_and_login(agent->url(), "alice", k_password);
    REQUIRE_MESSAGE(done.has_value(), test::error_text(done));
  }

  ProcessResult run(const std::vector<std::string>& args,
                    std::optional<std::string> input = std::nullopt,
                    const std::map<std::string, std::string>& env = {}) {
    auto ran = alice.run(args, std::move(input), env);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  }
};

bool binaries_built() {
  return test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                                std::filesystem::exists(test::sharectl_binary()),
                            "the sharectl-agent and sharectl binaries (build all targets)");
}

// The exit code is `code`, stdout empty, stderr one "sharectl: error: " message containing
// `says`.
void check_failure(const ProcessResult& ran, int code, const std::string& says) {
  CHECK_MESSAGE(ran.exit_code == code, ran.err);
  CHECK(ran.out.empty());
  CHECK_MESSAGE(ran.err.rfind("sharectl: error: ", 0) == 0, ran.err);
  CHECK_MESSAGE(ran.err.find(says) != std::string::npos, ran.err);
}

} // namespace

TEST_CASE("e2e cli exit 0: success") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  const auto ran = setup.run({"whoami", "-o", "json"});
  CHECK_MESSAGE(ran.exit_code == 0, ran.err);
  CHECK(nlohmann::json::parse(ran.out)["user"]["username"] == "alice");
}

TEST_CASE("e2e cli exit 1: unexpected failure (the config file cannot be read)") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  test::TempDir not_a_file; // a directory where the config file should be
  check_failure(setup.run({"--config", not_a_file.path().string(), "whoami"}), 1,
                not_a_file.path().string());
}

TEST_CASE("e2e cli exit 2: usage error, nothing sent to the agent") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  check_failure(setup.run({"space", "create", "x", "--sise", "1G"}), 2,
                "unknown flag \"--sise\" for \"sharectl space create\"; did you mean \"--size\"?");
  check_failure(setup.run({"space", "create", "x", "--size", "5g"}), 2, "--size");
  const auto listed = setup.run({"space", "list", "-o", "name"});
  CHECK(listed.out.empty()); // no space "x" was created
}

TEST_CASE("e2e cli exit 3: not authenticated (wrong password, bad token, no credentials)") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  check_failure(setup.run({"login", "alice", "--password-stdin", "--server", setup.agent->url()},
                          "wrong password 1\n"),
                3, "");
  check_failure(setup.run({"whoami"}, std::nullopt,
                          {{"SHARECTL_TOKEN", "not-a-token"},
                           {"SHARECTL_USER_ID", "00000000-0000-4000-8000-000000000000"}}),
                3, "");
  test::CliUser stranger;
  auto ran = stranger.run({"--server", setup.agent->url(), "whoami"});
  REQUIRE(ran.has_value());
  check_failure(*ran, 3, "not logged in");
}

TEST_CASE("e2e cli exit 4: forbidden (a plain user reading the audit log)") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  check_failure(setup.run({"audit", "list"}), 4, "");
}

TEST_CASE("e2e cli exit 5: not found") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  check_failure(setup.run({"space", "show", "nosuch"}), 5, "");
}

TEST_CASE("e2e cli exit 6: conflict (the username is taken)") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  check_failure(setup.run({"register", "alice", "other@example.org", "--password-stdin", "--server",
                           setup.agent->url()},
                          "another password 1\n"),
                6, "");
}

TEST_CASE("e2e cli exit 7: invalid input rejected by the agent, with its message") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  // The client passes a username through; the agent's validator refuses it and names the rule.
  check_failure(setup.run({"register", "Bad Name", "bad@example.org", "--password-stdin",
                           "--server", setup.agent->url()},
                          "bad password 1\n"),
                7, "Bad Name");
}

TEST_CASE("e2e cli exit 8: the agent is unreachable") {
  if (!binaries_built()) {
    return;
  }
  Setup setup;
  REQUIRE(setup.agent->stop().has_value());
  check_failure(setup.run({"--timeout", "5s", "whoami"}), 8, "cannot reach " + setup.agent->url());
}
