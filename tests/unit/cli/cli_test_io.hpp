// A captured run of sharectl for unit tests: string streams and a fake environment.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"

namespace sharectl::test {

// What one run printed and returned.
struct CliRun {
  int rc = 0;
  std::string out;
  std::string err;
};

// Runs sharectl with `args`, this environment (nothing else is visible) and stdin text.
inline CliRun run_sharectl(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env = {},
                           const std::string& stdin_text = "") {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in(stdin_text);
  cli::Io io{out, err, in, [env](std::string_view name) -> std::optional<std::string> {
               const auto it = env.find(std::string(name));
               return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
             }};
  CliRun run;
  run.rc = cli::run_cli(args, io);
  run.out = out.str();
  run.err = err.str();
  return run;
}

} // namespace sharectl::test
