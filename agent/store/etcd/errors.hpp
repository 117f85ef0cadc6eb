// What an etcd error means for the caller: which sharectl ErrorCode it becomes and whether the
// request may be sent again (to another member, after renewing the auth token, or not at all
// because it may already have been applied). Error messages carry etcd's own words and the
// member that answered, never credentials or tokens. Stable markers let callers test an Error:
// "outcome unknown" (a write that may or may not have been applied) and etcd's "required
// revision has been compacted".
#pragma once

#include <string_view>

#include "agent/store/etcd/codec.hpp"
#include "common/util/error.hpp"

namespace sharectl::store::etcd {

// What the gateway client may do after an etcd error.
enum class ErrorClass {
  // The member refused before acting (no leader, not capable, too many requests, learner, old
  // auth revision): safe to send to another member whatever the request.
  retry_elsewhere,
  // The request may have been applied (timed out, server stopping, leader changed, a proxy's
  // 502/503/504): a read may be sent elsewhere; a write's outcome is unknown.
  maybe_applied,
  // The auth token expired or is unknown to this member: authenticate again, send again.
  invalid_token,
  // A definite answer (bad request, compacted, not found, permission denied, …): report it.
  definite,
};

// Classifies an error reported by etcd or its gateway.
ErrorClass classify(const GatewayError& error);

// The sharectl Error for an etcd error from endpoint (host:port), for an operation such as
// "txn": "etcd txn at 127.0.0.1:2379: etcdserver: duplicate key given in txn request".
// InvalidArgument → bad_request (request too large, too many txn operations →
// payload_too_large); NotFound → not_found; compacted → not_found (see is_compacted); future
// revision → bad_request; AlreadyExists, FailedPrecondition, Aborted → conflict; permission and
// authentication failures → unavailable (the store's own credentials are wrong: the API caller
// is not to blame); Unavailable, DeadlineExceeded, ResourceExhausted → unavailable; the rest →
// internal.
Error to_error(const GatewayError& error, std::string_view operation, std::string_view endpoint);

// The marker every "outcome unknown" message starts with.
inline constexpr std::string_view k_outcome_unknown = "outcome unknown";

// An unavailable Error saying a write may or may not have been applied: "outcome unknown: etcd
// txn sent to 127.0.0.1:2379: <detail>; read the keys again to find out".
Error outcome_unknown(std::string_view operation, std::string_view endpoint,
                      std::string_view detail);

// True for an Error made by outcome_unknown: the request may have been applied.
bool is_outcome_unknown(const Error& error);

// True when etcd refused a read or watch because its revision was compacted away.
bool is_compacted(const Error& error);

} // namespace sharectl::store::etcd
