// Strict JSON for API request bodies: a parser that refuses what nlohmann's permissive parse
// accepts (duplicate keys, absurd nesting) and a typed field reader that refuses wrong types and
// unknown fields. Both fail with bad_request and name the offending place as a JSON pointer.
// Only <nlohmann/json_fwd.hpp> is included here; callers that touch values include json.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/util/error.hpp"

namespace sharectl::json {

// The largest request body the API accepts (SPEC.md: bodies over 1 MiB are refused with 413).
inline constexpr std::size_t k_max_body_bytes = 1024 * 1024;

// The deepest nesting of objects and arrays accepted; the top-level value is depth 1.
inline constexpr std::size_t k_max_depth = 32;

// Bounds for one parse. The HTTP layer enforces the body size itself (before reading it all);
// max_bytes is a defensive second check.
struct ParseLimits {
  std::size_t max_bytes = k_max_body_bytes;
  std::size_t max_depth = k_max_depth;
};

// Parses a request body that must be one JSON object. Fails with payload_too_large when the
// body exceeds limits.max_bytes, and with bad_request on empty input, syntax errors, trailing
// data, invalid UTF-8, duplicate keys, nesting deeper than limits.max_depth or a top-level value
// that is not an object.
Result<nlohmann::json> parse_strict(std::string_view body, const ParseLimits& limits = {});

// Like parse_strict, but any JSON value is accepted at the top level (for responses holding a
// list). Fails as parse_strict does, except for the object rule.
Result<nlohmann::json> parse_strict_value(std::string_view text, const ParseLimits& limits = {});

// The name of a value's JSON type for messages: "null", "boolean", "number", "string",
// "array" or "object". Never fails.
std::string_view type_name(const nlohmann::json& value);

// Escapes one object key as a JSON pointer reference token (RFC 6901: "~" -> "~0", "/" -> "~1").
// Never fails.
std::string pointer_token(std::string_view key);

// Reads the fields of one JSON object by name and type, remembering each name asked for, so
// that finish() can refuse the fields nobody asked for. A handler reads every field it accepts,
// then calls finish(). Messages name fields by their path below the body ("size",
// "options/read_only", "members/2"). JSON null is a wrong type, not an absent field. The reader
// points into `object`, which must outlive it (and every reader made from it).
class ObjectReader {
public:
  // Reads `object`; when it is not an object every read and finish() fail with bad_request.
  // `path` is the object's place in the body ("" for the body itself, no leading "/").
  explicit ObjectReader(const nlohmann::json& object, std::string path = {});

  // A string field that must be present; fails when absent, not a string, or holding NUL.
  Result<std::string> required_string(std::string_view name);
  // A string field, nullopt when absent; fails when not a string or holding NUL.
  Result<std::optional<std::string>> optional_string(std::string_view name);

  // A boolean field that must be present; fails when absent or not true/false.
  Result<bool> required_bool(std::string_view name);
  // A boolean field, nullopt when absent; fails when not true/false.
  Result<std::optional<bool>> optional_bool(std::string_view name);

  // A non-negative integer field that must be present; fails when absent, not a number, a
  // fraction, negative or above 2^64-1.
  Result<std::uint64_t> required_uint64(std::string_view name);
  // A non-negative integer field, nullopt when absent; fails as required_uint64 does.
  Result<std::optional<std::uint64_t>> optional_uint64(std::string_view name);

  // A signed integer field, nullopt when absent; fails when not a whole number in int64 range.
  Result<std::optional<std::int64_t>> optional_int64(std::string_view name);

  // An array of strings, nullopt when absent; fails when not an array or an element is not a
  // string (naming the element, e.g. "members/2").
  Result<std::optional<std::vector<std::string>>> optional_string_list(std::string_view name);

  // A nested object that must be present, read by its own reader (call its finish() too);
  // fails when absent or not an object.
  Result<ObjectReader> required_object(std::string_view name);
  // A nested object, nullopt when absent; fails when not an object.
  Result<std::optional<ObjectReader>> optional_object(std::string_view name);

  // The raw value of a field for shapes the typed readers do not cover, nullptr when absent.
  // Marks the field as known. Never fails.
  const nlohmann::json* optional_value(std::string_view name);

  // Whether the object has this field (any type). Marks it as known. Never fails.
  bool has(std::string_view name);

  // Succeeds when every field of the object was asked for; otherwise fails with bad_request
  // naming the first unknown field (in key order), a close accepted name when there is one,
  // and the accepted names.
  Status finish() const;

  // The path of a field of this object for messages ("size", "options/read_only").
  std::string field_path(std::string_view name) const;

private:
  const nlohmann::json* find(std::string_view name);
  Error wrong_type(std::string_view name, std::string_view expected,
                   const nlohmann::json& value) const;
  Error missing(std::string_view name) const;

  const nlohmann::json* m_object;
  std::string m_path;
  std::vector<std::string> m_known;
};

} // namespace sharectl::json
