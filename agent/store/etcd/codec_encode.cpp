#include <nlohmann/json.hpp>

#include "agent/store/etcd/codec.hpp"
#include "common/util/base64.hpp"

namespace sharectl::store::etcd {

namespace {

using nlohmann::json;

std::string b64(std::string_view bytes) {
  return base64_encode(bytes);
}

std::string_view sort_order_name(SortOrder order) {
  switch (order) {
  case SortOrder::none:
    return "NONE";
  case SortOrder::ascend:
    return "ASCEND";
  case SortOrder::descend:
    return "DESCEND";
  }
  return "NONE";
}

std::string_view sort_target_name(SortTarget target) {
  switch (target) {
  case SortTarget::key:
    return "KEY";
  case SortTarget::version:
    return "VERSION";
  case SortTarget::create:
    return "CREATE";
  case SortTarget::mod:
    return "MOD";
  case SortTarget::value:
    return "VALUE";
  }
  return "KEY";
}

std::string_view compare_result_name(CompareResult result) {
  switch (result) {
  case CompareResult::equal:
    return "EQUAL";
  case CompareResult::greater:
    return "GREATER";
  case CompareResult::less:
    return "LESS";
  case CompareResult::not_equal:
    return "NOT_EQUAL";
  }
  return "EQUAL";
}

json range_json(const RangeRequest& r) {
  json out = {{"key", b64(r.key)}};
  if (!r.range_end.empty()) {
    out["range_end"] = b64(r.range_end);
  }
  if (r.limit != 0) {
    out["limit"] = std::to_string(r.limit);
  }
  if (r.revision != 0) {
    out["revision"] = std::to_string(r.revision);
  }
  if (r.sort_order != SortOrder::none) {
    out["sort_order"] = sort_order_name(r.sort_order);
    out["sort_target"] = sort_target_name(r.sort_target);
  }
  if (r.serializable) {
    out["serializable"] = true;
  }
  if (r.keys_only) {
    out["keys_only"] = true;
  }
  if (r.count_only) {
    out["count_only"] = true;
  }
  return out;
}

json put_json(const PutRequest& r) {
  json out = {{"key", b64(r.key)}, {"value", b64(r.value)}};
  if (r.lease != 0) {
    out["lease"] = std::to_string(r.lease);
  }
  if (r.prev_kv) {
    out["prev_kv"] = true;
  }
  if (r.ignore_value) {
    out["ignore_value"] = true;
  }
  if (r.ignore_lease) {
    out["ignore_lease"] = true;
  }
  return out;
}

json delete_json(const DeleteRangeRequest& r) {
  json out = {{"key", b64(r.key)}};
  if (!r.range_end.empty()) {
    out["range_end"] = b64(r.range_end);
  }
  if (r.prev_kv) {
    out["prev_kv"] = true;
  }
  return out;
}

json compare_json(const Compare& c) {
  json out = {{"key", b64(c.key)}, {"result", compare_result_name(c.result)}};
  if (!c.range_end.empty()) {
    out["range_end"] = b64(c.range_end);
  }
  switch (c.target) {
  case CompareTarget::version:
    out["target"] = "VERSION";
    out["version"] = std::to_string(c.number);
    break;
  case CompareTarget::create:
    out["target"] = "CREATE";
    out["create_revision"] = std::to_string(c.number);
    break;
  case CompareTarget::mod:
    out["target"] = "MOD";
    out["mod_revision"] = std::to_string(c.number);
    break;
  case CompareTarget::value:
    out["target"] = "VALUE";
    out["value"] = b64(c.value);
    break;
  case CompareTarget::lease:
    out["target"] = "LEASE";
    out["lease"] = std::to_string(c.number);
    break;
  }
  return out;
}

json op_json(const RequestOp& op) {
  if (const auto* range = std::get_if<RangeRequest>(&op)) {
    return {{"request_range", range_json(*range)}};
  }
  if (const auto* put = std::get_if<PutRequest>(&op)) {
    return {{"request_put", put_json(*put)}};
  }
  return {{"request_delete_range", delete_json(std::get<DeleteRangeRequest>(op))}};
}

} // namespace

Compare Compare::version(std::string key, CompareResult result, std::int64_t n) {
  return Compare{result, CompareTarget::version, std::move(key), {}, n, {}};
}
Compare Compare::create(std::string key, CompareResult result, std::int64_t n) {
  return Compare{result, CompareTarget::create, std::move(key), {}, n, {}};
}
Compare Compare::mod(std::string key, CompareResult result, std::int64_t n) {
  return Compare{result, CompareTarget::mod, std::move(key), {}, n, {}};
}
Compare Compare::value_of(std::string key, CompareResult result, std::string v) {
  return Compare{result, CompareTarget::value, std::move(key), {}, 0, std::move(v)};
}
Compare Compare::lease(std::string key, CompareResult result, std::int64_t id) {
  return Compare{result, CompareTarget::lease, std::move(key), {}, id, {}};
}

RangeRequest RangeRequest::of_key(std::string key) {
  RangeRequest request;
  request.key = std::move(key);
  return request;
}

RangeRequest RangeRequest::of_prefix(std::string prefix) {
  RangeRequest request;
  request.range_end = prefix_range_end(prefix);
  request.key = std::move(prefix);
  return request;
}

PutRequest PutRequest::of(std::string key, std::string value, std::int64_t lease) {
  PutRequest request;
  request.key = std::move(key);
  request.value = std::move(value);
  request.lease = lease;
  return request;
}

DeleteRangeRequest DeleteRangeRequest::of_key(std::string key) {
  DeleteRangeRequest request;
  request.key = std::move(key);
  return request;
}

DeleteRangeRequest DeleteRangeRequest::of_prefix(std::string prefix) {
  DeleteRangeRequest request;
  request.range_end = prefix_range_end(prefix);
  request.key = std::move(prefix);
  return request;
}

WatchCreate WatchCreate::of_prefix(std::string prefix, std::int64_t start_revision, bool prev_kv) {
  WatchCreate request;
  request.range_end = prefix_range_end(prefix);
  request.key = std::move(prefix);
  request.start_revision = start_revision;
  request.prev_kv = prev_kv;
  return request;
}

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = end.back();
    if (static_cast<unsigned char>(last) < 0xff) {
      last = static_cast<char>(static_cast<unsigned char>(last) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

std::string encode_range(const RangeRequest& request) {
  return range_json(request).dump();
}

std::string encode_put(const PutRequest& request) {
  return put_json(request).dump();
}

std::string encode_delete_range(const DeleteRangeRequest& request) {
  return delete_json(request).dump();
}

std::string encode_txn(const TxnRequest& request) {
  json out = json::object();
  const auto ops = [](const std::vector<RequestOp>& list) {
    json array = json::array();
    for (const RequestOp& op : list) {
      array.push_back(op_json(op));
    }
    return array;
  };
  if (!request.compare.empty()) {
    json compares = json::array();
    for (const Compare& c : request.compare) {
      compares.push_back(compare_json(c));
    }
    out["compare"] = std::move(compares);
  }
  if (!request.success.empty()) {
    out["success"] = ops(request.success);
  }
  if (!request.failure.empty()) {
    out["failure"] = ops(request.failure);
  }
  return out.dump();
}

std::string encode_compaction(std::int64_t revision, bool physical) {
  json out = {{"revision", std::to_string(revision)}};
  if (physical) {
    out["physical"] = true;
  }
  return out.dump();
}

std::string encode_lease_grant(std::int64_t ttl_seconds, std::int64_t id) {
  json out = {{"TTL", std::to_string(ttl_seconds)}};
  if (id != 0) {
    out["ID"] = std::to_string(id);
  }
  return out.dump();
}

std::string encode_lease_id(std::int64_t id) {
  return json{{"ID", std::to_string(id)}}.dump();
}

std::string encode_authenticate(std::string_view user, std::string_view password) {
  // Invalid UTF-8 must not make dump() throw: replace it (etcd would refuse it anyway).
  return json{{"name", user}, {"password", password}}.dump(-1, ' ', false,
                                                           json::error_handler_t::replace);
}

std::string encode_watch_create(const WatchCreate& request) {
  json create = {{"key", b64(request.key)}};
  if (!request.range_end.empty()) {
    create["range_end"] = b64(request.range_end);
  }
  if (request.start_revision != 0) {
    create["start_revision"] = std::to_string(request.start_revision);
  }
  if (request.prev_kv) {
    create["prev_kv"] = true;
  }
  if (request.progress_notify) {
    create["progress_notify"] = true;
  }
  return json{{"create_request", std::move(create)}}.dump();
}

} // namespace sharectl::store::etcd
