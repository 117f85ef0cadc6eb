// Wire names of the model's enums: one table per enum, used in both directions.
#include <array>
#include <utility>

#include "common/model/entities.hpp"
#include "common/model/object.hpp"

namespace sharectl::model {
namespace {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Kind, 16> k_kinds{{
    {Kind::user, "user"},
    {Kind::app, "app"},
    {Kind::role, "role"},
    {Kind::rule, "rule"},
    {Kind::binding, "binding"},
    {Kind::group, "group"},
    {Kind::server, "server"},
    {Kind::filesystem, "filesystem"},
    {Kind::space, "space"},
    {Kind::share, "share"},
    {Kind::iscsi_target, "iscsi_target"},
    {Kind::iscsi_lun, "iscsi_lun"},
    {Kind::audit_event, "audit_event"},
    {Kind::notify_method, "notify_method"},
    {Kind::notify_hook, "notify_hook"},
    {Kind::join_token, "join_token"},
}};
constexpr Names<ObjectStatus, 4> k_statuses{{{ObjectStatus::pending, "pending"},
                                             {ObjectStatus::ready, "ready"},
                                             {ObjectStatus::error, "error"},
                                             {ObjectStatus::deleting, "deleting"}}};
constexpr Names<AuthSource, 4> k_auth_sources{{{AuthSource::local, "local"},
                                               {AuthSource::ldap, "ldap"},
                                               {AuthSource::kerberos, "kerberos"},
                                               {AuthSource::oidc, "oidc"}}};
constexpr Names<RoleLevel, 4> k_role_levels{{{RoleLevel::view, "view"},
                                             {RoleLevel::client, "client"},
                                             {RoleLevel::modify, "modify"},
                                             {RoleLevel::admin, "admin"}}};
constexpr Names<SubjectKind, 3> k_subject_kinds{{{SubjectKind::user, "user"},
                                                 {SubjectKind::group, "group"},
                                                 {SubjectKind::external_group, "external_group"}}};
constexpr Names<ServerStatus, 2> k_server_statuses{
    {{ServerStatus::up, "up"}, {ServerStatus::down, "down"}}};
constexpr Names<FsDriver, 3> k_fs_drivers{
    {{FsDriver::btrfs, "btrfs"}, {FsDriver::xfs, "xfs"}, {FsDriver::dir, "dir"}}};
constexpr Names<ShareLevel, 2> k_share_levels{
    {{ShareLevel::read, "read"}, {ShareLevel::write, "write"}}};
constexpr Names<AclState, 2> k_acl_states{
    {{AclState::pending, "pending"}, {AclState::active, "active"}}};
constexpr Names<Backstore, 2> k_backstores{
    {{Backstore::fileio, "fileio"}, {Backstore::block, "block"}}};
constexpr Names<AuditOutcome, 3> k_outcomes{{{AuditOutcome::allowed, "allowed"},
                                             {AuditOutcome::denied, "denied"},
                                             {AuditOutcome::failed, "failed"}}};
constexpr Names<NotifyKind, 4> k_notify_kinds{{{NotifyKind::webhook, "webhook"},
                                               {NotifyKind::email, "email"},
                                               {NotifyKind::slack, "slack"},
                                               {NotifyKind::telegram, "telegram"}}};
constexpr Names<NotifyEvent, 5> k_notify_events{{{NotifyEvent::server_up, "server_up"},
                                                 {NotifyEvent::server_down, "server_down"},
                                                 {NotifyEvent::space_ready, "space_ready"},
                                                 {NotifyEvent::space_failed, "space_failed"},
                                                 {NotifyEvent::invitation, "invitation"}}};

template <typename E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E value) {
  for (const auto& [v, n] : names) {
    if (v == value) {
      return n;
    }
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const Names<E, N>& names, std::string_view name) {
  for (const auto& [v, n] : names) {
    if (n == name) {
      return v;
    }
  }
  return std::nullopt;
}

} // namespace

std::string_view kind_name(Kind kind) {
  return name_of(k_kinds, kind);
}
std::optional<Kind> kind_from_name(std::string_view name) {
  return value_of(k_kinds, name);
}
std::string_view status_name(ObjectStatus status) {
  return name_of(k_statuses, status);
}
std::optional<ObjectStatus> status_from_name(std::string_view name) {
  return value_of(k_statuses, name);
}

std::string_view to_string(AuthSource v) {
  return name_of(k_auth_sources, v);
}
std::string_view to_string(RoleLevel v) {
  return name_of(k_role_levels, v);
}
std::string_view to_string(SubjectKind v) {
  return name_of(k_subject_kinds, v);
}
std::string_view to_string(ServerStatus v) {
  return name_of(k_server_statuses, v);
}
std::string_view to_string(FsDriver v) {
  return name_of(k_fs_drivers, v);
}
std::string_view to_string(ShareLevel v) {
  return name_of(k_share_levels, v);
}
std::string_view to_string(AclState v) {
  return name_of(k_acl_states, v);
}
std::string_view to_string(Backstore v) {
  return name_of(k_backstores, v);
}
std::string_view to_string(AuditOutcome v) {
  return name_of(k_outcomes, v);
}
std::string_view to_string(NotifyKind v) {
  return name_of(k_notify_kinds, v);
}
std::string_view to_string(NotifyEvent v) {
  return name_of(k_notify_events, v);
}

// clang-format off
template <> std::optional<Kind> parse_enum(std::string_view n) { return value_of(k_kinds, n); }
template <> std::optional<ObjectStatus> parse_enum(std::string_view n) { return value_of(k_statuses, n); }
template <> std::optional<AuthSource> parse_enum(std::string_view n) { return value_of(k_auth_sources, n); }
template <> std::optional<RoleLevel> parse_enum(std::string_view n) { return value_of(k_role_levels, n); }
template <> std::optional<SubjectKind> parse_enum(std::string_view n) { return value_of(k_subject_kinds, n); }
template <> std::optional<ServerStatus> parse_enum(std::string_view n) { return value_of(k_server_statuses, n); }
template <> std::optional<FsDriver> parse_enum(std::string_view n) { return value_of(k_fs_drivers, n); }
template <> std::optional<ShareLevel> parse_enum(std::string_view n) { return value_of(k_share_levels, n); }
template <> std::optional<AclState> parse_enum(std::string_view n) { return value_of(k_acl_states, n); }
template <> std::optional<Backstore> parse_enum(std::string_view n) { return value_of(k_backstores, n); }
template <> std::optional<AuditOutcome> parse_enum(std::string_view n) { return value_of(k_outcomes, n); }
template <> std::optional<NotifyKind> parse_enum(std::string_view n) { return value_of(k_notify_kinds, n); }
template <> std::optional<NotifyEvent> parse_enum(std::string_view n) { return value_of(k_notify_events, n); }
// clang-format on

} // namespace sharectl::model
