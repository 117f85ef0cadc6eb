// How each document kind maps to a table of the shared SQL schema: table name, the columns
// (one visitor per entity, used to list columns, bind values and load rows; `v.derived` columns
// are written only, `v.bookkeeping` columns read only — see mapping.hpp), the parent column of
// ListQuery, and the unique keys named in conflict messages. Used by sql_tx.cpp only.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/model/entities.hpp"

namespace sharectl::store::sql {

// A unique key of a table, for "<noun> <what> '<value>'<tail>" messages; up to two columns.
struct UniqueKey {
  std::string_view what;                   // e.g. "name"
  std::array<std::string_view, 2> columns; // the columns, the last one's value is quoted
  std::string_view tail;                   // e.g. " is already taken by this owner"
};

// The table of a kind (specialized per entity below).
template <typename E>
struct Table;

// ASCII lower case: the key under which share names are unique.
std::string fold_ascii(std::string_view s);

// clang-format off
template <> struct Table<model::User> {
  static constexpr std::string_view name = "users", noun = "user", parent = "";
  static constexpr std::array keys{UniqueKey{"name", {"username", ""}, " is already taken"},
                                   UniqueKey{"e-mail address", {"email", ""}, " is already taken"}};
  template <typename V> static void fields(V& v, model::User& e) {
    v("username", e.username); v("email", e.email); v("auth_source", e.auth_source);
    v("is_active", e.is_active); v("is_manager", e.is_manager); v("is_admin", e.is_admin);
    v("allowance_bytes", e.allowance_bytes); v("last_login", e.last_login);
  }
};
template <> struct Table<model::App> {
  static constexpr std::string_view name = "apps", noun = "app", parent = "user_id";
  static constexpr std::array keys{UniqueKey{"token", {"token_sha256", ""}, " is already taken"}};
  template <typename V> static void fields(V& v, model::App& e) {
    v("user_id", e.user_id); v("name", e.name); v("token_sha256", e.token_sha256);
    v("last_used_at", e.last_used_at); v("expires_at", e.expires_at);
  }
};
template <> struct Table<model::Role> {
  static constexpr std::string_view name = "roles", noun = "role", parent = "";
  static constexpr std::array keys{UniqueKey{"name", {"name", ""}, " is already taken"}};
  template <typename V> static void fields(V& v, model::Role& e) {
    v("name", e.name); v("description", e.description); v("builtin", e.builtin);
  }
};
template <> struct Table<model::Rule> {
  static constexpr std::string_view name = "rules", noun = "rule", parent = "role_id";
  static constexpr std::array keys{
      UniqueKey{"glob", {"role_id", "resource_glob"}, " is already taken in this role"}};
  template <typename V> static void fields(V& v, model::Rule& e) {
    v("role_id", e.role_id); v("resource_glob", e.resource_glob); v("level", e.level);
    v("priority", e.priority);
  }
};
template <> struct Table<model::Binding> {
  static constexpr std::string_view name = "bindings", noun = "binding", parent = "role_id";
  static constexpr std::array keys{UniqueKey{"subject", {"role_id", "subject"},
                                             " already has this role in this scope"}};
  template <typename V> static void fields(V& v, model::Binding& e) {
    v("role_id", e.role_id); v("subject_kind", e.subject_kind); v("subject", e.subject);
    v("space_id", e.space_id);
    using model::SubjectKind;
    v.derived("user_id", e.subject_kind == SubjectKind::user ? std::optional(e.subject)
                                                             : std::nullopt);
    v.derived("group_id", e.subject_kind == SubjectKind::group ? std::optional(e.subject)
                                                               : std::nullopt);
    v.derived("scope_key", std::optional(e.space_id.value_or("")));
  }
};
template <> struct Table<model::Group> {
  static constexpr std::string_view name = "groups", noun = "group", parent = "";
  static constexpr std::array keys{UniqueKey{"name", {"name", ""}, " is already taken"},
                                   UniqueKey{"external id", {"external_id", ""}, " is already taken"}};
  template <typename V> static void fields(V& v, model::Group& e) {
    v("name", e.name); v("description", e.description); v("external_id", e.external_id);
    v("owner_id", e.owner_id);
  }
};
template <> struct Table<model::Server> {
  static constexpr std::string_view name = "servers", noun = "server", parent = "";
  static constexpr std::array keys{UniqueKey{"name", {"name", ""}, " is already taken"}};
  template <typename V> static void fields(V& v, model::Server& e) {
    v("name", e.name); v("address", e.address); v("role_samba", e.role_samba);
    v("role_iscsi", e.role_iscsi); v("status", e.status); v("last_heartbeat", e.last_heartbeat);
    v("load_average", e.load_average); v("memory_total_bytes", e.memory_total_bytes);
    v("memory_used_bytes", e.memory_used_bytes); v("net_rx_bytes", e.net_rx_bytes);
    v("net_tx_bytes", e.net_tx_bytes); v("smb_port", e.smb_port);
    v.bookkeeping("observed_revision", e.observed_revision);
  }
};
template <> struct Table<model::FileSystem> {
  static constexpr std::string_view name = "filesystems", noun = "filesystem",
                                    parent = "server_id";
  static constexpr std::array keys{UniqueKey{"path", {"server_id", "path"}, " is already taken on this server"}};
  template <typename V> static void fields(V& v, model::FileSystem& e) {
    v("server_id", e.server_id); v("path", e.path); v("driver", e.driver);
    v("capacity_bytes", e.capacity_bytes); v("allocated_bytes", e.allocated_bytes);
    v("free_bytes", e.free_bytes); v("iscsi_lun_id", e.iscsi_lun_id);
  }
};
template <> struct Table<model::Space> {
  static constexpr std::string_view name = "spaces", noun = "space", parent = "owner_id";
  static constexpr std::array keys{UniqueKey{"name", {"owner_id", "name"}, " is already taken by this owner"}};
  template <typename V> static void fields(V& v, model::Space& e) {
    v("owner_id", e.owner_id); v("name", e.name); v("size_bytes", e.size_bytes);
    v("filesystem_id", e.filesystem_id); v("path", e.path);
    v.bookkeeping("used_bytes", e.used_bytes); v.bookkeeping("used_at", e.used_at);
  }
};
template <> struct Table<model::Share> {
  static constexpr std::string_view name = "shares", noun = "share", parent = "space_id";
  static constexpr std::array keys{
      UniqueKey{"name", {"name_folded", ""}, " is already taken (share names ignore case)"}};
  template <typename V> static void fields(V& v, model::Share& e) {
    v("name", e.name); v.derived("name_folded", std::optional(fold_ascii(e.name)));
    v("space_id", e.space_id); v("subdir", e.subdir); v("read_only", e.read_only);
    v("browseable", e.browseable); v("comment", e.comment); v("invitations", e.invitations);
  }
};
template <> struct Table<model::IscsiTarget> {
  static constexpr std::string_view name = "iscsi_targets", noun = "iSCSI target",
                                    parent = "server_id";
  static constexpr std::array keys{UniqueKey{"IQN", {"iqn", ""}, " is already taken"}};
  template <typename V> static void fields(V& v, model::IscsiTarget& e) {
    v("server_id", e.server_id); v("iqn", e.iqn); v("consumer_server_id", e.consumer_server_id);
    v("allowed_initiators", e.allowed_initiators); v("chap_user", e.chap_user);
    v("chap_secret", e.chap_secret);
  }
};
template <> struct Table<model::IscsiLun> {
  static constexpr std::string_view name = "iscsi_luns", noun = "iSCSI LUN",
                                    parent = "target_id";
  static constexpr std::array keys{UniqueKey{"number", {"target_id", "lun"}, " is already taken in this target"}};
  template <typename V> static void fields(V& v, model::IscsiLun& e) {
    v("target_id", e.target_id); v("lun", e.lun); v("backstore", e.backstore);
    v("backing_path", e.backing_path); v("size_bytes", e.size_bytes);
  }
};
template <> struct Table<model::AuditEvent> {
  static constexpr std::string_view name = "audit_events", noun = "audit event",
                                    parent = "actor_id";
  static constexpr std::array<UniqueKey, 0> keys{};
  template <typename V> static void fields(V& v, model::AuditEvent& e) {
    v("actor_id", e.actor_id); v("actor_name", e.actor_name);
    v("source_address", e.source_address); v("action", e.action); v("resource", e.resource);
    v("outcome", e.outcome); v("detail", e.detail);
  }
};
template <> struct Table<model::NotifyMethod> {
  static constexpr std::string_view name = "notify_methods", noun = "notify method",
                                    parent = "";
  static constexpr std::array keys{UniqueKey{"name", {"name", ""}, " is already taken"}};
  template <typename V> static void fields(V& v, model::NotifyMethod& e) {
    v("name", e.name); v("kind", e.kind); v("target", e.target); v("owner_id", e.owner_id);
    v("enabled", e.enabled);
  }
};
template <> struct Table<model::NotifyHook> {
  static constexpr std::string_view name = "notify_hooks", noun = "notify hook",
                                    parent = "method_id";
  static constexpr std::array<UniqueKey, 0> keys{};
  template <typename V> static void fields(V& v, model::NotifyHook& e) {
    v("method_id", e.method_id); v("event", e.event); v("resource_glob", e.resource_glob);
  }
};
template <> struct Table<model::JoinToken> {
  static constexpr std::string_view name = "join_tokens", noun = "join token", parent = "";
  static constexpr std::array keys{UniqueKey{"token", {"token_sha256", ""}, " is already taken"}};
  template <typename V> static void fields(V& v, model::JoinToken& e) {
    v("token_sha256", e.token_sha256); v("description", e.description);
    v("role_samba", e.role_samba); v("role_iscsi", e.role_iscsi); v("expires_at", e.expires_at);
    v("created_by", e.created_by); v("used_at", e.used_at);
    v("used_by_server_id", e.used_by_server_id);
  }
};
// clang-format on

} // namespace sharectl::store::sql
