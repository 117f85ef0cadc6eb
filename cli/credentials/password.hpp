// Reading passwords: from a terminal without echo (termios on /dev/tty), or one line from
// stdin with --password-stdin. Never from argv or the environment.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::cli {

// One line from `in` without its "\n" or "\r\n". Fails (bad_request) at end of input, on an
// empty line and on a NUL byte.
Result<std::string> read_password_line(std::istream& in);

// Prints `prompt` on /dev/tty and reads a line there with echo off (restored afterwards, also
// on failure). Fails (bad_request) when there is no terminal ("… use --password-stdin") or the
// line is empty.
Result<std::string> prompt_password(std::string_view prompt);

// Prints `prompt` on /dev/tty and reads a line with echo on (usernames, "yes/no"). Fails
// (bad_request) when there is no terminal.
Result<std::string> prompt_line(std::string_view prompt);

// True when /dev/tty can be opened (an interactive session). Never fails.
bool have_terminal();

} // namespace sharectl::cli
