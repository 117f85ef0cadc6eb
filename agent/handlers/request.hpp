// Small helpers the route handlers share for reading requests: the If-Match revision and
// turning a Result into a Status. Failures are bad_request values, never exceptions.
#pragma once

#include <optional>

#include "agent/api/http.hpp"
#include "common/model/object.hpp"
#include "common/util/error.hpp"

namespace sharectl::agent::handlers {

// The If-Match revision of a request (a number, optionally quoted), nullopt when absent;
// bad_request when it is not a number.
Result<std::optional<model::Revision>> if_match(const api::Request& request);

// The error of `result` as a Status; success when it holds a value.
template <typename T>
Status first_error(const Result<T>& result) {
  if (!result) {
    return std::unexpected(result.error());
  }
  return {};
}

} // namespace sharectl::agent::handlers
