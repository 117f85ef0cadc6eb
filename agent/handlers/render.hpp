// The JSON the account handlers answer with (SPEC.md objects: id, revision, created_at,
// updated_at in RFC 3339 UTC) and the audit events they write. A rendered user never carries a
// hash, a rendered app never its token or token hash. Nothing here fails.
#pragma once

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

// An audit event of `action` on `resource` by `actor` (nullopt: unknown caller) from the
// request's source address; `detail` must never hold a secret. Never fails.
model::AuditEvent audit_event(const api::Request& request, const model::User* actor,
                              std::string action, std::string resource, model::AuditOutcome outcome,
                              std::string detail);

} // namespace sharectl::agent::handlers
