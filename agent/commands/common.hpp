// Helpers shared by the sharectl-agent commands: error reporting with an exit code and
// preparing the directory of an SQLite store. Failures are returned, never thrown.
#pragma once

#include <ostream>
#include <string_view>

#include "agent/store/store.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::commands {

// Prints "sharectl-agent: error: MESSAGE" to err and returns exit_code.
int report(std::ostream& err, const Error& error, int exit_code);

// For a sqlite:///path URL, creates the database file's directory (0700) when missing; other
// URLs are left alone. Fails with internal naming the directory.
Status prepare_store_directory(std::string_view store_url);

// OpenOptions with the defaults except `migrate`. Never fails.
inline store::OpenOptions open_options(bool migrate) {
  store::OpenOptions options;
  options.migrate = migrate;
  return options;
}

// AtomicWriteOptions with this mode and the other defaults. Never fails.
inline AtomicWriteOptions file_mode(::mode_t mode) {
  AtomicWriteOptions options;
  options.mode = mode;
  return options;
}

} // namespace sharectl::agent::commands
