// The audit log route (SPEC.md, `sharectl audit list`): GET /api/v1/audit with ?since=
// (RFC 3339 time or a duration back from now), actor= (username), resource= (glob) and limit=
// (1..1000, default 100), newest first; admins and cluster viewers only (audit.read). Fails
// with bad_request naming the bad parameter; unavailable when the store is down.
#pragma once

#include <string_view>
#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The most events one GET /api/v1/audit answers with.
inline constexpr std::size_t k_max_audit_limit = 1000;

// The audit routes over `context` (which must outlive them).
std::vector<api::Route> audit_routes(AgentContext& context);

// Parses "2024-01-31T12:34:56Z", with optional fraction (up to microseconds) and a "Z" or
// "+HH:MM"/"-HH:MM" offset. Fails with bad_request on anything else (including bad dates).
Result<model::Timestamp> parse_rfc3339(std::string_view text);

} // namespace sharectl::agent::handlers
