// Entities as etcd documents; see documents.hpp.
#include "agent/store/etcd/documents.hpp"

#include <chrono>
#include <optional>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/store/sql/tables.hpp"

namespace sharectl::store::etcd {

namespace {

using nlohmann::json;

template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};
template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

json to_json_value(const model::Timestamp& t) {
  return t.time_since_epoch().count();
}
json to_json_value(const std::string& s) {
  return s;
}
json to_json_value(bool b) {
  return b;
}
template <typename T>
json to_json_value(const T& value) {
  if constexpr (is_optional<T>::value) {
    return value ? to_json_value(*value) : json(nullptr);
  } else if constexpr (is_vector<T>::value) {
    json out = json::array();
    for (const auto& item : value) {
      out.push_back(to_json_value(item));
    }
    return out;
  } else if constexpr (std::is_enum_v<T>) {
    return std::string(model::to_string(value));
  } else {
    static_assert(std::is_arithmetic_v<T>, "a field type the document codec does not know");
    return value;
  }
}

Status from_json_value(const json& j, model::Timestamp& t) {
  if (!j.is_number_integer()) {
    return fail(ErrorCode::internal, "not a time");
  }
  t = model::Timestamp{std::chrono::microseconds{j.get<std::int64_t>()}};
  return {};
}
Status from_json_value(const json& j, std::string& s) {
  if (!j.is_string()) {
    return fail(ErrorCode::internal, "not a string");
  }
  s = j.get<std::string>();
  return {};
}
Status from_json_value(const json& j, bool& b) {
  if (!j.is_boolean()) {
    return fail(ErrorCode::internal, "not a boolean");
  }
  b = j.get<bool>();
  return {};
}
template <typename T>
Status from_json_value(const json& j, T& value) {
  if constexpr (is_optional<T>::value) {
    if (j.is_null()) {
      value.reset();
      return {};
    }
    typename T::value_type inner{};
    if (auto st = from_json_value(j, inner); !st) {
      return st;
    }
    value = std::move(inner);
    return {};
  } else if constexpr (is_vector<T>::value) {
    if (!j.is_array()) {
      return fail(ErrorCode::internal, "not a list");
    }
    T items;
    for (const auto& item : j) {
      typename T::value_type parsed{};
      if (auto st = from_json_value(item, parsed); !st) {
        return st;
      }
      items.push_back(std::move(parsed));
    }
    value = std::move(items);
    return {};
  } else if constexpr (std::is_enum_v<T>) {
    auto parsed = j.is_string() ? model::parse_enum<T>(j.get<std::string>()) : std::nullopt;
    if (!parsed) {
      return fail(ErrorCode::internal, "not a known name");
    }
    value = *parsed;
    return {};
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!j.is_number()) {
      return fail(ErrorCode::internal, "not a number");
    }
    value = j.get<T>();
    return {};
  } else {
    static_assert(std::is_integral_v<T>, "a field type the document codec does not know");
    if (!j.is_number_integer()) {
      return fail(ErrorCode::internal, "not a whole number");
    }
    value = j.get<T>();
    return {};
  }
}

// Writes each plain field (not derived, not bookkeeping) into a JSON object.
struct Writer {
  json& out;
  template <typename T>
  void operator()(std::string_view name, T& value) {
    out[std::string(name)] = to_json_value(value);
  }
  template <typename T>
  void derived(std::string_view, const T&) {}
  template <typename T>
  void bookkeeping(std::string_view, T&) {}
};

// Reads each plain field back; a missing field keeps its default (documents of an older
// layout), a malformed one is the first error.
struct Reader {
  const json& in;
  Status status = {};
  template <typename T>
  void operator()(std::string_view name, T& value) {
    const auto it = in.find(std::string(name));
    if (!status || it == in.end()) {
      return;
    }
    if (auto st = from_json_value(*it, value); !st) {
      status = fail(ErrorCode::internal, std::string(name) + ": " + st.error().message);
    }
  }
  template <typename T>
  void derived(std::string_view, const T&) {}
  template <typename T>
  void bookkeeping(std::string_view, T&) {}
};

} // namespace

template <typename E>
std::string encode_document(const E& e) {
  json out = json::object();
  out["id"] = e.id;
  out["created_at"] = to_json_value(e.created_at);
  out["updated_at"] = to_json_value(e.updated_at);
  out["revision"] = e.revision;
  if constexpr (std::is_base_of_v<model::Applied, E>) {
    out["status"] = std::string(model::status_name(e.status));
    out["status_message"] = e.status_message;
    out["observed_revision"] = e.observed_revision;
  }
  E copy = e; // Table<E>::fields takes a mutable entity
  Writer writer{out};
  sql::Table<E>::fields(writer, copy);
  return out.dump();
}

template <typename E>
Result<E> decode_document(const KeyValue& kv) {
  const std::string what =
      "store: the etcd document " + kv.key + " (" + std::string(sql::Table<E>::noun) + ")";
  const json in = json::parse(kv.value, nullptr, false);
  if (in.is_discarded() || !in.is_object()) {
    return fail(ErrorCode::internal, what + " is not a JSON object");
  }
  E e;
  Reader reader{in};
  reader("id", e.id);
  reader("created_at", e.created_at);
  reader("updated_at", e.updated_at);
  reader("revision", e.revision);
  if constexpr (std::is_base_of_v<model::Applied, E>) {
    if (const auto it = in.find("status"); it != in.end() && reader.status) {
      auto status =
          it->is_string() ? model::status_from_name(it->get<std::string>()) : std::nullopt;
      if (!status) {
        reader.status = fail(ErrorCode::internal, "status: not a known name");
      } else {
        e.status = *status;
      }
    }
    reader("status_message", e.status_message);
    reader("observed_revision", e.observed_revision);
  }
  sql::Table<E>::fields(reader, e);
  if (!reader.status) {
    return fail(ErrorCode::internal, what + ": " + reader.status.error().message);
  }
  return e;
}

#define SHARECTL_ETCD_DOCUMENT(E)                                                                  \
  template std::string encode_document<E>(const E&);                                               \
  template Result<E> decode_document<E>(const KeyValue&);
SHARECTL_ETCD_DOCUMENT(model::User)
SHARECTL_ETCD_DOCUMENT(model::App)
SHARECTL_ETCD_DOCUMENT(model::Role)
SHARECTL_ETCD_DOCUMENT(model::Rule)
SHARECTL_ETCD_DOCUMENT(model::Binding)
SHARECTL_ETCD_DOCUMENT(model::Group)
SHARECTL_ETCD_DOCUMENT(model::Server)
SHARECTL_ETCD_DOCUMENT(model::FileSystem)
SHARECTL_ETCD_DOCUMENT(model::Space)
SHARECTL_ETCD_DOCUMENT(model::Share)
SHARECTL_ETCD_DOCUMENT(model::IscsiTarget)
SHARECTL_ETCD_DOCUMENT(model::IscsiLun)
SHARECTL_ETCD_DOCUMENT(model::AuditEvent)
SHARECTL_ETCD_DOCUMENT(model::NotifyMethod)
SHARECTL_ETCD_DOCUMENT(model::NotifyHook)
SHARECTL_ETCD_DOCUMENT(model::JoinToken)
#undef SHARECTL_ETCD_DOCUMENT

} // namespace sharectl::store::etcd
