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
        Route{"PATCH", "/api/v1/spaces/{owner}/{name}", ok(),
              Permission::of("spaces.modify", "spaces/{owner}/{name}"), "Change a space"}
            .takes(Schema::object("Resize", R"({"type":"object","properties":{"size":{}}})"))
            .answers(200, Schema::object("Space", R"({"type":"object"})")),
        Route{"POST", "/api/v1/apps", ok(), Permission::anyone(), "Log in"}.answers(
            201, Schema::list_of(Schema::object("App", R"({"type":"object"})"))),
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

    CHECK(show["responses"]["200"]["description"] == "OK");
    CHECK_FALSE(show["responses"]["200"].contains("content"));

    const auto& patch = paths["/api/v1/spaces/{owner}/{name}"]["patch"];
    CHECK(patch["requestBody"]["required"] == true);
    CHECK(patch["requestBody"]["content"]["application/json"]["schema"]["$ref"] ==
          "#/components/schemas/Resize");
    CHECK(patch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] ==
          "#/components/schemas/Space");
    CHECK(doc["components"]["schemas"]["Resize"]["properties"].contains("size"));

    const auto& login = paths["/api/v1/apps"]["post"];
    CHECK(login["security"].empty());
    CHECK_FALSE(login["responses"].contains("401"));
    CHECK_FALSE(login.contains("parameters"));
    const auto& listed = login["responses"]["201"]["content"]["application/json"]["schema"];
    CHECK(listed["type"] == "array");
    CHECK(listed["items"]["$ref"] == "#/components/schemas/App");
    CHECK(doc["components"]["schemas"].contains("App")); // a list's item is a component too
    CHECK(paths["/metrics"]["get"]["responses"]["200"]["content"].contains(
        "text/plain; version=0.0.4; charset=utf-8"));

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

  TEST_CASE("a table with a schema that is not JSON, or two schemas of one name, is refused") {
    auto bad = Router::create({Route{"GET", "/a", ok(), Permission::anyone(), "a"}.answers(
        200, Schema::object("A", "{not json"))});
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find("GET /a") != std::string::npos);
    auto twice = Router::create({Route{"GET", "/a", ok(), Permission::anyone(), "a"}.answers(
                                     200, Schema::object("A", R"({"type":"object"})")),
                                 Route{"GET", "/b", ok(), Permission::anyone(), "b"}.answers(
                                     200, Schema::object("A", R"({"type":"string"})"))});
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().message.find("defined twice") != std::string::npos);
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
