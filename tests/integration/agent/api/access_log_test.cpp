// The real `sharectl-agent run` with stderr in a file (not a terminal, not the journal): access
// log lines are written in batches, yet each reaches the file within a few seconds (run's
// once-a-second flush) and none is lost when the agent stops on SIGTERM.
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "common/http/client.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;

namespace {

// How many access log lines of GET /healthz the agent's log holds.
int healthz_lines(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    count += line.find("AGENT-I010 GET /healthz 200") != std::string::npos ? 1 : 0;
  }
  return count;
}

} // namespace

TEST_CASE("access log: batched lines reach stderr within seconds, and all of them by the stop") {
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()),
                          "the sharectl-agent binary (build all targets)")) {
    return;
  }
  auto agent = test::AgentProcess::start({});
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  http::HttpClient client;
  constexpr int k_requests = 300;
  for (int i = 0; i < k_requests; ++i) {
    auto answer = client.request("GET", (*agent)->url() + "/healthz", {}, "");
    REQUIRE(answer.has_value());
    REQUIRE(answer->status == 200);
  }
  // A line waits for run's once-a-second flush; 15 s leaves room for a loaded machine.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (healthz_lines((*agent)->log_path()) < k_requests &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(healthz_lines((*agent)->log_path()) == k_requests);

  for (int i = 0; i < 50; ++i) { // these are still in the buffer when SIGTERM arrives
    REQUIRE(client.request("GET", (*agent)->url() + "/healthz", {}, "").has_value());
  }
  auto stopped = (*agent)->stop();
  REQUIRE_MESSAGE(stopped.has_value(), test::error_text(stopped));
  CHECK(*stopped == 0);
  CHECK(healthz_lines((*agent)->log_path()) == k_requests + 50);
  std::ifstream in((*agent)->log_path());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("AGENT-I004 stopped") != std::string::npos);
}
