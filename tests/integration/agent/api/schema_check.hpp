// Checks a JSON body against a route's OpenAPI schema (agent/api Schema), resolving $ref in the
// served OpenAPI document: the subset of OpenAPI 3.0 schemas the agent declares — type (with
// nullable), enum, required, properties, additionalProperties: false, items, minimum. Used by
// the route matrix and the OpenAPI tests so that what the document promises is what the agent
// answers. Returns "" when the body matches, else where and why it does not; never throws.
#pragma once

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/api/router.hpp"

namespace sharectl::test {

namespace schema_detail {

inline std::string check(const nlohmann::json& document, const nlohmann::json& schema,
                         const nlohmann::json& value, const std::string& where, int depth = 0) {
  if (depth > 16) {
    return where + ": schema nesting too deep";
  }
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"].get<std::string>();
    const std::string prefix = "#/components/schemas/";
    if (!ref.starts_with(prefix) ||
        !document["components"]["schemas"].contains(ref.substr(prefix.size()))) {
      return where + ": unresolved $ref " + ref;
    }
    return check(document, document["components"]["schemas"][ref.substr(prefix.size())], value,
                 where, depth + 1);
  }
  if (value.is_null()) {
    return schema.value("nullable", false) ? "" : where + ": null is not allowed";
  }
  const std::string type = schema.value("type", "");
  const bool type_ok =
      type.empty() || (type == "object" && value.is_object()) ||
      (type == "array" && value.is_array()) || (type == "string" && value.is_string()) ||
      (type == "boolean" && value.is_boolean()) ||
      (type == "integer" && value.is_number_integer()) || (type == "number" && value.is_number());
  if (!type_ok) {
    return where + ": expected " + type + ", got " + value.dump();
  }
  if (schema.contains("enum") &&
      std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
    return where + ": " + value.dump() + " is not one of " + schema["enum"].dump();
  }
  if (schema.contains("minimum") && value.is_number() &&
      value.get<double>() < schema["minimum"].get<double>()) {
    return where + ": " + value.dump() + " is below the minimum";
  }
  if (value.is_object()) {
    for (const auto& name : schema.value("required", nlohmann::json::array())) {
      if (!value.contains(name.get<std::string>())) {
        return where + ": missing required field " + name.get<std::string>();
      }
    }
    const auto properties = schema.value("properties", nlohmann::json::object());
    for (const auto& [name, field] : value.items()) {
      if (properties.contains(name)) {
        if (auto problem = check(document, properties[name], field, where + "." + name, depth + 1);
            !problem.empty()) {
          return problem;
        }
      } else if (schema.contains("additionalProperties") &&
                 schema["additionalProperties"] == false) {
        return where + ": unexpected field " + name;
      }
    }
  }
  if (value.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (auto problem = check(document, schema["items"], value[i],
                               where + "[" + std::to_string(i) + "]", depth + 1);
          !problem.empty()) {
        return problem;
      }
    }
  }
  return "";
}

} // namespace schema_detail

// "" when `body` (JSON text) matches `schema` as declared in the served `document`.
inline std::string schema_problem(const nlohmann::json& document, const agent::api::Schema& schema,
                                  const std::string& body) {
  if (schema.content_type != "application/json") {
    return "";
  }
  const auto value = nlohmann::json::parse(body, nullptr, false);
  if (value.is_discarded()) {
    return "the body is not JSON: " + body.substr(0, 200);
  }
  const auto declared = schema.name.empty()
                            ? nlohmann::json::parse(schema.json, nullptr, false)
                            : nlohmann::json{{"$ref", "#/components/schemas/" + schema.name}};
  return schema_detail::check(document, declared, value, "body");
}

} // namespace sharectl::test
