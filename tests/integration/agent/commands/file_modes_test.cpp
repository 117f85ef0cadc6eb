// The real `sharectl-agent` keeps its store and TLS key private whatever the umask
// (agent/commands/file_modes.hpp): `init` under umask 022 leaves the store directory 0700, state.db
// 0600 and the key 0600, and the -wal/-shm files `run` opens are 0600 too; `run` and
// `check-config` refuse (exit 2) a state.db made 0644, naming it, its mode and the chmod fix; 0600
// lets `run` start again, and `init` tightens loose modes itself and says so. Everything lives in
// the fixture's temp dir; the agent is stopped by pid.
#include <csignal>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "common/util/process.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/scoped_umask.hpp"

using namespace sharectl;
namespace fs = std::filesystem;

namespace {

::mode_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, path.string());
  return st.st_mode & 07777;
}

using test::ScopedUmask;

// Runs `sharectl-agent COMMAND --config CONFIG` to completion (stdin from `input`), outside the
// journal so that `run` logs to its stderr.
ProcessResult agent_command(const std::string& command, const fs::path& config,
                            std::optional<std::string> input = {}) {
  Command cmd;
  cmd.program = test::agent_binary();
  cmd.args = {command, "--config", config.string()};
  cmd.env = std::map<std::string, std::string>{{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
                                               {"LANG", "C.UTF-8"}};
  cmd.stdin_data = std::move(input);
  cmd.timeout = std::chrono::seconds(60);
  auto ran = make_process_runner()->run(cmd);
  REQUIRE_MESSAGE(ran.has_value(), test::error_text(ran));
  return *ran;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("agent.commands") {

  TEST_CASE(
      "file modes: init under umask 022 makes the store private, run refuses a loose state.db "
      "until it is 0600 again or init tightens it") {
    if (!test::prerequisite(fs::exists(test::agent_binary()),
                            "the sharectl-agent binary (build all targets)")) {
      return;
    }
    ScopedUmask umask_022(022);
    test::AgentOptions options;
    options.tls = true;
    auto started = test::AgentProcess::start(options);
    REQUIRE_MESSAGE(started.has_value(), test::error_text(started));
    test::AgentProcess& agent = **started;
    const fs::path state_dir = agent.dir() / "state";
    const fs::path db = state_dir / "state.db";
    const fs::path key = agent.dir() / "tls" / "agent.key";

    // Created private by init; the WAL companions run opened take the database's mode.
    CHECK(mode_of(state_dir) == 0700);
    CHECK(mode_of(db) == 0600);
    CHECK(mode_of(key) == 0600);
    CHECK(mode_of(key.parent_path()) == 0700);
    REQUIRE(fs::exists(db.string() + "-wal"));
    REQUIRE(fs::exists(db.string() + "-shm"));
    CHECK(mode_of(db.string() + "-wal") == 0600);
    CHECK(mode_of(db.string() + "-shm") == 0600);
    const auto ok = agent_command("check-config", agent.config_path());
    CHECK_MESSAGE(ok.exit_code == 0, ok.err);

    auto stopped = agent.stop(SIGTERM);
    REQUIRE_MESSAGE(stopped.has_value(), test::error_text(stopped));
    REQUIRE_MESSAGE(*stopped == 0, agent.log_tail());

    // A loose state.db: run refuses to start, naming the file, its mode and the fix.
    REQUIRE(::chmod(db.c_str(), 0644) == 0);
    const auto refused = agent_command("run", agent.config_path());
    CHECK(refused.exit_code == 2);
    CHECK_MESSAGE(contains(refused.err, "AGENT-E020 refusing to start"), refused.err);
    CHECK_MESSAGE(contains(refused.err, "the SQLite store " + db.string()), refused.err);
    CHECK_MESSAGE(contains(refused.err, "(mode 0644)"), refused.err);
    CHECK_MESSAGE(contains(refused.err, "`chmod 600 " + db.string() + "`"), refused.err);
    const auto checked = agent_command("check-config", agent.config_path());
    CHECK(checked.exit_code == 2);
    CHECK_MESSAGE(
        contains(checked.err,
                 "sharectl-agent: error: PRIVATE-FILE-OPEN: the SQLite store " + db.string()),
        checked.err);

    // 0600 again: run starts.
    REQUIRE(::chmod(db.c_str(), 0600) == 0);
    REQUIRE_MESSAGE(agent.restart().has_value(), agent.log_tail());
    stopped = agent.stop(SIGTERM);
    REQUIRE_MESSAGE(stopped.has_value(), test::error_text(stopped));
    REQUIRE_MESSAGE(*stopped == 0, agent.log_tail());

    // An installation from before (0755 directory, 0644 database and key): init tightens it.
    REQUIRE(::chmod(state_dir.c_str(), 0755) == 0);
    REQUIRE(::chmod(db.c_str(), 0644) == 0);
    REQUIRE(::chmod(key.c_str(), 0644) == 0);
    const auto tightened = agent_command("init", agent.config_path());
    CHECK_MESSAGE(tightened.exit_code == 0, tightened.err);
    CHECK_MESSAGE(
        contains(tightened.out, "Tightened modes of " + state_dir.string() + " (0755 -> 0700)"),
        tightened.out);
    CHECK(contains(tightened.out, "Tightened modes of " + db.string() + " (0644 -> 0600)"));
    CHECK(contains(tightened.out, "Tightened modes of " + key.string() + " (0644 -> 0600)"));
    CHECK_FALSE(contains(tightened.out, "nothing changed"));
    CHECK(mode_of(state_dir) == 0700);
    CHECK(mode_of(db) == 0600);
    CHECK(mode_of(key) == 0600);
    REQUIRE_MESSAGE(agent.restart().has_value(), agent.log_tail());
    stopped = agent.stop(SIGTERM);
    REQUIRE_MESSAGE(stopped.has_value(), test::error_text(stopped));
    CHECK_MESSAGE(*stopped == 0, agent.log_tail());

    const auto again = agent_command("init", agent.config_path());
    CHECK(again.exit_code == 0);
    CHECK_MESSAGE(contains(again.out, "nothing changed"), again.out);
  }

} // TEST_SUITE("agent.commands")
