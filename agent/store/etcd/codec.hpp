// JSON encoding and decoding for etcd 3.4's v3 gRPC gateway (grpc-gateway v1 with the protobuf
// field names): keys and values are standard base64, int64/uint64 fields travel as JSON strings
// (decoding also accepts numbers), zero-valued fields are omitted (a missing field decodes to
// 0 / "" / false / empty), enum values are names ("MOD", "NOT_EQUAL", "DELETE"; the zero value
// PUT/EQUAL/VERSION is omitted on the wire). Errors come as {"error":…,"code":…,"message":…}
// with HTTP 4xx/5xx, or inside a stream as {"error":{"grpc_code":…,"message":…}}.
// Decoders fail with internal (naming the field) on a body that is not what etcd sends; encoders
// cannot fail. nlohmann/json stays in the codec_*.cpp files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "agent/store/etcd/types.hpp"
#include "common/util/error.hpp"

namespace sharectl::store::etcd {

// The range_end that selects every key starting with prefix (etcd's GetPrefixRangeEnd): the
// prefix with its last byte below 0xff incremented and what follows dropped; "\0" (all keys
// from prefix on) when every byte is 0xff or the prefix is empty.
std::string prefix_range_end(std::string_view prefix);

// Request bodies.
std::string encode_range(const RangeRequest& request);
std::string encode_put(const PutRequest& request);
std::string encode_delete_range(const DeleteRangeRequest& request);
std::string encode_txn(const TxnRequest& request);
std::string encode_compaction(std::int64_t revision, bool physical);
std::string encode_lease_grant(std::int64_t ttl_seconds, std::int64_t id);
std::string encode_lease_id(std::int64_t id); // keepalive and revoke: {"ID":"…"}
std::string encode_authenticate(std::string_view user, std::string_view password);
std::string encode_watch_create(const WatchCreate& request);

// Response bodies (HTTP 200).
Result<ResponseHeader> decode_header_only(std::string_view body); // compaction, revoke
Result<RangeResponse> decode_range(std::string_view body);
Result<PutResponse> decode_put(std::string_view body);
Result<DeleteRangeResponse> decode_delete_range(std::string_view body);
Result<TxnResponse> decode_txn(std::string_view body);
Result<LeaseGrantResponse> decode_lease_grant(std::string_view body);
Result<MemberListResponse> decode_member_list(std::string_view body);
Result<StatusResponse> decode_status(std::string_view body);
// The token of an authenticate response; fails (internal) when there is none.
Result<std::string> decode_authenticate(std::string_view body);

// An error etcd (or its gateway) reported.
struct GatewayError {
  int http_status = 0; // 0 inside a stream
  int grpc_code = 2;   // google.golang.org/grpc/codes (14 Unavailable, 16 Unauthenticated, …)
  std::string message; // etcd's words, e.g. "etcdserver: duplicate key given in txn request"

  friend bool operator==(const GatewayError&, const GatewayError&) = default;
};

// The error of a non-200 gateway answer. A body that is not etcd's error JSON (a proxy's page)
// yields the status with a gRPC code guessed from it and a message quoting the body's start.
GatewayError decode_gateway_error(int http_status, std::string_view body);

// A watch stream document ({"result":{…}}), or the error the stream reported instead.
using WatchMessage = std::variant<WatchResponse, GatewayError>;
// Decodes one watch stream document. Fails (internal) when it is neither a result nor an error.
Result<WatchMessage> decode_watch_message(std::string_view document);

// A lease keepalive answer (a one-message stream), or its error.
using KeepAliveMessage = std::variant<LeaseKeepAliveResponse, GatewayError>;
// Decodes one keepalive stream document. Fails like decode_watch_message.
Result<KeepAliveMessage> decode_keepalive_message(std::string_view document);

} // namespace sharectl::store::etcd
