// The agent's private files and the rule they follow. The SQLite store holds password and NT
// hashes (enough for pass-the-hash over SMB) and the TLS key is the agent's identity, so: each
// is owned by the agent's user, a file has no group or other permission bits, and the store's
// directory has none for others (group bits only with the agent's own group). `run` and
// `check-config` refuse to go on while one breaks the rule; `init` tightens modes that are looser.
// A postgres:// store has no local file (libpq itself refuses a passfile or sslkey readable by
// others). Failures are values; nothing here throws.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

#include "common/config/agent_config.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::commands {

// One path the agent keeps private, and what it is (for messages).
struct PrivatePath {
  std::filesystem::path path;
  std::string what;       // e.g. "the SQLite store", "the TLS key"
  bool directory = false; // a directory: no bits for others; a file: none for group or others
};

// The private paths `config` names: for a sqlite:///PATH store PATH's directory, PATH, PATH-wal,
// PATH-shm and PATH-journal; the TLS key when tls.enabled. Never fails.
std::vector<PrivatePath> private_paths(const config::AgentConfig& config);

// Checks one path for an agent running as uid `owner` with primary group `owner_group`. A path
// that does not exist passes. bad_request naming the path, its mode and the fix (`chmod 600
// PATH`, `chmod 700 DIR`, `chown …`) when it breaks the rule; internal when stat fails.
Status check_private_path(const PrivatePath& path, ::uid_t owner, ::gid_t owner_group);

// check_private_path over private_paths(config) for the effective uid and gid: one Error per
// broken path (empty: all private). Never fails itself.
std::vector<Error> check_private_files(const config::AgentConfig& config);

// Removes the group and other bits of every existing private file, and of the store's directory
// when it holds nothing but the store's files (a shared directory such as /tmp or /var/lib is
// left alone, and check_private_files then reports it). Ownership is not changed. Returns one
// "PATH (0644 -> 0600)" per change; internal naming the path when chmod fails.
Result<std::vector<std::string>> tighten_private_files(const config::AgentConfig& config);

} // namespace sharectl::agent::commands
