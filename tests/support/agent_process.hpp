// The real `sharectl-agent` as a child process for end-to-end tests and benchmarks, and the real
// `sharectl` run against it. AgentProcess owns a TempDir holding the agent's config, SQLite store
// and log; `start()` runs `init --password-stdin` (first admin `admin`) and then `run` on a free
// loopback port with plain HTTP, returning once the port accepts connections. Samba paths are
// private to the TempDir unless the options point them at a test smbd (SmbdServer), so the host's
// /etc/samba/smb.conf is never touched. The agent is stopped by pid (SIGTERM, then SIGKILL) when
// the object goes away. CliUser is one person at a terminal: a private HOME/XDG_CONFIG_HOME (file
// credentials, no session bus) in which `sharectl` runs with argv only. Failures are returned as
// Errors carrying the tool's stderr or the tail of the agent's log; destructors never throw.
#pragma once

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sharectl::test {

// Where the built binaries are (absolute paths; SHARECTL_BINARY_DIR of the test build).
std::string agent_binary();
std::string sharectl_binary();

// One filesystem of the agent config's `filesystems:`.
struct AgentFilesystem {
  std::filesystem::path path;
  std::string driver = "dir"; // dir | btrfs
};

// What the agent's config says beyond the fixture's defaults.
struct AgentOptions {
  // samba.config / samba.include; empty: <dir>/smb.conf (created with an empty [global]) and
  // <dir>/sharectl.conf.
  std::filesystem::path samba_config;
  std::filesystem::path samba_include;
  std::vector<AgentFilesystem> filesystems; // none: the agent leaves Samba alone
  std::string server_name = "e2e-host";
  std::string resync = "60s";        // reconcile.resync
  std::string heartbeat = "15s";     // reconcile.heartbeat
  std::string registration = "open"; // auth.registration
  std::string extra_yaml;            // appended verbatim (top-level keys not set above)
  std::string store;                 // the store URL; empty: a private SQLite file in dir()
  std::string admin = "admin";       // init --admin: the first admin's username
  std::string admin_password = "admin password 1";
  // TLS on the loopback port: `init` writes a self-signed certificate (tls_cert()) and url()
  // is https://.
  bool tls = false;
};

// A running (or stopped) agent. Not copyable.
class AgentProcess {
public:
  // Writes the config, runs `init`, then start_run(). Fails with the tool's message.
  static Result<std::unique_ptr<AgentProcess>> start(AgentOptions options = {});

  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // Starts `run` again with the same config and store (after stop() or kill()).
  Status restart();
  // Sends signal (SIGTERM: clean stop), waits up to grace, then SIGKILL; returns the exit status.
  Result<int> stop(int signal = SIGTERM,
                   std::chrono::milliseconds grace = std::chrono::seconds(15));
  // SIGKILL now, no grace (crash tests).
  Status kill();
  bool running();
  pid_t pid() const { return m_process.pid(); }

  // http://127.0.0.1:PORT (https:// with options().tls)
  std::string url() const;
  const std::filesystem::path& dir() const { return m_dir.path(); }
  std::filesystem::path config_path() const { return m_dir.path() / "agent.yaml"; }
  std::filesystem::path log_path() const { return m_dir.path() / "agent.log"; }
  // The agent's self-signed certificate (written by `init` when options().tls).
  std::filesystem::path tls_cert() const { return m_dir.path() / "tls" / "agent.crt"; }
  // sqlite:///… of the agent's store, for tests that arrange state the API cannot make yet.
  std::string store_url() const;
  std::filesystem::path include_path() const { return m_options.samba_include; }
  const AgentOptions& options() const { return m_options; }
  // The last lines of the agent's log, for failure messages.
  std::string log_tail(std::size_t lines = 30) const;

private:
  explicit AgentProcess(AgentOptions options);
  Status write_config();
  Status start_run();

  TempDir m_dir;
  AgentOptions m_options;
  int m_port = 0;
  ChildProcess m_process;
};

// One user's shell: a private HOME and XDG_CONFIG_HOME, PATH of the system tools, no session
// bus (so credentials go to the 0600 file). Not copyable.
class CliUser {
public:
  CliUser();
  CliUser(const CliUser&) = delete;
  CliUser& operator=(const CliUser&) = delete;

  // Runs `sharectl args…` with stdin and extra environment variables; the exit code, stdout and
  // stderr are in the result. Fails only when the binary cannot be run or times out (default
  // 120 s).
  Result<ProcessResult> run(const std::vector<std::string>& args,
                            std::optional<std::string> stdin_data = {},
                            const std::map<std::string, std::string>& extra_env = {},
                            std::chrono::seconds timeout = std::chrono::seconds(120));

  // `register NAME NAME@example.org --password-stdin --server URL` then `login NAME
  // --password-stdin --server URL`; fails with sharectl's stderr when either exits non-zero.
  Status register_and_login(const std::string& server, const std::string& username,
                            const std::string& password);

  const std::filesystem::path& home() const { return m_home; }

private:
  TempDir m_dir;
  std::filesystem::path m_home;
  std::unique_ptr<ProcessRunner> m_runner;
};

} // namespace sharectl::test
