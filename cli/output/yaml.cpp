// render_yaml: JSON values as YAML through yaml-cpp's emitter (kept out of every header).
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cli/output/render.hpp"

namespace sharectl::cli {

namespace {

void emit(YAML::Emitter& out, const nlohmann::json& value) {
  if ((value.is_array() || value.is_object()) && value.empty()) {
    out << YAML::Flow;
  }
  switch (value.type()) {
  case nlohmann::json::value_t::object:
    out << YAML::BeginMap;
    for (const auto& [key, element] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      emit(out, element);
    }
    out << YAML::EndMap;
    break;
  case nlohmann::json::value_t::array:
    out << YAML::BeginSeq;
    for (const auto& element : value) {
      emit(out, element);
    }
    out << YAML::EndSeq;
    break;
  case nlohmann::json::value_t::string:
    out << YAML::DoubleQuoted << value.get<std::string>();
    break;
  case nlohmann::json::value_t::boolean:
    out << value.get<bool>();
    break;
  case nlohmann::json::value_t::number_unsigned:
    out << value.get<std::uint64_t>();
    break;
  case nlohmann::json::value_t::number_integer:
    out << value.get<std::int64_t>();
    break;
  case nlohmann::json::value_t::number_float:
    out << value.get<double>();
    break;
  default:
    out << YAML::Null;
    break;
  }
}

} // namespace

std::string render_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  out.SetBoolFormat(YAML::TrueFalseBool);
  out.SetNullFormat(YAML::LowerNull);
  emit(out, value);
  return std::string(out.c_str()) + "\n";
}

} // namespace sharectl::cli
