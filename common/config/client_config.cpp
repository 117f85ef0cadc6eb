#include "common/config/client_config.hpp"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>

#include "common/config/agent_config.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/util/atomic_file.hpp"
#include "common/validate/path.hpp"
#include "common/validate/text.hpp"

namespace sharectl::config {
namespace {

constexpr std::size_t k_max_config_bytes = 1024 * 1024;

constexpr std::array k_output_names{std::pair{std::string_view("table"), OutputFormat::table},
                                    std::pair{std::string_view("json"), OutputFormat::json},
                                    std::pair{std::string_view("yaml"), OutputFormat::yaml},
                                    std::pair{std::string_view("name"), OutputFormat::name}};

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Reads a scalar, converts it and stores it; leaves `out` alone when absent.
template <typename T, typename Convert>
Status read_value(YamlMap& map, std::string_view key, T& out, Convert convert) {
  auto value = map.scalar(key);
  if (!value) {
    return std::unexpected(value.error());
  }
  if (!value->has_value()) {
    return {};
  }
  auto converted = convert(**value);
  if (!converted) {
    return std::unexpected(map.value_error(**value, converted.error().message));
  }
  out = std::move(*converted);
  return {};
}

Result<ClientProfile> read_profile(YamlMap& map) {
  ClientProfile profile;
  if (auto s = read_value(map, "server", profile.server,
                          [](const YamlScalar& value) -> Result<std::string> {
                            if (auto valid = validate_server_url(value.value); !valid) {
                              return std::unexpected(valid.error());
                            }
                            return value.value;
                          });
      !s) {
    return std::unexpected(s.error());
  }
  if (auto s =
          read_value(map, "ca_file", profile.ca_file,
                     [](const YamlScalar& value) -> Result<std::optional<std::filesystem::path>> {
                       auto path = validate::validate_path(value.value);
                       if (!path) {
                         return std::unexpected(path.error());
                       }
                       return std::optional<std::filesystem::path>(*path);
                     });
      !s) {
    return std::unexpected(s.error());
  }
  if (auto s = read_value(map, "fingerprint", profile.fingerprint,
                          [](const YamlScalar& value) -> Result<std::optional<std::string>> {
                            auto normalized = normalize_fingerprint(value.value);
                            if (!normalized) {
                              return std::unexpected(normalized.error());
                            }
                            return std::optional<std::string>(*normalized);
                          });
      !s) {
    return std::unexpected(s.error());
  }
  if (auto s = read_value(map, "output", profile.output,
                          [](const YamlScalar& value) -> Result<std::optional<OutputFormat>> {
                            auto format = parse_output_format(value.value);
                            if (!format) {
                              return std::unexpected(format.error());
                            }
                            return std::optional<OutputFormat>(*format);
                          });
      !s) {
    return std::unexpected(s.error());
  }
  if (auto s = map.finish(); !s) {
    return std::unexpected(s.error());
  }
  return profile;
}

} // namespace

std::string_view to_string(OutputFormat format) {
  for (const auto& [name, value] : k_output_names) {
    if (value == format) {
      return name;
    }
  }
  return "?";
}

Result<OutputFormat> parse_output_format(std::string_view text) {
  for (const auto& [name, value] : k_output_names) {
    if (name == text) {
      return value;
    }
  }
  return fail(ErrorCode::bad_request, "output format must be table, json, yaml or name; got " +
                                          validate::quote_for_message(text));
}

Status validate_profile_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && is_alnum(name.front());
  for (const char c : name) {
    ok = ok && (is_alnum(c) || c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    return fail(ErrorCode::bad_request,
                "a profile name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a "
                "letter or digit; got " +
                    validate::quote_for_message(name));
  }
  return {};
}

Status validate_server_url(std::string_view url) {
  const auto invalid = [&](std::string_view why) {
    return fail(ErrorCode::bad_request, "invalid server URL " + validate::quote_for_message(url) +
                                            ": " + std::string(why) +
                                            " (expected e.g. https://storage1:7443)");
  };
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return invalid("it must start with https:// or http://");
  }
  if (rest.ends_with("/")) {
    rest.remove_suffix(1);
  }
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return invalid("only scheme, host and port are allowed");
  }
  if (rest.find(':') == std::string_view::npos || (rest.starts_with("[") && rest.ends_with("]"))) {
    // No port: the scheme's default.
    std::string_view host = rest;
    if (host.starts_with("[") && host.ends_with("]")) {
      host = host.substr(1, host.size() - 2);
      if (host.find(':') == std::string_view::npos) {
        return invalid("brackets are only for IPv6 addresses");
      }
    }
    if (auto valid = validate_host(host); !valid) {
      return invalid(valid.error().message);
    }
    return {};
  }
  auto parsed = parse_listen_address(rest);
  if (!parsed) {
    return invalid("the host or port is not valid");
  }
  return {};
}

Result<std::string> normalize_fingerprint(std::string_view text) {
  std::string hex;
  bool ok = true;
  const bool colons = text.find(':') != std::string_view::npos;
  for (std::size_t i = 0; i < text.size() && ok; ++i) {
    const char c = text[i];
    if (colons && i % 3 == 2) {
      ok = c == ':';
      continue;
    }
    if (c >= '0' && c <= '9') {
      hex += c;
    } else if (c >= 'a' && c <= 'f') {
      hex += c;
    } else if (c >= 'A' && c <= 'F') {
      hex += static_cast<char>(c - 'A' + 'a');
    } else {
      ok = false;
    }
  }
  if (!ok || hex.size() != 64 || (colons && text.size() != 95)) {
    return fail(ErrorCode::bad_request,
                "a fingerprint must be a SHA-256 digest: 64 hex digits, optionally as 32 pairs "
                "separated by ':'; got " +
                    validate::quote_for_message(text));
  }
  return hex;
}

Result<ClientConfig> parse_client_config(std::string_view yaml_text,
                                         std::string_view origin_for_messages) {
  auto root = parse_yaml_mapping(yaml_text, origin_for_messages);
  if (!root) {
    return std::unexpected(root.error());
  }
  ClientConfig config;
  if (auto s = read_value(*root, "current_profile", config.current_profile,
                          [](const YamlScalar& value) -> Result<std::string> {
                            if (auto valid = validate_profile_name(value.value); !valid) {
                              return std::unexpected(valid.error());
                            }
                            return value.value;
                          });
      !s) {
    return std::unexpected(s.error());
  }
  auto profiles = root->map("profiles");
  if (!profiles) {
    return std::unexpected(profiles.error());
  }
  if (profiles->has_value()) {
    auto entries = (*profiles)->named_maps();
    if (!entries) {
      return std::unexpected(entries.error());
    }
    for (auto& [name, map] : *entries) {
      if (auto valid = validate_profile_name(name.value); !valid) {
        return std::unexpected(map.error_at(name.line, valid.error().message));
      }
      auto profile = read_profile(map);
      if (!profile) {
        return std::unexpected(profile.error());
      }
      config.profiles.emplace(name.value, std::move(*profile));
    }
  }
  if (auto s = root->finish(); !s) {
    return std::unexpected(s.error());
  }
  return config;
}

Result<ClientConfig> load_client_config(const std::filesystem::path& path) {
  auto text = read_file(path, k_max_config_bytes);
  if (!text) {
    if (text.error().code == ErrorCode::not_found) {
      return ClientConfig{};
    }
    return std::unexpected(text.error());
  }
  return parse_client_config(*text, path.string());
}

std::string render_client_config(const ClientConfig& config) {
  std::string out = "# sharectl client configuration; `sharectl config view` shows it.\n";
  out += "current_profile: " + yaml_scalar(config.current_profile) + "\n";
  if (config.profiles.empty()) {
    out += "profiles: {}\n";
    return out;
  }
  out += "profiles:\n";
  for (const auto& [name, profile] : config.profiles) {
    const bool empty =
        profile.server.empty() && !profile.ca_file && !profile.fingerprint && !profile.output;
    out += "  " + yaml_scalar(name) + ":" + (empty ? " {}" : "") + "\n";
    if (!profile.server.empty()) {
      out += "    server: " + yaml_scalar(profile.server) + "\n";
    }
    if (profile.ca_file) {
      out += "    ca_file: " + yaml_scalar(profile.ca_file->string()) + "\n";
    }
    if (profile.fingerprint) {
      out += "    fingerprint: " + yaml_scalar(*profile.fingerprint) + "\n";
    }
    if (profile.output) {
      out += "    output: " + std::string(to_string(*profile.output)) + "\n";
    }
  }
  return out;
}

Status save_client_config(const std::filesystem::path& path, const ClientConfig& config) {
  const auto directory = path.parent_path();
  if (!directory.empty()) {
    std::error_code error;
    if (!std::filesystem::exists(directory, error)) {
      std::filesystem::create_directories(directory, error);
      if (error) {
        return fail(ErrorCode::internal,
                    "cannot create " + directory.string() + ": " + error.message());
      }
      if (::chmod(directory.c_str(), 0700) != 0) {
        return fail(ErrorCode::internal,
                    "cannot set the mode of " + directory.string() + ": " + std::strerror(errno));
      }
    }
  }
  AtomicWriteOptions options;
  options.mode = 0600;
  return write_file_atomic(path, render_client_config(config), options);
}

Result<std::filesystem::path> default_client_config_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return std::filesystem::path(xdg) / "sharectl" / "config.yaml";
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    return std::filesystem::path(home) / ".config" / "sharectl" / "config.yaml";
  }
  return fail(ErrorCode::internal,
              "cannot find the configuration directory: neither XDG_CONFIG_HOME nor HOME is an "
              "absolute path; use --config PATH");
}

} // namespace sharectl::config
