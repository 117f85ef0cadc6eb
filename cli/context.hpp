// What a running command sees: its streams and environment (Io), the global options after
// environment fallbacks (GlobalOptions), the parsed arguments (Invocation) and lazily built
// services (config file, credentials, the API client) with the failures mapped to exit codes.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.hpp"
#include "common/config/client_config.hpp"
#include "common/util/error.hpp"

namespace sharectl::cli {

class ApiClient;
class CredentialStore;
struct Credentials;

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process's real environment (getenv). Never fails.
EnvLookup process_environment();

// The streams and terminal facts of one run; tests substitute string streams.
struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  EnvLookup env;
  bool in_is_tty = false;  // stdin is a terminal
  bool err_is_tty = false; // stderr is a terminal (spinner, colour)
};

// A failure as the CLI reports it: exit code and message (printed "sharectl: error: …").
struct CliError {
  ExitCode exit = ExitCode::failure;
  std::string message;
};

// A value or a CliError.
template <typename T>
using CliResult = std::expected<T, CliError>;

// The CliError of an Error: exit code by exit_code(code), same message. Never fails.
CliError to_cli_error(const Error& error);

// A usage error (exit 2) with this message. Never fails.
std::unexpected<CliError> usage_error(std::string message);

// The global options of SPEC.md after command line and environment (flag wins over env).
struct GlobalOptions {
  std::optional<std::string> server;
  std::optional<std::string> profile;
  std::optional<std::string> config;
  std::optional<std::string> output;
  std::optional<std::string> ca_file;
  std::optional<std::string> timeout;
  bool wait = true;
  bool quiet = false;
  bool verbose = false;
};

// Fills unset options from SHARECTL_SERVER, SHARECTL_PROFILE, SHARECTL_CONFIG,
// SHARECTL_OUTPUT and SHARECTL_CA_FILE (empty variables count as unset). Never fails.
void apply_environment(GlobalOptions& options, const EnvLookup& env);

// The services one command run uses, built on first use.
class Context {
public:
  // A context over these streams and options. Never fails (errors surface on use).
  Context(Io& io, GlobalOptions options);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // The streams.
  Io& io() { return m_io; }
  // The options as given (after environment fallbacks).
  const GlobalOptions& options() const { return m_options; }

  // The output format: -o/SHARECTL_OUTPUT, else the profile's, else table. Fails (exit 2) on an
  // unknown name.
  CliResult<config::OutputFormat> output_format();
  // The request and --wait bound (--timeout, default 60 s). Fails (exit 2) on a bad duration.
  CliResult<std::chrono::seconds> timeout();
  // The client config file's path: --config/SHARECTL_CONFIG or the XDG default. Fails (exit 1)
  // when no home directory is known.
  CliResult<std::filesystem::path> config_path();
  // The loaded config (a missing file is an empty config). Fails (exit 1) when unreadable or
  // invalid.
  CliResult<config::ClientConfig*> config();
  // The profile name: --profile/SHARECTL_PROFILE, else the config's current profile. Fails like
  // config().
  CliResult<std::string> profile_name();
  // The current profile (default-constructed when absent from the file). Fails like config().
  CliResult<config::ClientProfile> profile();
  // The agent URL: --server/SHARECTL_SERVER, else the profile's. Fails (exit 2) with "no server
  // configured; …" saying how to set one.
  CliResult<std::string> server_url();
  // The credential store: the Secret Service when reachable and unlocked, else the file.
  // Fails (exit 1) when no home directory is known.
  CliResult<CredentialStore*> credential_store();
  // The credentials for the current server and profile: SHARECTL_TOKEN + SHARECTL_USER_ID,
  // else the store's. Fails (exit 3) when there are none ("not logged in …"), (exit 2) when only
  // one of the two variables is set, (exit 1) when the credentials file is unsafe.
  CliResult<Credentials> credentials();
  // An API client for the current server, with credentials when `authenticated`. Fails like
  // server_url() and credentials().
  CliResult<ApiClient*> api(bool authenticated = true);
  // Writes "sharectl: error: MESSAGE" to stderr and returns its exit code. Never fails.
  int fail(const CliError& error);
  // fail() for an Error (exit code by exit_code()). Never fails.
  int fail(const Error& error);
  // Writes a note for people to stderr unless --quiet. Never fails.
  void note(std::string_view message);
  // Overrides the credential store (tests). Never fails.
  void set_credential_store(std::unique_ptr<CredentialStore> store);

private:
  Io& m_io;
  GlobalOptions m_options;
  std::optional<config::ClientConfig> m_config;
  std::unique_ptr<CredentialStore> m_store;
  std::unique_ptr<ApiClient> m_api;
  bool m_api_authenticated = false;
};

// One parsed command line: the command, its argument and flag values, the context.
class Invocation {
public:
  // An invocation of `spec` in `context`. Never fails.
  Invocation(const CommandSpec& spec, Context& context) : m_spec(spec), m_context(context) {}

  // The command being run.
  const CommandSpec& spec() const { return m_spec; }
  // The context.
  Context& context() { return m_context; }
  // The first value of an argument ("NAME") or flag ("--size"); "" when not given.
  std::string value(std::string_view name) const;
  // All values of a variadic argument; empty when not given.
  const std::vector<std::string>& values(std::string_view name) const;
  // True when the argument or flag (switch or with a value) was given.
  bool has(std::string_view name) const;
  // Records a value (the parser does this). Never fails.
  void add_value(const std::string& name, std::string value);
  // Records a switch as given (the parser does this). Never fails.
  void set_flag(const std::string& name) { m_flags.insert(name); }

private:
  const CommandSpec& m_spec;
  Context& m_context;
  std::map<std::string, std::vector<std::string>, std::less<>> m_values;
  std::set<std::string, std::less<>> m_flags;
};

} // namespace sharectl::cli
