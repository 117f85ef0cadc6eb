// The sharectl-agent commands (SPEC.md "sharectl-agent"): init, run, check-config, migrate.
// Each returns the process exit code — 0 ok, 1 runtime failure, 2 usage or configuration error —
// and prints its problems to stderr as "sharectl-agent: error: …".
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "common/config/agent_config.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::commands {

// Exit codes of sharectl-agent.
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;
// The store (or another service the agent needs) cannot be reached: as sharectl's exit 8.
inline constexpr int k_exit_unavailable = 8;

// What `init` was asked to do.
struct InitOptions {
  std::filesystem::path config_path{config::k_default_agent_config_path};
  std::optional<std::string> store_url; // --store: overrides the config's store (new file only)
  std::string admin = "admin";          // --admin: the first admin's username
  bool password_stdin = false;          // --password-stdin: read the admin password from stdin
};

// init: writes the config unless it exists, migrates the store, seeds the built-in roles,
// creates TLS material (when enabled and missing) and the first admin. Prints what it did (or
// that nothing changed) to `out`, problems to `err`; reads the password from `in`.
int init(const InitOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

// What `run` was asked to do.
struct RunOptions {
  std::filesystem::path config_path{config::k_default_agent_config_path};
  std::optional<std::string> listen; // --listen HOST:PORT overrides the config's listen
};

// run: serves the API in the foreground until SIGTERM or SIGINT (then exits 0); refuses to start
// (exit 2, AGENT-E020) while the store or the TLS key is not private (file_modes.hpp).
int run(const RunOptions& options);

// check-config: loads and validates the config and that the store and TLS key are private
// (file_modes.hpp); prints "ok" or the problems.
int check_config(const std::filesystem::path& config_path, std::ostream& out, std::ostream& err);

// migrate: brings the store schema of the configured store up to date.
int migrate(const std::filesystem::path& config_path, std::ostream& out, std::ostream& err);

// Loads the config at path; the exit code for a failure is k_exit_usage.
Result<config::AgentConfig> load_config(const std::filesystem::path& path);

// The SHA-256 fingerprint of a PEM certificate as "AB:CD:…". Fails with internal when the file
// cannot be read or parsed.
Result<std::string> certificate_fingerprint(const std::filesystem::path& cert);

// Creates a private key (EC P-256, written 0600) and a self-signed certificate (10 years, SAN =
// the server name, its address and localhost/127.0.0.1/::1) at the config's tls paths, creating
// their directories (0700 for the key's). Fails with internal naming the step that failed.
Status create_tls_material(const config::AgentConfig& config);

} // namespace sharectl::agent::commands
