// Internal to the etcd codec (codec_*.cpp): typed readers for the gateway's JSON. An omitted
// field reads as its zero value; a field of the wrong type fails with internal, naming its
// place ("txn.responses[0].response_range.kvs[1].mod_revision is not an integer string").
// Integers are accepted as JSON strings (what the gateway sends for int64/uint64) or numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "agent/store/etcd/types.hpp"
#include "common/util/error.hpp"

namespace sharectl::store::etcd::detail {

// An internal Error "etcd gateway sent an unexpected response: <where> <what>".
std::unexpected<Error> malformed(const std::string& where, std::string_view what);
// Parses body, which must be one JSON object.
Result<nlohmann::json> parse_object(std::string_view body);
// The field, or nullptr when it is absent or null.
const nlohmann::json* member(const nlohmann::json& obj, const char* field);

// Field readers: absent → 0 / false / "" ; wrong type → internal.
Status read_integer(const nlohmann::json& obj, const char* field, const std::string& where,
                    std::int64_t& out);
Status read_integer(const nlohmann::json& obj, const char* field, const std::string& where,
                    std::uint64_t& out);
Status read_bool(const nlohmann::json& obj, const char* field, const std::string& where, bool& out);
Status read_string(const nlohmann::json& obj, const char* field, const std::string& where,
                   std::string& out);
// A base64 field (keys, values), decoded.
Status read_bytes(const nlohmann::json& obj, const char* field, const std::string& where,
                  std::string& out);
// An optional object or array field: nullptr when absent.
Result<const nlohmann::json*> read_object(const nlohmann::json& obj, const char* field,
                                          const std::string& where);
Result<const nlohmann::json*> read_array(const nlohmann::json& obj, const char* field,
                                         const std::string& where);

// Message readers shared by the unary and stream decoders.
Result<ResponseHeader> header_from(const nlohmann::json& obj, const std::string& where);
Result<KeyValue> kv_from(const nlohmann::json& obj, const std::string& where);
Status kvs_from(const nlohmann::json& obj, const char* field, const std::string& where,
                std::vector<KeyValue>& out);
Result<std::optional<KeyValue>> optional_kv(const nlohmann::json& obj, const char* field,
                                            const std::string& where);
Result<RangeResponse> range_from(const nlohmann::json& obj, const std::string& where);
Result<PutResponse> put_from(const nlohmann::json& obj, const std::string& where);
Result<DeleteRangeResponse> delete_from(const nlohmann::json& obj, const std::string& where);

} // namespace sharectl::store::etcd::detail

// Returns the error of a Status/Result expression from the enclosing function.
#define SHARECTL_ETCD_TRY(expr)                                                                    \
  do {                                                                                             \
    if (auto etcd_try_status = (expr); !etcd_try_status) {                                         \
      return std::unexpected(etcd_try_status.error());                                             \
    }                                                                                              \
  } while (false)
