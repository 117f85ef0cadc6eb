// Long-running server processes for test fixtures (smbd, postgres): started with fork/exec in a
// process group of their own, stdout/stderr appended to a log file, optionally as another Unix
// user, and killed by the kernel when the test process dies (parent-death signal), so a crashed
// run leaves nothing behind. Stopping is by pid: a signal, a grace period, then SIGKILL to the
// whole group. Short commands (smbclient, psql, useradd) go through ProcessRunner instead.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "common/util/error.hpp"

namespace sharectl::test {

// How to start a server process.
struct SpawnOptions {
  // argv[0] (absolute, or a name looked up on PATH) and its arguments.
  std::vector<std::string> argv;
  // stdout and stderr are appended here; stdin is /dev/null.
  std::filesystem::path log_file;
  // When set, the child runs as this Unix user (its uid, primary gid and supplementary groups).
  std::optional<std::string> run_as;
  // Sent to the child by the kernel when the thread that spawned it dies (e.g. SIGTERM for
  // smbd, SIGQUIT for postgres). Start fixtures from the test's own thread.
  int parent_death_signal = 0;
};

// A started child process, reaped by this object. Moving is allowed; copying is not.
class ChildProcess {
public:
  // Starts the process. Fails with not_found when the program or user does not exist, internal
  // when fork/exec or opening the log file fails.
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  ChildProcess() = default;
  // Stops the process (SIGTERM, 5 s grace, SIGKILL) if it still runs.
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The child's pid (also its process group id); 0 when nothing was started.
  pid_t pid() const { return m_pid; }

  // True while the child has not exited (reaps it when it has).
  bool running();

  // The exit status once it exited: the exit code, or 128 + signal; nullopt while running.
  std::optional<int> exit_status();

  // Sends signal, waits up to grace for the child to exit, then SIGKILLs the child and its
  // process group and reaps it. Returns the exit status; fails (internal) only when the child
  // survives SIGKILL for 5 s.
  Result<int> stop(int signal, std::chrono::milliseconds grace);

private:
  void reap(bool block);

  pid_t m_pid = 0;
  std::optional<int> m_status;
};

// Where program lives: as given when it contains a slash and is executable, else the first
// match on PATH (plus /usr/sbin and /sbin, which a non-login root shell may lack); nullopt when
// missing.
std::optional<std::filesystem::path> find_program(std::string_view program);

// True while a process with this pid exists and is not a zombie (this sandbox's pid 1 reaps
// orphans late, so a dead daemon can linger as a zombie for a while).
bool process_alive(pid_t pid);

// Kills (SIGTERM, then SIGKILL after grace) every process whose command line has an argument
// containing marker — e.g. "--configfile=/tmp/sharectl-test-AbC123/smb.conf", which only
// processes a fixture started carry (smbd's on-demand samba-dcerpcd and rpcd_* helpers detach
// into their own session and outlive smbd). Returns how many processes were signalled.
int kill_processes_with_argument(const std::string& marker, std::chrono::milliseconds grace);

// Crash clean-up for fixture directories named <base>/<prefix><pid>-XXXXXX (see
// run_scoped_prefix): SIGKILLs every process with an argument naming such a directory of a pid
// that no longer runs (e.g. samba-dcerpcd left by a killed test run), then removes those
// directories. Directories of live test processes are left alone. Returns how many directories
// were removed.
int remove_leftovers_of_dead_runs(const std::filesystem::path& base, std::string_view prefix);

// prefix + "<our pid>-", for TempDir(base, …) directories that remove_leftovers_of_dead_runs
// can attribute to this process.
std::string run_scoped_prefix(std::string_view prefix);

// The last max_lines lines of a (log) file, for error messages; empty when unreadable.
std::string tail_of_file(const std::filesystem::path& file, std::size_t max_lines = 15);

} // namespace sharectl::test
