#include "tests/support/smbd_fixture.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include "tests/support/ports.hpp"

namespace sharectl::test {

namespace {

namespace fs = std::filesystem;

constexpr auto k_start_timeout = std::chrono::seconds(15);
constexpr auto k_stop_grace = std::chrono::seconds(5);
constexpr int k_start_attempts = 3;

// The private subdirectories, each named after the smb.conf parameter pointing at it.
constexpr std::pair<std::string_view, std::string_view> k_private_dirs[] = {
    {"private dir", "private"},
    {"lock directory", "lock"},
    {"state directory", "state"},
    {"cache directory", "cache"},
    {"pid directory", "pid"},
    {"ncalrpc dir", "ncalrpc"},
    {"winbindd socket directory", "winbindd"},
};

// Refuses text that would change the structure of smb.conf rather than set one value.
Status check_conf_text(std::string_view what, std::string_view text) {
  if (text.find_first_of("\n\r") != std::string_view::npos ||
      (!text.empty() && text.back() == '\\') || text.find('\0') != std::string_view::npos) {
    return fail(ErrorCode::bad_request,
                std::string(what) + " would break smb.conf: '" + std::string(text) + "'");
  }
  return {};
}

Status check_share_name(std::string_view name) {
  if (name.empty() || name.find_first_of("[]") != std::string_view::npos) {
    return fail(ErrorCode::bad_request, "bad share name '" + std::string(name) + "'");
  }
  return check_conf_text("share name", name);
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

constexpr std::string_view k_dir_prefix = "sharectl-smbd-";

fs::path temp_base() {
  const char* base = std::getenv("TMPDIR");
  return base != nullptr && *base != '\0' ? base : "/tmp";
}

// Once per process: kill the RPC helpers and remove the directories of crashed runs (smbd itself
// dies with its test process; samba-dcerpcd, in its own session, does not).
const fs::path& swept_temp_base() {
  static const fs::path base = [] {
    fs::path found = temp_base();
    remove_leftovers_of_dead_runs(found, k_dir_prefix);
    return found;
  }();
  return base;
}

} // namespace

SmbdServer::SmbdServer()
    : m_dir(swept_temp_base(), run_scoped_prefix(k_dir_prefix)), m_runner(make_process_runner()) {
  fs::permissions(dir(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  for (const auto& [parameter, subdir] : k_private_dirs) {
    fs::create_directories(dir() / "server" / subdir);
  }
  fs::permissions(dir() / "server" / "private", fs::perms::owner_all);
  for (const std::string_view subdir : {"lock", "state", "cache", "private"}) {
    fs::create_directories(dir() / "client" / subdir);
  }
  fs::create_directories(dir() / "data");
  fs::permissions(dir() / "data", fs::perms::owner_all | fs::perms::group_read |
                                      fs::perms::group_exec | fs::perms::others_read |
                                      fs::perms::others_exec);
  const fs::path client_dir = dir() / "client";
  std::ofstream client(client_config_path());
  client << "# Client side of sharectl::test::SmbdServer: keeps smbclient away from\n"
         << "# /etc/samba/smb.conf and the host's lock and cache directories.\n"
         << "[global]\n"
         << "\tclient min protocol = SMB2\n"
         << "\tdisable netbios = yes\n"
         << "\tlock directory = " << (client_dir / "lock").string() << "\n"
         << "\tstate directory = " << (client_dir / "state").string() << "\n"
         << "\tcache directory = " << (client_dir / "cache").string() << "\n"
         << "\tprivate dir = " << (client_dir / "private").string() << "\n";
}

SmbdServer::~SmbdServer() {
  (void)stop();
  m_users.clear(); // userdel after smbd is gone: no process runs as them any more
}

fs::path SmbdServer::config_path() const {
  return dir() / "smb.conf";
}

fs::path SmbdServer::client_config_path() const {
  return dir() / "client.conf";
}

fs::path SmbdServer::log_path() const {
  return dir() / "server" / "smbd.log";
}

std::string SmbdServer::render_config() const {
  const fs::path server_dir = dir() / "server";
  std::ostringstream out;
  out << "# Rendered by sharectl::test::SmbdServer; private to this test.\n"
      << "[global]\n"
      << "\tserver role = standalone server\n"
      << "\tworkgroup = SCTEST\n"
      << "\tsmb ports = " << m_port << "\n"
      << "\tinterfaces = 127.0.0.1\n"
      << "\tbind interfaces only = yes\n"
      << "\tdisable netbios = yes\n";
  for (const auto& [parameter, subdir] : k_private_dirs) {
    out << "\t" << parameter << " = " << (server_dir / subdir).string() << "\n";
  }
  out << "\tpassdb backend = tdbsam:" << (server_dir / "private" / "passdb.tdb").string() << "\n"
      << "\tlog file = " << log_path().string() << "\n"
      << "\tmax log size = 0\n"
      << "\tlog level = 1\n"
      << "\tdisable spoolss = yes\n"
      << "\tload printers = no\n"
      << "\tprintcap name = /dev/null\n"
      << "\tprinting = bsd\n"
      << "\tsmbd:backgroundqueue = no\n"
      << "\tmap to guest = never\n"
      << "\tusershare max shares = 0\n";
  for (const auto& [name, value] : m_globals) {
    out << "\t" << name << " = " << value << "\n";
  }
  for (const fs::path& include : m_includes) {
    out << "\tinclude = " << include.string() << "\n";
  }
  for (const Share& share : m_shares) {
    out << "\n[" << share.name << "]\n\tpath = " << share.path.string() << "\n";
    for (const auto& [name, value] : share.params) {
      out << "\t" << name << " = " << value << "\n";
    }
  }
  return out.str();
}

Status SmbdServer::write_config() {
  if (m_port == 0) {
    m_port = free_tcp_port(); // smbd refuses "smb ports = 0", even for smbpasswd
  }
  const fs::path temp = config_path().string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << render_config();
    out.flush();
    if (!out) {
      return fail(ErrorCode::internal, "cannot write " + temp.string());
    }
  }
  std::error_code ec;
  fs::rename(temp, config_path(), ec);
  if (ec) {
    return fail(ErrorCode::internal, "rename " + temp.string() + ": " + ec.message());
  }
  return {};
}

Status SmbdServer::start_once(bool& port_taken) {
  if (port_taken || m_port == 0) {
    m_port = free_tcp_port();
  }
  port_taken = false;
  if (auto status = write_config(); !status) {
    return status;
  }
  SpawnOptions options;
  options.argv = {"smbd", "--foreground", "--no-process-group",
                  "--configfile=" + config_path().string()};
  options.log_file = dir() / "server" / "smbd.stdout";
  options.parent_death_signal = SIGTERM;
  auto child = ChildProcess::spawn(options);
  if (!child) {
    return std::unexpected(child.error());
  }
  m_process = std::move(*child);

  const auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
  while (!pid_listens_on(m_process.pid(), m_port)) {
    if (const auto exited = m_process.exit_status()) {
      const std::string log = tail_of_file(log_path()) + tail_of_file(options.log_file);
      (void)m_process.stop(SIGKILL, std::chrono::milliseconds(0));
      port_taken = log.find("Address already in use") != std::string::npos;
      return fail(ErrorCode::unavailable, "smbd exited with status " + std::to_string(*exited) +
                                              " during start-up:\n" + log);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)stop();
      return fail(ErrorCode::unavailable,
                  "smbd did not listen on 127.0.0.1:" + std::to_string(m_port) + " within " +
                      std::to_string(k_start_timeout.count()) + " s:\n" + tail_of_file(log_path()) +
                      tail_of_file(options.log_file));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!wait_for_tcp("127.0.0.1", m_port, std::chrono::seconds(5))) {
    (void)stop();
    return fail(ErrorCode::unavailable,
                "smbd listens on port " + std::to_string(m_port) + " but does not accept");
  }
  return {};
}

Status SmbdServer::start() {
  if (running()) {
    return fail(ErrorCode::conflict, "smbd already runs (pid " + std::to_string(pid()) + ")");
  }
  Status status;
  bool port_taken = false;
  for (int attempt = 0; attempt < k_start_attempts; ++attempt) {
    status = start_once(port_taken);
    if (status || !port_taken) {
      return status;
    }
  }
  return status;
}

Status SmbdServer::stop() {
  Status status;
  if (m_process.pid() > 0) {
    if (auto stopped = m_process.stop(SIGTERM, k_stop_grace); !stopped) {
      status = std::unexpected(stopped.error());
    }
    m_process = ChildProcess();
  }
  // samba-dcerpcd and rpcd_* detach into their own session; only ours carry our config path.
  kill_processes_with_argument("--configfile=" + config_path().string(), k_stop_grace);
  return status;
}

bool SmbdServer::running() {
  return m_process.running();
}

Result<fs::path> SmbdServer::make_directory(std::string_view relative) {
  const fs::path base = dir() / "data";
  const fs::path target = (base / relative).lexically_normal();
  if (fs::path(relative).is_absolute() || !target.string().starts_with(base.string() + "/")) {
    return fail(ErrorCode::bad_request,
                "not a relative path inside the fixture: " + std::string(relative));
  }
  std::error_code ec;
  fs::create_directories(target, ec);
  for (fs::path p = target; !ec && p != base; p = p.parent_path()) {
    fs::permissions(p,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec,
                    ec);
  }
  if (ec) {
    return fail(ErrorCode::internal, "mkdir " + target.string() + ": " + ec.message());
  }
  return target;
}

Status SmbdServer::apply() {
  return running() ? reload() : write_config();
}

Status SmbdServer::set_global(std::string_view name, std::string_view value) {
  if (auto status = check_conf_text("parameter", name); !status) {
    return status;
  }
  if (auto status = check_conf_text("value", value); !status) {
    return status;
  }
  const auto found = std::ranges::find_if(
      m_globals, [&](const auto& param) { return equals_ignore_case(param.first, name); });
  if (found != m_globals.end()) {
    found->second = value;
  } else {
    m_globals.emplace_back(name, value);
  }
  return apply();
}

Status SmbdServer::add_share(std::string_view name, const fs::path& path, const SmbParams& params) {
  if (auto status = check_share_name(name); !status) {
    return status;
  }
  if (auto status = check_conf_text("path", path.string()); !status) {
    return status;
  }
  for (const auto& [param, value] : params) {
    if (auto status = check_conf_text("parameter", param); !status) {
      return status;
    }
    if (auto status = check_conf_text("value", value); !status) {
      return status;
    }
  }
  Share share{std::string(name), path, params};
  const auto found = std::ranges::find_if(
      m_shares, [&](const Share& existing) { return equals_ignore_case(existing.name, name); });
  if (found != m_shares.end()) {
    *found = std::move(share);
  } else {
    m_shares.push_back(std::move(share));
  }
  return apply();
}

Status SmbdServer::remove_share(std::string_view name) {
  const auto found = std::ranges::find_if(
      m_shares, [&](const Share& existing) { return equals_ignore_case(existing.name, name); });
  if (found == m_shares.end()) {
    return fail(ErrorCode::not_found, "no share [" + std::string(name) + "]");
  }
  m_shares.erase(found);
  return apply();
}

Status SmbdServer::add_include(const fs::path& file) {
  if (auto status = check_conf_text("include path", file.string()); !status) {
    return status;
  }
  m_includes.push_back(file);
  return apply();
}

Status SmbdServer::reload() {
  if (auto status = write_config(); !status) {
    return status;
  }
  if (!running()) {
    return {};
  }
  const std::vector<std::string> args = {"smbd", "reload-config"};
  auto result = smbcontrol(args);
  if (!result) {
    return std::unexpected(result.error());
  }
  Command shown;
  shown.program = "smbcontrol";
  shown.args = args;
  return check_exit(shown, *result);
}

Result<ProcessResult> SmbdServer::smbcontrol(const std::vector<std::string>& args) {
  Command command;
  command.program = "smbcontrol";
  command.args = {"--configfile=" + config_path().string()};
  command.args.insert(command.args.end(), args.begin(), args.end());
  command.timeout = std::chrono::seconds(30);
  return m_runner->run(command);
}

Status SmbdServer::set_smb_password(const std::string& unix_user, std::string_view password) {
  if (password.find_first_of("\n\r") != std::string_view::npos) {
    return fail(ErrorCode::bad_request, "a password cannot contain a newline");
  }
  Command command;
  command.program = "smbpasswd";
  command.args = {"-c", config_path().string(), "-a", "-s", unix_user};
  command.stdin_data = std::string(password) + "\n" + std::string(password) + "\n";
  command.timeout = std::chrono::seconds(30);
  // smbpasswd writes the tdbsam file directly: the config must exist even before start().
  if (auto status = write_config(); !status) {
    return status;
  }
  auto result = m_runner->run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  return check_exit(command, *result);
}

Result<const TestUser*> SmbdServer::add_user(std::string_view label, std::string_view password) {
  auto user = TestUser::create(label);
  if (!user) {
    return std::unexpected(user.error());
  }
  m_users.push_back(std::move(*user));
  if (auto status = set_smb_password(m_users.back()->name(), password); !status) {
    return std::unexpected(status.error());
  }
  return m_users.back().get();
}

Result<ProcessResult> SmbdServer::run_smbclient(const std::vector<std::string>& args) {
  Command command;
  command.program = "smbclient";
  command.args = {"--configfile=" + client_config_path().string(), "-p", std::to_string(m_port)};
  command.args.insert(command.args.end(), args.begin(), args.end());
  command.timeout = std::chrono::seconds(60);
  return m_runner->run(command);
}

Result<std::string> SmbdServer::smbclient(std::string_view share, std::string_view user,
                                          std::string_view password, std::string_view commands) {
  auto result =
      run_smbclient({"//127.0.0.1/" + std::string(share), "-U",
                     std::string(user) + "%" + std::string(password), "-c", std::string(commands)});
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->out + result->err;
}

} // namespace sharectl::test
