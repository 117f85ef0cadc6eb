// The common parts of every stored object: ids, revisions, UTC timestamps, the object kinds and
// the status of objects that a host applies. Plain data: no JSON, no storage code.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sharectl::model {

// An object id: a UUID in canonical lower-case text form (36 characters).
using Id = std::string;

// A store revision: the store-wide counter value at which an object last changed (like etcd's
// mod_revision). 0 means "never stored".
using Revision = std::int64_t;

// A point in time, UTC, with microsecond precision.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// The kinds of objects the store keeps as addressable documents.
enum class Kind {
  user,
  app,
  role,
  rule,
  binding,
  group,
  server,
  filesystem,
  space,
  share,
  iscsi_target,
  iscsi_lun,
  audit_event,
  notify_method,
  notify_hook,
  join_token,
};

// The fields every stored object carries (SPEC.md: id, revision, created_at, updated_at).
struct Object {
  Id id;                 // empty on create: the store assigns a UUID
  Revision revision = 0; // on update: the revision the caller last saw (optimistic concurrency)
  Timestamp created_at{};
  Timestamp updated_at{};
};

// Where a host-applied object stands (SPEC.md status).
enum class ObjectStatus { pending, ready, error, deleting };

// The status fields of objects that a host applies (spaces, shares, filesystems, targets).
struct Applied {
  ObjectStatus status = ObjectStatus::pending;
  std::string status_message;
  Revision observed_revision = 0; // the revision the host last applied
};

// The wire name of a kind, e.g. "iscsi_target".
std::string_view kind_name(Kind kind);
// The kind with this wire name; nullopt if there is none.
std::optional<Kind> kind_from_name(std::string_view name);

// The wire name of a status, e.g. "ready".
std::string_view status_name(ObjectStatus status);
// The status with this wire name; nullopt if there is none.
std::optional<ObjectStatus> status_from_name(std::string_view name);

// Timestamp <-> microseconds since the Unix epoch (how the stores keep times).
inline std::int64_t to_micros(Timestamp t) {
  return t.time_since_epoch().count();
}
// The Timestamp for microseconds since the Unix epoch.
inline Timestamp from_micros(std::int64_t us) {
  return Timestamp{std::chrono::microseconds{us}};
}
// The current time, UTC, truncated to microseconds.
inline Timestamp now_utc() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

} // namespace sharectl::model
