// The agent under a systemd-style supervisor, without systemd itself: the real `sharectl-agent
// run` (tests/support AgentProcess) with NOTIFY_SOCKET pointing at a unix datagram socket this
// test owns sends READY=1 once it listens and STOPPING=1 when SIGTERM arrives, then exits 0.
// And the shipped unit file agent/sharectl-agent.service passes `systemd-analyze verify` (with
// ExecStart pointed at the built binary, man pages not checked) with no warning at all. Nothing
// here starts a service under a real systemd.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util/process.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace sharectl;

// A bound unix datagram socket, as systemd's notification socket is. Closed on destruction.
class NotifySocket {
public:
  explicit NotifySocket(const std::filesystem::path& path) : m_path(path) {
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(m_fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string text = path.string();
    REQUIRE(text.size() < sizeof address.sun_path);
    std::copy(text.begin(), text.end(), address.sun_path);
    REQUIRE(::bind(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  }
  ~NotifySocket() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // Every message received until one contains `wanted` or timeout passes, joined by "|".
  std::string receive_until(std::string_view wanted, std::chrono::milliseconds timeout) {
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (seen.find(wanted) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{m_fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        break;
      }
      char buffer[4096];
      const auto n = ::recv(m_fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        seen += std::string(buffer, static_cast<std::size_t>(n)) + "|";
      }
    }
    return seen;
  }

private:
  std::filesystem::path m_path;
  int m_fd = -1;
};

// Sets an environment variable for the scope (children started meanwhile inherit it).
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::string& value) : m_name(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(m_name); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* m_name;
};

} // namespace

TEST_CASE("systemd: run sends READY=1 when listening and STOPPING=1 on SIGTERM, then exits 0") {
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()),
                          "the sharectl-agent binary (build all targets)")) {
    return;
  }
  test::TempDir dir;
  NotifySocket socket(dir.path() / "notify");
  std::unique_ptr<test::AgentProcess> agent;
  {
    ScopedEnv notify("NOTIFY_SOCKET", (dir.path() / "notify").string());
    auto started = test::AgentProcess::start();
    REQUIRE_MESSAGE(started.has_value(), test::error_text(started));
    agent = std::move(*started);
  }
  const auto ready = socket.receive_until("READY=1", std::chrono::seconds(30));
  CHECK_MESSAGE(ready.find("READY=1") != std::string::npos, (ready + agent->log_tail()));
  CHECK(ready.find("STATUS=listening on port") != std::string::npos);
  CHECK(ready.find("STOPPING=1") == std::string::npos);

  auto stopped = agent->stop(SIGTERM);
  REQUIRE(stopped.has_value());
  CHECK_MESSAGE(*stopped == 0, agent->log_tail());
  const auto stopping = socket.receive_until("STOPPING=1", std::chrono::seconds(5));
  CHECK_MESSAGE(stopping.find("STOPPING=1") != std::string::npos, stopping);
}

TEST_CASE("systemd: the shipped unit file passes systemd-analyze verify without a warning") {
  if (!test::prerequisite(test::programs_available({"systemd-analyze"}),
                          "systemd-analyze (package systemd)") ||
      !test::prerequisite(std::filesystem::exists(test::agent_binary()),
                          "the sharectl-agent binary (build all targets)")) {
    return;
  }
  std::ifstream in(SHARECTL_SOURCE_DIR "/agent/sharectl-agent.service");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string unit = text.str();
  CHECK(unit.find("\nType=notify\n") != std::string::npos);

  // Verifies `content` as a unit named sharectl-agent.service; the tool's stderr.
  test::TempDir dir;
  const auto verify = [&](std::string content) {
    for (std::size_t at; (at = content.find("/usr/bin/sharectl-agent")) != std::string::npos;) {
      content.replace(at, std::string("/usr/bin/sharectl-agent").size(), test::agent_binary());
    }
    const auto path = dir.path() / "sharectl-agent.service";
    std::ofstream(path) << content;
    Command command;
    command.program = "systemd-analyze";
    command.args = {"verify", "--man=no", path.string()};
    command.timeout = std::chrono::seconds(60);
    auto result = make_process_runner()->run(command);
    REQUIRE_MESSAGE(result.has_value(), test::error_text(result));
    CHECK(result->exit_code == 0);
    return result->err + result->out;
  };
  const auto clean = verify(unit);
  CHECK_MESSAGE(clean.empty(), clean);
  // The check can fail: a misspelt key in a copy is reported.
  std::string broken = unit;
  broken.replace(broken.find("Type=notify"), 11, "Typo=notify");
  CHECK(verify(broken).find("Typo") != std::string::npos);
}
