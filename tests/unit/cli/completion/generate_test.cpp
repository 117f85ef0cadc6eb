#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <doctest/doctest.h>

#include "cli/command.hpp"
#include "cli/completion/generate.hpp"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

} // namespace

TEST_CASE("the committed completion scripts equal the generated ones") {
  const auto& table = sharectl::cli::command_table();
  for (const auto& [shell, file] :
       {std::pair{"bash", "sharectl.bash"}, std::pair{"zsh", "_sharectl"},
        std::pair{"fish", "sharectl.fish"}}) {
    INFO(shell, " (regenerate: build/cli/sharectl completion ", shell, " > completions/", file,
         ")");
    const auto script = sharectl::cli::completion_script(table, shell);
    REQUIRE(script.has_value());
    CHECK(*script == slurp(std::string(SHARECTL_SOURCE_DIR) + "/completions/" + file));
  }
  CHECK(!sharectl::cli::completion_script(table, "tcsh"));
}

TEST_CASE("the completion scripts know every visible command word") {
  const auto& table = sharectl::cli::command_table();
  const auto bash = *sharectl::cli::completion_script(table, "bash");
  for (const auto& spec : table.commands) {
    if (spec.hidden) {
      CHECK(bash.find("['sharectl " + spec.path.front()) == std::string::npos);
      CHECK(bash.find(" " + spec.path.front() + "'\n") == std::string::npos);
      continue;
    }
    CHECK(bash.find("['sharectl " + sharectl::cli::command_name(spec) + "']") != std::string::npos);
  }
  CHECK(bash.find("__complete \"${1#@}\"") != std::string::npos);
}

TEST_CASE("each command's flag list offers every flag once, its own and the global ones") {
  const auto& table = sharectl::cli::command_table();
  const auto bash = *sharectl::cli::completion_script(table, "bash");
  const auto begin = bash.find("_sharectl_flags=(\n");
  REQUIRE(begin != std::string::npos);
  std::istringstream block(bash.substr(begin, bash.find("\n)\n", begin) - begin));
  std::size_t commands = 0;
  std::string line;
  std::getline(block, line);
  while (std::getline(block, line)) {
    // "  ['sharectl space create']='--size --server … --help'"
    const auto value = line.substr(line.find("]='") + 3);
    std::istringstream words(value.substr(0, value.size() - 1));
    std::vector<std::string> flags;
    for (std::string word; words >> word;) {
      flags.push_back(word);
    }
    INFO(line);
    CHECK(std::set<std::string>(flags.begin(), flags.end()).size() == flags.size());
    CHECK(std::find(flags.begin(), flags.end(), "--help") != flags.end());
    ++commands;
  }
  CHECK(commands > 30);
  const auto create = bash.find("['sharectl space create']='");
  REQUIRE(create != std::string::npos);
  const auto entry = bash.substr(create, bash.find('\n', create) - create);
  CHECK(entry.find("--server") == entry.rfind("--server"));
}

TEST_CASE("sharectl.1 lists exactly the commands of the table") {
  const auto man = slurp(std::string(SHARECTL_SOURCE_DIR) + "/man/sharectl.1");
  const auto start = man.find(".SH COMMANDS");
  const auto end = man.find(".SH ", start + 1);
  REQUIRE(start != std::string::npos);
  const std::string section = man.substr(start, end - start);
  std::set<std::string> in_man;
  std::istringstream lines(section);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(".B sharectl ", 0) != 0) {
      continue;
    }
    std::string words = line.substr(12);
    words = words.substr(0, words.find(" \\f"));
    std::string plain;
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (words[i] == '\\' && i + 1 < words.size() && words[i + 1] == '-') {
        continue;
      }
      plain += words[i];
    }
    in_man.insert(plain);
  }
  std::set<std::string> in_table;
  for (const auto& spec : sharectl::cli::command_table().commands) {
    if (!spec.hidden) {
      in_table.insert(sharectl::cli::command_name(spec));
    }
  }
  for (const auto& name : in_table) {
    INFO("missing from man/sharectl.1: ", name);
    CHECK(in_man.contains(name));
  }
  for (const auto& name : in_man) {
    INFO("in man/sharectl.1 but not in the command table: ", name);
    CHECK(in_table.contains(name));
  }
}
