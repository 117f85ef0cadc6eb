#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/api/builtins.hpp"
#include "agent/api/openapi.hpp"

using namespace sharectl;
using namespace sharectl::agent::api;

namespace {

Handler ok() {
  return [](Request&) -> Result<Response> { return Response::no_content(); };
}

} // namespace

TEST_SUITE("agent.api.openapi") {

  TEST_CASE("the document describes every route of the table") {
    std::vector<Route> routes = {
        {"GET", "/api/v1/spaces/{owner}/{name}", ok(),
         Permission::of("spaces.read", "spaces/{owner}/{name}"), "Show a space"},
        {"PATCH", "/api/v1/spaces/{owner}/{name}", ok(),
         Permission::of("spaces.modify", "spaces/{owner}/{name}"), "Change a space"},
        {"POST", "/api/v1/apps", ok(), Permission::anyone(), "Log in"},
    };
    auto builtins = builtin_routes(nullptr);
    routes.insert(routes.end(), builtins.begin(), builtins.end());
    const auto doc = nlohmann::json::parse(openapi_document(routes));

    CHECK(doc["openapi"] == "3.0.3");
    CHECK(doc["info"]["title"] == "sharectl-agent API");
    const auto& paths = doc["paths"];
    CHECK(paths.size() == 6);
    const auto& show = paths["/api/v1/spaces/{owner}/{name}"]["get"];
    CHECK(show["summary"] == "Show a space");
    CHECK(show["operationId"] == "get_api_v1_spaces_owner_name");
    CHECK(show["x-sharectl-permission"] == "spaces.read on spaces/{owner}/{name}");
    REQUIRE(show["parameters"].size() == 2);
    CHECK(show["parameters"][0]["name"] == "owner");
    CHECK(show["parameters"][0]["in"] == "path");
    CHECK(show["parameters"][0]["required"] == true);
    CHECK(show["parameters"][1]["name"] == "name");
    CHECK(show["security"][0].contains("bearerToken"));
    CHECK(show["security"][0].contains("userId"));
    CHECK(show["responses"].contains("401"));
    CHECK(show["responses"].contains("403"));
    CHECK_FALSE(show.contains("requestBody"));

    const auto& patch = paths["/api/v1/spaces/{owner}/{name}"]["patch"];
    CHECK(patch.contains("requestBody"));

    const auto& login = paths["/api/v1/apps"]["post"];
    CHECK(login["security"].empty());
    CHECK_FALSE(login["responses"].contains("401"));
    CHECK_FALSE(login.contains("parameters"));

    for (const char* builtin : {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"}) {
      CAPTURE(builtin);
      CHECK(paths[builtin].contains("get"));
      CHECK(paths[builtin]["get"]["x-sharectl-permission"] == "anyone");
    }

    const auto& schemes = doc["components"]["securitySchemes"];
    CHECK(schemes["bearerToken"]["type"] == "http");
    CHECK(schemes["bearerToken"]["scheme"] == "bearer");
    CHECK(schemes["userId"]["type"] == "apiKey");
    CHECK(schemes["userId"]["in"] == "header");
    CHECK(schemes["userId"]["name"] == "X-User-ID");
    const auto& error = doc["components"]["schemas"]["Error"];
    CHECK(error["properties"]["error"]["required"] ==
          nlohmann::json::array({"code", "message", "request_id"}));
  }

  TEST_CASE("builtin routes are open to anyone and answer 503 without state") {
    for (auto& route : builtin_routes(nullptr)) {
      CAPTURE(route.pattern);
      CHECK(route.method == "GET");
      CHECK(route.permission.access == Access::anyone);
      Request request;
      auto result = route.handler(request);
      if (route.pattern == "/healthz") {
        REQUIRE(result.has_value());
        CHECK(result->status == 200);
        CHECK(result->body == "ok");
      } else {
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().code == ErrorCode::unavailable);
      }
    }
  }

} // TEST_SUITE
