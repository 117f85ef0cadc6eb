// The served OpenAPI document of the real agent table (agent_routes plus built-ins, over HTTP
// from an in-process agent): valid JSON with the OpenAPI 3.0 structure, one operation per route
// with its summary, permission, parameters, success status and the request and response schemas
// the route declares, every $ref resolving to a component. The matrix test checks that real
// answers match these schemas.
#include <set>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/agent/api/schema_check.hpp"
#include "tests/integration/agent/handlers/harness.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
namespace api = sharectl::agent::api;

// Every "$ref" value anywhere in `node`.
void collect_refs(const json& node, std::set<std::string>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) {
        refs.insert(value.get<std::string>());
      } else {
        collect_refs(value, refs);
      }
    }
  } else if (node.is_array()) {
    for (const auto& value : node) {
      collect_refs(value, refs);
    }
  }
}

// The schema an operation's body names: {"$ref": …} for a component, else the inline schema.
json declared(const api::Schema& schema) {
  return schema.name.empty() ? json::parse(schema.json)
                             : json{{"$ref", "#/components/schemas/" + schema.name}};
}

std::string lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

} // namespace

TEST_CASE("openapi: every route of the agent has its operation with request and response schemas") {
  test::InProcessAgent agent;
  const auto answer = agent.call("GET", "/api/v1/openapi.json");
  REQUIRE(answer.status == 200);
  CHECK(answer.header("Content-Type") == "application/json");
  const auto doc = json::parse(answer.body, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  CHECK(doc["openapi"] == "3.0.3");
  CHECK(doc["info"]["title"].is_string());
  CHECK(doc["info"]["version"].is_string());
  REQUIRE(doc["paths"].is_object());
  REQUIRE(doc["components"]["schemas"].is_object());
  REQUIRE(doc["components"]["securitySchemes"].is_object());

  std::size_t operations = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    operations += item.size();
  }
  CHECK(operations == agent.routes().size()); // nothing more, nothing less

  std::set<std::string> operation_ids;
  for (const api::Route& route : agent.routes()) {
    CAPTURE(route.method);
    CAPTURE(route.pattern);
    REQUIRE(doc["paths"].contains(route.pattern));
    REQUIRE(doc["paths"][route.pattern].contains(lower(route.method)));
    const auto& op = doc["paths"][route.pattern][lower(route.method)];
    CHECK(op["summary"] == route.summary);
    CHECK(op["x-sharectl-permission"] == route.permission.to_string());
    CHECK(operation_ids.insert(op["operationId"].get<std::string>()).second);
    CHECK(op.value("parameters", json::array()).size() ==
          api::Router::param_names(route.pattern).size());

    // Only body-taking methods declare a body; PATCH and POST to a collection always take one
    // (a PUT or POST on a sub-resource such as /members/{user} or /accept may not).
    const bool may_take =
        route.method == "POST" || route.method == "PUT" || route.method == "PATCH";
    CHECK((!route.request_body || may_take));
    if (route.method == "PATCH" ||
        (route.method == "POST" && route.pattern.find('{') == std::string::npos)) {
      CHECK(route.request_body.has_value());
    }
    if (route.request_body) {
      CHECK(op["requestBody"]["content"][route.request_body->content_type]["schema"] ==
            declared(*route.request_body));
    }
    // The success answer, with a body schema unless it is 204 No Content.
    const auto status = std::to_string(route.success_status);
    REQUIRE(op["responses"].contains(status));
    CHECK(route.success_status / 100 == 2);
    CHECK(route.response_body.has_value() == (route.success_status != 204));
    if (route.response_body) {
      CHECK(op["responses"][status]["content"][route.response_body->content_type]["schema"] ==
            declared(*route.response_body));
    }
    CHECK(op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"] ==
          "#/components/schemas/Error");
    if (route.permission.access != api::Access::anyone) {
      CHECK(op["responses"].contains("401"));
      CHECK(op["security"][0].contains("bearerToken"));
    }
  }

  std::set<std::string> refs;
  collect_refs(doc, refs);
  CHECK(refs.size() > 5);
  for (const auto& ref : refs) {
    CAPTURE(ref);
    REQUIRE(ref.starts_with("#/components/schemas/"));
    CHECK(doc["components"]["schemas"].contains(
        ref.substr(std::string("#/components/schemas/").size())));
  }
  // A real error answer matches the document's Error schema.
  const auto error = agent.call("GET", "/api/v1/whoami");
  CHECK(test::schema_problem(doc, api::Schema::object("Error", "{}"), error.body).empty());
}
