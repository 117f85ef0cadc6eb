// Running other programs (testparm, smbcontrol, btrfs, targetcli, pg_ctl, …): argv only, never a
// shell, with a timeout, captured output and a controlled environment. Everything the agent runs
// goes through ProcessRunner so command lines are unit-testable with a fake.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/util/error.hpp"

namespace sharectl {

// One program invocation.
struct Command {
  // An absolute path, or a bare name looked up on PATH (never interpreted by a shell).
  std::string program;
  // argv[1..]; each element reaches the program unchanged, whatever characters it holds.
  std::vector<std::string> args;
  // When set, the child's whole environment is exactly this map; otherwise it inherits ours.
  std::optional<std::map<std::string, std::string>> env;
  // Variables added to (or replacing in) the environment chosen above.
  std::map<std::string, std::string> env_overrides;
  // Working directory of the child; ours when unset.
  std::optional<std::filesystem::path> working_dir;
  // Bytes written to the child's stdin, which is then closed; /dev/null when unset.
  std::optional<std::string> stdin_data;
  // The child (and its process group) is killed when it runs longer than this (<= 0: at once).
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};

  // "program arg1 arg2 …" with arguments quoted where needed, for logs and error messages only.
  std::string display() const;
};

// What a finished program left behind. A non-zero exit is a result, not an Error.
struct ProcessResult {
  int exit_code = 0; // the exit status, or 128 + signal number when killed by a signal
  std::string out;   // captured stdout (truncated at k_max_capture bytes)
  std::string err;   // captured stderr (truncated at k_max_capture bytes)

  // True when the program exited with status 0.
  bool ok() const { return exit_code == 0; }
};

// Most bytes kept of each of stdout and stderr.
inline constexpr std::size_t k_max_capture = 16 * 1024 * 1024;

// Starts programs and waits for them.
class ProcessRunner {
public:
  virtual ~ProcessRunner() = default;

  // Runs the command to completion. Fails with not_found when the program (or working_dir) does
  // not exist, unavailable when it timed out (it is killed), bad_request when an argument or
  // environment entry cannot be passed (NUL byte, "=" in a name), internal when it could not be
  // started. Safe to call from several threads at once.
  virtual Result<ProcessResult> run(const Command& command) = 0;
};

// The real runner over Boost.Process.
std::unique_ptr<ProcessRunner> make_process_runner();

// Turns a finished run into an Error unless it exited 0: code internal (a host tool failed),
// message `"testparm" exited with status 1: LAST LINE` with the last non-blank line of its
// stderr (or stdout when stderr is blank).
Status check_exit(const Command& command, const ProcessResult& result);

} // namespace sharectl
