#include "common/json/strict.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/util/suggest.hpp"
#include "common/validate/text.hpp"

namespace sharectl::json {
namespace {

using nlohmann::json;

// The JSON pointer of the first `count` path segments ("" for the root).
std::string join_pointer(const std::vector<std::string>& segments, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < segments.size(); ++i) {
    out += '/';
    out += segments[i];
  }
  return out;
}

// nlohmann's exception text without its "[json.exception.parse_error.101] " prefix, with bytes
// that are not printable ASCII escaped (its "last read" may hold the invalid UTF-8 we refuse).
std::string clean_parser_message(std::string_view what) {
  if (!what.empty() && what.front() == '[') {
    const auto end = what.find("] ");
    if (end != std::string_view::npos) {
      what.remove_prefix(end + 2);
    }
  }
  std::string out;
  static constexpr char k_hex[] = "0123456789abcdef";
  for (const char c : what) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += k_hex[byte >> 4];
      out += k_hex[byte & 0xf];
    }
  }
  return out;
}

// A JSON pointer fit for a message: control bytes escaped as \xHH. Keys passed the parser's
// UTF-8 check, so other bytes are kept.
std::string printable_pointer(std::string_view pointer) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (const char c : pointer) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += k_hex[byte >> 4];
      out += k_hex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

// Builds the DOM from nlohmann's SAX events, refusing duplicate keys and deep nesting, and
// keeping the JSON pointer of the value being read for messages.
class StrictDomBuilder {
public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit StrictDomBuilder(json& root, std::size_t max_depth)
      : m_root(root), m_max_depth(max_depth) {}

  bool null() { return add(nullptr) != nullptr; }
  bool boolean(bool value) { return add(value) != nullptr; }
  bool number_integer(number_integer_t value) { return add(value) != nullptr; }
  bool number_unsigned(number_unsigned_t value) { return add(value) != nullptr; }
  bool number_float(number_float_t value, const string_t& /*text*/) {
    return add(value) != nullptr;
  }
  bool string(string_t& value) { return add(std::move(value)) != nullptr; }
  bool binary(binary_t& /*value*/) {
    // JSON text has no binary values; only the binary formats produce this event.
    m_error = "binary values are not JSON";
    return false;
  }

  bool start_object(std::size_t /*elements*/) { return open(json::object()); }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*elements*/) { return open(json::array()); }
  bool end_array() { return close(); }

  bool key(string_t& key) {
    json& object = *m_stack.back();
    if (object.contains(key)) {
      const std::string where = printable_pointer(join_pointer(m_segments, m_stack.size() - 1));
      m_error =
          "duplicate key " + validate::quote_for_message(key) +
          (where.empty() ? std::string(" in the top-level object") : " in object at " + where);
      return false;
    }
    m_segments.back() = pointer_token(key);
    m_member = &object[key];
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    std::string message = "invalid JSON: " + clean_parser_message(error.what());
    const std::string where = printable_pointer(join_pointer(m_segments, m_stack.size()));
    if (!where.empty()) {
      message += " (near " + where + ")";
    }
    m_error = std::move(message);
    return false;
  }

  // The reason the parse stopped, empty when it did not fail here.
  const std::string& error() const { return m_error; }

private:
  // Places a value in the current container (or at the root); nullptr only when no container
  // can take it, which the parser's grammar rules out.
  json* add(json&& value) {
    if (m_stack.empty()) {
      m_root = std::move(value);
      return &m_root;
    }
    json& parent = *m_stack.back();
    if (parent.is_array()) {
      m_segments.back() = std::to_string(parent.size());
      parent.push_back(std::move(value));
      return &parent.back();
    }
    if (m_member == nullptr) {
      m_error = "internal error: value without a key";
      return nullptr;
    }
    *m_member = std::move(value);
    json* placed = m_member;
    m_member = nullptr;
    return placed;
  }

  bool open(json&& container) {
    if (m_stack.size() + 1 > m_max_depth) {
      const std::string where = printable_pointer(join_pointer(m_segments, m_stack.size()));
      m_error = "nesting deeper than " + std::to_string(m_max_depth) + " levels at " +
                (where.empty() ? std::string("/") : where);
      return false;
    }
    json* placed = add(std::move(container));
    if (placed == nullptr) {
      return false;
    }
    m_stack.push_back(placed);
    m_segments.emplace_back();
    return true;
  }

  bool close() {
    m_stack.pop_back();
    m_segments.pop_back();
    return true;
  }

  json& m_root;
  std::size_t m_max_depth;
  std::vector<json*> m_stack;
  // m_segments[i]: the key or index, inside m_stack[i], of the value being read.
  std::vector<std::string> m_segments;
  json* m_member = nullptr;
  std::string m_error;
};

Result<json> parse_any(std::string_view text, const ParseLimits& limits, std::string_view what) {
  if (text.size() > limits.max_bytes) {
    return fail(ErrorCode::payload_too_large, std::string(what) + " is larger than " +
                                                  std::to_string(limits.max_bytes) + " bytes");
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return fail(ErrorCode::bad_request, std::string(what) + " is empty; expected JSON");
  }
  json root;
  StrictDomBuilder builder(root, limits.max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const json::exception& error) {
    // sax_parse reports through parse_error; this is only a safety net.
    return fail(ErrorCode::bad_request, "invalid JSON: " + clean_parser_message(error.what()));
  }
  if (!ok) {
    return fail(ErrorCode::bad_request,
                builder.error().empty() ? std::string("invalid JSON") : builder.error());
  }
  return root;
}

} // namespace

Result<nlohmann::json> parse_strict(std::string_view body, const ParseLimits& limits) {
  auto parsed = parse_any(body, limits, "request body");
  if (!parsed) {
    return parsed;
  }
  if (!parsed->is_object()) {
    return fail(ErrorCode::bad_request,
                "request body must be a JSON object, got " + std::string(type_name(*parsed)));
  }
  return parsed;
}

Result<nlohmann::json> parse_strict_value(std::string_view text, const ParseLimits& limits) {
  return parse_any(text, limits, "JSON text");
}

std::string_view type_name(const nlohmann::json& value) {
  switch (value.type()) {
  case json::value_t::null:
    return "null";
  case json::value_t::boolean:
    return "boolean";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float:
    return "number";
  case json::value_t::string:
    return "string";
  case json::value_t::array:
    return "array";
  case json::value_t::object:
    return "object";
  case json::value_t::binary:
    return "binary";
  case json::value_t::discarded:
    break;
  }
  return "discarded";
}

std::string pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// ObjectReader

ObjectReader::ObjectReader(const nlohmann::json& object, std::string path)
    : m_object(&object), m_path(std::move(path)) {}

std::string ObjectReader::field_path(std::string_view name) const {
  if (m_path.empty()) {
    return pointer_token(name);
  }
  return m_path + "/" + pointer_token(name);
}

const nlohmann::json* ObjectReader::find(std::string_view name) {
  if (std::find(m_known.begin(), m_known.end(), name) == m_known.end()) {
    m_known.emplace_back(name);
  }
  if (!m_object->is_object()) {
    return nullptr;
  }
  const auto it = m_object->find(name);
  return it == m_object->end() ? nullptr : &*it;
}

Error ObjectReader::wrong_type(std::string_view name, std::string_view expected,
                               const nlohmann::json& value) const {
  return Error{ErrorCode::bad_request, "field " + validate::quote_for_message(field_path(name)) +
                                           " must be " + std::string(expected) + ", got " +
                                           std::string(type_name(value))};
}

Error ObjectReader::missing(std::string_view name) const {
  return Error{ErrorCode::bad_request,
               "missing required field " + validate::quote_for_message(field_path(name))};
}

namespace {

Error not_an_object(const nlohmann::json& value, const std::string& path) {
  if (path.empty()) {
    return Error{ErrorCode::bad_request,
                 "request body must be a JSON object, got " + std::string(type_name(value))};
  }
  return Error{ErrorCode::bad_request, "field " + validate::quote_for_message(path) +
                                           " must be an object, got " +
                                           std::string(type_name(value))};
}

} // namespace

Result<std::optional<std::string>> ObjectReader::optional_string(std::string_view name) {
  if (!m_object->is_object()) {
    return std::unexpected(not_an_object(*m_object, m_path));
  }
  const json* value = find(name);
  if (value == nullptr) {
    return std::optional<std::string>();
  }
  if (!value->is_string()) {
    return std::unexpected(wrong_type(name, "a string", *value));
  }
  const auto& text = value->get_ref<const std::string&>();
  if (text.find('\0') != std::string::npos) {
    return fail(ErrorCode::bad_request, "field " + validate::quote_for_message(field_path(name)) +
                                            " must not contain NUL characters");
  }
  return std::optional<std::string>(text);
}

Result<std::string> ObjectReader::required_string(std::string_view name) {
  auto value = optional_string(name);
  if (!value) {
    return std::unexpected(value.error());
  }
  if (!value->has_value()) {
    return std::unexpected(missing(name));
  }
  return std::move(**value);
}

Result<std::optional<bool>> ObjectReader::optional_bool(std::string_view name) {
  if (!m_object->is_object()) {
    return std::unexpected(not_an_object(*m_object, m_path));
  }
  const json* value = find(name);
  if (value == nullptr) {
    return std::optional<bool>();
  }
  if (!value->is_boolean()) {
    return std::unexpected(wrong_type(name, "true or false", *value));
  }
  return std::optional<bool>(value->get<bool>());
}

Result<bool> ObjectReader::required_bool(std::string_view name) {
  auto value = optional_bool(name);
  if (!value) {
    return std::unexpected(value.error());
  }
  if (!value->has_value()) {
    return std::unexpected(missing(name));
  }
  return **value;
}

Result<std::optional<std::uint64_t>> ObjectReader::optional_uint64(std::string_view name) {
  if (!m_object->is_object()) {
    return std::unexpected(not_an_object(*m_object, m_path));
  }
  const json* value = find(name);
  if (value == nullptr) {
    return std::optional<std::uint64_t>();
  }
  if (value->is_number_unsigned()) {
    return std::optional<std::uint64_t>(value->get<std::uint64_t>());
  }
  if (value->is_number()) {
    // Negative integers, fractions, exponents and integers beyond 2^64-1 (read as floats).
    return fail(ErrorCode::bad_request,
                "field " + validate::quote_for_message(field_path(name)) +
                    " must be a whole number from 0 to " +
                    std::to_string(std::numeric_limits<std::uint64_t>::max()) + ", got " +
                    value->dump());
  }
  return std::unexpected(wrong_type(name, "a number", *value));
}

Result<std::uint64_t> ObjectReader::required_uint64(std::string_view name) {
  auto value = optional_uint64(name);
  if (!value) {
    return std::unexpected(value.error());
  }
  if (!value->has_value()) {
    return std::unexpected(missing(name));
  }
  return **value;
}

Result<std::optional<std::int64_t>> ObjectReader::optional_int64(std::string_view name) {
  if (!m_object->is_object()) {
    return std::unexpected(not_an_object(*m_object, m_path));
  }
  const json* value = find(name);
  if (value == nullptr) {
    return std::optional<std::int64_t>();
  }
  if (value->is_number_integer() && !value->is_number_unsigned()) {
    return std::optional<std::int64_t>(value->get<std::int64_t>());
  }
  if (value->is_number_unsigned() &&
      value->get<std::uint64_t>() <=
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::optional<std::int64_t>(static_cast<std::int64_t>(value->get<std::uint64_t>()));
  }
  if (value->is_number()) {
    return fail(
        ErrorCode::bad_request,
        "field " + validate::quote_for_message(field_path(name)) + " must be a whole number from " +
            std::to_string(std::numeric_limits<std::int64_t>::min()) + " to " +
            std::to_string(std::numeric_limits<std::int64_t>::max()) + ", got " + value->dump());
  }
  return std::unexpected(wrong_type(name, "a number", *value));
}

Result<std::optional<std::vector<std::string>>>
ObjectReader::optional_string_list(std::string_view name) {
  if (!m_object->is_object()) {
    return std::unexpected(not_an_object(*m_object, m_path));
  }
  const json* value = find(name);
  if (value == nullptr) {
    return std::optional<std::vector<std::string>>();
  }
  if (!value->is_array()) {
    return std::unexpected(wrong_type(name, "an array of strings", *value));
  }
  std::vector<std::string> out;
  out.reserve(value->size());
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& element = (*value)[i];
    const std::string element_path = field_path(name) + "/" + std::to_string(i);
    if (!element.is_string()) {
      return fail(ErrorCode::bad_request, "field " + validate::quote_for_message(element_path) +
                                              " must be a string, got " +
                                              std::string(type_name(element)));
    }
    const auto& text = element.get_ref<const std::string&>();
    if (text.find('\0') != std::string::npos) {
      return fail(ErrorCode::bad_request, "field " + validate::quote_for_message(element_path) +
                                              " must not contain NUL characters");
    }
    out.push_back(text);
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<ObjectReader>> ObjectReader::optional_object(std::string_view name) {
  if (!m_object->is_object()) {
    return std::unexpected(not_an_object(*m_object, m_path));
  }
  const json* value = find(name);
  if (value == nullptr) {
    return std::optional<ObjectReader>();
  }
  if (!value->is_object()) {
    return std::unexpected(wrong_type(name, "an object", *value));
  }
  return std::optional<ObjectReader>(ObjectReader(*value, field_path(name)));
}

Result<ObjectReader> ObjectReader::required_object(std::string_view name) {
  auto value = optional_object(name);
  if (!value) {
    return std::unexpected(value.error());
  }
  if (!value->has_value()) {
    return std::unexpected(missing(name));
  }
  return std::move(**value);
}

const nlohmann::json* ObjectReader::optional_value(std::string_view name) {
  return find(name);
}

bool ObjectReader::has(std::string_view name) {
  return find(name) != nullptr;
}

Status ObjectReader::finish() const {
  if (!m_object->is_object()) {
    return std::unexpected(not_an_object(*m_object, m_path));
  }
  for (const auto& [key, value] : m_object->items()) {
    if (std::find(m_known.begin(), m_known.end(), key) != m_known.end()) {
      continue;
    }
    std::string message = "unknown field " + validate::quote_for_message(field_path(key));
    if (const auto suggestion = closest_match(key, m_known)) {
      message += " (did you mean " + validate::quote_for_message(field_path(*suggestion)) + "?)";
    }
    if (m_known.empty()) {
      message += "; no fields are accepted here";
    } else {
      std::vector<std::string> accepted = m_known;
      std::sort(accepted.begin(), accepted.end());
      message += "; accepted fields: ";
      for (std::size_t i = 0; i < accepted.size(); ++i) {
        message += (i == 0 ? "" : ", ") + accepted[i];
      }
    }
    return fail(ErrorCode::bad_request, std::move(message));
  }
  return {};
}

} // namespace sharectl::json
