// The generated zsh and fish completions, executed by the real shells for a partial command line:
// command words, flags (each once), flag choices, and names from the hidden `__complete`
// command. zsh runs its completion system in a pseudo-terminal (zsh/zpty) with compadd wrapped
// to print what it adds after zsh's own prefix matching; fish answers `complete -C`. Dynamic
// names come from a stand-in `sharectl` first on PATH that answers like an agent would, and
// from the real binary without an agent (no candidates, no noise).
#include <algorithm>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "common/util/process.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

const std::string k_completions = std::string(SHARECTL_SOURCE_DIR) + "/completions/";

// Prints the candidates zsh offers for the line ($2) with the completion file ($1) loaded; the
// markers are split in the commands so that the terminal's echo of them never matches.
constexpr std::string_view k_zsh_driver = R"ZSH(
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PROMPT=''; autoload -U compinit; compinit -u -D; source ${(q)1}"
zpty -w z 'bindkey "^I" complete-word; zstyle ":completion:*" insert-tab false'
zpty -w z 'compadd() { local -a h; builtin compadd -A h "$@"; print -rl -- ${h/#/"CA""ND:"}; }'
zpty -w z '_sc_done() { print -r -- "END""-OF-CANDIDATES"; exit }; comppostfuncs=(_sc_done)'
zpty -w z "$2"$'\t'
local out
zpty -r z out '*END-OF-CANDIDATES*'
zpty -d z
for line in ${(f)out}; do
  line=${line//$'\r'/}
  [[ $line == *CAND:* ]] && print -r -- ${line#*CAND:}
done
exit 0
)ZSH";

// A directory with a `sharectl` stand-in that answers `--timeout 2s __complete space`, and one
// with the real binary, to put first on PATH.
struct Programs {
  sharectl::test::TempDir dir;
  std::filesystem::path fake = dir.path() / "fake";
  std::filesystem::path real = dir.path() / "real";

  Programs() {
    std::filesystem::create_directories(fake);
    std::filesystem::create_directories(real);
    {
      std::ofstream script(fake / "sharectl");
      script << "#!/bin/sh\n[ \"$3\" = __complete ] && [ \"$4\" = space ] && "
                "printf 'alpha\\nbeta\\n'\n";
    }
    ::chmod((fake / "sharectl").c_str(), 0755);
    std::filesystem::create_symlink(SHARECTL_BINARY_DIR "/cli/sharectl", real / "sharectl");
    std::ofstream(dir.path() / "driver.zsh") << k_zsh_driver;
  }
};

// The candidates, sorted and joined by spaces (fish prints "candidate<TAB>description").
std::string candidates(const std::string& output) {
  std::vector<std::string> words;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('\t'));
    if (!line.empty()) {
      words.push_back(line);
    }
  }
  std::sort(words.begin(), words.end());
  std::string joined;
  for (const auto& word : words) {
    joined += (joined.empty() ? "" : " ") + word;
  }
  return joined;
}

std::string run_shell(const Programs& programs, const std::filesystem::path& bin,
                      const std::string& program, std::vector<std::string> args) {
  sharectl::Command command;
  command.program = program;
  command.args = std::move(args);
  command.env = std::map<std::string, std::string>{{"PATH", bin.string() + ":/usr/bin:/bin"},
                                                   {"HOME", programs.dir.path().string()},
                                                   {"TERM", "dumb"}};
  command.timeout = std::chrono::seconds(60);
  auto result = sharectl::make_process_runner()->run(command);
  REQUIRE_MESSAGE(result.has_value(), sharectl::test::error_text(result));
  CHECK_MESSAGE(result->exit_code == 0, result->err);
  return candidates(result->out);
}

} // namespace

TEST_CASE("zsh completes command words, flags once, choices and names from __complete") {
  SHARECTL_REQUIRE_PROGRAMS("zsh");
  Programs programs;
  auto zsh = [&](const std::string& line, const std::filesystem::path& bin) {
    return run_shell(
        programs, bin, "zsh",
        {"-f", (programs.dir.path() / "driver.zsh").string(), k_completions + "_sharectl", line});
  };
  const auto& real = programs.real;
  CHECK(zsh("sharectl sp", real) == "space");
  CHECK(zsh("sharectl space ", real) == "create delete list resize show");
  CHECK(zsh("sharectl role rule ", real) == "add remove");
  CHECK(zsh("sharectl space resize x --si", real) == "--size");
  CHECK(zsh("sharectl space create x --se", real) == "--server");
  CHECK(zsh("sharectl share grant s --level ", real) == "read write");
  CHECK(zsh("sharectl -o j", real) == "json");
  CHECK(zsh("sharectl space show ", programs.fake) == "alpha beta");
  CHECK(zsh("sharectl space show b", programs.fake) == "beta");
  CHECK(zsh("sharectl space show ", real).empty());
}

TEST_CASE("fish completes command words, flags once, choices and names from __complete") {
  SHARECTL_REQUIRE_PROGRAMS("fish");
  Programs programs;
  auto fish = [&](const std::string& line, const std::filesystem::path& bin) {
    return run_shell(programs, bin, "fish",
                     {"--no-config", "-c",
                      "source " + k_completions + "sharectl.fish; complete -C '" + line + "'"});
  };
  const auto& real = programs.real;
  CHECK(fish("sharectl sp", real) == "space");
  CHECK(fish("sharectl space ", real) == "create delete list resize show");
  CHECK(fish("sharectl role rule ", real) == "add remove");
  CHECK(fish("sharectl space resize x --si", real) == "--size");
  CHECK(fish("sharectl space create x --se", real) == "--server");
  CHECK(fish("sharectl share grant s --level ", real) == "read write");
  CHECK(fish("sharectl -o j", real) == "json");
  CHECK(fish("sharectl space show ", programs.fake) == "alpha beta");
  CHECK(fish("sharectl space show b", programs.fake) == "beta");
  CHECK(fish("sharectl space show ", real).empty());
}
