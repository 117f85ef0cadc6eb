#include "agent/store/etcd/errors.hpp"

#include <string>

namespace sharectl::store::etcd {

namespace {

// gRPC status codes (google.golang.org/grpc/codes).
enum GrpcCode : int {
  k_canceled = 1,
  k_invalid_argument = 3,
  k_deadline_exceeded = 4,
  k_not_found = 5,
  k_already_exists = 6,
  k_permission_denied = 7,
  k_resource_exhausted = 8,
  k_failed_precondition = 9,
  k_aborted = 10,
  k_out_of_range = 11,
  k_unimplemented = 12,
  k_unavailable = 14,
  k_data_loss = 15,
  k_unauthenticated = 16,
};

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

constexpr std::string_view k_compacted = "required revision has been compacted";

} // namespace

ErrorClass classify(const GatewayError& error) {
  const std::string_view message = error.message;
  if (contains(message, "invalid auth token")) {
    return ErrorClass::invalid_token; // "etcdserver: invalid auth token", "auth: invalid …"
  }
  switch (error.grpc_code) {
  case k_unavailable:
    // Refused before a proposal was made (etcd 3.4 rpctypes/error.go); every other Unavailable
    // ("request timed out…", "server stopped", "leader changed", a proxy's 503) may come after.
    if (contains(message, "etcdserver: no leader") || contains(message, "not capable") ||
        contains(message, "unhealthy cluster") || contains(message, "not supported for learner")) {
      return ErrorClass::retry_elsewhere;
    }
    return ErrorClass::maybe_applied;
  case k_resource_exhausted:
    return contains(message, "too many requests") ? ErrorClass::retry_elsewhere
                                                  : ErrorClass::definite;
  case k_invalid_argument:
    // The auth store changed between the token check and apply: nothing was applied.
    return contains(message, "revision of auth store is old") ? ErrorClass::retry_elsewhere
                                                              : ErrorClass::definite;
  case k_canceled:
  case k_deadline_exceeded:
    return ErrorClass::maybe_applied;
  default:
    return ErrorClass::definite;
  }
}

Error to_error(const GatewayError& error, std::string_view operation, std::string_view endpoint) {
  const std::string_view message = error.message;
  std::string text =
      "etcd " + std::string(operation) + " at " + std::string(endpoint) + ": " + error.message;
  ErrorCode code = ErrorCode::internal;
  switch (error.grpc_code) {
  case k_invalid_argument:
    if (contains(message, "request is too large") || contains(message, "too many operations")) {
      code = ErrorCode::payload_too_large;
    } else if (contains(message, "user name is empty")) {
      code = ErrorCode::unavailable;
      text += " (the cluster requires authentication: give etcd://user:password@… in the URL)";
    } else if (contains(message, "authentication failed")) {
      code = ErrorCode::unavailable;
    } else {
      code = ErrorCode::bad_request;
    }
    break;
  case k_not_found:
    code = ErrorCode::not_found;
    break;
  case k_out_of_range:
    code = contains(message, k_compacted) ? ErrorCode::not_found : ErrorCode::bad_request;
    break;
  case k_already_exists:
  case k_failed_precondition:
  case k_aborted:
    code = ErrorCode::conflict;
    break;
  case k_permission_denied:
  case k_unauthenticated:
  case k_unavailable:
  case k_deadline_exceeded:
  case k_resource_exhausted:
  case k_canceled:
  case k_data_loss:
    code = ErrorCode::unavailable;
    break;
  case k_unimplemented:
    code = ErrorCode::unavailable;
    text += " (is this an etcd 3.4 or newer client URL?)";
    break;
  default:
    code = ErrorCode::internal;
    break;
  }
  return Error{code, std::move(text)};
}

Error outcome_unknown(std::string_view operation, std::string_view endpoint,
                      std::string_view detail) {
  return Error{ErrorCode::unavailable,
               std::string(k_outcome_unknown) + ": etcd " + std::string(operation) + " sent to " +
                   std::string(endpoint) +
                   " may or may not have been "
                   "applied (" +
                   std::string(detail) + "); read the keys again to find out"};
}

bool is_outcome_unknown(const Error& error) {
  return error.code == ErrorCode::unavailable && error.message.starts_with(k_outcome_unknown);
}

bool is_compacted(const Error& error) {
  return error.code == ErrorCode::not_found && contains(error.message, k_compacted);
}

} // namespace sharectl::store::etcd
