// The real sharectl binary as a subprocess: help, version, usage errors, completion output and
// bash completion, and the failures that need no agent (no server: exit 2; unreachable: exit 8).
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "common/util/process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

const std::string k_sharectl = SHARECTL_BINARY_DIR "/cli/sharectl";

sharectl::ProcessResult sharectl_run(const std::vector<std::string>& args,
                                     const std::filesystem::path& home,
                                     std::map<std::string, std::string> extra_env = {}) {
  std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"}, {"HOME", home.string()}};
  env.insert(extra_env.begin(), extra_env.end());
  sharectl::Command command;
  command.program = k_sharectl;
  command.args = args;
  command.env = env;
  command.timeout = std::chrono::seconds(30);
  auto result = sharectl::make_process_runner()->run(command);
  REQUIRE_MESSAGE(result.has_value(), sharectl::test::error_text(result));
  return *result;
}

std::string slurp(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

} // namespace

TEST_CASE("sharectl --help, version and usage errors") {
  sharectl::test::TempDir home;
  const auto help = sharectl_run({"--help"}, home.path());
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("space") != std::string::npos);
  CHECK(help.err.empty());
  const auto version = sharectl_run({"version"}, home.path());
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("sharectl ", 0) == 0);
  const auto typo = sharectl_run({"shrae", "list"}, home.path());
  CHECK(typo.exit_code == 2);
  CHECK(typo.out.empty());
  CHECK(typo.err.find("did you mean \"share\"?") != std::string::npos);
  CHECK(sharectl_run({"space", "list", "--al"}, home.path()).exit_code == 2);
}

TEST_CASE("sharectl completion prints the committed scripts") {
  sharectl::test::TempDir home;
  for (const auto& [shell, file] :
       {std::pair{"bash", "sharectl.bash"}, std::pair{"zsh", "_sharectl"},
        std::pair{"fish", "sharectl.fish"}}) {
    const auto run = sharectl_run({"completion", shell}, home.path());
    CHECK(run.exit_code == 0);
    CHECK(run.out == slurp(std::string(SHARECTL_SOURCE_DIR) + "/completions/" + file));
  }
  CHECK(sharectl_run({"completion", "tcsh"}, home.path()).exit_code == 2);
}

TEST_CASE("without a server configured whoami exits 2 and says how to set one") {
  sharectl::test::TempDir home;
  const auto run = sharectl_run({"whoami"}, home.path());
  CHECK(run.exit_code == 2);
  CHECK(run.out.empty());
  CHECK(run.err.find("sharectl: error: no server configured; use --server URL") !=
        std::string::npos);
}

TEST_CASE("an unreachable agent is exit 8") {
  sharectl::test::TempDir home;
  const auto run = sharectl_run({"--server", "http://127.0.0.1:1", "--timeout", "5s", "whoami"},
                                home.path(), {{"SHARECTL_TOKEN", "t"}, {"SHARECTL_USER_ID", "u"}});
  CHECK(run.exit_code == 8);
  CHECK(run.out.empty());
  CHECK(run.err.rfind("sharectl: error: ", 0) == 0);
  // __complete prints nothing at all on failure.
  const auto complete =
      sharectl_run({"--server", "http://127.0.0.1:1", "__complete", "space"}, home.path());
  CHECK(complete.out.empty());
  CHECK(complete.err.empty());
}

TEST_CASE("bash completes command words, flags, choices and names from __complete") {
  SHARECTL_REQUIRE_PROGRAMS("bash");
  sharectl::test::TempDir home;
  // A stand-in for sharectl that answers `--timeout 2s __complete space` like an agent would.
  const auto fake = home.path() / "fake-sharectl";
  {
    std::ofstream script(fake);
    script
        << "#!/bin/sh\n[ \"$3\" = __complete ] && [ \"$4\" = space ] && printf 'alpha\\nbeta\\n'\n";
  }
  ::chmod(fake.c_str(), 0755);
  auto complete = [&](const std::string& program, const std::string& words, int cword) {
    const std::string script = "source " + std::string(SHARECTL_SOURCE_DIR) +
                               "/completions/sharectl.bash\n"
                               "COMP_WORDS=(" +
                               program + " " + words + ")\nCOMP_CWORD=" + std::to_string(cword) +
                               "\n_sharectl\necho \"${COMPREPLY[*]}\"\n";
    sharectl::Command command;
    command.program = "bash";
    command.args = {"-c", script};
    auto result = sharectl::make_process_runner()->run(command);
    REQUIRE(result.has_value());
    CHECK(result->err.empty());
    auto out = result->out;
    while (!out.empty() && out.back() == '\n') {
      out.pop_back();
    }
    return out;
  };
  CHECK(complete(k_sharectl, "sp", 1) == "space");
  CHECK(complete(k_sharectl, "space ''", 2) == "create list show resize delete");
  CHECK(complete(k_sharectl, "role rule ''", 3) == "add remove");
  CHECK(complete(k_sharectl, "space resize x --si", 4) == "--size");
  // space create has its own --server besides the global one: offered once.
  CHECK(complete(k_sharectl, "space create x --se", 4) == "--server");
  CHECK(complete(k_sharectl, "share grant s --level ''", 5) == "read write");
  CHECK(complete(k_sharectl, "-o j", 2) == "json");
  CHECK(complete(fake.string(), "space show ''", 3) == "alpha beta");
  CHECK(complete(fake.string(), "space show b", 3) == "beta");
  // The real binary without an agent: no candidates, no noise.
  CHECK(complete(k_sharectl, "space show ''", 3).empty());
}
