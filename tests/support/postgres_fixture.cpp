#include "tests/support/postgres_fixture.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <pwd.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/util/hash.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/test_user.hpp"

namespace sharectl::test {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_system_user = "postgres";
constexpr std::string_view k_test_role = "sctest";
constexpr std::string_view k_test_database = "sctest";
constexpr auto k_ready_timeout = std::chrono::seconds(30);
constexpr auto k_fast_stop_grace = std::chrono::seconds(10);
constexpr auto k_immediate_stop_grace = std::chrono::seconds(5);
constexpr int k_start_attempts = 3;

// Settings for a throwaway cluster: durability off, nothing running in the background.
constexpr std::string_view k_test_settings = R"(
# sharectl::test::PostgresServer: a throwaway test cluster, tuned for speed.
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
autovacuum = off
jit = off
huge_pages = off
shared_buffers = 16MB
max_connections = 50
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
)";

constexpr fs::perms k_traversable =
    fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec;

struct SystemUser {
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<SystemUser> postgres_user() {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  const std::string name(k_system_user);
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return fail(ErrorCode::not_found, "no Unix user 'postgres' (is postgresql installed?)");
  }
  return SystemUser{entry.pw_uid, entry.pw_gid};
}

// Creates dir owned by postgres with the given mode.
Status make_postgres_dir(const fs::path& dir, const SystemUser& owner, fs::perms mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) {
    fs::permissions(dir, mode, ec);
  }
  if (ec || ::chown(dir.c_str(), owner.uid, owner.gid) != 0) {
    return fail(ErrorCode::internal,
                "cannot prepare " + dir.string() + (ec ? ": " + ec.message() : std::string()));
  }
  return {};
}

// The status word on line 8 of postmaster.pid ("starting", "ready", "stopping"), when line 1
// names pid.
std::string postmaster_status(const fs::path& data_dir, pid_t pid) {
  std::ifstream in(data_dir / "postmaster.pid");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  if (lines.size() < 8 || lines[0] != std::to_string(pid)) {
    return {};
  }
  std::string status = lines[7];
  status.erase(status.find_last_not_of(" \t") + 1);
  return status;
}

// Starts `postgres -D data_dir` as user postgres with the given extra arguments.
Result<ChildProcess> spawn_postmaster(const fs::path& bindir, const fs::path& data_dir,
                                      const fs::path& log, std::vector<std::string> args) {
  SpawnOptions options;
  options.argv = {(bindir / "postgres").string(), "-D", data_dir.string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.log_file = log;
  options.run_as = std::string(k_system_user);
  options.parent_death_signal = SIGQUIT;
  return ChildProcess::spawn(options);
}

// Waits until the postmaster reports "ready" (and, with a port, listens on it). port_taken is
// set when it exited because the port was in use.
Status wait_ready(ChildProcess& process, const fs::path& data_dir, int port, const fs::path& log,
                  bool& port_taken) {
  port_taken = false;
  const auto deadline = std::chrono::steady_clock::now() + k_ready_timeout;
  while (postmaster_status(data_dir, process.pid()) != "ready" ||
         (port > 0 && !pid_listens_on(process.pid(), port))) {
    if (const auto exited = process.exit_status()) {
      const std::string tail = tail_of_file(log);
      (void)process.stop(SIGKILL, std::chrono::milliseconds(0));
      port_taken = tail.find("Address already in use") != std::string::npos;
      return fail(ErrorCode::unavailable, "postgres exited with status " + std::to_string(*exited) +
                                              " during start-up:\n" + tail);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)process.stop(SIGQUIT, k_immediate_stop_grace);
      return fail(ErrorCode::unavailable, "postgres was not ready within " +
                                              std::to_string(k_ready_timeout.count()) + " s:\n" +
                                              tail_of_file(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {};
}

// psql with safe defaults: no ~/.psqlrc, unaligned tuples only, stop at the first error, the
// script on stdin (each statement runs on its own, so CREATE DATABASE works).
Result<std::string> run_psql(ProcessRunner& runner, const fs::path& bindir,
                             std::vector<std::string> connection, std::string_view sql) {
  Command command;
  command.program = (bindir / "psql").string();
  command.args = {"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", "-"};
  command.args.insert(command.args.end(), connection.begin(), connection.end());
  command.stdin_data = std::string(sql);
  command.env_overrides = {{"PGCONNECT_TIMEOUT", "10"}, {"PGSSLMODE", "disable"}};
  command.timeout = std::chrono::seconds(60);
  auto result = runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  if (!result->ok()) {
    return fail(ErrorCode::internal, "psql exited " + std::to_string(result->exit_code) + ": " +
                                         result->err + result->out);
  }
  return result->out;
}

// Where clusters live: $SHARECTL_PG_TMPDIR, else tmpfs /dev/shm when it has 1 GiB free (a busy
// disk made initdb take 6 s and copying a cluster 4 s; on tmpfs both are ~10x faster), else
// $TMPDIR or /tmp.
fs::path cluster_base() {
  if (const char* env = std::getenv("SHARECTL_PG_TMPDIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return test::fast_temp_base();
}

constexpr std::string_view k_dir_prefix = "sharectl-pg-";

// A template cluster: initdb'ed, tuned, with the test role and database; copied by each server.
struct TemplateCluster {
  fs::path root;
  std::string password;

  fs::path data_dir() const { return root / "data"; }
};

// Bump when the way templates are built changes (the name then changes with it).
constexpr std::string_view k_template_format = "1";

// The initdb options every template is made with.
std::vector<std::string> initdb_options() {
  return {"--username=postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
          "--encoding=UTF8",     "--locale=C",         "--no-sync",
          "--wal-segsize=1", // MiB instead of 16: a smaller cluster to copy
          "--no-instructions"};
}

// The machine-wide template's path: its name hashes everything that shapes it, so a different
// PostgreSQL or fixture version gets its own.
fs::path template_path(const fs::path& bindir) {
  std::string shape =
      std::string(k_template_format) + "\n" + bindir.string() + "\n" + std::string(k_test_settings);
  for (const std::string& option : initdb_options()) {
    shape += option + "\n";
  }
  return cluster_base() / ("sharectl-pg-template-" + sha256_hex(shape).substr(0, 16));
}

// A complete template at root (it is renamed into place only once complete), or an error.
Result<TemplateCluster> load_template(const fs::path& root) {
  std::ifstream in(root / "password");
  std::string password;
  if (!std::getline(in, password) || password.empty() ||
      !fs::exists(root / "data" / "global" / "pg_control")) {
    return fail(ErrorCode::not_found, "no usable template cluster at " + root.string());
  }
  return TemplateCluster{root, password};
}

// Builds a template in a staging directory and renames it to final_root; when another test
// process got there first, uses theirs.
Result<TemplateCluster> build_template(ProcessRunner& runner, const fs::path& bindir,
                                       const fs::path& final_root) {
  auto owner = postgres_user();
  if (!owner) {
    return std::unexpected(owner.error());
  }
  const std::string password = random_hex(24);
  TempDir staging(cluster_base(), run_scoped_prefix(k_dir_prefix));
  const fs::path root = staging.path();
  const fs::path data = root / "data";
  std::error_code ec;
  fs::permissions(root, k_traversable, ec);
  for (const fs::path& dir : {data, root / "socket"}) {
    if (auto status = make_postgres_dir(dir, *owner, fs::perms::owner_all); !status) {
      return std::unexpected(status.error());
    }
  }
  // initdb refuses to run as root: drop to the postgres user (setpriv execs, no PAM session).
  Command initdb;
  initdb.program = "setpriv";
  initdb.args = {"--reuid=postgres", "--regid=postgres", "--init-groups",
                 (bindir / "initdb").string(), "--pgdata=" + data.string()};
  for (const std::string& option : initdb_options()) {
    initdb.args.push_back(option);
  }
  initdb.working_dir = root;
  initdb.timeout = std::chrono::seconds(120);
  auto initdb_result = runner.run(initdb);
  if (!initdb_result) {
    return std::unexpected(initdb_result.error());
  }
  if (auto status = check_exit(initdb, *initdb_result); !status) {
    return std::unexpected(status.error());
  }
  {
    std::ofstream conf(data / "postgresql.conf", std::ios::app);
    conf << k_test_settings;
    if (!conf) {
      return fail(ErrorCode::internal, "cannot append to postgresql.conf");
    }
  }
  // Start it once on its unix socket only to create the role and database, then stop it
  // cleanly (fast shutdown checkpoints, so copies start without recovery).
  const fs::path log = root / "template.log";
  auto process = spawn_postmaster(
      bindir, data, log,
      {"-c", "listen_addresses=", "-c", "unix_socket_directories=" + (root / "socket").string()});
  if (!process) {
    return std::unexpected(process.error());
  }
  bool port_taken = false;
  if (auto status = wait_ready(*process, data, 0, log, port_taken); !status) {
    return std::unexpected(status.error());
  }
  const std::string sql = "CREATE ROLE " + std::string(k_test_role) + " LOGIN PASSWORD '" +
                          password + "';\nCREATE DATABASE " + std::string(k_test_database) +
                          " OWNER " + std::string(k_test_role) + ";\n";
  auto created = run_psql(
      runner, bindir, {"-h", (root / "socket").string(), "-U", "postgres", "-d", "postgres"}, sql);
  auto stopped = process->stop(SIGINT, k_fast_stop_grace);
  if (!created) {
    return std::unexpected(created.error());
  }
  if (!stopped || *stopped != 0) {
    return fail(ErrorCode::internal,
                "template postgres did not shut down cleanly:\n" + tail_of_file(log));
  }
  {
    std::ofstream out(root / "password");
    out << password << "\n";
    if (!out) {
      return fail(ErrorCode::internal, "cannot write the template's password file");
    }
  }
  fs::permissions(root / "password", fs::perms::owner_read | fs::perms::owner_write, ec);
  // Atomic: readers see no template or a complete one. Losing the race is fine (ENOTEMPTY):
  // the staging directory is removed with `staging` and the winner's template is used.
  fs::rename(root, final_root, ec);
  if (ec) {
    return load_template(final_root);
  }
  return TemplateCluster{final_root, password};
}

// The template, shared by every test process on the machine through a fixed path (building it
// costs one initdb, ~1 s; ctest runs each test case in its own process). It is kept on purpose
// (~30 MB) and never changes once in place. A failure is not cached: the next caller retries.
Result<TemplateCluster> shared_template(ProcessRunner& runner, const fs::path& bindir) {
  static std::mutex mutex;
  static std::optional<TemplateCluster> cached;
  const std::lock_guard lock(mutex);
  if (!cached) {
    // Clusters of crashed runs would hold tmpfs memory until reboot.
    remove_leftovers_of_dead_runs(cluster_base(), k_dir_prefix);
    const fs::path path = template_path(bindir);
    auto found = load_template(path);
    if (!found) {
      found = build_template(runner, bindir, path);
    }
    if (!found) {
      return std::unexpected(found.error());
    }
    cached = std::move(*found);
  }
  return *cached;
}

} // namespace

std::optional<fs::path> find_postgres_bindir() {
  if (const char* env = std::getenv("SHARECTL_PG_BINDIR"); env != nullptr && *env != '\0') {
    return ::access((fs::path(env) / "initdb").c_str(), X_OK) == 0 ? std::optional<fs::path>(env)
                                                                   : std::nullopt;
  }
  std::optional<fs::path> best;
  int best_version = -1;
  std::error_code ec;
  for (fs::directory_iterator it("/usr/lib/postgresql", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos ||
        ::access((it->path() / "bin" / "initdb").c_str(), X_OK) != 0) {
      continue;
    }
    if (const int version = std::stoi(name); version > best_version) {
      best_version = version;
      best = it->path() / "bin";
    }
  }
  if (best) {
    return best;
  }
  if (auto initdb = find_program("initdb")) {
    return initdb->parent_path();
  }
  return std::nullopt;
}

PostgresServer::PostgresServer()
    : m_dir(cluster_base(), run_scoped_prefix(k_dir_prefix)), m_runner(make_process_runner()),
      m_user(k_test_role), m_database(k_test_database) {
  std::filesystem::permissions(dir(), k_traversable);
}

PostgresServer::~PostgresServer() {
  if (m_process.pid() > 0) {
    (void)m_process.stop(SIGQUIT, k_immediate_stop_grace);
  }
}

fs::path PostgresServer::data_dir() const {
  return dir() / "data";
}

fs::path PostgresServer::log_path() const {
  return dir() / "postgres.log";
}

std::string PostgresServer::url() const {
  return "postgres://" + m_user + ":" + m_password + "@127.0.0.1:" + std::to_string(m_port) + "/" +
         m_database;
}

bool PostgresServer::running() {
  return m_process.running();
}

Status PostgresServer::start_once(bool first_start, bool& port_taken) {
  if (first_start) {
    m_port = free_tcp_port();
  }
  auto process = spawn_postmaster(m_bindir, data_dir(), log_path(),
                                  {"-p", std::to_string(m_port), "-c",
                                   "unix_socket_directories=" + (dir() / "socket").string()});
  if (!process) {
    return std::unexpected(process.error());
  }
  m_process = std::move(*process);
  return wait_ready(m_process, data_dir(), m_port, log_path(), port_taken);
}

Status PostgresServer::start() {
  if (running()) {
    return fail(ErrorCode::conflict, "postgres already runs (pid " + std::to_string(pid()) + ")");
  }
  if (!m_created) {
    auto bindir = find_postgres_bindir();
    if (!bindir) {
      return fail(ErrorCode::not_found, "PostgreSQL server binaries (initdb) not found");
    }
    m_bindir = *bindir;
    auto owner = postgres_user();
    if (!owner) {
      return std::unexpected(owner.error());
    }
    auto cluster = shared_template(*m_runner, m_bindir);
    if (!cluster) {
      return std::unexpected(cluster.error());
    }
    if (auto status = make_postgres_dir(dir() / "socket", *owner, fs::perms::owner_all); !status) {
      return status;
    }
    // cp -a keeps ownership (postgres) and modes; std::filesystem::copy would not.
    Command copy;
    copy.program = "cp";
    copy.args = {"-a", cluster->data_dir().string(), data_dir().string()};
    copy.timeout = std::chrono::seconds(120);
    auto copied = m_runner->run(copy);
    if (!copied) {
      return std::unexpected(copied.error());
    }
    if (auto status = check_exit(copy, *copied); !status) {
      return status;
    }
    m_password = cluster->password;
    m_created = true;
    Status status;
    for (int attempt = 0; attempt < k_start_attempts; ++attempt) {
      bool port_taken = false;
      status = start_once(true, port_taken);
      if (status || !port_taken) {
        return status;
      }
    }
    return status;
  }
  bool port_taken = false;
  return start_once(false, port_taken);
}

Status PostgresServer::stop() {
  if (m_process.pid() <= 0 || !m_process.running()) {
    if (m_process.pid() > 0) {
      (void)m_process.stop(SIGKILL, std::chrono::milliseconds(0)); // reap and sweep the group
    }
    return {};
  }
  auto stopped = m_process.stop(SIGINT, k_fast_stop_grace);
  if (!stopped) {
    return std::unexpected(stopped.error());
  }
  if (*stopped != 0) {
    return fail(ErrorCode::internal, "postgres fast shutdown ended with status " +
                                         std::to_string(*stopped) + ":\n" +
                                         tail_of_file(log_path()));
  }
  return {};
}

Status PostgresServer::restart() {
  if (auto status = stop(); !status) {
    return status;
  }
  return start();
}

Result<std::string> PostgresServer::psql(std::string_view sql) {
  if (m_bindir.empty()) {
    return fail(ErrorCode::unavailable, "psql: the server was never started");
  }
  return run_psql(*m_runner, m_bindir, {"--dbname=" + url()}, sql);
}

Result<std::string> PostgresServer::psql_superuser(std::string_view sql) {
  if (m_bindir.empty()) {
    return fail(ErrorCode::unavailable, "psql: the server was never started");
  }
  return run_psql(*m_runner, m_bindir,
                  {"-h", (dir() / "socket").string(), "-p", std::to_string(m_port), "-U",
                   "postgres", "-d", "postgres"},
                  sql);
}

} // namespace sharectl::test
