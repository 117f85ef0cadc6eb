// The error model: expected failures are values (std::expected<T, Error>). An Error carries a
// stable code from SPEC.md and a human message; each code maps to one HTTP status and one CLI
// exit code through the single table in error.cpp.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sharectl {

// The stable error codes of the HTTP API (SPEC.md "Errors always look like").
enum class ErrorCode {
  bad_request,
  unauthenticated,
  forbidden,
  not_found,
  conflict,
  precondition_failed,
  payload_too_large,
  rate_limited,
  unavailable,
  internal,
};

// The exit codes of the sharectl client (SPEC.md "Exit codes").
enum class ExitCode : int {
  success = 0,
  failure = 1,
  usage = 2,
  unauthenticated = 3,
  forbidden = 4,
  not_found = 5,
  conflict = 6,
  invalid = 7,
  unavailable = 8,
  wait_timeout = 9,
  apply_failed = 10,
};

// A failure: what kind (code) and what happened, in words fit for the user (message).
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;

  friend bool operator==(const Error&, const Error&) = default;
};

// A value or an Error.
template <typename T>
using Result = std::expected<T, Error>;

// Success or an Error.
using Status = std::expected<void, Error>;

// Builds the unexpected value that a Result-returning function returns on failure.
inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

// The wire name of a code, e.g. "not_found".
std::string_view error_code_name(ErrorCode code);

// The code with this wire name; nullopt for a name SPEC.md does not define.
std::optional<ErrorCode> error_code_from_name(std::string_view name);

// The HTTP status the agent answers with for this code.
int http_status(ErrorCode code);

// The code for an HTTP error status from a peer that sent no error body (e.g. a proxy's 502);
// any status that is not an error (< 400) is internal, as it is a bug to ask.
ErrorCode error_code_from_http_status(int status);

// The client's exit code for an error of this code.
ExitCode exit_code(ErrorCode code);

// "code: message", for logs and test failure output.
std::string to_string(const Error& error);

} // namespace sharectl
