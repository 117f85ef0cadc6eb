// End to end, `--wait` (the default for changes) of the real `sharectl` against a real
// `sharectl-agent` with a dir filesystem: 0 once the host made the space, exit 9 when the host
// does not apply it within --timeout (a space placed on a registered server whose agent is not
// running), exit 10 with the host's message when the object goes to `error` (a file where the
// space directory must go). Without a terminal no spinner is drawn: stdout carries only the
// result and stderr nothing.
#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/e2e/cli_e2e.hpp"

using namespace sharectl;
using test::e2e::Cluster;

TEST_CASE("e2e cli: --wait returns 0 once the host made the space, stdout holds the result only") {
  if (!test::e2e::ready_for_spaces()) {
    return;
  }
  Cluster cluster;
  auto alice = cluster.person("alice");
  const auto made =
      alice->run({"space", "create", "docs", "--size", "2M", "--no-share", "-o", "json"});
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  CHECK(made.err.empty()); // no spinner, no progress: stderr is not a terminal
  const auto object = nlohmann::json::parse(made.out);
  CHECK(object["status"] == "ready");
  CHECK(object["name"] == "docs");
  CHECK(std::filesystem::is_directory(cluster.fs_path() / alice->name() / "docs"));

  // Table output: the details, nothing else (no carriage returns or escape codes of a spinner).
  const auto table = alice->run({"space", "create", "notes", "--size", "1M", "--no-share"});
  REQUIRE_MESSAGE(table.exit_code == 0, table.err);
  CHECK(table.err.empty());
  CHECK(table.out.find("notes") != std::string::npos);
  CHECK(table.out.find("ready") != std::string::npos);
  CHECK(table.out.find('\r') == std::string::npos);
  CHECK(table.out.find('\033') == std::string::npos);

  // --no-wait answers with what the agent recorded, before the host acts.
  const auto quick = alice->run(
      {"space", "create", "later", "--size", "1M", "--no-share", "--no-wait", "-o", "json"});
  REQUIRE_MESSAGE(quick.exit_code == 0, quick.err);
  CHECK(nlohmann::json::parse(quick.out)["status"] == "pending");
}

TEST_CASE("e2e cli exit 9: --wait times out when the host does not apply the change") {
  if (!test::e2e::ready_for_spaces()) {
    return;
  }
  Cluster cluster;
  cluster.add_silent_server("silent");
  auto alice = cluster.person("alice");
  const auto start = std::chrono::steady_clock::now();
  const auto waited = alice->run({"--timeout", "3s", "space", "create", "far", "--size", "1M",
                                  "--no-share", "--server", "silent", "-o", "json"});
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_MESSAGE(waited.exit_code == 9, waited.err);
  CHECK(waited.out.empty());
  CHECK(waited.err.rfind("sharectl: error: timed out after 3s waiting for space far", 0) == 0);
  CHECK(took < std::chrono::seconds(30)); // bounded by --timeout, not by the request timeouts
  // The agent kept the change: it is still pending on the silent server.
  const auto shown = alice->run({"space", "show", "far", "-o", "json"});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  const auto object = nlohmann::json::parse(shown.out);
  CHECK(object["status"] == "pending");
  CHECK(object["server"] == "silent");
}

TEST_CASE("e2e cli exit 10: the host fails to apply the change and its message is printed") {
  if (!test::e2e::ready_for_spaces()) {
    return;
  }
  Cluster cluster;
  auto alice = cluster.person("alice");
  // A regular file where the space's directory must go.
  std::filesystem::create_directories(cluster.fs_path() / alice->name());
  std::ofstream(cluster.fs_path() / alice->name() / "broken") << "not a directory\n";
  const auto failed =
      alice->run({"--timeout", "60s", "space", "create", "broken", "--size", "1M", "--no-share"});
  CHECK_MESSAGE(failed.exit_code == 10, failed.err);
  CHECK(failed.out.empty());
  CHECK_MESSAGE(failed.err.rfind("sharectl: error: the host failed to apply space broken: ", 0) ==
                    0,
                failed.err);
  CHECK(failed.err.find("SPACE-PATH-NOT-DIR") != std::string::npos);
  CHECK(std::filesystem::is_regular_file(cluster.fs_path() / alice->name() / "broken"));
}
