#include "cli/context.hpp"

#include <cstdlib>
#include <ostream>

#include <fmt/core.h>

#include "cli/api/api_client.hpp"
#include "cli/credentials/credentials.hpp"
#include "common/config/duration.hpp"

namespace sharectl::cli {

namespace {

std::optional<std::string> non_empty(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  if (value && value->empty()) {
    return std::nullopt;
  }
  return value;
}

const std::vector<std::string> k_no_values;

} // namespace

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

CliError to_cli_error(const Error& error) {
  return CliError{exit_code(error.code), error.message};
}

std::unexpected<CliError> usage_error(std::string message) {
  return std::unexpected(CliError{ExitCode::usage, std::move(message)});
}

void apply_environment(GlobalOptions& options, const EnvLookup& env) {
  auto fill = [&](std::optional<std::string>& option, std::string_view name) {
    if (!option) {
      option = non_empty(env, name);
    }
  };
  fill(options.server, "SHARECTL_SERVER");
  fill(options.profile, "SHARECTL_PROFILE");
  fill(options.config, "SHARECTL_CONFIG");
  fill(options.output, "SHARECTL_OUTPUT");
  fill(options.ca_file, "SHARECTL_CA_FILE");
}

Context::Context(Io& io, GlobalOptions options) : m_io(io), m_options(std::move(options)) {}

Context::~Context() = default;

CliResult<config::OutputFormat> Context::output_format() {
  if (m_options.output) {
    auto format = config::parse_output_format(*m_options.output);
    if (!format) {
      return usage_error(format.error().message);
    }
    return *format;
  }
  // A broken config file must not stop `-o`-less commands that need no config (version).
  if (auto current = profile(); current && current->output) {
    return *current->output;
  }
  return config::OutputFormat::table;
}

CliResult<std::chrono::seconds> Context::timeout() {
  if (!m_options.timeout) {
    return std::chrono::seconds(60);
  }
  auto parsed = config::parse_duration(*m_options.timeout);
  if (!parsed) {
    return usage_error("--timeout: " + parsed.error().message);
  }
  return *parsed;
}

CliResult<std::filesystem::path> Context::config_path() {
  if (m_options.config) {
    return std::filesystem::path(*m_options.config);
  }
  const auto xdg = non_empty(m_io.env, "XDG_CONFIG_HOME");
  if (xdg && xdg->front() == '/') {
    return std::filesystem::path(*xdg) / "sharectl" / "config.yaml";
  }
  const auto home = non_empty(m_io.env, "HOME");
  if (home && home->front() == '/') {
    return std::filesystem::path(*home) / ".config" / "sharectl" / "config.yaml";
  }
  return std::unexpected(CliError{
      ExitCode::failure, "cannot locate the config file: set HOME, XDG_CONFIG_HOME or --config"});
}

CliResult<config::ClientConfig*> Context::config() {
  if (m_config) {
    return &*m_config;
  }
  auto path = config_path();
  if (!path) {
    return std::unexpected(path.error());
  }
  auto loaded = config::load_client_config(*path);
  if (!loaded) {
    return std::unexpected(CliError{ExitCode::failure, loaded.error().message});
  }
  m_config = std::move(*loaded);
  return &*m_config;
}

CliResult<std::string> Context::profile_name() {
  if (m_options.profile) {
    if (auto valid = config::validate_profile_name(*m_options.profile); !valid) {
      return usage_error("--profile: " + valid.error().message);
    }
    return *m_options.profile;
  }
  auto loaded = config();
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  return (*loaded)->current_profile;
}

CliResult<config::ClientProfile> Context::profile() {
  auto name = profile_name();
  if (!name) {
    return std::unexpected(name.error());
  }
  auto loaded = config();
  if (!loaded) {
    return std::unexpected(loaded.error());
  }
  const auto it = (*loaded)->profiles.find(*name);
  return it == (*loaded)->profiles.end() ? config::ClientProfile{} : it->second;
}

CliResult<std::string> Context::server_url() {
  std::string server;
  if (m_options.server) {
    server = *m_options.server;
  } else {
    auto current = profile();
    if (!current) {
      return std::unexpected(current.error());
    }
    server = current->server;
  }
  if (server.empty()) {
    return usage_error("no server configured; use --server URL or set SHARECTL_SERVER, or run "
                       "`sharectl login --server URL` once to record it in the profile");
  }
  while (server.size() > 1 && server.back() == '/') {
    server.pop_back();
  }
  if (auto valid = config::validate_server_url(server); !valid) {
    return usage_error("--server: " + valid.error().message);
  }
  return server;
}

CliResult<CredentialStore*> Context::credential_store() {
  if (!m_store) {
    m_store = make_secret_service_store(m_io.env("DBUS_SESSION_BUS_ADDRESS"));
  }
  if (!m_store) {
    auto path = default_credentials_path(m_io.env("XDG_CONFIG_HOME"), m_io.env("HOME"));
    if (!path) {
      return std::unexpected(to_cli_error(path.error()));
    }
    m_store = make_file_store(*path);
  }
  return m_store.get();
}

void Context::set_credential_store(std::unique_ptr<CredentialStore> store) {
  m_store = std::move(store);
}

CliResult<Credentials> Context::credentials() {
  auto server = server_url();
  if (!server) {
    return std::unexpected(server.error());
  }
  const auto token = non_empty(m_io.env, "SHARECTL_TOKEN");
  const auto user_id = non_empty(m_io.env, "SHARECTL_USER_ID");
  if (token && user_id) {
    return Credentials{*server, *user_id, "", *token};
  }
  if (token || user_id) {
    return usage_error("SHARECTL_TOKEN and SHARECTL_USER_ID must be set together");
  }
  auto profile = profile_name();
  if (!profile) {
    return std::unexpected(profile.error());
  }
  auto store = credential_store();
  if (!store) {
    return std::unexpected(store.error());
  }
  auto found = (*store)->load(*server, *profile);
  if (!found) {
    return std::unexpected(to_cli_error(found.error()));
  }
  if (!*found) {
    // Credentials saved to the file while no keyring was available still count.
    auto path = default_credentials_path(m_io.env("XDG_CONFIG_HOME"), m_io.env("HOME"));
    if (path && (*store)->describe() != path->string()) {
      auto from_file = make_file_store(*path)->load(*server, *profile);
      if (!from_file) {
        return std::unexpected(to_cli_error(from_file.error()));
      }
      *found = *from_file;
    }
  }
  if (!*found) {
    return std::unexpected(CliError{
        ExitCode::unauthenticated,
        fmt::format("not logged in to {} (profile {}); run `sharectl login`", *server, *profile)});
  }
  return **found;
}

CliResult<ApiClient*> Context::api(bool authenticated) {
  if (m_api && (m_api_authenticated || !authenticated)) {
    return m_api.get();
  }
  auto server = server_url();
  if (!server) {
    return std::unexpected(server.error());
  }
  auto limit = timeout();
  if (!limit) {
    return std::unexpected(limit.error());
  }
  ApiClientOptions options;
  options.server = *server;
  options.timeout = *limit;
  if (m_options.ca_file) {
    options.ca_file = *m_options.ca_file;
  } else if (auto current = profile(); current) {
    if (current->ca_file) {
      options.ca_file = *current->ca_file;
    }
    // A pinned fingerprint belongs to the profile's own server only.
    if (current->fingerprint && current->server == *server) {
      options.pinned_fingerprint = *current->fingerprint;
    }
  }
  if (authenticated) {
    auto creds = credentials();
    if (!creds) {
      return std::unexpected(creds.error());
    }
    options.credentials = std::move(*creds);
  }
  if (m_options.verbose) {
    options.verbose = &m_io.err;
  }
  m_api = std::make_unique<ApiClient>(std::move(options));
  m_api_authenticated = authenticated;
  return m_api.get();
}

int Context::fail(const CliError& error) {
  m_io.err << "sharectl: error: " << error.message << '\n';
  m_io.err.flush();
  return static_cast<int>(error.exit);
}

int Context::fail(const Error& error) {
  return fail(to_cli_error(error));
}

void Context::note(std::string_view message) {
  if (!m_options.quiet) {
    m_io.err << message << '\n';
  }
}

std::string Invocation::value(std::string_view name) const {
  const auto it = m_values.find(name);
  return it == m_values.end() || it->second.empty() ? std::string() : it->second.front();
}

const std::vector<std::string>& Invocation::values(std::string_view name) const {
  const auto it = m_values.find(name);
  return it == m_values.end() ? k_no_values : it->second;
}

bool Invocation::has(std::string_view name) const {
  return m_flags.contains(name) || m_values.contains(name);
}

void Invocation::add_value(const std::string& name, std::string value) {
  m_values[name].push_back(std::move(value));
}

} // namespace sharectl::cli
