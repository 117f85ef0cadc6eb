// The entities of the domain model (DESIGN.md "Domain model") as plain structs: what the store
// keeps and the API renders. No JSON and no storage code here. Secrets that the API must never
// render (password and NT hashes) live apart, in UserSecrets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/object.hpp"

namespace sharectl::model {

// Where a user's identity comes from.
enum class AuthSource { local, ldap, kerberos, oidc };

// A global identity.
struct User : Object {
  static constexpr Kind k_kind = Kind::user;
  std::string username;
  std::optional<std::string> email; // unique when present
  AuthSource auth_source = AuthSource::local;
  bool is_active = true;
  bool is_manager = false;
  bool is_admin = false;
  std::optional<std::uint64_t> allowance_bytes; // most space the user may own; nullopt = default
  std::optional<Timestamp> last_login;
};

// The credentials of a user, kept apart so that rendering a User can never leak them.
struct UserSecrets {
  std::optional<std::string> password_hash; // argon2id or bcrypt; nullopt for external users
  std::optional<std::string> nt_hash;       // SMB NT hash (hex) for the passdb
};

// A login session of a user (SPEC.md POST /api/v1/apps); the token itself is never stored.
struct App : Object {
  static constexpr Kind k_kind = Kind::app;
  Id user_id;
  std::string name;
  std::string token_sha256; // hex SHA-256 of the bearer token
  Timestamp last_used_at{};
  Timestamp expires_at{};
};

// Control-plane access levels, ordered: view < client < modify < admin.
enum class RoleLevel { view, client, modify, admin };

// A named, prioritized list of rules.
struct Role : Object {
  static constexpr Kind k_kind = Kind::role;
  std::string name; // unique
  std::string description;
  bool builtin = false; // admin, maintainer, viewer, client
};

// One rule of a role: resources matching the glob get this level. Unique per (role, glob).
struct Rule : Object {
  static constexpr Kind k_kind = Kind::rule;
  Id role_id;
  std::string resource_glob;
  RoleLevel level = RoleLevel::view;
  int priority = 0; // higher wins
};

// Who a binding applies to.
enum class SubjectKind { user, group, external_group };

// A role given to a subject in a scope. Unique per (role, subject, scope).
struct Binding : Object {
  static constexpr Kind k_kind = Kind::binding;
  Id role_id;
  SubjectKind subject_kind = SubjectKind::user;
  std::string subject;        // user id, group id, or external group name
  std::optional<Id> space_id; // nullopt: the whole cluster
};

// A group of users: local (no external_id) or synchronized from LDAP (hash of the DN).
struct Group : Object {
  static constexpr Kind k_kind = Kind::group;
  std::string name; // unique
  std::string description;
  std::optional<std::string> external_id; // unique when present
  std::optional<Id> owner_id;             // who created a local group (manages it)
};

// One member of a group.
struct GroupMember {
  Id group_id;
  Id user_id;
  Revision revision = 0;
  Timestamp created_at{};
};

// Whether a server's agent is alive.
enum class ServerStatus { up, down };

// A storage host running an agent.
struct Server : Object {
  static constexpr Kind k_kind = Kind::server;
  std::string name; // unique
  std::string address;
  bool role_samba = true;
  bool role_iscsi = false;
  ServerStatus status = ServerStatus::down;
  int smb_port = 445; // where its smbd listens (from `smb ports`); clients' connect paths use it
  std::optional<Timestamp> last_heartbeat;
  Revision observed_revision = 0; // the store revision its last complete reconcile pass applied
  double load_average = 0;
  std::uint64_t memory_total_bytes = 0;
  std::uint64_t memory_used_bytes = 0;
  std::uint64_t net_rx_bytes = 0;
  std::uint64_t net_tx_bytes = 0;
};

// How a filesystem holds spaces.
enum class FsDriver { btrfs, xfs, dir };

// A mounted filesystem on a samba server that holds spaces. Unique per (server, path).
struct FileSystem : Object, Applied {
  static constexpr Kind k_kind = Kind::filesystem;
  Id server_id;
  std::string path;
  FsDriver driver = FsDriver::dir;
  std::uint64_t capacity_bytes = 0;
  std::uint64_t allocated_bytes = 0;
  std::uint64_t free_bytes = 0;   // free on disk at the last heartbeat (statvfs)
  std::optional<Id> iscsi_lun_id; // set when backed by an iSCSI LUN
};

// Allocated room for one owner. Unique per (owner, name).
struct Space : Object, Applied {
  static constexpr Kind k_kind = Kind::space;
  Id owner_id;
  std::string name;
  std::uint64_t size_bytes = 0;
  Id filesystem_id;
  std::string path;                 // where the host created it
  std::uint64_t used_bytes = 0;     // measured by its host (heartbeat); bookkeeping, no revision
  std::optional<Timestamp> used_at; // when used_bytes was measured; nullopt: not yet
};

// A Samba share of a space or of a subdirectory of it. Name unique case-insensitively.
struct Share : Object, Applied {
  static constexpr Kind k_kind = Kind::share;
  std::string name;
  Id space_id;
  std::string subdir; // relative to the space; empty for the space itself
  bool read_only = false;
  bool browseable = true;
  std::string comment;
  std::optional<bool> invitations; // grants wait for the user's accept; nullopt: agent config
};

// Data-plane access levels, ordered: read < write.
enum class ShareLevel { read, write };

// An ACL row's state: invited (pending) or accepted (active). All rows of one (user, share)
// always share one state.
enum class AclState { pending, active };

// One ACL row: unique per (share, user, group-or-none). A group grant makes one row per member.
struct AclEntry {
  Id share_id;
  Id user_id;
  std::optional<Id> group_id; // nullopt: a direct grant
  ShareLevel level = ShareLevel::read;
  AclState state = AclState::pending;
  Revision revision = 0;
  Timestamp created_at{};
  Timestamp updated_at{};
};

// A group's grant on a share (the source of that group's ACL rows). Unique per (share, group).
struct GroupGrant {
  Id share_id;
  Id group_id;
  ShareLevel level = ShareLevel::read;
  Revision revision = 0;
  Timestamp created_at{};
  Timestamp updated_at{};
};

// A user's effective access to a share: the max over their rows, with the rows' state.
struct UserAccess {
  Id user_id;
  ShareLevel level = ShareLevel::read;
  AclState state = AclState::pending;
};

// An iSCSI server's target and the samba host that consumes it. IQN unique.
struct IscsiTarget : Object, Applied {
  static constexpr Kind k_kind = Kind::iscsi_target;
  Id server_id;
  std::string iqn;
  std::optional<Id> consumer_server_id;
  std::vector<std::string> allowed_initiators; // initiator IQNs
  std::string chap_user;
  std::string chap_secret; // a secret: the API never renders it
};

// Where a LUN's data lives.
enum class Backstore { fileio, block };

// One LUN of a target. Unique per (target, lun).
struct IscsiLun : Object {
  static constexpr Kind k_kind = Kind::iscsi_lun;
  Id target_id;
  int lun = 0;
  Backstore backstore = Backstore::fileio;
  std::string backing_path;
  std::uint64_t size_bytes = 0;
};

// What happened to an audited request.
enum class AuditOutcome { allowed, denied, failed };

// An append-only audit record; created_at is its time.
struct AuditEvent : Object {
  static constexpr Kind k_kind = Kind::audit_event;
  std::optional<Id> actor_id; // no reference: survives the user's deletion
  std::string actor_name;
  std::string source_address;
  std::string action;   // e.g. "space.create"
  std::string resource; // e.g. "spaces/alice/projects"
  AuditOutcome outcome = AuditOutcome::allowed;
  std::string detail;
};

// The channels notifications go through.
enum class NotifyKind { webhook, email, slack, telegram };

// Where to tell whom. Name unique.
struct NotifyMethod : Object {
  static constexpr Kind k_kind = Kind::notify_method;
  std::string name;
  NotifyKind kind = NotifyKind::webhook;
  std::string target; // URL, address or chat id
  std::optional<Id> owner_id;
  bool enabled = true;
};

// The events a hook can fire on.
enum class NotifyEvent { server_up, server_down, space_ready, space_failed, invitation };

// When to use a method: on this event for resources matching the glob.
struct NotifyHook : Object {
  static constexpr Kind k_kind = Kind::notify_hook;
  Id method_id;
  NotifyEvent event = NotifyEvent::space_ready;
  std::string resource_glob = "*";
};

// A one-time token with which a new server's agent joins the cluster.
struct JoinToken : Object {
  static constexpr Kind k_kind = Kind::join_token;
  std::string token_sha256; // unique
  std::string description;
  bool role_samba = true;
  bool role_iscsi = false;
  Timestamp expires_at{};
  std::optional<Id> created_by;
  std::optional<Timestamp> used_at;
  std::optional<Id> used_by_server_id;
};

// Wire names of the enums above, e.g. "ldap", "write"; and back (nullopt for unknown names).
std::string_view to_string(AuthSource v);
std::string_view to_string(RoleLevel v);
std::string_view to_string(SubjectKind v);
std::string_view to_string(ServerStatus v);
std::string_view to_string(FsDriver v);
std::string_view to_string(ShareLevel v);
std::string_view to_string(AclState v);
std::string_view to_string(Backstore v);
std::string_view to_string(AuditOutcome v);
std::string_view to_string(NotifyKind v);
std::string_view to_string(NotifyEvent v);

// Parses a wire name into E (one of the enums above); nullopt for an unknown name.
template <typename E>
std::optional<E> parse_enum(std::string_view name);
// The specializations defined in enums.cpp.
template <>
std::optional<Kind> parse_enum(std::string_view name);
template <>
std::optional<ObjectStatus> parse_enum(std::string_view name);
template <>
std::optional<AuthSource> parse_enum(std::string_view name);
template <>
std::optional<RoleLevel> parse_enum(std::string_view name);
template <>
std::optional<SubjectKind> parse_enum(std::string_view name);
template <>
std::optional<ServerStatus> parse_enum(std::string_view name);
template <>
std::optional<FsDriver> parse_enum(std::string_view name);
template <>
std::optional<ShareLevel> parse_enum(std::string_view name);
template <>
std::optional<AclState> parse_enum(std::string_view name);
template <>
std::optional<Backstore> parse_enum(std::string_view name);
template <>
std::optional<AuditOutcome> parse_enum(std::string_view name);
template <>
std::optional<NotifyKind> parse_enum(std::string_view name);
template <>
std::optional<NotifyEvent> parse_enum(std::string_view name);

} // namespace sharectl::model
