#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/json/error_body.hpp"
#include "common/json/strict.hpp"

using namespace sharectl;
using sharectl::json::error_body;
using sharectl::json::parse_error_body;
using sharectl::json::parse_error_body_with_id;

TEST_SUITE("json") {

  TEST_CASE("error_body renders exactly the SPEC shape") {
    CHECK(error_body(Error{ErrorCode::forbidden, "viewer role cannot create spaces"}, "req-1") ==
          R"({"error":{"code":"forbidden","message":"viewer role cannot create spaces",)"
          R"("request_id":"req-1"}})");
    CHECK(error_body(Error{ErrorCode::not_found, ""}, "") ==
          R"({"error":{"code":"not_found","message":"","request_id":""}})");
  }

  TEST_CASE("error_body escapes messages into valid JSON") {
    const std::string message = "bad \"name\" \\ path\n\ttab \x01 caf\xc3\xa9 </script>";
    const std::string body = error_body(Error{ErrorCode::bad_request, message}, "id\"1");
    CHECK(body.find('\n') == std::string::npos);
    CHECK(body.find("\\\"name\\\"") != std::string::npos);
    CHECK(body.find("\\u0001") != std::string::npos);
    auto strict = json::parse_strict(body);
    REQUIRE(strict.has_value());
    CHECK((*strict)["error"]["message"] == message);
    CHECK((*strict)["error"]["request_id"] == "id\"1");
  }

  TEST_CASE("error_body replaces invalid UTF-8 instead of failing") {
    const std::string body = error_body(Error{ErrorCode::internal, "raw \xff byte"}, "\xc0");
    auto parsed = json::parse_strict(body);
    REQUIRE(parsed.has_value());
    CHECK((*parsed)["error"]["message"] == "raw \xef\xbf\xbd byte");
  }

  TEST_CASE("error bodies round-trip for every code") {
    const ErrorCode codes[] = {
        ErrorCode::bad_request,       ErrorCode::unauthenticated, ErrorCode::forbidden,
        ErrorCode::not_found,         ErrorCode::conflict,        ErrorCode::precondition_failed,
        ErrorCode::payload_too_large, ErrorCode::rate_limited,    ErrorCode::unavailable,
        ErrorCode::internal,
    };
    for (const auto code : codes) {
      const Error error{code, "message with \"quotes\", \\ and \xe2\x82\xac"};
      auto parsed = parse_error_body_with_id(error_body(error, "r-42"));
      REQUIRE(parsed.has_value());
      CHECK(parsed->error == error);
      CHECK(parsed->request_id == "r-42");
      CHECK(parse_error_body(error_body(error, "")) == error);
    }
  }

  TEST_CASE("parse_error_body tolerates extra fields and a missing request id") {
    auto parsed = parse_error_body_with_id(
        R"({"error":{"message":"m","code":"conflict","details":[1]},"x":1})");
    REQUIRE(parsed.has_value());
    CHECK(parsed->error == Error{ErrorCode::conflict, "m"});
    CHECK(parsed->request_id.empty());
  }

  TEST_CASE("parse_error_body refuses what is not an error body") {
    const char* const bodies[] = {
        "",
        "<html>502 Bad Gateway</html>",
        "[]",
        R"({})",
        R"({"error":"forbidden"})",
        R"({"error":{"message":"m"}})",
        R"({"error":{"code":"teapot","message":"m"}})",
        R"({"error":{"code":1,"message":"m"}})",
        R"({"error":{"code":"forbidden"}})",
        R"({"error":{"code":"forbidden","message":1}})",
        R"({"error":{"code":"forbidden","message":"m","request_id":7}})",
        R"({"error":{"code":"forbidden","code":"internal","message":"m"}})",
    };
    for (const char* body : bodies) {
      CAPTURE(body);
      auto parsed = parse_error_body(body);
      REQUIRE_FALSE(parsed.has_value());
      CHECK(parsed.error().code == ErrorCode::internal);
      CHECK(parsed.error().message.find("not an error body") == 0);
    }
  }

} // TEST_SUITE
