#include "common/config/yaml_reader.hpp"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include "common/util/suggest.hpp"
#include "common/validate/text.hpp"

namespace sharectl::config {

struct YamlMap::Impl {
  YAML::Node node; // a mapping
  std::string path;
  std::shared_ptr<const std::string> origin;
  std::vector<std::string> known;
};

namespace {

int line_of(const YAML::Mark& mark) {
  return mark.line >= 0 ? mark.line + 1 : 0;
}

int line_of(const YAML::Node& node) {
  return line_of(node.Mark());
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
  case YAML::NodeType::Map:
    return "a mapping";
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Scalar:
    return "the value " + validate::quote_for_message(node.Scalar());
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    break;
  }
  return "nothing";
}

Error located(const std::string& origin, int line, std::string_view message) {
  std::string out = origin;
  if (line > 0) {
    out += ":" + std::to_string(line);
  }
  out += ": ";
  out += message;
  return Error{ErrorCode::bad_request, std::move(out)};
}

std::string join_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

// The most nodes check_keys visits, and how deep: configuration files are small and shallow;
// this stops alias bombs ("billion laughs": aliases are shared, walking them is not).
constexpr std::size_t k_max_nodes = 100000;
constexpr std::size_t k_max_nesting = 64;

// Refuses duplicate and non-scalar keys in every mapping below `node`.
Status check_keys(const YAML::Node& node, const std::string& path, const std::string& origin,
                  std::size_t depth, std::size_t& budget) {
  if (budget == 0 || depth > k_max_nesting) {
    return std::unexpected(
        located(origin, line_of(node),
                "the document is too large or too deeply nested (near \"" + path + "\")"));
  }
  --budget;
  if (node.IsMap()) {
    std::vector<std::string> seen;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        return std::unexpected(located(
            origin, line_of(entry.first),
            "a key in " + (path.empty() ? std::string("the top level") : "\"" + path + "\"") +
                " is " + describe(entry.first) + "; keys must be plain names"));
      }
      const std::string& key = entry.first.Scalar();
      const std::string child = join_path(path, key);
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return std::unexpected(located(origin, line_of(entry.first),
                                       "duplicate key " + validate::quote_for_message(child)));
      }
      seen.push_back(key);
      auto checked = check_keys(entry.second, child, origin, depth + 1, budget);
      if (!checked) {
        return checked;
      }
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      auto checked =
          check_keys(node[i], path + "[" + std::to_string(i) + "]", origin, depth + 1, budget);
      if (!checked) {
        return checked;
      }
    }
  }
  return {};
}

// The value node of `key` in a mapping, and its key node; undefined nodes when absent.
std::pair<YAML::Node, YAML::Node> lookup(const YAML::Node& map, std::string_view key) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      return {entry.first, entry.second};
    }
  }
  return {};
}

bool is_absent(const YAML::Node& node) {
  return !node.IsDefined() || node.IsNull();
}

} // namespace

YamlMap::YamlMap(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
YamlMap::~YamlMap() = default;
YamlMap::YamlMap(YamlMap&&) noexcept = default;
YamlMap& YamlMap::operator=(YamlMap&&) noexcept = default;

std::string YamlMap::key_path(std::string_view key) const {
  return join_path(m_impl->path, key);
}

int YamlMap::line() const {
  return line_of(m_impl->node);
}

Error YamlMap::error_at(int line, std::string_view message) const {
  return located(*m_impl->origin, line, message);
}

Error YamlMap::value_error(const YamlScalar& value, std::string_view message) const {
  return located(*m_impl->origin, value.line,
                 "key " + validate::quote_for_message(value.path) + ": " + std::string(message));
}

int YamlMap::key_line(std::string_view key) {
  if (std::find(m_impl->known.begin(), m_impl->known.end(), key) == m_impl->known.end()) {
    m_impl->known.emplace_back(key);
  }
  const auto [key_node, value] = lookup(m_impl->node, key);
  return key_node.IsDefined() ? line_of(key_node) : 0;
}

Result<std::optional<YamlScalar>> YamlMap::scalar(std::string_view key) {
  key_line(key);
  const YAML::Node value = lookup(m_impl->node, key).second;
  if (is_absent(value)) {
    return std::optional<YamlScalar>();
  }
  if (!value.IsScalar()) {
    return std::unexpected(
        error_at(line_of(value), "key " + validate::quote_for_message(key_path(key)) +
                                     " must be a single value, got " + describe(value)));
  }
  return std::optional<YamlScalar>(
      YamlScalar{value.Scalar(), key_path(key), line_of(value), value.Tag() != "?"});
}

Result<std::optional<bool>> YamlMap::boolean(std::string_view key) {
  auto value = scalar(key);
  if (!value) {
    return std::unexpected(value.error());
  }
  if (!value->has_value()) {
    return std::optional<bool>();
  }
  const YamlScalar& text = **value;
  if (!text.quoted) {
    if (text.value == "true" || text.value == "True" || text.value == "TRUE") {
      return std::optional<bool>(true);
    }
    if (text.value == "false" || text.value == "False" || text.value == "FALSE") {
      return std::optional<bool>(false);
    }
  }
  return std::unexpected(value_error(text, "must be true or false (unquoted), got " +
                                               validate::quote_for_message(text.value)));
}

Result<std::optional<YamlMap>> YamlMap::map(std::string_view key) {
  key_line(key);
  const YAML::Node value = lookup(m_impl->node, key).second;
  if (is_absent(value)) {
    return std::optional<YamlMap>();
  }
  if (!value.IsMap()) {
    return std::unexpected(
        error_at(line_of(value), "key " + validate::quote_for_message(key_path(key)) +
                                     " must be a mapping of keys, got " + describe(value)));
  }
  auto impl = std::make_unique<Impl>();
  impl->node = value;
  impl->path = key_path(key);
  impl->origin = m_impl->origin;
  return std::optional<YamlMap>(YamlMap(std::move(impl)));
}

Result<std::optional<std::vector<YamlScalar>>> YamlMap::scalar_list(std::string_view key) {
  key_line(key);
  const YAML::Node value = lookup(m_impl->node, key).second;
  if (is_absent(value)) {
    return std::optional<std::vector<YamlScalar>>();
  }
  if (!value.IsSequence()) {
    return std::unexpected(error_at(line_of(value), "key " +
                                                        validate::quote_for_message(key_path(key)) +
                                                        " must be a list, got " + describe(value)));
  }
  std::vector<YamlScalar> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const YAML::Node element = value[i];
    const std::string path = key_path(key) + "[" + std::to_string(i) + "]";
    if (!element.IsScalar()) {
      return std::unexpected(error_at(line_of(element), "key " + validate::quote_for_message(path) +
                                                            " must be a single value, got " +
                                                            describe(element)));
    }
    out.push_back(YamlScalar{element.Scalar(), path, line_of(element), element.Tag() != "?"});
  }
  return std::optional<std::vector<YamlScalar>>(std::move(out));
}

Result<std::optional<std::vector<YamlMap>>> YamlMap::map_list(std::string_view key) {
  key_line(key);
  const YAML::Node value = lookup(m_impl->node, key).second;
  if (is_absent(value)) {
    return std::optional<std::vector<YamlMap>>();
  }
  if (!value.IsSequence()) {
    return std::unexpected(error_at(line_of(value), "key " +
                                                        validate::quote_for_message(key_path(key)) +
                                                        " must be a list, got " + describe(value)));
  }
  std::vector<YamlMap> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const YAML::Node element = value[i];
    const std::string path = key_path(key) + "[" + std::to_string(i) + "]";
    if (!element.IsMap()) {
      return std::unexpected(error_at(line_of(element), "key " + validate::quote_for_message(path) +
                                                            " must be a mapping of keys, got " +
                                                            describe(element)));
    }
    auto impl = std::make_unique<Impl>();
    impl->node = element;
    impl->path = path;
    impl->origin = m_impl->origin;
    out.push_back(YamlMap(std::move(impl)));
  }
  return std::optional<std::vector<YamlMap>>(std::move(out));
}

Result<std::vector<std::pair<YamlScalar, YamlMap>>> YamlMap::named_maps() {
  std::vector<std::pair<YamlScalar, YamlMap>> out;
  for (const auto& entry : m_impl->node) {
    const std::string& name = entry.first.Scalar();
    key_line(name);
    const std::string path = key_path(name);
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->origin = m_impl->origin;
    if (is_absent(entry.second)) {
      impl->node = YAML::Node(YAML::NodeType::Map);
    } else if (entry.second.IsMap()) {
      impl->node = entry.second;
    } else {
      return std::unexpected(error_at(
          line_of(entry.second), "key " + validate::quote_for_message(path) +
                                     " must be a mapping of keys, got " + describe(entry.second)));
    }
    out.emplace_back(YamlScalar{name, path, line_of(entry.first), entry.first.Tag() != "?"},
                     YamlMap(std::move(impl)));
  }
  return out;
}

Status YamlMap::finish() const {
  for (const auto& entry : m_impl->node) {
    const std::string& key = entry.first.Scalar();
    if (std::find(m_impl->known.begin(), m_impl->known.end(), key) != m_impl->known.end()) {
      continue;
    }
    std::string message = "unknown key " + validate::quote_for_message(key_path(key));
    if (const auto suggestion = closest_match(key, m_impl->known)) {
      message += " (did you mean " + validate::quote_for_message(key_path(*suggestion)) + "?)";
    }
    return std::unexpected(error_at(line_of(entry.first), message));
  }
  return {};
}

Result<YamlMap> parse_yaml_mapping(std::string_view text, std::string_view origin) {
  auto origin_text = std::make_shared<const std::string>(origin);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& error) {
    return std::unexpected(
        located(*origin_text, line_of(error.mark), "invalid YAML: " + error.msg));
  }
  if (documents.size() > 1) {
    return std::unexpected(
        located(*origin_text, line_of(documents[1]),
                "only one YAML document is allowed, found " + std::to_string(documents.size())));
  }
  auto impl = std::make_unique<YamlMap::Impl>();
  impl->origin = origin_text;
  if (documents.empty() || documents.front().IsNull()) {
    impl->node = YAML::Node(YAML::NodeType::Map);
  } else if (documents.front().IsMap()) {
    impl->node = documents.front();
  } else {
    return std::unexpected(
        located(*origin_text, line_of(documents.front()),
                "the top level must be a mapping of keys, got " + describe(documents.front())));
  }
  std::size_t budget = k_max_nodes;
  auto checked = check_keys(impl->node, "", *origin_text, 0, budget);
  if (!checked) {
    return std::unexpected(checked.error());
  }
  return YamlMap(std::move(impl));
}

std::string yaml_scalar(std::string_view text) {
  YAML::Emitter out;
  out << std::string(text);
  return out.c_str();
}

} // namespace sharectl::config
