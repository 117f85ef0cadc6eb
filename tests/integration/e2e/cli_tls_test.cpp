// End to end over TLS: a real `sharectl-agent` with the self-signed certificate `init` writes,
// and the real `sharectl`. A certificate the client cannot verify is exit 8 with "certificate
// not trusted", the certificate's fingerprint and the two ways to trust it (--ca-file, the
// profile's fingerprint pin) — told apart from an agent that is not there at all. With
// --ca-file the same agent is trusted: register, login and whoami work.
#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/http/client.hpp"
#include "common/http/tls_files.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;

TEST_CASE("e2e cli exit 8: an untrusted certificate says so, apart from an unreachable agent") {
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                              std::filesystem::exists(test::sharectl_binary()),
                          "the sharectl-agent and sharectl binaries (build all targets)")) {
    return;
  }
  test::AgentOptions options;
  options.tls = true;
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const std::string server = (*agent)->url();
  REQUIRE(server.rfind("https://", 0) == 0);
  auto fingerprint = http::certificate_fingerprint_file((*agent)->tls_cert());
  REQUIRE_MESSAGE(fingerprint.has_value(), test::error_text(fingerprint));
  test::CliUser shell;
  auto run = [&](const std::vector<std::string>& args, std::optional<std::string> input = {},
                 const std::map<std::string, std::string>& env = {}) {
    auto ran = shell.run(args, std::move(input), env);
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };
  const std::map<std::string, std::string> token{{"SHARECTL_TOKEN", "t"},
                                                 {"SHARECTL_USER_ID", "u"}};

  const auto untrusted = run({"--server", server, "whoami"}, std::nullopt, token);
  CHECK(untrusted.exit_code == 8);
  CHECK(untrusted.out.empty());
  CHECK_MESSAGE(untrusted.err.rfind("sharectl: error: certificate not trusted: " + server, 0) == 0,
                untrusted.err);
  CHECK(untrusted.err.find(http::display_fingerprint(*fingerprint)) != std::string::npos);
  CHECK(untrusted.err.find("--ca-file") != std::string::npos);
  CHECK(untrusted.err.find("fingerprint:") != std::string::npos);

  // `login` in a script (no terminal to ask on) refuses too, naming the fingerprint to pin.
  const auto login =
      run({"login", "alice", "--password-stdin", "--server", server}, "alice password 1\n");
  CHECK(login.exit_code == 8);
  CHECK(login.out.empty());
  CHECK_MESSAGE(login.err.find(*fingerprint) != std::string::npos, login.err);

  // Trusted with --ca-file: the whole path works over TLS.
  const std::string ca = (*agent)->tls_cert().string();
  const auto registered = run({"--ca-file", ca, "register", "alice", "alice@example.org",
                               "--password-stdin", "--server", server},
                              "alice password 1\n");
  REQUIRE_MESSAGE(registered.exit_code == 0, registered.err);
  const auto logged_in =
      run({"--ca-file", ca, "login", "alice", "--password-stdin", "--server", server},
          "alice password 1\n");
  REQUIRE_MESSAGE(logged_in.exit_code == 0, logged_in.err);
  const auto whoami = run({"whoami", "-o", "json"});
  CHECK_MESSAGE(whoami.exit_code == 0, whoami.err); // login kept the CA file in the profile
  if (whoami.exit_code == 0) {
    CHECK(nlohmann::json::parse(whoami.out)["user"]["username"] == "alice");
  }

  // No agent on the port: a connection failure, not a trust problem.
  REQUIRE((*agent)->stop().has_value());
  const auto gone = run({"--timeout", "5s", "whoami"});
  CHECK(gone.exit_code == 8);
  CHECK(gone.err.find("certificate not trusted") == std::string::npos);
  CHECK_MESSAGE(gone.err.find("cannot reach " + server) != std::string::npos, gone.err);
}

TEST_CASE("e2e cli: register trusts the agent like login, a pinned fingerprint lets both through") {
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()) &&
                              std::filesystem::exists(test::sharectl_binary()),
                          "the sharectl-agent and sharectl binaries (build all targets)")) {
    return;
  }
  test::AgentOptions options;
  options.tls = true;
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const std::string server = (*agent)->url();
  auto fingerprint = http::certificate_fingerprint_file((*agent)->tls_cert());
  REQUIRE_MESSAGE(fingerprint.has_value(), test::error_text(fingerprint));
  test::CliUser shell;
  auto run = [&](const std::vector<std::string>& args, std::optional<std::string> input = {}) {
    auto ran = shell.run(args, std::move(input));
    REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
    return *ran;
  };

  // In a script, register meets the same trust rule as login: no pin, no --ca-file → exit 8.
  const auto refused =
      run({"register", "bob", "bob@example.org", "--password-stdin", "--server", server},
          "bob password 12\n");
  CHECK(refused.exit_code == 8);
  CHECK_MESSAGE(refused.err.find(*fingerprint) != std::string::npos, refused.err);

  // The admin hands out the fingerprint; pinned in the profile, everything goes through.
  const auto dir = shell.home() / ".config" / "sharectl";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.yaml") << "profiles:\n  default:\n    server: " << server
                                     << "\n    fingerprint: \"" << *fingerprint << "\"\n";
  const auto registered =
      run({"register", "bob", "bob@example.org", "--password-stdin"}, "bob password 12\n");
  REQUIRE_MESSAGE(registered.exit_code == 0, registered.err);
  const auto logged_in = run({"login", "bob", "--password-stdin"}, "bob password 12\n");
  REQUIRE_MESSAGE(logged_in.exit_code == 0, logged_in.err);
  const auto whoami = run({"whoami", "-o", "json"});
  REQUIRE_MESSAGE(whoami.exit_code == 0, whoami.err);
  CHECK(nlohmann::json::parse(whoami.out)["user"]["username"] == "bob");
}
