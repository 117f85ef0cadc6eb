// The JSON the handlers answer with (SPEC.md objects: id, revision, created_at, updated_at in
// RFC 3339 UTC) and the audit events they write. A rendered user never carries a hash, a
// rendered app never its token or token hash. Nothing here fails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/http.hpp"
#include "common/model/entities.hpp"

namespace sharectl::agent::handlers {

// "2024-01-31T12:34:56.123456Z" (UTC, microseconds). Never fails.
std::string rfc3339(model::Timestamp time);

// The user as API JSON text (no secrets). Never fails.
std::string user_json(const model::User& user);

// The app as API JSON text: id, user_id, name, times, expires_at (no token, no hash).
std::string app_json(const model::App& app, model::Timestamp expires_at);

// Where SMB clients reach a server's smbd: its name, the address clients use and smbd's port.
// An empty host means unknown (the server or its filesystem is gone).
struct SmbEndpoint {
  std::string server;
  std::string host;
  int port = 445;
};

// How to connect to a share: the UNC path `\\host\share` (an IPv6 address in Windows'
// ipv6-literal.net form; UNC paths carry no port) and the URL `smb://host[:port]/share`.
struct ConnectPaths {
  std::string unc;
  std::string url;
};

// The connect paths of `share` at `at`; both empty when the host or the share is unknown.
// Never fails.
ConnectPaths connect_paths(const SmbEndpoint& at, std::string_view share);

// The caller's own relation to a share, for the views of the caller's shares: `relation`
// "owner" or "granted", `level` read|write (owner: write), `state` active|pending (an
// invitation), `via` why (["owner"], ["direct"], ["group G"]).
struct ShareRelation {
  std::string relation;
  std::string level;
  std::string state;
  std::vector<std::string> via;
};

// The space as API JSON text: SPEC object fields, name, owner, size_bytes, used_bytes and
// used_at (measured by its host; null before the first measure), server, filesystem path, share
// (the first share of the space, "" when none) with its connect paths unc and url, status.
// Never fails.
std::string space_json(const model::Space& space, const std::string& owner,
                       const std::string& server, const std::string& share, const SmbEndpoint& at);

// The share as API JSON text: SPEC object fields, name, space, owner, server, subdir,
// read_only, browseable, comment, status, observed_revision, connect paths unc and url; with
// `mine`, also relation, level, state and via (the caller's own access). Never fails.
std::string share_json(const model::Share& share, const std::string& space,
                       const std::string& owner, const SmbEndpoint& at,
                       const ShareRelation* mine = nullptr);

// The server as API JSON text with `status` "up" or "down" as it counts now (`up`). Everyone
// sees name, roles, status, address and smb_port (where clients connect) and observed_revision
// (how far its host has applied the store; --wait follows it); `full` adds the SPEC object
// fields, last_heartbeat, load_average and memory (operators' business). Never fails.
std::string server_json(const model::Server& server, bool up, bool full);

// The filesystem as API JSON text: SPEC object fields, server (name), path, driver,
// capacity_bytes, allocated_bytes (sum of its spaces' sizes), unallocated_bytes (what
// placement may still hand out), used_bytes (sum of its spaces' measured usage), free_bytes
// (free on disk at the last heartbeat), status "up" or "down" (its server's). Never fails.
std::string filesystem_json(const model::FileSystem& fs, const std::string& server, bool up,
                            std::uint64_t allocated, std::uint64_t used);

// An audit event of `action` on `resource` by `actor` (nullopt: unknown caller) from the
// request's source address; `detail` must never hold a secret. Never fails.
model::AuditEvent audit_event(const api::Request& request, const model::User* actor,
                              std::string action, std::string resource, model::AuditOutcome outcome,
                              std::string detail);

} // namespace sharectl::agent::handlers
