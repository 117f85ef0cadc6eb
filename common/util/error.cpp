#include "common/util/error.hpp"

#include <array>

namespace sharectl {
namespace {

struct ErrorRow {
  ErrorCode code;
  std::string_view name;
  int http_status;
  ExitCode exit;
};

// The one table: code, wire name, HTTP status, CLI exit code (SPEC.md).
constexpr std::array k_error_table{
    ErrorRow{ErrorCode::bad_request, "bad_request", 400, ExitCode::invalid},
    ErrorRow{ErrorCode::unauthenticated, "unauthenticated", 401, ExitCode::unauthenticated},
    ErrorRow{ErrorCode::forbidden, "forbidden", 403, ExitCode::forbidden},
    ErrorRow{ErrorCode::not_found, "not_found", 404, ExitCode::not_found},
    ErrorRow{ErrorCode::conflict, "conflict", 409, ExitCode::conflict},
    ErrorRow{ErrorCode::precondition_failed, "precondition_failed", 412, ExitCode::conflict},
    ErrorRow{ErrorCode::payload_too_large, "payload_too_large", 413, ExitCode::invalid},
    ErrorRow{ErrorCode::rate_limited, "rate_limited", 429, ExitCode::unavailable},
    ErrorRow{ErrorCode::unavailable, "unavailable", 503, ExitCode::unavailable},
    ErrorRow{ErrorCode::internal, "internal", 500, ExitCode::unavailable},
};

const ErrorRow& row(ErrorCode code) {
  for (const auto& r : k_error_table) {
    if (r.code == code) {
      return r;
    }
  }
  return k_error_table.back(); // unreachable: every enumerator has a row (tested)
}

} // namespace

std::string_view error_code_name(ErrorCode code) {
  return row(code).name;
}

std::optional<ErrorCode> error_code_from_name(std::string_view name) {
  for (const auto& r : k_error_table) {
    if (r.name == name) {
      return r.code;
    }
  }
  return std::nullopt;
}

int http_status(ErrorCode code) {
  return row(code).http_status;
}

ErrorCode error_code_from_http_status(int status) {
  for (const auto& r : k_error_table) {
    if (r.http_status == status) {
      return r.code;
    }
  }
  if (status == 422) {
    return ErrorCode::bad_request;
  }
  if (status >= 500) {
    return ErrorCode::unavailable;
  }
  if (status >= 400) {
    return ErrorCode::bad_request;
  }
  return ErrorCode::internal;
}

ExitCode exit_code(ErrorCode code) {
  return row(code).exit;
}

std::string to_string(const Error& error) {
  std::string out(error_code_name(error.code));
  out += ": ";
  out += error.message;
  return out;
}

} // namespace sharectl
