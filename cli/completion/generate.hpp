// Shell completion scripts for bash, zsh and fish, generated from the command table: command
// words, flags, fixed choices and files are completed statically; space, share, group, role,
// server and user names by running `sharectl --timeout 2s __complete KIND` (silent on failure).
#pragma once

#include <string>
#include <string_view>

#include "cli/command.hpp"
#include "common/util/error.hpp"

namespace sharectl::cli {

// The completion script for `shell` ("bash", "zsh" or "fish"). Fails (bad_request) for any
// other shell.
Result<std::string> completion_script(const CommandTable& table, std::string_view shell);

} // namespace sharectl::cli
