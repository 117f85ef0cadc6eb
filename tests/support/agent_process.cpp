#include "tests/support/agent_process.hpp"

#include <csignal>
#include <fstream>
#include <utility>

#include "tests/support/ports.hpp"

namespace sharectl::test {

namespace {

// The tools the agent runs (testparm, smbcontrol, pdbedit, useradd, btrfs) live in sbin.
const std::map<std::string, std::string>& base_environment() {
  static const std::map<std::string, std::string> env{
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"LANG", "C.UTF-8"}};
  return env;
}

} // namespace

std::string agent_binary() {
  return SHARECTL_BINARY_DIR "/agent/sharectl-agent";
}
std::string sharectl_binary() {
  return SHARECTL_BINARY_DIR "/cli/sharectl";
}

AgentProcess::AgentProcess(AgentOptions options) : m_options(std::move(options)) {
  if (m_options.samba_config.empty()) {
    // Samba's state (the passdb the agent provisions) in the agent's directory, not the host's.
    m_options.samba_config = m_dir.path() / "smb.conf";
    std::ofstream conf(m_options.samba_config);
    conf << "[global]\n";
    for (const auto& [parameter, dir] : {std::pair{"private dir", "private"},
                                         {"lock directory", "lock"},
                                         {"state directory", "state"},
                                         {"cache directory", "cache"},
                                         {"pid directory", "pid"},
                                         {"ncalrpc dir", "ncalrpc"}}) {
      std::filesystem::create_directories(m_dir.path() / "samba" / dir);
      conf << "\t" << parameter << " = " << (m_dir.path() / "samba" / dir).string() << "\n";
    }
  }
  if (m_options.samba_include.empty()) {
    m_options.samba_include = m_dir.path() / "sharectl.conf";
  }
}

AgentProcess::~AgentProcess() {
  if (m_process.pid() != 0 && m_process.running()) {
    (void)m_process.stop(SIGTERM, std::chrono::seconds(10));
  }
}

Result<std::unique_ptr<AgentProcess>> AgentProcess::start(AgentOptions options) {
  for (const auto* binary : {"agent", "cli"}) {
    const auto path = std::string(binary) == "agent" ? agent_binary() : sharectl_binary();
    if (!std::filesystem::exists(path)) {
      return fail(ErrorCode::not_found, path + " is not built (build all targets)");
    }
  }
  std::unique_ptr<AgentProcess> agent(new AgentProcess(std::move(options)));
  if (auto written = agent->write_config(); !written) {
    return std::unexpected(written.error());
  }
  Command init;
  init.program = agent_binary();
  init.args = {"init",
               "--config",
               agent->config_path().string(),
               "--password-stdin",
               "--admin",
               agent->m_options.admin};
  init.env = base_environment();
  init.stdin_data = agent->m_options.admin_password + "\n";
  init.timeout = std::chrono::seconds(60);
  auto ran = make_process_runner()->run(init);
  if (!ran) {
    return std::unexpected(ran.error());
  }
  if (!ran->ok()) {
    return fail(ErrorCode::internal, "sharectl-agent init failed: " + ran->err + ran->out);
  }
  if (auto started = agent->start_run(); !started) {
    return std::unexpected(started.error());
  }
  return agent;
}

Status AgentProcess::write_config() {
  m_port = free_tcp_port();
  std::ofstream out(config_path());
  out << "listen: 127.0.0.1:" << m_port << "\n"
      << "tls:\n  enabled: " << (m_options.tls ? "true" : "false") << "\n";
  if (m_options.tls) {
    out << "  cert: " << tls_cert().string()
        << "\n  key: " << (m_dir.path() / "tls" / "agent.key").string() << "\n";
  }
  out << "store: " << store_url() << "\n"
      << "server:\n  name: " << m_options.server_name << "\n  address: 127.0.0.1\n"
      << "samba:\n  config: " << m_options.samba_config.string()
      << "\n  include: " << m_options.samba_include.string() << "\n";
  if (m_options.filesystems.empty()) {
    out << "filesystems: []\n";
  } else {
    out << "filesystems:\n";
    for (const auto& fs : m_options.filesystems) {
      out << "  - path: " << fs.path.string() << "\n    driver: " << fs.driver << "\n";
    }
  }
  out << "auth:\n  registration: " << m_options.registration << "\n"
      << "reconcile:\n  resync: " << m_options.resync << "\n  heartbeat: " << m_options.heartbeat
      << "\n"
      << m_options.extra_yaml;
  out.close();
  if (!out) {
    return fail(ErrorCode::internal, "cannot write " + config_path().string());
  }
  return {};
}

Status AgentProcess::start_run() {
  SpawnOptions spawn;
  spawn.argv = {agent_binary(), "run", "--config", config_path().string()};
  spawn.log_file = log_path();
  spawn.parent_death_signal = SIGTERM;
  auto process = ChildProcess::spawn(spawn);
  if (!process) {
    return std::unexpected(process.error());
  }
  m_process = std::move(*process);
  if (!wait_for_tcp("127.0.0.1", m_port, std::chrono::seconds(30))) {
    return fail(ErrorCode::unavailable,
                "sharectl-agent run did not listen within 30 s:\n" + log_tail());
  }
  return {};
}

Status AgentProcess::restart() {
  if (m_process.pid() != 0 && m_process.running()) {
    return fail(ErrorCode::conflict, "the agent still runs");
  }
  return start_run();
}

Result<int> AgentProcess::stop(int signal, std::chrono::milliseconds grace) {
  return m_process.stop(signal, grace);
}

Status AgentProcess::kill() {
  auto stopped = m_process.stop(SIGKILL, std::chrono::milliseconds(0));
  if (!stopped) {
    return std::unexpected(stopped.error());
  }
  return {};
}

bool AgentProcess::running() {
  return m_process.pid() != 0 && m_process.running();
}

std::string AgentProcess::url() const {
  return (m_options.tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(m_port);
}

std::string AgentProcess::store_url() const {
  if (!m_options.store.empty()) {
    return m_options.store;
  }
  return "sqlite://" + (m_dir.path() / "state" / "state.db").string();
}

std::string AgentProcess::log_tail(std::size_t lines) const {
  return tail_of_file(log_path(), lines);
}

CliUser::CliUser() : m_home(m_dir.path() / "home"), m_runner(make_process_runner()) {
  std::filesystem::create_directories(m_home);
}

Result<ProcessResult> CliUser::run(const std::vector<std::string>& args,
                                   std::optional<std::string> stdin_data,
                                   const std::map<std::string, std::string>& extra_env,
                                   std::chrono::seconds timeout) {
  Command command;
  command.program = sharectl_binary();
  command.args = args;
  auto env = base_environment();
  env["HOME"] = m_home.string();
  env["XDG_CONFIG_HOME"] = (m_home / ".config").string();
  for (const auto& [name, value] : extra_env) {
    env[name] = value;
  }
  command.env = std::move(env);
  command.stdin_data = std::move(stdin_data);
  command.timeout = timeout;
  return m_runner->run(command);
}

Status CliUser::register_and_login(const std::string& server, const std::string& username,
                                   const std::string& password) {
  const std::vector<std::vector<std::string>> steps{
      {"register", username, username + "@example.org", "--password-stdin", "--server", server},
      {"login", username, "--password-stdin", "--server", server}};
  for (const auto& args : steps) {
    auto ran = run(args, password + "\n");
    if (!ran) {
      return std::unexpected(ran.error());
    }
    if (!ran->ok()) {
      return fail(ErrorCode::internal, "sharectl " + args.front() + " " + username + " exited " +
                                           std::to_string(ran->exit_code) + ": " + ran->err);
    }
  }
  return {};
}

} // namespace sharectl::test
