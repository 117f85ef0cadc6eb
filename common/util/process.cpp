// The real ProcessRunner over Boost.Process v2 (the only file that includes Boost.Process: it is
// heavy to compile).
//
// Boost.Process v2 (1.81) forks, reports exec failures through its CLOEXEC error pipe, and
// waits for the child through a pidfd on our own io_context, so there is no process-wide SIGCHLD
// handler and concurrent run() calls from many threads do not interfere. Three defects of the
// 1.81 posix launcher are worked around here rather than inherited:
//   * its close_all() (Linux close_range branch) compares a whitelist entry with itself, so
//     descriptors between 3 and its error pipe survive into the child: ChildSetup closes every
//     descriptor >= 3 itself;
//   * after a failed exec it calls exit(), running the parent's atexit handlers and static
//     destructors in the child (duplicated stdio buffers, possible deadlock): ChildSetup execs
//     itself and ends with _exit();
//   * a failed launch returns a process without its pid, leaving a zombie: we reap
//     launcher.pid ourselves.
// The child runs in its own process group so that a timeout kills everything it started.

#include "common/util/process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
// Boost.Process v2 in 1.81 uses these without including them when BOOST_PROCESS_USE_STD_FS is set.
#include <boost/io/quoted.hpp>
#include <boost/optional.hpp>
#include <boost/type_traits/decay.hpp>
#include <boost/type_traits/is_convertible.hpp>
// (keep the Boost.Process includes after the workaround above)
#include <boost/process/v2/default_launcher.hpp>
#include <boost/process/v2/process.hpp>

extern "C" char** environ;

namespace sharectl {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

using Clock = std::chrono::steady_clock;

// Read size for the child's stdout and stderr.
constexpr std::size_t k_read_chunk = 64 * 1024;
// After the child exits, how long descendants that inherited its stdout/stderr may keep them
// open before we stop reading (the result is still the child's).
constexpr std::chrono::milliseconds k_drain_after_exit{1000};
// After SIGKILL, how long we wait to reap before leaving it to a background thread (a process
// in uninterruptible sleep, e.g. on a hung NFS or btrfs, dies only when the kernel lets it).
constexpr std::chrono::milliseconds k_reap_grace{5000};
// PATH when neither the child's environment nor ours has one.
constexpr std::string_view k_default_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Characters that never need quoting in display().
bool is_plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
}

std::string quote_for_display(std::string_view word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), is_plain)) {
    return std::string(word);
  }
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

// "30s", "0.2s", "1.234s".
std::string format_seconds(std::chrono::milliseconds ms) {
  const auto count = ms.count();
  std::string out = std::to_string(count / 1000);
  if (const auto frac = count % 1000; frac > 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, 3 - digits.size(), '0');
    while (digits.back() == '0') {
      digits.pop_back();
    }
    out += '.' + digits;
  }
  return out + 's';
}

std::string quote_name(std::string_view program) {
  return '"' + std::string(program) + '"';
}

// The last line of text that is not blank, trimmed and capped in length.
std::string last_nonempty_line(std::string_view text) {
  constexpr std::size_t k_max_line = 1000;
  constexpr std::string_view k_space = " \t\r\n\f\v";
  while (!text.empty()) {
    const auto end = text.find_last_not_of(k_space);
    if (end == std::string_view::npos) {
      return {};
    }
    text = text.substr(0, end + 1);
    const auto newline = text.find_last_of('\n');
    std::string_view line = newline == std::string_view::npos ? text : text.substr(newline + 1);
    const auto begin = line.find_first_not_of(k_space);
    if (begin != std::string_view::npos) {
      line.remove_prefix(begin);
      if (line.size() > k_max_line) {
        return std::string(line.substr(0, k_max_line)) + "...";
      }
      return std::string(line);
    }
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(0, newline);
  }
  return {};
}

bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

// The environment the child gets, as "KEY=VALUE" strings; nullopt means "exactly ours".
Result<std::optional<std::vector<std::string>>> child_environment(const Command& command) {
  if (!command.env && command.env_overrides.empty()) {
    return std::optional<std::vector<std::string>>{};
  }
  std::map<std::string, std::string> vars;
  if (command.env) {
    vars = *command.env;
  } else {
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      const std::string_view kv(*entry);
      const auto eq = kv.find('=');
      if (eq != std::string_view::npos && eq > 0) {
        vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
      }
    }
  }
  for (const auto& [key, value] : command.env_overrides) {
    vars.insert_or_assign(key, value);
  }
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [key, value] : vars) {
    if (key.empty() || key.find('=') != std::string::npos || has_nul(key) || has_nul(value)) {
      return fail(ErrorCode::bad_request, "invalid environment variable " + quote_name(key) +
                                              " for " + quote_name(command.program));
    }
    out.push_back(key + '=' + value);
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

bool is_executable_file(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The executable for command.program: absolute as given, relative-with-slash against our working
// directory, a bare name on PATH (absolute PATH entries only: an empty or relative entry would
// search wherever we happen to be). PATH is the child's when its environment sets one.
Result<std::filesystem::path> resolve_program(const Command& command,
                                              const std::optional<std::vector<std::string>>& env) {
  const std::string& program = command.program;
  if (program.empty() || has_nul(program)) {
    return fail(ErrorCode::bad_request, "invalid program name " + quote_name(program));
  }
  if (program.find('/') != std::string::npos) {
    std::error_code ec;
    auto path = std::filesystem::absolute(program, ec);
    if (ec) {
      return fail(ErrorCode::internal,
                  "cannot resolve " + quote_name(program) + ": " + ec.message());
    }
    if (!std::filesystem::exists(path, ec)) {
      return fail(ErrorCode::not_found, "program " + quote_name(program) + " not found");
    }
    return path;
  }
  std::string path_var;
  bool found_path = false;
  if (env) {
    for (const auto& kv : *env) {
      if (kv.starts_with("PATH=")) {
        path_var = kv.substr(5);
        found_path = true;
      }
    }
  }
  if (!found_path) {
    const char* ours = std::getenv("PATH");
    path_var = ours != nullptr ? ours : std::string(k_default_path);
  }
  std::string_view rest = path_var;
  while (true) {
    const auto colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    if (!dir.empty() && dir.front() == '/') {
      auto candidate = std::filesystem::path(dir) / program;
      if (is_executable_file(candidate)) {
        return candidate;
      }
    }
    if (colon == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(colon + 1);
  }
  return fail(ErrorCode::not_found, "program " + quote_name(program) + " not found on PATH");
}

// Closes every descriptor >= 3 except those in keep (sorted). Async-signal-safe.
int close_descriptors_except(const std::vector<int>& keep) {
  unsigned int low = 3;
  auto close_span = [](unsigned int from, unsigned int to) -> int {
    if (::close_range(from, to, 0) == 0) {
      return 0;
    }
    if (errno != ENOSYS) {
      return errno;
    }
    struct rlimit limit {};
    unsigned int max = 65536;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
      max = static_cast<unsigned int>(std::min<rlim_t>(limit.rlim_cur, ~0U));
    }
    for (unsigned int fd = from; fd <= to && fd < max; ++fd) {
      ::close(static_cast<int>(fd));
    }
    return 0;
  };
  for (const int fd : keep) {
    if (fd < 0 || static_cast<unsigned int>(fd) < low) {
      continue;
    }
    if (static_cast<unsigned int>(fd) > low) {
      if (const int err = close_span(low, static_cast<unsigned int>(fd) - 1); err != 0) {
        return err;
      }
    }
    low = static_cast<unsigned int>(fd) + 1;
  }
  return close_span(low, ~0U);
}

// A Boost.Process v2 initializer that prepares the forked child and execs it. It runs between
// fork and exec, so it uses only async-signal-safe calls and memory prepared by the parent.
struct ChildSetup {
  std::array<int, 3> stdio{-1, -1, -1}; // become the child's 0, 1, 2
  const char* working_dir = nullptr;    // chdir here when set

  template <typename Launcher>
  bp::error_code on_exec_setup(Launcher& launcher, const bp::filesystem::path& executable,
                               const char* const* argv) {
    // The launcher's CLOEXEC error pipe is the last whitelisted descriptor; it reads the errno
    // we write there and sees EOF when exec succeeds.
    // (Should a later Boost change that, the parent sees exit status 127 instead of an errno.)
    const int report_fd = launcher.fd_whitelist.empty() ? -1 : launcher.fd_whitelist.back();
    int err = prepare(launcher.fd_whitelist);
    if (err == 0) {
      ::execve(executable.c_str(), const_cast<char* const*>(argv),
               const_cast<char* const*>(launcher.env));
      err = errno;
    }
    if (report_fd > 2) {
      [[maybe_unused]] const auto written = ::write(report_fd, &err, sizeof err);
    }
    ::_exit(127);
  }

  int prepare(std::vector<int>& keep) const {
    if (::setpgid(0, 0) != 0) {
      return errno;
    }
    // Signal dispositions set to "ignore" and the blocked mask survive exec: start clean.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) {
        ::sigaction(sig, &dfl, nullptr);
      }
    }
    // Move the three sources above 2 first, so that dup2 cannot overwrite one with another.
    std::array<int, 3> moved{};
    for (std::size_t i = 0; i < 3; ++i) {
      moved[i] = ::fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
      if (moved[i] < 0) {
        return errno;
      }
    }
    for (std::size_t i = 0; i < 3; ++i) {
      if (::dup2(moved[i], static_cast<int>(i)) < 0) {
        return errno;
      }
    }
    if (working_dir != nullptr && ::chdir(working_dir) != 0) {
      return errno;
    }
    std::sort(keep.begin(), keep.end());
    return close_descriptors_except(keep);
  }
};

// A descriptor owned by the parent, closed on destruction.
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }

  int get() const { return m_fd; }
  int release() { return std::exchange(m_fd, -1); }
  void reset() {
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }

private:
  int m_fd = -1;
};

// A pipe, both ends CLOEXEC (the child gets its end through dup2, which clears the flag).
Result<std::pair<Fd, Fd>> make_pipe(const Command& command) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(ErrorCode::internal, "cannot create a pipe for " + quote_name(command.program) +
                                         ": " + std::strerror(errno));
  }
  return std::pair<Fd, Fd>(Fd(fds[0]), Fd(fds[1]));
}

// Blocks SIGPIPE in this thread while it writes to a child's stdin (a child that exits without
// reading it must give us EPIPE, not kill us), then discards a SIGPIPE raised meanwhile.
class SigpipeBlock {
public:
  SigpipeBlock() {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    m_was_pending = sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &m_old);
  }
  ~SigpipeBlock() {
    if (!m_was_pending) {
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      const struct timespec zero {};
      while (::sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
  sigset_t m_old{};
  bool m_was_pending = false;
};

using Process = bp::basic_process<asio::io_context::executor_type>;

// The parent's side of one running child: pumps stdin, stdout and stderr, waits for the exit and
// enforces the deadline, all on one io_context owned by the calling thread.
class Session {
public:
  Session(asio::io_context& ctx, Process& process, const Command& command, Fd stdin_w, Fd stdout_r,
          Fd stderr_r)
      : m_ctx(ctx), m_process(process), m_command(command), m_stdin(ctx), m_stdout(ctx),
        m_stderr(ctx), m_timer(ctx), m_out_buffer(k_read_chunk), m_err_buffer(k_read_chunk) {
    if (stdin_w.get() >= 0) {
      m_stdin.assign(stdin_w.release());
    }
    m_stdout.assign(stdout_r.release());
    m_stderr.assign(stderr_r.release());
  }

  void start(Clock::time_point deadline) {
    read(m_stdout, m_out_buffer, m_result.out, m_stdout_open);
    read(m_stderr, m_err_buffer, m_result.err, m_stderr_open);
    if (m_stdin.is_open()) {
      asio::async_write(m_stdin, asio::buffer(*m_command.stdin_data),
                        [this](const boost::system::error_code&, std::size_t) { close(m_stdin); });
    }
    m_process.async_wait([this](const boost::system::error_code& ec, int) {
      m_exited = true;
      if (ec) {
        m_wait_error = ec;
      } else {
        m_status = m_process.native_exit_code();
      }
      if (m_timed_out) {
        finish();
        return;
      }
      m_timer.expires_at(std::min(m_timer.expiry(), Clock::now() + k_drain_after_exit));
      arm_timer();
      maybe_finish();
    });
    m_timer.expires_at(deadline);
    arm_timer();
  }

  bool timed_out() const { return m_timed_out; }
  bool exited() const { return m_exited; }
  const boost::system::error_code& wait_error() const { return m_wait_error; }
  int status() const { return m_status; }
  ProcessResult& result() { return m_result; }

private:
  template <typename Pipe>
  static void close(Pipe& pipe) {
    boost::system::error_code ignored;
    pipe.close(ignored);
  }

  void read(asio::readable_pipe& pipe, std::vector<char>& buffer, std::string& sink, bool& open) {
    pipe.async_read_some(
        asio::buffer(buffer),
        [this, &pipe, &buffer, &sink, &open](const boost::system::error_code& ec, std::size_t n) {
          if (n > 0 && sink.size() < k_max_capture) {
            sink.append(buffer.data(), std::min(n, k_max_capture - sink.size()));
          }
          if (ec) {
            open = false;
            close(pipe);
            maybe_finish();
            return;
          }
          read(pipe, buffer, sink, open); // keep draining past the cap so the child never blocks
        });
  }

  void arm_timer() {
    m_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec == asio::error::operation_aborted || m_finished) {
        return;
      }
      if (m_exited) {
        finish(); // descendants still hold stdout/stderr: stop reading, the child is done
        return;
      }
      if (!m_timed_out) {
        m_timed_out = true;
        const auto pid = m_process.id();
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        close(m_stdin);
        close(m_stdout);
        close(m_stderr);
        m_timer.expires_after(k_reap_grace);
        arm_timer();
        return;
      }
      // Killed but still not reaped after the grace period: give up waiting.
      finish();
    });
  }

  void maybe_finish() {
    if (m_exited && !m_stdout_open && !m_stderr_open) {
      finish();
    }
  }

  void finish() {
    if (m_finished) {
      return;
    }
    m_finished = true;
    close(m_stdin);
    close(m_stdout);
    close(m_stderr);
    m_timer.cancel();
    if (!m_exited) {
      m_ctx.stop(); // the pidfd wait stays pending: abandon it
    }
  }

  asio::io_context& m_ctx;
  Process& m_process;
  const Command& m_command;
  asio::writable_pipe m_stdin;
  asio::readable_pipe m_stdout;
  asio::readable_pipe m_stderr;
  asio::steady_timer m_timer;
  std::vector<char> m_out_buffer;
  std::vector<char> m_err_buffer;
  ProcessResult m_result;
  bool m_stdout_open = true;
  bool m_stderr_open = true;
  bool m_exited = false;
  bool m_timed_out = false;
  bool m_finished = false;
  int m_status = 0;
  boost::system::error_code m_wait_error;
};

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 255;
}

void reap_blocking(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

class RealProcessRunner final : public ProcessRunner {
public:
  Result<ProcessResult> run(const Command& command) override {
    try {
      return run_checked(command);
    } catch (const std::exception& e) {
      return fail(ErrorCode::internal,
                  "cannot run " + quote_name(command.program) + ": " + e.what());
    }
  }

private:
  Result<ProcessResult> run_checked(const Command& command) {
    for (std::size_t i = 0; i < command.args.size(); ++i) {
      if (has_nul(command.args[i])) {
        return fail(ErrorCode::bad_request, "argument " + std::to_string(i + 1) + " of " +
                                                quote_name(command.program) +
                                                " contains a NUL byte");
      }
    }
    auto env = child_environment(command);
    if (!env) {
      return std::unexpected(env.error());
    }
    auto executable = resolve_program(command, *env);
    if (!executable) {
      return std::unexpected(executable.error());
    }
    std::string working_dir;
    if (command.working_dir) {
      working_dir = command.working_dir->string();
      std::error_code ec;
      if (!std::filesystem::is_directory(*command.working_dir, ec)) {
        return fail(ErrorCode::not_found, "working directory " + working_dir + " of " +
                                              quote_name(command.program) + " does not exist");
      }
    }
    std::vector<const char*> envp;
    if (*env) {
      envp.reserve((*env)->size() + 1);
      for (const auto& kv : **env) {
        envp.push_back(kv.c_str());
      }
      envp.push_back(nullptr);
    }

    // Our ends are CLOEXEC; the child's ends reach it only through ChildSetup's dup2.
    Fd stdin_r, stdin_w;
    if (command.stdin_data) {
      auto p = make_pipe(command);
      if (!p) {
        return std::unexpected(p.error());
      }
      stdin_r = std::move(p->first);
      stdin_w = std::move(p->second);
    } else {
      stdin_r = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (stdin_r.get() < 0) {
        return fail(ErrorCode::internal,
                    std::string("cannot open /dev/null: ") + std::strerror(errno));
      }
    }
    auto out = make_pipe(command);
    if (!out) {
      return std::unexpected(out.error());
    }
    auto err = make_pipe(command);
    if (!err) {
      return std::unexpected(err.error());
    }

    asio::io_context ctx(1);
    ChildSetup setup;
    setup.stdio = {stdin_r.get(), out->second.get(), err->second.get()};
    setup.working_dir = command.working_dir ? working_dir.c_str() : nullptr;
    bp::default_process_launcher launcher;
    if (!envp.empty()) {
      launcher.env = envp.data();
    }
    boost::system::error_code launch_error;
    const auto started = Clock::now();
    Process process = launcher(ctx.get_executor(), launch_error, *executable, command.args, setup);
    if (launch_error) {
      if (launcher.pid > 0) {
        reap_blocking(launcher.pid); // the child _exit()s right after reporting
      }
      const int code = launch_error.value();
      return fail(code == ENOENT ? ErrorCode::not_found : ErrorCode::internal,
                  "cannot run " + quote_name(command.program) + " (" + executable->string() +
                      "): " + launch_error.message());
    }
    stdin_r.reset();
    out->second.reset();
    err->second.reset();

    Session session(ctx, process, command, std::move(stdin_w), std::move(out->first),
                    std::move(err->first));
    {
      SigpipeBlock block_sigpipe;
      session.start(started + command.timeout);
      ctx.run();
    }

    if (!session.exited()) {
      // SIGKILLed but not reapable yet (uninterruptible sleep): reap it in the background so it
      // does not stay a zombie, and never let ~basic_process block on it.
      const pid_t pid = process.id();
      process.detach();
      std::thread([pid] { reap_blocking(pid); }).detach();
    } else {
      process.detach(); // already reaped: its pid may belong to someone else by now
    }

    if (session.timed_out()) {
      return fail(ErrorCode::unavailable, quote_name(command.program) + " timed out after " +
                                              format_seconds(command.timeout));
    }
    if (session.wait_error()) {
      return fail(ErrorCode::internal, "cannot wait for " + quote_name(command.program) + ": " +
                                           session.wait_error().message());
    }
    ProcessResult result = std::move(session.result());
    result.exit_code = decode_status(session.status());
    return result;
  }
};

} // namespace

std::string Command::display() const {
  std::string out = quote_for_display(program);
  for (const auto& arg : args) {
    out += ' ';
    out += quote_for_display(arg);
  }
  return out;
}

std::unique_ptr<ProcessRunner> make_process_runner() {
  return std::make_unique<RealProcessRunner>();
}

Status check_exit(const Command& command, const ProcessResult& result) {
  if (result.ok()) {
    return {};
  }
  std::string message =
      quote_name(command.program) + " exited with status " + std::to_string(result.exit_code);
  std::string line = last_nonempty_line(result.err);
  if (line.empty()) {
    line = last_nonempty_line(result.out);
  }
  if (!line.empty()) {
    message += ": " + line;
  }
  return fail(ErrorCode::internal, std::move(message));
}

} // namespace sharectl
