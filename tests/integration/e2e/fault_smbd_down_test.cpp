// smbd not running (issue "Spaces and shares served by real Samba", faults): with the private
// smbd stopped, a new share cannot be applied, so it goes to status `error` with a message
// saying that smbd could not be told (smbcontrol's words); once smbd runs again the next resync
// converges it to `ready` and smbd serves it.
#include <doctest/doctest.h>
#include <fmt/core.h>

#include "tests/integration/e2e/fault_host.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;
using namespace std::chrono_literals;
namespace fault = sharectl::test::fault;

TEST_CASE("e2e faults: smbd down puts a new share in error, when it returns the share is ready") {
  SHARECTL_REQUIRE_ROOT();
  SHARECTL_REQUIRE_PROGRAMS("smbd", "smbclient", "testparm", "smbcontrol", "useradd", "userdel");
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()),
                          "the sharectl-agent binary (build all targets)")) {
    return;
  }
  fault::HostAccounts accounts;
  fault::Host host;
  SHARECTL_REQUIRE_OK(host.start("2s"));
  const std::string owner = fault::owner_name("down");
  const std::string password = "owner password 1";
  accounts.add(owner);
  auto alice = fault::ApiUser::login(host.agent->url(), owner, password);
  REQUIRE_MESSAGE(alice.has_value(), test::error_text(alice));

  SHARECTL_REQUIRE_OK(host.smbd.stop());
  auto made =
      alice->call("POST", "/api/v1/spaces", {{"name", "downtime"}, {"size_bytes", 1 << 20}});
  REQUIRE(made.has_value());
  REQUIRE_MESSAGE(made->status == 201, made->body);

  auto share_state = [&] {
    auto got = alice->get("/api/v1/shares/downtime");
    REQUIRE_MESSAGE(got.has_value(), test::error_text(got));
    return std::pair{got->value("status", ""), got->value("status_message", "")};
  };
  std::pair<std::string, std::string> state;
  const bool failed = fault::poll_until(
      [&] {
        state = share_state();
        return state.first == "error";
      },
      30s);
  REQUIRE_MESSAGE(
      failed, fmt::format("status {} ({})\n{}", state.first, state.second, host.agent->log_tail()));
  INFO("status_message: ", state.second);
  CHECK(state.second.find("smbcontrol") != std::string::npos); // says which step failed
  CHECK(state.second.find("smbd") != std::string::npos);       // and about whom
  // The include file is in place and valid; only the reload is missing.
  CHECK(fault::include_sections(host.include_text()).contains("downtime"));

  SHARECTL_REQUIRE_OK(host.smbd.start());
  const bool ready = fault::poll_until(
      [&] {
        state = share_state();
        return state.first == "ready";
      },
      30s);
  CHECK_MESSAGE(
      ready, fmt::format("status {} ({})\n{}", state.first, state.second, host.agent->log_tail()));
  CHECK(state.second.empty());
  // smbd serves it: the owner (SMB password set here; the agent made the Unix account) connects.
  SHARECTL_REQUIRE_OK(host.smbd.set_smb_password(owner, password));
  auto listed = host.smbd.smbclient("downtime", owner, password, "ls");
  REQUIRE_MESSAGE(listed.has_value(), test::error_text(listed));
  CHECK_MESSAGE(listed->find("NT_STATUS_") == std::string::npos, *listed);
}
