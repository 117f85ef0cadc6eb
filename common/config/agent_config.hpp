// The agent's configuration file (/etc/sharectl/agent.yaml, SPEC.md "Agent configuration"):
// the typed struct with every default, loading and checking it (unknown keys, wrong types and
// cross-field rules refused with file and line), and rendering the commented file that
// `sharectl-agent init` writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/error.hpp"

namespace sharectl::config {

// Where the agent reads its configuration unless --config says otherwise.
inline constexpr std::string_view k_default_agent_config_path = "/etc/sharectl/agent.yaml";

// A TCP listen address: a host (IPv4 literal, IPv6 literal without brackets, or a DNS name)
// and a port.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// Parses "host:port" ("0.0.0.0:7443", "[::1]:7443", "localhost:7443"); an IPv6 host must be in
// brackets. Fails with bad_request on a missing or invalid host or port (port 1-65535).
Result<ListenAddress> parse_listen_address(std::string_view text);

// "host:port", with brackets around an IPv6 host; parse_listen_address reads it back. Never
// fails.
std::string format_listen_address(const ListenAddress& address);

// Checks a host name or IP address as written in listen or server.address: an IPv4 or IPv6
// literal, or a DNS name (labels of letters, digits and '-', at most 253 bytes). Fails with
// bad_request saying what is wrong.
Status validate_host(std::string_view host);

// Whether a host is a loopback address: 127.0.0.0/8, ::1, ::ffff:127.x.y.z or "localhost".
// Never fails.
bool is_loopback_host(std::string_view host);

// What a storage host serves.
enum class ServerRole { samba, iscsi };
// Who owns the Unix/passdb accounts of share users.
enum class SambaAccounts { local, external };
// How a filesystem holds spaces: btrfs subvolume + qgroup, a plain directory (no quota
// enforcement), XFS project quota.
enum class FilesystemDriver { btrfs, dir, xfs };
// Whether anyone may register (POST /api/v1/users).
enum class Registration { open, closed };
// The least severe log message written.
enum class LogLevel { trace, debug, info, warn, error };

// The configuration spelling of each enumerator ("samba", "btrfs", "warn", …). Never fail.
std::string_view to_string(ServerRole role);
std::string_view to_string(SambaAccounts accounts);
std::string_view to_string(FilesystemDriver driver);
std::string_view to_string(Registration registration);
std::string_view to_string(LogLevel level);

// This host's name (gethostname), or "localhost" if it cannot be had. Never fails.
std::string default_server_name();

// tls: the HTTPS listener's certificate and key (PEM files).
struct TlsConfig {
  bool enabled = true;
  std::filesystem::path cert{"/etc/sharectl/tls/agent.crt"};
  std::filesystem::path key{"/etc/sharectl/tls/agent.key"};

  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

// server: how this host is known to the cluster.
struct ServerConfig {
  // The server's name in the API and CLI; default: this host's name.
  std::string name = default_server_name();
  // What clients use to reach smbd; empty: the first non-loopback address (found at run time).
  std::string address;
  std::vector<ServerRole> roles{ServerRole::samba};

  friend bool operator==(const ServerConfig&, const ServerConfig&) = default;
};

// samba: the admin's smb.conf (the agent only ensures one include line in it) and the file the
// agent owns.
struct SambaConfig {
  std::filesystem::path config{"/etc/samba/smb.conf"};
  std::filesystem::path include{"/etc/samba/sharectl.conf"};
  SambaAccounts accounts = SambaAccounts::local;

  friend bool operator==(const SambaConfig&, const SambaConfig&) = default;
};

// filesystems[]: one filesystem that spaces are created below.
struct FilesystemConfig {
  std::filesystem::path path;
  FilesystemDriver driver = FilesystemDriver::btrfs;

  friend bool operator==(const FilesystemConfig&, const FilesystemConfig&) = default;
};

// The default of the per-user caps below and of spaces.user_allowance (see agent/README.md
// "Quotas of abuse"); nullopt in a config means "unlimited".
inline constexpr std::uint64_t k_default_user_allowance = 100ULL << 30; // 100 GiB

// spaces: limits on what users may allocate.
struct SpacesConfig {
  // The most bytes one user (not an admin) may own in total; nullopt: unlimited.
  std::optional<std::uint64_t> user_allowance = k_default_user_allowance;
  // The most spaces one user (not an admin) may own; nullopt: unlimited.
  std::optional<std::uint32_t> max_per_user = 100;

  friend bool operator==(const SpacesConfig&, const SpacesConfig&) = default;
};

// shares: how access to shares is handed out.
struct SharesConfig {
  // true: a grant (direct or through a group) is an invitation, served only once the user
  // accepts it (`sharectl invite accept`); false: grants take effect at once.
  bool invitations = false;
  // The most shares one user (not an admin) may have on their spaces; nullopt: unlimited.
  std::optional<std::uint32_t> max_per_user = 200;

  friend bool operator==(const SharesConfig&, const SharesConfig&) = default;
};

// groups: who may make groups.
struct GroupsConfig {
  // true: any active user may create groups of their own (and manage them) for share grants;
  // such user groups never carry roles. false: creating a group needs groups.create.
  bool user_groups = true;
  // The most groups one user (not an admin) may own; nullopt: unlimited.
  std::optional<std::uint32_t> max_per_user = 50;

  friend bool operator==(const GroupsConfig&, const GroupsConfig&) = default;
};

// auth: who may register and how requests authenticate.
struct AuthConfig {
  Registration registration = Registration::open;
  // Accept Authorization: Basic.
  bool basic = false;

  friend bool operator==(const AuthConfig&, const AuthConfig&) = default;
};

// apps: login session lifetimes.
struct AppsConfig {
  // An app unused for this long expires.
  std::chrono::seconds idle_expiry{7 * 24 * 3600};
  // An app expires this long after login, however much it is used.
  std::chrono::seconds max_lifetime{90 * 24 * 3600};
  // The most apps (logins) one user (not an admin) may hold at once; nullopt: unlimited.
  std::optional<std::uint32_t> max_per_user = 20;

  friend bool operator==(const AppsConfig&, const AppsConfig&) = default;
};

// reconcile: the periodic full resync that backs up the change feed, and the heartbeat.
struct ReconcileConfig {
  std::chrono::seconds resync{60};
  // How often this host beats (1s to 5m). On etcd its liveness lease lives 3 beats, so the host
  // shows down 3 beats after it stops; on SQL readers judge by 3 × the default 15s.
  std::chrono::seconds heartbeat{15};

  friend bool operator==(const ReconcileConfig&, const ReconcileConfig&) = default;
};

// log: logging.
struct LogConfig {
  LogLevel level = LogLevel::info;

  friend bool operator==(const LogConfig&, const LogConfig&) = default;
};

// The whole agent.yaml; a default-constructed AgentConfig is the configuration of an empty file.
struct AgentConfig {
  ListenAddress listen{"0.0.0.0", 7443};
  TlsConfig tls;
  // The store URL; its scheme picks the backend (the store factory checks it is built in).
  std::string store{"sqlite:///var/lib/sharectl/state.db"};
  ServerConfig server;
  SambaConfig samba;
  std::vector<FilesystemConfig> filesystems{
      FilesystemConfig{"/srv/sharectl", FilesystemDriver::btrfs}};
  SpacesConfig spaces;
  SharesConfig shares;
  GroupsConfig groups;
  AuthConfig auth;
  AppsConfig apps;
  ReconcileConfig reconcile;
  LogConfig log;

  friend bool operator==(const AgentConfig&, const AgentConfig&) = default;
};

// Parses agent.yaml text; messages start "ORIGIN:LINE:". Missing keys take their defaults and
// null values ("key:") too. Fails with bad_request on invalid YAML, unknown keys, wrong types,
// invalid values and broken cross-field rules (plain HTTP on a non-loopback listen address,
// overlapping filesystems, samba.include equal to samba.config, idle_expiry above
// max_lifetime, duplicate roles).
Result<AgentConfig> parse_agent_config(std::string_view yaml_text,
                                       std::string_view origin_for_messages);

// A broken cross-field rule: the key to point at (e.g. "apps.idle_expiry") and what is wrong.
struct ConfigProblem {
  std::string key;
  std::string message;
};

// The first cross-field rule `config` breaks (see parse_agent_config), nullopt when none. Never
// fails.
std::optional<ConfigProblem> cross_field_problem(const AgentConfig& config);

// Reads and parses the file at `path` (at most 1 MiB). Fails with not_found when it does not
// exist, internal when it cannot be read, and as parse_agent_config otherwise.
Result<AgentConfig> load_agent_config(const std::filesystem::path& path);

// Checks the cross-field rules on a config built in code (parse_agent_config applies them
// too). Fails with bad_request naming the keys involved.
Status check_agent_config(const AgentConfig& config);

// The commented agent.yaml for `config`: every key, with SPEC.md's explanations. server.name
// and server.address are written as comments when they have their defaults, so that the file
// follows a renamed host. parse_agent_config reads it back as `config`. Never fails.
std::string render_agent_config(const AgentConfig& config);

// The commented default agent.yaml (render_agent_config of AgentConfig{}): what
// `sharectl-agent init` writes when there is no config file. Never fails.
std::string default_agent_config_yaml();

} // namespace sharectl::config
