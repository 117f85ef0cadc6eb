// Rendering an AgentConfig back to the commented YAML file that `sharectl-agent init` writes
// (split from agent_config.cpp, which parses and validates).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/config/agent_config.hpp"
#include "common/config/duration.hpp"
#include "common/config/yaml_reader.hpp"

namespace sharectl::config {
namespace {

// A per-user cap for the config file: the number, or "unlimited".
std::string render_cap(const std::optional<std::uint32_t>& cap) {
  return cap ? std::to_string(*cap) : std::string("unlimited");
}

// A size for the config file: the largest binary unit that represents it exactly, else bytes.
std::string render_size(std::uint64_t bytes) {
  constexpr std::array<std::pair<std::uint64_t, std::string_view>, 4> k_units{
      {{1ULL << 40, "TiB"}, {1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}}};
  for (const auto& [unit, name] : k_units) {
    if (bytes % unit == 0) {
      return std::to_string(bytes / unit) + std::string(name);
    }
  }
  return std::to_string(bytes);
}

// "key: value" padded so that a trailing comment starts in column 35 (as in SPEC.md).
std::string line_with_comment(std::string text, std::string_view comment) {
  if (comment.empty()) {
    return text + "\n";
  }
  if (text.size() < 34) {
    text.resize(34, ' ');
  } else {
    text += ' ';
  }
  return text + "# " + std::string(comment) + "\n";
}

} // namespace

std::string render_agent_config(const AgentConfig& config) {
  const AgentConfig defaults;
  std::string out;
  out +=
      "# sharectl-agent configuration. Every key is optional: a missing key (or one left empty)\n"
      "# takes the default shown in SPEC.md. Unknown keys are an error.\n"
      "# Durations: 30s, 15m, 12h, 7d. Sizes: 500G, 2TiB, 1TB.\n\n";
  out += line_with_comment("listen: " + yaml_scalar(format_listen_address(config.listen)),
                           "host:port; [IPv6]:port");
  out += "tls:\n";
  out += line_with_comment("  enabled: " + std::string(config.tls.enabled ? "true" : "false"),
                           "false is refused unless listen is a loopback address");
  out += "  cert: " + yaml_scalar(config.tls.cert.string()) + "\n";
  out += "  key: " + yaml_scalar(config.tls.key.string()) + "\n";
  out += line_with_comment("store: " + yaml_scalar(config.store),
                           "or postgres://…, etcd://h1:2379,h2:2379");
  out += "server:\n";
  if (config.server.name == defaults.server.name) {
    out +=
        line_with_comment("  # name: " + yaml_scalar(config.server.name), "default: the host name");
  } else {
    out +=
        line_with_comment("  name: " + yaml_scalar(config.server.name), "default: the host name");
  }
  if (config.server.address.empty()) {
    out += line_with_comment("  # address: 192.0.2.10",
                             "what clients use to reach smbd; default: first non-loopback");
  } else {
    out += line_with_comment("  address: " + yaml_scalar(config.server.address),
                             "what clients use to reach smbd; default: first non-loopback");
  }
  std::string roles = "  roles: [";
  for (std::size_t i = 0; i < config.server.roles.size(); ++i) {
    roles += (i == 0 ? "" : ", ") + std::string(to_string(config.server.roles[i]));
  }
  out += line_with_comment(roles + "]", "samba, iscsi");
  out += "samba:\n";
  out += line_with_comment("  config: " + yaml_scalar(config.samba.config.string()),
                           "the agent only ensures one include line in it");
  out += line_with_comment("  include: " + yaml_scalar(config.samba.include.string()),
                           "the file the agent owns and rewrites");
  out += line_with_comment("  accounts: " + std::string(to_string(config.samba.accounts)),
                           "local: provision Unix + passdb accounts; external: domain");
  if (config.filesystems.empty()) {
    out += line_with_comment("filesystems: []", "no filesystem: this host holds no spaces");
  } else {
    out += "filesystems:\n";
    for (const auto& filesystem : config.filesystems) {
      out += line_with_comment("  - path: " + yaml_scalar(filesystem.path.string()),
                               "spaces are created below it");
      out += line_with_comment("    driver: " + std::string(to_string(filesystem.driver)),
                               "btrfs (subvolume + qgroup), dir (no enforcement), xfs");
    }
  }
  out += "spaces:\n";
  out += line_with_comment("  user_allowance: " + (config.spaces.user_allowance
                                                       ? render_size(*config.spaces.user_allowance)
                                                       : std::string("unlimited")),
                           "or unlimited: the most space one user (not an admin) may own");
  out += line_with_comment("  max_per_user: " + render_cap(config.spaces.max_per_user),
                           "or unlimited: the most spaces one user may own");
  out += "shares:\n";
  out += line_with_comment(
      "  invitations: " + std::string(config.shares.invitations ? "true" : "false"),
      "true: grants wait until the user accepts them (sharectl invite accept)");
  out += line_with_comment("  max_per_user: " + render_cap(config.shares.max_per_user),
                           "or unlimited: the most shares on one user's spaces");
  out += "groups:\n";
  out += line_with_comment("  user_groups: " +
                               std::string(config.groups.user_groups ? "true" : "false"),
                           "any user may make own groups for share grants, never roles");
  out += line_with_comment("  max_per_user: " + render_cap(config.groups.max_per_user),
                           "or unlimited: the most groups one user may own");
  out += "auth:\n";
  out += line_with_comment("  registration: " + std::string(to_string(config.auth.registration)),
                           "open | closed");
  out += line_with_comment("  basic: " + std::string(config.auth.basic ? "true" : "false"),
                           "accept Authorization: Basic");
  out += "apps:\n";
  out += line_with_comment("  idle_expiry: " + format_duration(config.apps.idle_expiry),
                           "an app (login) unused this long expires");
  out += line_with_comment("  max_lifetime: " + format_duration(config.apps.max_lifetime),
                           "an app expires this long after login");
  out += line_with_comment("  max_per_user: " + render_cap(config.apps.max_per_user),
                           "or unlimited: the most apps (logins) one user may hold");
  out += "reconcile:\n";
  out += line_with_comment("  resync: " + format_duration(config.reconcile.resync),
                           "full resync period, the change feed's safety net");
  out += line_with_comment("  heartbeat: " + format_duration(config.reconcile.heartbeat),
                           "how often this host beats; down after 3 missed");
  out += "log:\n";
  out += line_with_comment("  level: " + std::string(to_string(config.log.level)),
                           "trace, debug, info, warn or error");
  return out;
}

std::string default_agent_config_yaml() {
  return render_agent_config(AgentConfig{});
}

} // namespace sharectl::config
