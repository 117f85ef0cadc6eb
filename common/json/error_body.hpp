// The API's error body (SPEC.md "Errors always look like"): rendering it on the agent and reading
// it back on the client.
#pragma once

#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::json {

// An error body as the client reads it: the error and the agent's request id ("" if none).
struct ErrorBody {
  Error error;
  std::string request_id;

  friend bool operator==(const ErrorBody&, const ErrorBody&) = default;
};

// Renders exactly {"error":{"code":"…","message":"…","request_id":"…"}} (compact, keys in this
// order); invalid UTF-8 in the message or id is replaced by U+FFFD. Never fails.
std::string error_body(const Error& error, std::string_view request_id);

// Reads an error body: "error" must be an object with a known string "code" and a string
// "message"; "request_id" and other fields are optional and ignored. Fails with internal when
// the text is not such a body (the caller then falls back to the HTTP status).
Result<ErrorBody> parse_error_body_with_id(std::string_view body);

// Like parse_error_body_with_id, keeping only the error. Fails the same way.
Result<Error> parse_error_body(std::string_view body);

} // namespace sharectl::json
