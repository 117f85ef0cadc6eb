// The client's configuration file ($XDG_CONFIG_HOME/sharectl/config.yaml, SPEC.md "Global
// options"): named profiles, each a server with how to trust it and a preferred output format,
// and which profile is current. Loading refuses unknown keys and wrong types with file and line;
// saving writes the whole file atomically.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::config {

// The profile used when neither --profile nor SHARECTL_PROFILE names one.
inline constexpr std::string_view k_default_profile = "default";

// How the client prints results (-o).
enum class OutputFormat { table, json, yaml, name };

// The configuration spelling of a format ("table", "json", "yaml", "name"). Never fails.
std::string_view to_string(OutputFormat format);

// Parses an output format name; fails with bad_request listing the accepted names.
Result<OutputFormat> parse_output_format(std::string_view text);

// One named profile.
struct ClientProfile {
  // The agent's base URL ("https://storage1:7443"); empty when not set yet.
  std::string server;
  // Trust this CA file for the agent's certificate.
  std::optional<std::filesystem::path> ca_file;
  // The pinned SHA-256 fingerprint of the agent's certificate: 64 lowercase hex digits.
  std::optional<std::string> fingerprint;
  // The output format when -o is not given.
  std::optional<OutputFormat> output;

  friend bool operator==(const ClientProfile&, const ClientProfile&) = default;
};

// The whole client config file; default-constructed it is the config of a missing file.
struct ClientConfig {
  std::string current_profile{k_default_profile};
  std::map<std::string, ClientProfile> profiles;

  friend bool operator==(const ClientConfig&, const ClientConfig&) = default;
};

// Checks a profile name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or
// digit. Fails with bad_request.
Status validate_profile_name(std::string_view name);

// Checks an agent URL: http:// or https://, a host, an optional port and nothing after an
// optional "/"; no spaces or control characters. Fails with bad_request.
Status validate_server_url(std::string_view url);

// Normalizes a SHA-256 fingerprint written as 64 hex digits, with or without ':' between byte
// pairs, in either case, to 64 lowercase hex digits. Fails with bad_request on anything else.
Result<std::string> normalize_fingerprint(std::string_view text);

// Parses config.yaml text; messages start "ORIGIN:LINE:". Fails with bad_request on invalid
// YAML, unknown keys, wrong types and invalid values (profile names, URLs, fingerprints,
// relative ca_file paths, output formats).
Result<ClientConfig> parse_client_config(std::string_view yaml_text,
                                         std::string_view origin_for_messages);

// Reads and parses the file at `path` (at most 1 MiB); a missing file is the default
// ClientConfig. Fails with internal when it cannot be read, and as parse_client_config.
Result<ClientConfig> load_client_config(const std::filesystem::path& path);

// The YAML text of `config` (profiles in name order, unset keys left out);
// parse_client_config reads it back as `config`. Never fails.
std::string render_client_config(const ClientConfig& config);

// Writes `config` to `path` atomically with mode 0600, creating a missing parent directory
// with mode 0700. Fails with internal (or not_found) naming the path and the system's reason.
Status save_client_config(const std::filesystem::path& path, const ClientConfig& config);

// $XDG_CONFIG_HOME/sharectl/config.yaml, or $HOME/.config/sharectl/config.yaml when
// XDG_CONFIG_HOME is unset or not absolute. Fails with internal when neither is usable.
Result<std::filesystem::path> default_client_config_path();

} // namespace sharectl::config
