#include "common/config/agent_config.hpp"

#include <array>
#include <charconv>
#include <map>
#include <utility>

#include <unistd.h>

#include "common/config/duration.hpp"
#include "common/config/yaml_reader.hpp"
#include "common/util/atomic_file.hpp"
#include "common/validate/path.hpp"
#include "common/validate/size.hpp"
#include "common/validate/text.hpp"

namespace sharectl::config {
namespace {

// The largest agent.yaml read; real ones are a few hundred bytes.
constexpr std::size_t k_max_config_bytes = 1024 * 1024;

constexpr std::array k_role_names{std::pair{std::string_view("samba"), ServerRole::samba},
                                  std::pair{std::string_view("iscsi"), ServerRole::iscsi}};
constexpr std::array k_accounts_names{
    std::pair{std::string_view("local"), SambaAccounts::local},
    std::pair{std::string_view("external"), SambaAccounts::external}};
constexpr std::array k_driver_names{std::pair{std::string_view("btrfs"), FilesystemDriver::btrfs},
                                    std::pair{std::string_view("dir"), FilesystemDriver::dir},
                                    std::pair{std::string_view("xfs"), FilesystemDriver::xfs}};
constexpr std::array k_registration_names{
    std::pair{std::string_view("open"), Registration::open},
    std::pair{std::string_view("closed"), Registration::closed}};
constexpr std::array k_level_names{std::pair{std::string_view("trace"), LogLevel::trace},
                                   std::pair{std::string_view("debug"), LogLevel::debug},
                                   std::pair{std::string_view("info"), LogLevel::info},
                                   std::pair{std::string_view("warn"), LogLevel::warn},
                                   std::pair{std::string_view("error"), LogLevel::error}};

template <typename Table, typename Enum>
std::string_view name_in(const Table& table, Enum value) {
  for (const auto& [name, entry] : table) {
    if (entry == value) {
      return name;
    }
  }
  return "?";
}

template <typename Table>
std::string choices(const Table& table) {
  std::string out;
  for (std::size_t i = 0; i < table.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == table.size() ? " or " : ", ");
    out += table[i].first;
  }
  return out;
}

bool all_of_chars(std::string_view text, std::string_view allowed_extra) {
  for (const char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && allowed_extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

Status validate_server_name(std::string_view name) {
  if (name.empty() || name.size() > 253 || !is_alnum(name.front()) || !all_of_chars(name, "._-")) {
    return fail(ErrorCode::bad_request,
                "a server name must be 1 to 253 letters, digits, '.', '_' or '-', starting with a "
                "letter or digit; got " +
                    validate::quote_for_message(name));
  }
  return {};
}

Status validate_store_url(std::string_view url) {
  const auto separator = url.find("://");
  const std::string_view scheme = url.substr(0, separator);
  if (separator == std::string_view::npos || scheme.empty() || scheme.front() < 'a' ||
      scheme.front() > 'z' || !all_of_chars(scheme, "+.-") || separator + 3 == url.size()) {
    return fail(ErrorCode::bad_request, "a store must be a URL such as "
                                        "sqlite:///var/lib/sharectl/state.db, "
                                        "postgres://host/db or etcd://h1:2379,h2:2379; got " +
                                            validate::quote_for_message(url));
  }
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return fail(ErrorCode::bad_request, "a store URL must not contain spaces or control "
                                          "characters; got " +
                                              validate::quote_for_message(url));
    }
  }
  return {};
}

// Reads agent.yaml section by section, remembering the line of every key for the cross-field
// messages.
class AgentConfigReader {
public:
  explicit AgentConfigReader(AgentConfig& config) : m_config(config) {}

  Status read(YamlMap& root) {
    if (auto s = read_listen(root); !s) {
      return s;
    }
    if (auto s = read_tls(root); !s) {
      return s;
    }
    if (auto s = read_store(root); !s) {
      return s;
    }
    if (auto s = read_server(root); !s) {
      return s;
    }
    if (auto s = read_samba(root); !s) {
      return s;
    }
    if (auto s = read_filesystems(root); !s) {
      return s;
    }
    if (auto s = read_spaces(root); !s) {
      return s;
    }
    if (auto s = read_shares(root); !s) {
      return s;
    }
    if (auto s = read_groups(root); !s) {
      return s;
    }
    if (auto s = read_auth(root); !s) {
      return s;
    }
    if (auto s = read_apps(root); !s) {
      return s;
    }
    if (auto s = read_reconcile(root); !s) {
      return s;
    }
    if (auto s = read_log(root); !s) {
      return s;
    }
    if (auto s = root.finish(); !s) {
      return s;
    }
    if (const auto problem = cross_field_problem(m_config)) {
      const auto line = m_lines.find(problem->key);
      return std::unexpected(
          root.error_at(line == m_lines.end() ? 0 : line->second, problem->message));
    }
    return {};
  }

private:
  void remember(const YamlMap& map, std::string_view key, int line) {
    if (line > 0) {
      m_lines[map.key_path(key)] = line;
    }
  }

  // Reads a scalar and converts it with `convert(text) -> Result<T>`; leaves `out` alone when
  // the key is absent.
  template <typename T, typename Convert>
  Status read_value(YamlMap& map, std::string_view key, T& out, Convert convert) {
    remember(map, key, map.key_line(key));
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

  Status read_bool(YamlMap& map, std::string_view key, bool& out) {
    remember(map, key, map.key_line(key));
    auto value = map.boolean(key);
    if (!value) {
      return std::unexpected(value.error());
    }
    if (value->has_value()) {
      out = **value;
    }
    return {};
  }

  // "unlimited" (nullopt) or a whole number from 1 to 1000000.
  static Result<std::optional<std::uint32_t>> to_cap(const YamlScalar& value) {
    if (value.value == "unlimited") {
      return std::optional<std::uint32_t>();
    }
    std::uint32_t n = 0;
    const auto* end = value.value.data() + value.value.size();
    const auto [ptr, ec] = std::from_chars(value.value.data(), end, n);
    if (ec != std::errc() || ptr != end || n < 1 || n > 1000000) {
      return fail(ErrorCode::bad_request,
                  "must be \"unlimited\" or a whole number from 1 to 1000000");
    }
    return std::optional<std::uint32_t>(n);
  }

  template <typename Table, typename Enum>
  static Result<Enum> to_enum(const Table& table, const YamlScalar& value) {
    for (const auto& [name, entry] : table) {
      if (name == value.value) {
        return entry;
      }
    }
    return fail(ErrorCode::bad_request,
                "must be " + choices(table) + ", got " + validate::quote_for_message(value.value));
  }

  template <typename Table, typename Enum>
  Status read_enum(YamlMap& map, std::string_view key, const Table& table, Enum& out) {
    return read_value(map, key, out,
                      [&](const YamlScalar& value) { return to_enum<Table, Enum>(table, value); });
  }

  static Result<std::filesystem::path> to_path(const YamlScalar& value) {
    return validate::validate_path(value.value);
  }

  static Result<std::chrono::seconds> to_duration(const YamlScalar& value) {
    return parse_duration(value.value);
  }

  Status read_listen(YamlMap& root) {
    return read_value(root, "listen", m_config.listen,
                      [](const YamlScalar& value) { return parse_listen_address(value.value); });
  }

  Status read_tls(YamlMap& root) {
    remember(root, "tls", root.key_line("tls"));
    auto section = root.map("tls");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& tls = **section;
    if (auto s = read_bool(tls, "enabled", m_config.tls.enabled); !s) {
      return s;
    }
    if (auto s = read_value(tls, "cert", m_config.tls.cert, to_path); !s) {
      return s;
    }
    if (auto s = read_value(tls, "key", m_config.tls.key, to_path); !s) {
      return s;
    }
    return tls.finish();
  }

  Status read_store(YamlMap& root) {
    return read_value(root, "store", m_config.store,
                      [](const YamlScalar& value) -> Result<std::string> {
                        if (auto s = validate_store_url(value.value); !s) {
                          return std::unexpected(s.error());
                        }
                        return value.value;
                      });
  }

  Status read_server(YamlMap& root) {
    auto section = root.map("server");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& server = **section;
    auto name = read_value(server, "name", m_config.server.name,
                           [](const YamlScalar& value) -> Result<std::string> {
                             if (auto s = validate_server_name(value.value); !s) {
                               return std::unexpected(s.error());
                             }
                             return value.value;
                           });
    if (!name) {
      return name;
    }
    auto address = read_value(server, "address", m_config.server.address,
                              [](const YamlScalar& value) -> Result<std::string> {
                                if (value.value.empty()) {
                                  return value.value; // "" means: find it at run time
                                }
                                if (auto s = validate_host(value.value); !s) {
                                  return std::unexpected(s.error());
                                }
                                return value.value;
                              });
    if (!address) {
      return address;
    }
    remember(server, "roles", server.key_line("roles"));
    auto roles = server.scalar_list("roles");
    if (!roles) {
      return std::unexpected(roles.error());
    }
    if (roles->has_value()) {
      m_config.server.roles.clear();
      for (const auto& value : **roles) {
        auto role = to_enum<decltype(k_role_names), ServerRole>(k_role_names, value);
        if (!role) {
          return std::unexpected(server.value_error(value, role.error().message));
        }
        m_config.server.roles.push_back(*role);
      }
    }
    return server.finish();
  }

  Status read_samba(YamlMap& root) {
    auto section = root.map("samba");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& samba = **section;
    if (auto s = read_value(samba, "config", m_config.samba.config, to_path); !s) {
      return s;
    }
    if (auto s = read_value(samba, "include", m_config.samba.include, to_path); !s) {
      return s;
    }
    if (auto s = read_enum(samba, "accounts", k_accounts_names, m_config.samba.accounts); !s) {
      return s;
    }
    return samba.finish();
  }

  Status read_filesystems(YamlMap& root) {
    remember(root, "filesystems", root.key_line("filesystems"));
    auto list = root.map_list("filesystems");
    if (!list) {
      return std::unexpected(list.error());
    }
    if (!list->has_value()) {
      return {};
    }
    m_config.filesystems.clear();
    for (auto& entry : **list) {
      FilesystemConfig filesystem;
      if (auto s = read_value(entry, "path", filesystem.path, to_path); !s) {
        return s;
      }
      if (filesystem.path.empty()) {
        return std::unexpected(entry.error_at(
            entry.line(), "key " + validate::quote_for_message(entry.key_path("path")) +
                              " is required: the directory spaces are created below"));
      }
      if (auto s = read_enum(entry, "driver", k_driver_names, filesystem.driver); !s) {
        return s;
      }
      if (auto s = entry.finish(); !s) {
        return s;
      }
      m_config.filesystems.push_back(std::move(filesystem));
    }
    return {};
  }

  Status read_spaces(YamlMap& root) {
    auto section = root.map("spaces");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& spaces = **section;
    auto allowance = read_value(
        spaces, "user_allowance", m_config.spaces.user_allowance,
        [](const YamlScalar& value) -> Result<std::optional<std::uint64_t>> {
          if (value.value == "unlimited") {
            return std::optional<std::uint64_t>();
          }
          auto size = validate::parse_size(value.value);
          if (!size) {
            return fail(ErrorCode::bad_request,
                        "must be \"unlimited\" or a size such as 500G; " + size.error().message);
          }
          return std::optional<std::uint64_t>(*size);
        });
    if (!allowance) {
      return allowance;
    }
    if (auto s = read_value(spaces, "max_per_user", m_config.spaces.max_per_user, to_cap); !s) {
      return s;
    }
    return spaces.finish();
  }

  Status read_shares(YamlMap& root) {
    auto section = root.map("shares");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& shares = **section;
    if (auto s = read_bool(shares, "invitations", m_config.shares.invitations); !s) {
      return s;
    }
    if (auto s = read_value(shares, "max_per_user", m_config.shares.max_per_user, to_cap); !s) {
      return s;
    }
    return shares.finish();
  }

  Status read_groups(YamlMap& root) {
    auto section = root.map("groups");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& groups = **section;
    if (auto s = read_bool(groups, "user_groups", m_config.groups.user_groups); !s) {
      return s;
    }
    if (auto s = read_value(groups, "max_per_user", m_config.groups.max_per_user, to_cap); !s) {
      return s;
    }
    return groups.finish();
  }

  Status read_auth(YamlMap& root) {
    auto section = root.map("auth");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& auth = **section;
    if (auto s = read_enum(auth, "registration", k_registration_names, m_config.auth.registration);
        !s) {
      return s;
    }
    if (auto s = read_bool(auth, "basic", m_config.auth.basic); !s) {
      return s;
    }
    return auth.finish();
  }

  Status read_apps(YamlMap& root) {
    auto section = root.map("apps");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& apps = **section;
    if (auto s = read_value(apps, "idle_expiry", m_config.apps.idle_expiry, to_duration); !s) {
      return s;
    }
    if (auto s = read_value(apps, "max_lifetime", m_config.apps.max_lifetime, to_duration); !s) {
      return s;
    }
    if (auto s = read_value(apps, "max_per_user", m_config.apps.max_per_user, to_cap); !s) {
      return s;
    }
    return apps.finish();
  }

  Status read_reconcile(YamlMap& root) {
    auto section = root.map("reconcile");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& reconcile = **section;
    if (auto s = read_value(reconcile, "resync", m_config.reconcile.resync, to_duration); !s) {
      return s;
    }
    if (auto s = read_value(
            reconcile, "heartbeat", m_config.reconcile.heartbeat,
            [](const YamlScalar& value) -> Result<std::chrono::seconds> {
              auto d = parse_duration(value.value);
              if (d && (*d < std::chrono::seconds(1) || *d > std::chrono::minutes(5))) {
                return fail(ErrorCode::bad_request, "the heartbeat must be from 1s to 5m");
              }
              return d;
            });
        !s) {
      return s;
    }
    return reconcile.finish();
  }

  Status read_log(YamlMap& root) {
    auto section = root.map("log");
    if (!section) {
      return std::unexpected(section.error());
    }
    if (!section->has_value()) {
      return {};
    }
    YamlMap& log = **section;
    if (auto s = read_enum(log, "level", k_level_names, m_config.log.level); !s) {
      return s;
    }
    return log.finish();
  }

  AgentConfig& m_config;
  std::map<std::string, int> m_lines;
};

} // namespace

std::string_view to_string(ServerRole role) {
  return name_in(k_role_names, role);
}
std::string_view to_string(SambaAccounts accounts) {
  return name_in(k_accounts_names, accounts);
}
std::string_view to_string(FilesystemDriver driver) {
  return name_in(k_driver_names, driver);
}
std::string_view to_string(Registration registration) {
  return name_in(k_registration_names, registration);
}
std::string_view to_string(LogLevel level) {
  return name_in(k_level_names, level);
}

std::string default_server_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0 || buffer[0] == '\0') {
    return "localhost";
  }
  return std::string(buffer.data());
}

Result<AgentConfig> parse_agent_config(std::string_view yaml_text,
                                       std::string_view origin_for_messages) {
  auto root = parse_yaml_mapping(yaml_text, origin_for_messages);
  if (!root) {
    return std::unexpected(root.error());
  }
  AgentConfig config;
  AgentConfigReader reader(config);
  if (auto read = reader.read(*root); !read) {
    return std::unexpected(read.error());
  }
  return config;
}

Result<AgentConfig> load_agent_config(const std::filesystem::path& path) {
  auto text = read_file(path, k_max_config_bytes);
  if (!text) {
    return std::unexpected(text.error());
  }
  return parse_agent_config(*text, path.string());
}

} // namespace sharectl::config
