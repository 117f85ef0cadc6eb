// Typed C++ forms of the etcd v3 API messages sharectl uses (etcdserverpb in etcd 3.4), as the
// JSON gateway sends and receives them. Keys and values are raw bytes here (the codec does the
// base64); revisions, versions, lease ids and counts are int64 as in the protobuf. A field the
// gateway omitted (its zero value) is 0, "", false or empty here. Plain data: nothing fails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sharectl::store::etcd {

// The header of every response: who answered and the store revision when it did.
struct ResponseHeader {
  std::uint64_t cluster_id = 0;
  std::uint64_t member_id = 0;
  std::int64_t revision = 0;
  std::uint64_t raft_term = 0;

  friend bool operator==(const ResponseHeader&, const ResponseHeader&) = default;
};

// One key with its value and metadata (mvccpb.KeyValue).
struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0; // 0: the key does not exist
  std::int64_t mod_revision = 0;
  std::int64_t version = 0; // 1 at creation, +1 per put; 0 after a delete
  std::int64_t lease = 0;   // 0: no lease

  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

// Range sort order and target (RangeRequest.SortOrder / SortTarget).
enum class SortOrder { none, ascend, descend };
enum class SortTarget { key, version, create, mod, value };

// Reads a key or a range of keys.
struct RangeRequest {
  std::string key;
  // "" = only key; prefix_range_end(key) = every key with that prefix; "\0" (one NUL byte) =
  // every key >= key.
  std::string range_end;
  std::int64_t limit = 0;    // 0 = no limit
  std::int64_t revision = 0; // 0 = latest; else a past revision (fails when compacted)
  SortOrder sort_order = SortOrder::none;
  SortTarget sort_target = SortTarget::key;
  bool serializable = false; // answer from the member's local state (may be stale)
  bool keys_only = false;
  bool count_only = false;

  // Reads just key (GCC 12 warns about designated initializers that leave fields out, so
  // these factories are the short way to build requests).
  static RangeRequest of_key(std::string key);
  // Reads every key starting with prefix.
  static RangeRequest of_prefix(std::string prefix);

  friend bool operator==(const RangeRequest&, const RangeRequest&) = default;
};

// What a range read returned.
struct RangeResponse {
  ResponseHeader header;
  std::vector<KeyValue> kvs;
  bool more = false;      // limit cut the result short
  std::int64_t count = 0; // keys in the range (before limit)
};

// Writes one key.
struct PutRequest {
  std::string key;
  std::string value;
  std::int64_t lease = 0; // attach the key to this lease (0 = none)
  bool prev_kv = false;   // return the previous key-value
  bool ignore_value = false;
  bool ignore_lease = false;

  // Writes key = value, attached to lease when not 0.
  static PutRequest of(std::string key, std::string value, std::int64_t lease = 0);

  friend bool operator==(const PutRequest&, const PutRequest&) = default;
};

// What a put returned.
struct PutResponse {
  ResponseHeader header;
  std::optional<KeyValue> prev_kv; // only with PutRequest::prev_kv and an existing key
};

// Deletes a key or a range (range_end as in RangeRequest).
struct DeleteRangeRequest {
  std::string key;
  std::string range_end;
  bool prev_kv = false;

  // Deletes just key.
  static DeleteRangeRequest of_key(std::string key);
  // Deletes every key starting with prefix.
  static DeleteRangeRequest of_prefix(std::string prefix);

  friend bool operator==(const DeleteRangeRequest&, const DeleteRangeRequest&) = default;
};

// What a delete returned.
struct DeleteRangeResponse {
  ResponseHeader header;
  std::int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs; // only with DeleteRangeRequest::prev_kv
};

// What a Compare looks at, and how.
enum class CompareTarget { version, create, mod, value, lease };
enum class CompareResult { equal, greater, less, not_equal };

// One condition of a transaction: <target of key> <result> <operand>.
struct Compare {
  CompareResult result = CompareResult::equal;
  CompareTarget target = CompareTarget::version;
  std::string key;
  std::string range_end; // compare every key in [key, range_end) (rarely needed)
  // The operand: a number for version/create/mod/lease, value for CompareTarget::value.
  std::int64_t number = 0;
  std::string value;

  // version(key) <result> n — version 0 means "does not exist".
  static Compare version(std::string key, CompareResult result, std::int64_t n);
  // create_revision(key) <result> n — 0 means "does not exist".
  static Compare create(std::string key, CompareResult result, std::int64_t n);
  // mod_revision(key) <result> n — optimistic concurrency on a key.
  static Compare mod(std::string key, CompareResult result, std::int64_t n);
  // value(key) <result> v (bytewise).
  static Compare value_of(std::string key, CompareResult result, std::string v);
  // lease(key) <result> id.
  static Compare lease(std::string key, CompareResult result, std::int64_t id);

  friend bool operator==(const Compare&, const Compare&) = default;
};

// One operation of a transaction (nested transactions are not used by sharectl).
using RequestOp = std::variant<RangeRequest, PutRequest, DeleteRangeRequest>;
// Its result, in the same position.
using ResponseOp = std::variant<RangeResponse, PutResponse, DeleteRangeResponse>;

// If every compare holds, run success, else failure — atomically, at one new revision when
// anything is written. etcd refuses more than 128 operations (--max-txn-ops), 1.5 MiB
// (--max-request-bytes) or a key written twice.
struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<RequestOp> success;
  std::vector<RequestOp> failure;
};

// What a transaction did: which branch ran and each of its operations' results.
struct TxnResponse {
  ResponseHeader header;
  bool succeeded = false; // the gateway omits it when false
  std::vector<ResponseOp> responses;
};

// A granted lease.
struct LeaseGrantResponse {
  ResponseHeader header;
  std::int64_t id = 0;
  std::int64_t ttl = 0; // seconds
};

// A refreshed lease.
struct LeaseKeepAliveResponse {
  ResponseHeader header;
  std::int64_t id = 0;
  std::int64_t ttl = 0; // seconds left after the refresh; 0 from etcd means expired or unknown
};

// One cluster member.
struct Member {
  std::uint64_t id = 0;
  std::string name; // "" while a new member has not started
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};

// The cluster's members.
struct MemberListResponse {
  ResponseHeader header;
  std::vector<Member> members;
};

// One member's view of itself (maintenance status).
struct StatusResponse {
  ResponseHeader header;
  std::string version;
  std::int64_t db_size = 0;
  std::uint64_t leader = 0; // member id of the leader it knows; 0 = none
  std::uint64_t raft_index = 0;
  std::uint64_t raft_term = 0;
  std::vector<std::string> errors; // e.g. "etcdserver: no leader"
};

// A change seen by a watch.
enum class EventType { put, del };
struct Event {
  EventType type = EventType::put;
  KeyValue kv;                     // for a delete: key and mod_revision (the delete's) only
  std::optional<KeyValue> prev_kv; // with WatchCreate::prev_kv, when the key existed
};

// Starts a watch on [key, range_end) from start_revision (0 = from now on).
struct WatchCreate {
  std::string key;
  std::string range_end;
  std::int64_t start_revision = 0;
  bool prev_kv = false;
  bool progress_notify = false; // idle watches get empty responses carrying the revision

  // Watches every key starting with prefix from start_revision (0: from now on).
  static WatchCreate of_prefix(std::string prefix, std::int64_t start_revision = 0,
                               bool prev_kv = false);

  friend bool operator==(const WatchCreate&, const WatchCreate&) = default;
};

// One message of a watch stream ({"result":{…}}).
struct WatchResponse {
  ResponseHeader header;
  std::int64_t watch_id = 0;
  bool created = false;
  bool canceled = false;
  std::int64_t compact_revision = 0; // with canceled: start_revision was compacted away
  std::string cancel_reason;
  bool fragment = false;
  std::vector<Event> events;
};

} // namespace sharectl::store::etcd
