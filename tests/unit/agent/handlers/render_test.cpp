// Pure helpers of the account handlers: RFC 3339 times, e-mail checks, user JSON without
// secrets, resource template expansion.
#include <doctest/doctest.h>

#include "agent/api/http.hpp"
#include "agent/handlers/account.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"

namespace handlers = sharectl::agent::handlers;
namespace model = sharectl::model;

TEST_CASE("rfc3339 renders UTC with microseconds") {
  CHECK(handlers::rfc3339(model::from_micros(1704067200000000)) == "2024-01-01T00:00:00.000000Z");
  CHECK(handlers::rfc3339(model::from_micros(1704067261123456)) == "2024-01-01T00:01:01.123456Z");
}

TEST_CASE("validate_email") {
  CHECK(handlers::validate_email("a@b.c"));
  CHECK_FALSE(handlers::validate_email("ab"));
  CHECK_FALSE(handlers::validate_email("@b.c"));
  CHECK_FALSE(handlers::validate_email("a@"));
  CHECK_FALSE(handlers::validate_email("a@b@c"));
  CHECK_FALSE(handlers::validate_email("a b@c.d"));
  CHECK_FALSE(handlers::validate_email("a\r\n@c.d"));
}

TEST_CASE("user_json never carries secrets") {
  model::User user;
  user.id = "6e190238-5056-463b-8125-0254abc403ba";
  user.username = "alice";
  const auto text = handlers::user_json(user);
  CHECK(text.find("\"username\":\"alice\"") != std::string::npos);
  CHECK(text.find("hash") == std::string::npos);
  CHECK(text.find("password") == std::string::npos);
}

TEST_CASE("expand_resource fills route parameters") {
  sharectl::agent::api::Request request;
  request.path_params["owner"] = "alice";
  request.path_params["name"] = "proj";
  CHECK(handlers::expand_resource("spaces/{owner}/{name}", request) == "spaces/alice/proj");
  CHECK(handlers::expand_resource("audit", request) == "audit");
  CHECK(handlers::expand_resource("", request).empty());
}
