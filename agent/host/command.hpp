// A Command for the host tools (testparm, smbcontrol, btrfs, useradd, …) built in one call:
// GCC 12 warns about designated initializers that skip Command's other fields.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/util/process.hpp"

namespace sharectl::agent::host {

// program with args, the given timeout and optional stdin bytes; the environment is inherited.
inline Command host_command(std::string program, std::vector<std::string> args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30),
                            std::optional<std::string> stdin_data = std::nullopt) {
  Command command;
  command.program = std::move(program);
  command.args = std::move(args);
  command.timeout = timeout;
  command.stdin_data = std::move(stdin_data);
  return command;
}

} // namespace sharectl::agent::host
