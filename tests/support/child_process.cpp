#include "tests/support/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sharectl::test {

namespace {

namespace fs = std::filesystem;

// The uid, gid and supplementary groups of a Unix user.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Result<Identity> lookup_identity(const std::string& user) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return fail(ErrorCode::not_found, "no Unix user '" + user + "'");
  }
  Identity identity{entry.pw_uid, entry.pw_gid, {}};
  int count = 64;
  identity.groups.resize(static_cast<std::size_t>(count));
  if (::getgrouplist(user.c_str(), entry.pw_gid, identity.groups.data(), &count) < 0) {
    identity.groups.resize(static_cast<std::size_t>(count));
    ::getgrouplist(user.c_str(), entry.pw_gid, identity.groups.data(), &count);
  }
  identity.groups.resize(static_cast<std::size_t>(count));
  return identity;
}

// Writes errno to the error pipe and exits; only async-signal-safe calls (we are post-fork).
[[noreturn]] void child_fail(int error_fd) {
  const int error = errno;
  [[maybe_unused]] const auto written = ::write(error_fd, &error, sizeof(error));
  ::_exit(127);
}

int decode_status(const siginfo_t& info) {
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

} // namespace

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) {
    return fail(ErrorCode::internal, "spawn: empty argv");
  }
  const std::optional<std::filesystem::path> program = find_program(options.argv.front());
  if (!program) {
    return fail(ErrorCode::not_found, "program not found: " + options.argv.front());
  }
  std::optional<Identity> identity;
  if (options.run_as) {
    auto found = lookup_identity(*options.run_as);
    if (!found) {
      return std::unexpected(found.error());
    }
    identity = std::move(*found);
  }

  // Everything the child needs is prepared before fork: after it only syscalls are allowed.
  std::vector<char*> argv;
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const int log_fd =
      ::open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return fail(ErrorCode::internal,
                "open " + options.log_file.string() + ": " + std::strerror(errno));
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int error_pipe[2] = {-1, -1};
  if (null_fd < 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    const std::string message = std::strerror(errno);
    ::close(log_fd);
    if (null_fd >= 0) {
      ::close(null_fd);
    }
    return fail(ErrorCode::internal, "spawn " + program->string() + ": " + message);
  }
  const pid_t parent = ::getpid();
  const int death_signal = options.parent_death_signal;

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int error_fd = error_pipe[1];
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGCHLD, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    if (::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) {
      child_fail(error_fd);
    }
    if (identity) {
      if (::setgroups(identity->groups.size(), identity->groups.data()) != 0 ||
          ::setgid(identity->gid) != 0 || ::setuid(identity->uid) != 0) {
        child_fail(error_fd);
      }
    }
    // After the credential change, which clears the parent-death signal.
    if (death_signal != 0) {
      if (::prctl(PR_SET_PDEATHSIG, death_signal) != 0) {
        child_fail(error_fd);
      }
      if (::getppid() != parent) {
        ::_exit(1); // the test process died while we were starting
      }
    }
    // Descriptors the test process leaked without O_CLOEXEC must not reach the server.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execve(program->c_str(), argv.data(), environ);
    child_fail(error_fd);
  }
  const int fork_errno = errno;
  ::close(error_pipe[1]);
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) {
    ::close(error_pipe[0]);
    return fail(ErrorCode::internal, "fork: " + std::string(std::strerror(fork_errno)));
  }
  int child_errno = 0;
  ssize_t got = 0;
  do {
    got = ::read(error_pipe[0], &child_errno, sizeof(child_errno));
  } while (got < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  ChildProcess child;
  child.m_pid = pid;
  if (got == static_cast<ssize_t>(sizeof(child_errno))) {
    child.reap(true);
    child.m_pid = 0;
    return fail(child_errno == ENOENT ? ErrorCode::not_found : ErrorCode::internal,
                "cannot start " + program->string() + ": " + std::strerror(child_errno));
  }
  return child;
}

ChildProcess::~ChildProcess() {
  if (m_pid > 0 && !m_status) {
    (void)stop(SIGTERM, std::chrono::seconds(5));
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, 0)), m_status(std::exchange(other.m_status, {})) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (m_pid > 0 && !m_status) {
      (void)stop(SIGTERM, std::chrono::seconds(5));
    }
    m_pid = std::exchange(other.m_pid, 0);
    m_status = std::exchange(other.m_status, {});
  }
  return *this;
}

bool ChildProcess::running() {
  return m_pid > 0 && !exit_status();
}

std::optional<int> ChildProcess::exit_status() {
  if (m_pid <= 0 || m_status) {
    return m_status;
  }
  // WNOWAIT: look without reaping, so the pid (and the process group id) stays ours until
  // stop() has swept the group.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      info.si_pid == m_pid) {
    return decode_status(info);
  }
  return std::nullopt;
}

void ChildProcess::reap(bool block) {
  siginfo_t info{};
  int result = 0;
  do {
    result = ::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | (block ? 0 : WNOHANG));
  } while (result != 0 && errno == EINTR);
  if (result == 0 && info.si_pid == m_pid) {
    m_status = decode_status(info);
  } else if (result != 0 && errno == ECHILD) {
    m_status = 128 + SIGKILL; // reaped elsewhere; nothing left to wait for
  }
}

Result<int> ChildProcess::stop(int signal, std::chrono::milliseconds grace) {
  if (m_pid <= 0) {
    return fail(ErrorCode::internal, "stop: no process was started");
  }
  if (m_status) {
    return *m_status;
  }
  const auto wait_exit = [this](std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!exit_status()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  };
  if (!exit_status()) {
    ::kill(m_pid, signal);
    if (!wait_exit(grace)) {
      ::kill(-m_pid, SIGKILL);
      ::kill(m_pid, SIGKILL);
      if (!wait_exit(std::chrono::seconds(5))) {
        return fail(ErrorCode::internal,
                    "process " + std::to_string(m_pid) + " survived SIGKILL for 5 s");
      }
    }
  }
  // The leader is a zombie we have not reaped, so its pid still names our group: sweep any
  // children it left behind, then reap.
  ::kill(-m_pid, SIGKILL);
  reap(true);
  return m_status.value_or(128 + SIGKILL);
}

std::optional<fs::path> find_program(std::string_view program) {
  const std::string name(program);
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? std::optional<fs::path>(name) : std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  std::istringstream path(std::string(path_env != nullptr ? path_env : "/usr/bin:/bin") +
                          ":/usr/sbin:/sbin");
  std::string dir;
  while (std::getline(path, dir, ':')) {
    if (dir.empty()) {
      continue;
    }
    const fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) {
    return false;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!std::getline(stat, content)) {
    return false;
  }
  const auto paren = content.rfind(')');
  if (paren == std::string::npos || paren + 2 >= content.size()) {
    return false;
  }
  const char state = content[paren + 2];
  return state != 'Z' && state != 'X' && state != 'x';
}

int kill_processes_with_argument(const std::string& marker, std::chrono::milliseconds grace) {
  std::vector<pid_t> victims;
  const pid_t self = ::getpid();
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == self) {
      continue;
    }
    std::ifstream cmdline(it->path() / "cmdline", std::ios::binary);
    std::string argument;
    while (std::getline(cmdline, argument, '\0')) {
      if (argument.find(marker) != std::string::npos) {
        victims.push_back(pid);
        break;
      }
    }
  }
  for (const pid_t pid : victims) {
    ::kill(pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (const pid_t pid : victims) {
    while (process_alive(pid) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (process_alive(pid)) {
      ::kill(pid, SIGKILL);
    }
  }
  return static_cast<int>(victims.size());
}

namespace {

// The pid in "<pid>-…" at the start of text; 0 when text does not start that way.
pid_t leading_pid(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == 0 || dash == std::string_view::npos ||
      text.substr(0, dash).find_first_not_of("0123456789") != std::string_view::npos) {
    return 0;
  }
  return static_cast<pid_t>(std::stol(std::string(text.substr(0, dash))));
}

} // namespace

std::string run_scoped_prefix(std::string_view prefix) {
  return std::string(prefix) + std::to_string(::getpid()) + "-";
}

int remove_leftovers_of_dead_runs(const std::filesystem::path& base, std::string_view prefix) {
  const std::string marker = (base / prefix).string();
  const pid_t self = ::getpid();
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == self) {
      continue;
    }
    std::ifstream cmdline(it->path() / "cmdline", std::ios::binary);
    std::string argument;
    while (std::getline(cmdline, argument, '\0')) {
      const auto at = argument.find(marker);
      if (at == std::string::npos) {
        continue;
      }
      const pid_t owner = leading_pid(std::string_view(argument).substr(at + marker.size()));
      if (owner > 0 && owner != self && !process_alive(owner)) {
        ::kill(pid, SIGKILL);
      }
      break;
    }
  }
  int removed = 0;
  const std::string prefix_text(prefix);
  for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix_text)) {
      continue;
    }
    const pid_t owner = leading_pid(std::string_view(name).substr(prefix_text.size()));
    if (owner > 0 && owner != self && !process_alive(owner)) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
      ++removed;
    }
  }
  return removed;
}

std::string tail_of_file(const std::filesystem::path& file, std::size_t max_lines) {
  std::ifstream in(file);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) {
      lines.pop_front();
    }
  }
  std::string out;
  for (const std::string& kept : lines) {
    out += kept;
    out += '\n';
  }
  return out;
}

} // namespace sharectl::test
