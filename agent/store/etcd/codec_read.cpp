#include "agent/store/etcd/codec_read.hpp"

#include <charconv>
#include <limits>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "common/util/base64.hpp"

namespace sharectl::store::etcd::detail {

using nlohmann::json;

namespace {

template <typename T>
Result<T> parse_integer(const json& value, const std::string& where) {
  if (value.is_number_integer()) {
    if constexpr (std::is_unsigned_v<T>) {
      if (value.is_number_unsigned()) {
        return value.get<std::uint64_t>();
      }
      const auto signed_value = value.get<std::int64_t>();
      if (signed_value < 0) {
        return malformed(where, "is negative");
      }
      return static_cast<T>(signed_value);
    } else {
      if (value.is_number_unsigned() &&
          value.get<std::uint64_t>() >
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return malformed(where, "is out of range");
      }
      return value.get<std::int64_t>();
    }
  }
  if (!value.is_string()) {
    return malformed(where, "is not an integer");
  }
  const auto& text = value.get_ref<const std::string&>();
  T out = 0;
  const auto* end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, out);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != end) {
    return malformed(where, "is not an integer string");
  }
  return out;
}

// Field readers: an absent (omitted) field is its zero value.
template <typename T>
Status read_integer_as(const json& obj, const char* field, const std::string& where, T& out) {
  const json* value = member(obj, field);
  if (value == nullptr) {
    out = 0;
    return {};
  }
  auto parsed = parse_integer<T>(*value, where + "." + field);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  out = *parsed;
  return {};
}

} // namespace

std::unexpected<Error> malformed(const std::string& where, std::string_view what) {
  return fail(ErrorCode::internal,
              "etcd gateway sent an unexpected response: " + where + " " + std::string(what));
}

Result<json> parse_object(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return malformed("body", "is not a JSON object");
  }
  return doc;
}

const json* member(const json& obj, const char* field) {
  const auto it = obj.find(field);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

Status read_bool(const json& obj, const char* field, const std::string& where, bool& out) {
  const json* value = member(obj, field);
  if (value == nullptr) {
    out = false;
    return {};
  }
  if (!value->is_boolean()) {
    return malformed(where + "." + field, "is not a boolean");
  }
  out = value->get<bool>();
  return {};
}

Status read_string(const json& obj, const char* field, const std::string& where, std::string& out) {
  const json* value = member(obj, field);
  if (value == nullptr) {
    out.clear();
    return {};
  }
  if (!value->is_string()) {
    return malformed(where + "." + field, "is not a string");
  }
  out = value->get<std::string>();
  return {};
}

Status read_bytes(const json& obj, const char* field, const std::string& where, std::string& out) {
  std::string text;
  if (auto status = read_string(obj, field, where, text); !status) {
    return status;
  }
  auto decoded = base64_decode(text);
  if (!decoded) {
    return malformed(where + "." + field, "is not base64");
  }
  out = std::move(*decoded);
  return {};
}

// Reads an optional object field; nullptr when absent, an error when it is not an object.
Result<const json*> read_object(const json& obj, const char* field, const std::string& where) {
  const json* value = member(obj, field);
  if (value != nullptr && !value->is_object()) {
    return malformed(where + "." + field, "is not an object");
  }
  return value;
}

// Reads an optional array field (absent = empty).
Result<const json*> read_array(const json& obj, const char* field, const std::string& where) {
  const json* value = member(obj, field);
  if (value != nullptr && !value->is_array()) {
    return malformed(where + "." + field, "is not an array");
  }
  return value;
}

Result<ResponseHeader> header_from(const json& obj, const std::string& where) {
  ResponseHeader header;
  auto found = read_object(obj, "header", where);
  if (!found) {
    return std::unexpected(found.error());
  }
  if (*found == nullptr) {
    return header;
  }
  const json& h = **found;
  const std::string at = where + ".header";
  SHARECTL_ETCD_TRY(read_integer(h, "cluster_id", at, header.cluster_id));
  SHARECTL_ETCD_TRY(read_integer(h, "member_id", at, header.member_id));
  SHARECTL_ETCD_TRY(read_integer(h, "revision", at, header.revision));
  SHARECTL_ETCD_TRY(read_integer(h, "raft_term", at, header.raft_term));
  return header;
}

Result<KeyValue> kv_from(const json& obj, const std::string& where) {
  if (!obj.is_object()) {
    return malformed(where, "is not an object");
  }
  KeyValue kv;
  SHARECTL_ETCD_TRY(read_bytes(obj, "key", where, kv.key));
  SHARECTL_ETCD_TRY(read_bytes(obj, "value", where, kv.value));
  SHARECTL_ETCD_TRY(read_integer(obj, "create_revision", where, kv.create_revision));
  SHARECTL_ETCD_TRY(read_integer(obj, "mod_revision", where, kv.mod_revision));
  SHARECTL_ETCD_TRY(read_integer(obj, "version", where, kv.version));
  SHARECTL_ETCD_TRY(read_integer(obj, "lease", where, kv.lease));
  return kv;
}

Status kvs_from(const json& obj, const char* field, const std::string& where,
                std::vector<KeyValue>& out) {
  auto array = read_array(obj, field, where);
  if (!array) {
    return std::unexpected(array.error());
  }
  out.clear();
  if (*array == nullptr) {
    return {};
  }
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    auto kv = kv_from((**array)[i], where + "." + field + "[" + std::to_string(i) + "]");
    if (!kv) {
      return std::unexpected(kv.error());
    }
    out.push_back(std::move(*kv));
  }
  return {};
}

Result<std::optional<KeyValue>> optional_kv(const json& obj, const char* field,
                                            const std::string& where) {
  auto found = read_object(obj, field, where);
  if (!found) {
    return std::unexpected(found.error());
  }
  if (*found == nullptr) {
    return std::optional<KeyValue>();
  }
  auto kv = kv_from(**found, where + "." + field);
  if (!kv) {
    return std::unexpected(kv.error());
  }
  return std::optional<KeyValue>(std::move(*kv));
}

Result<RangeResponse> range_from(const json& obj, const std::string& where) {
  RangeResponse out;
  auto header = header_from(obj, where);
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  SHARECTL_ETCD_TRY(kvs_from(obj, "kvs", where, out.kvs));
  SHARECTL_ETCD_TRY(read_bool(obj, "more", where, out.more));
  SHARECTL_ETCD_TRY(read_integer(obj, "count", where, out.count));
  return out;
}

Result<PutResponse> put_from(const json& obj, const std::string& where) {
  PutResponse out;
  auto header = header_from(obj, where);
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  auto prev = optional_kv(obj, "prev_kv", where);
  if (!prev) {
    return std::unexpected(prev.error());
  }
  out.prev_kv = std::move(*prev);
  return out;
}

Result<DeleteRangeResponse> delete_from(const json& obj, const std::string& where) {
  DeleteRangeResponse out;
  auto header = header_from(obj, where);
  if (!header) {
    return std::unexpected(header.error());
  }
  out.header = *header;
  SHARECTL_ETCD_TRY(read_integer(obj, "deleted", where, out.deleted));
  SHARECTL_ETCD_TRY(kvs_from(obj, "prev_kvs", where, out.prev_kvs));
  return out;
}

Status read_integer(const json& obj, const char* field, const std::string& where,
                    std::int64_t& out) {
  return read_integer_as(obj, field, where, out);
}

Status read_integer(const json& obj, const char* field, const std::string& where,
                    std::uint64_t& out) {
  return read_integer_as(obj, field, where, out);
}

} // namespace sharectl::store::etcd::detail
