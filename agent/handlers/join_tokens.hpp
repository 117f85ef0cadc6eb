// The join-token routes (SPEC.md `sharectl server join-token create|list|revoke`):
// POST /api/v1/join-tokens {ttl_seconds? (60..604800, default 3600), roles? (["samba"] by
// default; "samba", "iscsi"), description?} → 201 with the token, shown only in this answer
// (256 bits from the CSPRNG; the store keeps its SHA-256 hex only); GET /api/v1/join-tokens →
// every token with its state (active, used, expired) but never the token nor its hash;
// DELETE /api/v1/join-tokens/{id} → 204 (revoked: the row goes), 404 when unknown. All three
// need servers.manage on servers/join-tokens (cluster admins); creating and revoking are
// audited without the secret. Bad bodies are bad_request (nothing stored); store failures are
// returned as they are.
#pragma once

#include <cstdint>
#include <vector>

#include "agent/api/router.hpp"
#include "agent/handlers/context.hpp"

namespace sharectl::agent::handlers {

// The resource all join-token routes are authorized on (servers.manage).
inline constexpr const char* k_join_tokens_resource = "servers/join-tokens";

// The shortest, default and longest lifetime of a join token, in seconds.
inline constexpr std::uint64_t k_join_token_min_ttl = 60;
inline constexpr std::uint64_t k_join_token_default_ttl = 3600;
inline constexpr std::uint64_t k_join_token_max_ttl = 7 * 24 * 3600;

// The join-token routes over `context` (which must outlive them).
std::vector<api::Route> join_token_routes(AgentContext& context);

} // namespace sharectl::agent::handlers
