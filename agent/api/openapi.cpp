#include "agent/api/openapi.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "common/version.hpp"

namespace sharectl::agent::api {

namespace {

// "GET /api/v1/spaces/{owner}/{name}" -> "get_api_v1_spaces_owner_name".
std::string operation_id(const Route& route) {
  std::string id;
  for (const char c : route.method) {
    id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (const char c : route.pattern) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (c == '/' || c == '-' || c == '.' || c == '_') {
      if (id.back() != '_') {
        id.push_back('_');
      }
    }
  }
  while (id.back() == '_') {
    id.pop_back();
  }
  return id;
}

nlohmann::json error_response_ref(std::string description) {
  return {
      {"description", std::move(description)},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

// Adds a named schema (and the ones it uses) to components; the first definition of a name
// wins (a unit test checks that every route's definitions agree).
void add_components(const Schema& schema, nlohmann::json& components) {
  for (const auto& used : schema.uses) {
    add_components(used, components);
  }
  if (!schema.name.empty() && !components.contains(schema.name)) {
    components[schema.name] = nlohmann::json::parse(schema.json);
  }
}

// {"content": {type: {"schema": $ref or inline}}} for a body.
nlohmann::json content_of(const Schema& schema) {
  nlohmann::json body = schema.name.empty()
                            ? nlohmann::json::parse(schema.json)
                            : nlohmann::json{{"$ref", "#/components/schemas/" + schema.name}};
  return {{schema.content_type, {{"schema", std::move(body)}}}};
}

} // namespace

std::string openapi_document(const std::vector<Route>& routes) {
  nlohmann::json paths = nlohmann::json::object();
  nlohmann::json schemas = nlohmann::json::object();
  for (const auto& route : routes) {
    nlohmann::json operation = nlohmann::json::object();
    operation["operationId"] = operation_id(route);
    operation["summary"] = route.summary;
    operation["x-sharectl-permission"] = route.permission.to_string();
    const auto names = Router::param_names(route.pattern);
    if (!names.empty()) {
      nlohmann::json parameters = nlohmann::json::array();
      for (const auto& name : names) {
        parameters.push_back(
            {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
      }
      operation["parameters"] = std::move(parameters);
    }
    if (route.request_body) {
      add_components(*route.request_body, schemas);
      operation["requestBody"] = {{"required", true}, {"content", content_of(*route.request_body)}};
    }
    nlohmann::json responses = nlohmann::json::object();
    nlohmann::json success = {{"description", reason_phrase(route.success_status)}};
    if (route.response_body) {
      add_components(*route.response_body, schemas);
      success["content"] = content_of(*route.response_body);
    }
    responses[std::to_string(route.success_status)] = std::move(success);
    if (route.permission.access != Access::anyone) {
      operation["security"] = nlohmann::json::array(
          {{{"bearerToken", nlohmann::json::array()}, {"userId", nlohmann::json::array()}}});
      responses["401"] = error_response_ref("the caller is unknown");
      responses["403"] = error_response_ref("the caller may not do this");
    } else {
      operation["security"] = nlohmann::json::array();
    }
    responses["default"] = error_response_ref("an error");
    operation["responses"] = std::move(responses);
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
    paths[route.pattern][method] = std::move(operation);
  }

  nlohmann::json error_schema = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message", "request_id"}},
          {"properties",
           {{"code",
             {{"type", "string"},
              {"enum",
               {"bad_request", "unauthenticated", "forbidden", "not_found", "conflict",
                "precondition_failed", "payload_too_large", "rate_limited", "unavailable",
                "internal"}}}},
            {"message", {{"type", "string"}}},
            {"request_id", {{"type", "string"}}}}}}}}}};

  schemas["Error"] = std::move(error_schema);
  nlohmann::json document = {
      {"openapi", "3.0.3"},
      {"info", {{"title", "sharectl-agent API"}, {"version", k_version}}},
      {"paths", std::move(paths)},
      {"components",
       {{"securitySchemes",
         {{"bearerToken",
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description", "the app token returned once by POST /api/v1/apps"}}},
          {"userId",
           {{"type", "apiKey"},
            {"in", "header"},
            {"name", "X-User-ID"},
            {"description", "the id of the user the token belongs to"}}}}},
        {"schemas", std::move(schemas)}}}};
  return document.dump();
}

} // namespace sharectl::agent::api
