#include <doctest/doctest.h>

#include "common/util/error.hpp"

using namespace sharectl;

namespace {
constexpr ErrorCode k_all_codes[] = {
    ErrorCode::bad_request,       ErrorCode::unauthenticated, ErrorCode::forbidden,
    ErrorCode::not_found,         ErrorCode::conflict,        ErrorCode::precondition_failed,
    ErrorCode::payload_too_large, ErrorCode::rate_limited,    ErrorCode::unavailable,
    ErrorCode::internal,
};
} // namespace

TEST_CASE("every error code has the HTTP status and exit code of SPEC.md") {
  struct Expect {
    ErrorCode code;
    const char* name;
    int status;
    int exit;
  };
  const Expect table[] = {
      {ErrorCode::bad_request, "bad_request", 400, 7},
      {ErrorCode::unauthenticated, "unauthenticated", 401, 3},
      {ErrorCode::forbidden, "forbidden", 403, 4},
      {ErrorCode::not_found, "not_found", 404, 5},
      {ErrorCode::conflict, "conflict", 409, 6},
      {ErrorCode::precondition_failed, "precondition_failed", 412, 6},
      {ErrorCode::payload_too_large, "payload_too_large", 413, 7},
      {ErrorCode::rate_limited, "rate_limited", 429, 8},
      {ErrorCode::unavailable, "unavailable", 503, 8},
      {ErrorCode::internal, "internal", 500, 8},
  };
  for (const auto& e : table) {
    CAPTURE(e.name);
    CHECK(error_code_name(e.code) == e.name);
    CHECK(http_status(e.code) == e.status);
    CHECK(static_cast<int>(exit_code(e.code)) == e.exit);
    CHECK(error_code_from_name(e.name) == e.code);
    CHECK(error_code_from_http_status(e.status) == e.code);
  }
}

TEST_CASE("codes and names round-trip and unknown names are refused") {
  for (auto code : k_all_codes) {
    CHECK(error_code_from_name(error_code_name(code)) == code);
  }
  CHECK_FALSE(error_code_from_name("Not_Found").has_value());
  CHECK_FALSE(error_code_from_name("").has_value());
  CHECK_FALSE(error_code_from_name("teapot").has_value());
}

TEST_CASE("HTTP statuses without a code map to the nearest exit code") {
  CHECK(exit_code(error_code_from_http_status(422)) == ExitCode::invalid);
  CHECK(exit_code(error_code_from_http_status(502)) == ExitCode::unavailable);
  CHECK(exit_code(error_code_from_http_status(504)) == ExitCode::unavailable);
  CHECK(exit_code(error_code_from_http_status(418)) == ExitCode::invalid);
}

TEST_CASE("fail() builds an unexpected Error that a Result carries") {
  auto f = []() -> Result<int> { return fail(ErrorCode::conflict, "space exists"); };
  const auto r = f();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::conflict);
  CHECK(r.error().message == "space exists");
  CHECK(to_string(r.error()) == "conflict: space exists");
  Status ok{};
  CHECK(ok.has_value());
}
