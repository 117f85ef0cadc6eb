// The JSON the handlers answer with (SPEC.md objects: id, revision, created_at, updated_at in
// RFC 3339 UTC) and the audit events they write. A rendered user never carries a hash, a
// rendered app never its token or token hash. Nothing here fails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/api/http.hpp"
#include "common/model/entities.hpp"

namespace sharectl::agent::handlers {

// "2024-01-31T12:34:56.123456Z" (UTC, microseconds). Never fails.
std::string rfc3339(model::Timestamp time);

// The user as API JSON text (no secrets). Never fails.
std::string user_json(const model::User& user);

// The app as API JSON text: id, user_id, name, times, expires_at (no token, no hash).
std::string app_json(const model::App& app, model::Timestamp expires_at);

// The space as API JSON text: SPEC object fields, name, owner, size_bytes, server, filesystem
// path, share (the first share of the space, "" when none), status. Never fails.
std::string space_json(const model::Space& space, const std::string& owner,
                       const std::string& server, const std::string& share);

// The share as API JSON text: SPEC object fields, name, space, owner, subdir, read_only,
// browseable, comment, status. Never fails.
std::string share_json(const model::Share& share, const std::string& space,
                       const std::string& owner);

// The server as API JSON text with `status` "up" or "down" as it counts now (`up`). `full`:
// every field (address, roles, last_heartbeat, load_average, memory); otherwise only name,
// roles and status (what any signed-in user may see). Never fails.
std::string server_json(const model::Server& server, bool up, bool full);

// The filesystem as API JSON text: SPEC object fields, server (name), path, driver,
// capacity_bytes, allocated_bytes (sum of its spaces' sizes), unallocated_bytes (what
// placement may still hand out), free_bytes (free on disk at the last heartbeat), status "up" or
// "down" (its server's). Never fails.
std::string filesystem_json(const model::FileSystem& fs, const std::string& server, bool up,
                            std::uint64_t allocated);

// An audit event of `action` on `resource` by `actor` (nullopt: unknown caller) from the
// request's source address; `detail` must never hold a secret. Never fails.
model::AuditEvent audit_event(const api::Request& request, const model::User* actor,
                              std::string action, std::string resource, model::AuditOutcome outcome,
                              std::string detail);

} // namespace sharectl::agent::handlers
