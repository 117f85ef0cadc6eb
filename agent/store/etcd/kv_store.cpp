// Serializable transactions over etcd; see kv_store.hpp.
#include "agent/store/etcd/kv_store.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/core.h>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/errors.hpp"
#include "agent/store/etcd/gateway.hpp"
#include "common/util/random.hpp"

namespace sharectl::store::etcd {

namespace {

class GatewayKvClient final : public KvClient {
public:
  explicit GatewayKvClient(EtcdGateway& gateway) : m_gateway(gateway) {}
  Result<RangeResponse> range(const RangeRequest& request) override {
    return m_gateway.range(request);
  }
  Result<TxnResponse> txn(const TxnRequest& request) override { return m_gateway.txn(request); }
  Result<LeaseGrantResponse> lease_grant(std::int64_t ttl_seconds) override {
    return m_gateway.lease_grant(ttl_seconds);
  }

private:
  EtcdGateway& m_gateway;
};

bool has_prefix(const std::string& key, const std::string& prefix) {
  return key.compare(0, prefix.size(), prefix) == 0;
}

// How many times a fence is tried before the outcome is given up as unknown.
constexpr int k_fence_attempts = 5;

} // namespace

std::unique_ptr<KvClient> gateway_kv_client(EtcdGateway& gateway) {
  return std::make_unique<GatewayKvClient>(gateway);
}

bool KvTx::erased_by_prefix(const std::string& key) const {
  return std::ranges::any_of(m_erased_prefixes,
                             [&](const std::string& prefix) { return has_prefix(key, prefix); });
}

std::optional<std::optional<KeyValue>> KvTx::read_before(const std::string& key) const {
  if (const auto it = m_read.find(key); it != m_read.end()) {
    return it->second;
  }
  for (const auto& [prefix, kvs] : m_ranged) {
    if (has_prefix(key, prefix)) {
      const auto at = std::ranges::lower_bound(kvs, key, {}, &KeyValue::key);
      return at != kvs.end() && at->key == key ? std::optional<KeyValue>(*at)
                                               : std::optional<KeyValue>();
    }
  }
  return std::nullopt;
}

Result<std::optional<KeyValue>> KvTx::get(const std::string& key) {
  if (auto it = m_writes.find(key); it != m_writes.end()) {
    if (!it->second) {
      return std::optional<KeyValue>();
    }
    KeyValue kv;
    kv.key = key;
    kv.value = *it->second;
    return std::optional<KeyValue>(std::move(kv));
  }
  if (erased_by_prefix(key)) {
    return std::optional<KeyValue>();
  }
  if (auto known = read_before(key)) {
    return *known;
  }
  RangeRequest request = RangeRequest::of_key(key);
  request.revision = m_revision; // 0 in a view before its first read: latest
  auto read = m_client.range(request);
  if (!read) {
    return std::unexpected(read.error());
  }
  pin(read->header.revision);
  std::optional<KeyValue> found;
  if (!read->kvs.empty()) {
    found = std::move(read->kvs.front());
  }
  m_read[key] = found;
  return found;
}

Result<std::vector<KeyValue>> KvTx::read_pages(RangeRequest request) {
  // What a key costs in the gateway's JSON beyond its bytes (base64 adds a third; revisions,
  // version, lease and field names about a hundred bytes).
  constexpr std::size_t k_overhead = 128;
  std::vector<KeyValue> out;
  std::size_t bytes = 0;
  request.limit = k_first_page;
  for (;;) {
    request.revision = m_revision; // 0 in a view before its first read: latest, then pinned
    auto read = m_client.range(request);
    if (!read) {
      return std::unexpected(read.error());
    }
    pin(read->header.revision);
    for (auto& kv : read->kvs) {
      bytes += (kv.key.size() + kv.value.size()) * 4 / 3 + k_overhead;
      out.push_back(std::move(kv));
    }
    if (!read->more || read->kvs.empty()) {
      return out; // sorted by key
    }
    request.key = out.back().key + '\0'; // the next page starts just after the last key
    const auto per_key = static_cast<std::int64_t>(std::max<std::size_t>(1, bytes / out.size()));
    request.limit =
        std::clamp(static_cast<std::int64_t>(k_page_bytes) / per_key, k_min_page, k_max_page);
  }
}

std::vector<KeyValue> KvTx::with_writes(const std::string& prefix,
                                        std::vector<KeyValue> kvs) const {
  const auto first_write = m_writes.lower_bound(prefix);
  const bool writes = first_write != m_writes.end() && has_prefix(first_write->first, prefix);
  if (!writes && m_erased_prefixes.empty()) {
    return kvs;
  }
  std::map<std::string, KeyValue> merged;
  for (auto& kv : kvs) {
    if (!erased_by_prefix(kv.key)) {
      std::string key = kv.key;
      merged.emplace(std::move(key), std::move(kv));
    }
  }
  for (auto it = first_write; it != m_writes.end() && has_prefix(it->first, prefix); ++it) {
    if (!it->second) {
      merged.erase(it->first);
      continue;
    }
    KeyValue kv;
    kv.key = it->first;
    kv.value = *it->second;
    merged[it->first] = std::move(kv);
  }
  std::vector<KeyValue> out;
  out.reserve(merged.size());
  for (auto& [key, kv] : merged) {
    out.push_back(std::move(kv));
  }
  return out;
}

Result<std::vector<KeyValue>> KvTx::range(const std::string& prefix) {
  auto cached = m_ranged.find(prefix);
  if (cached == m_ranged.end()) {
    auto read = read_pages(RangeRequest::of_prefix(prefix));
    if (!read) {
      return std::unexpected(read.error());
    }
    cached = m_ranged.emplace(prefix, std::move(*read)).first;
  }
  return with_writes(prefix, cached->second);
}

Result<std::vector<KeyValue>> KvTx::range_uncached(const std::string& prefix, bool keys_only) {
  if (const auto cached = m_ranged.find(prefix); cached != m_ranged.end()) {
    return with_writes(prefix, cached->second);
  }
  RangeRequest request = RangeRequest::of_prefix(prefix);
  request.keys_only = keys_only;
  auto read = read_pages(std::move(request));
  if (!read) {
    return std::unexpected(read.error());
  }
  return with_writes(prefix, std::move(*read));
}

Result<std::vector<std::vector<KeyValue>>> KvTx::read_batch(std::vector<RangeRequest> requests) {
  std::vector<std::vector<KeyValue>> out;
  out.reserve(requests.size());
  constexpr std::size_t k_batch = 128; // etcd's default --max-txn-ops
  for (std::size_t first = 0; first < requests.size(); first += k_batch) {
    const std::size_t last = std::min(requests.size(), first + k_batch);
    TxnRequest batch;
    for (std::size_t j = first; j < last; ++j) {
      requests[j].revision = m_revision;
      batch.success.emplace_back(std::move(requests[j]));
    }
    auto read = m_client.txn(batch);
    if (!read) {
      return std::unexpected(read.error());
    }
    pin(read->header.revision);
    if (read->responses.size() != last - first) {
      return fail(ErrorCode::internal, "etcd answered a batch of reads with the wrong count");
    }
    for (auto& response : read->responses) {
      auto* range = std::get_if<RangeResponse>(&response);
      out.push_back(range != nullptr ? std::move(range->kvs) : std::vector<KeyValue>{});
    }
  }
  return out;
}

Result<std::vector<std::vector<KeyValue>>>
KvTx::range_many(const std::vector<std::string>& prefixes) {
  std::vector<std::string> unread;
  for (const auto& prefix : prefixes) {
    if (!m_ranged.contains(prefix) && std::ranges::find(unread, prefix) == unread.end()) {
      unread.push_back(prefix);
    }
  }
  if (unread.size() > 1) { // one prefix alone: range() reads it
    std::vector<RangeRequest> requests;
    for (const auto& prefix : unread) {
      requests.push_back(RangeRequest::of_prefix(prefix));
    }
    auto read = read_batch(std::move(requests));
    if (!read) {
      return std::unexpected(read.error());
    }
    for (std::size_t j = 0; j < unread.size(); ++j) {
      m_ranged[unread[j]] = std::move((*read)[j]);
    }
  }
  std::vector<std::vector<KeyValue>> out;
  out.reserve(prefixes.size());
  for (const auto& prefix : prefixes) {
    auto listed = range(prefix); // from what was just read, with this transaction's writes
    if (!listed) {
      return std::unexpected(listed.error());
    }
    out.push_back(std::move(*listed));
  }
  return out;
}

void KvTx::put(const std::string& key, std::string value) {
  m_writes[key] = std::move(value);
  m_bookkeeping.erase(key);
}

void KvTx::erase(const std::string& key) {
  m_writes[key] = std::nullopt;
  m_bookkeeping.erase(key);
}

void KvTx::put_bookkeeping(const std::string& key, std::string value,
                           const std::string& guard_key) {
  const auto it = m_writes.find(key);
  if (it == m_writes.end() || m_bookkeeping.contains(key)) {
    m_bookkeeping.insert(key); // a key this change already writes stays a change
  }
  m_writes[key] = std::move(value);
  m_guards.insert(guard_key);
}

Result<std::vector<std::optional<KeyValue>>> KvTx::get_many(const std::vector<std::string>& keys) {
  std::vector<std::optional<KeyValue>> out(keys.size());
  std::vector<std::size_t> remote; // positions to read from etcd
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto it = m_writes.find(keys[i]);
    if (it != m_writes.end()) {
      if (it->second) {
        KeyValue kv;
        kv.key = keys[i];
        kv.value = *it->second;
        out[i] = std::move(kv);
      }
    } else if (erased_by_prefix(keys[i])) {
      continue;
    } else if (auto known = read_before(keys[i])) {
      out[i] = *known;
    } else {
      remote.push_back(i);
    }
  }
  if (remote.size() == 1) {
    auto read = get(keys[remote.front()]); // one key: a plain range
    if (!read) {
      return std::unexpected(read.error());
    }
    out[remote.front()] = std::move(*read);
  } else if (remote.size() > 1) {
    std::vector<RangeRequest> requests;
    for (const auto i : remote) {
      requests.push_back(RangeRequest::of_key(keys[i]));
    }
    auto read = read_batch(std::move(requests));
    if (!read) {
      return std::unexpected(read.error());
    }
    for (std::size_t j = 0; j < remote.size(); ++j) {
      if (!(*read)[j].empty()) {
        out[remote[j]] = std::move((*read)[j].front());
      }
      m_read[keys[remote[j]]] = out[remote[j]];
    }
  }
  return out;
}

Result<RangeResponse> KvTx::scan(RangeRequest request) {
  request.revision = m_revision; // 0 in a view before its first read: latest
  auto read = m_client.range(request);
  if (read) {
    pin(read->header.revision);
  }
  return read;
}

void KvTx::erase_prefix(const std::string& prefix) {
  for (auto it = m_writes.lower_bound(prefix);
       it != m_writes.end() && has_prefix(it->first, prefix);) {
    it = m_writes.erase(it);
  }
  m_erased_prefixes.push_back(prefix);
}

Result<std::vector<RequestOp>> KvTx::operations() {
  std::vector<RequestOp> ops;
  std::vector<std::string> single_deletes;
  for (const auto& prefix : m_erased_prefixes) {
    const auto first = m_writes.lower_bound(prefix);
    const bool covers_a_write = first != m_writes.end() && has_prefix(first->first, prefix);
    if (!covers_a_write) {
      ops.emplace_back(DeleteRangeRequest::of_prefix(prefix));
      continue;
    }
    // A put under the prefix: delete what the prefix held at R key by key instead (the head
    // compare guarantees nothing was added since R).
    RangeRequest request = RangeRequest::of_prefix(prefix);
    request.revision = m_revision; // 0 in a view before its first read: latest
    request.keys_only = true;
    auto held = m_client.range(request);
    if (!held) {
      return std::unexpected(held.error());
    }
    for (const auto& kv : held->kvs) {
      if (!m_writes.contains(kv.key)) {
        single_deletes.push_back(kv.key);
      }
    }
  }
  std::ranges::sort(single_deletes);
  const auto last = std::ranges::unique(single_deletes).begin();
  single_deletes.erase(last, single_deletes.end());
  for (auto& key : single_deletes) {
    ops.emplace_back(DeleteRangeRequest::of_key(std::move(key)));
  }
  for (const auto& [key, value] : m_writes) {
    if (value) {
      ops.emplace_back(PutRequest::of(key, *value));
    } else {
      ops.emplace_back(DeleteRangeRequest::of_key(key));
    }
  }
  return ops;
}

KvStore::KvStore(KvClient& client, std::string prefix, KvStoreOptions options)
    : m_client(client), m_prefix(std::move(prefix)), m_options(options) {}

Result<KvStore::Begun> KvStore::begin() {
  auto head = m_client.range(RangeRequest::of_key(head_key()));
  if (!head) {
    return std::unexpected(head.error());
  }
  Begun begun;
  begun.revision = head->header.revision;
  if (!head->kvs.empty()) {
    begun.head = std::move(head->kvs.front());
  }
  return begun;
}

Result<bool> KvStore::commit_bookkeeping(KvTx& tx) {
  TxnRequest request;
  for (const auto& guard : tx.m_guards) {
    request.compare.push_back(Compare::create(guard, CompareResult::greater, 0));
  }
  for (const auto& key : tx.m_bookkeeping) {
    if (const auto& value = tx.m_writes.at(key)) {
      request.success.emplace_back(PutRequest::of(key, *value));
    }
  }
  if (request.success.size() > k_max_ops + 2 || request.compare.size() > k_max_ops + 2) {
    return fail(ErrorCode::bad_request, "too many bookkeeping writes for one etcd transaction");
  }
  auto done = m_client.txn(request);
  if (!done) {
    return std::unexpected(done.error());
  }
  return done->succeeded;
}

Result<std::int64_t> KvStore::head_revision() {
  auto head = m_client.range(RangeRequest::of_key(head_key()));
  if (!head) {
    return std::unexpected(head.error());
  }
  return head->kvs.empty() ? 0 : head->kvs.front().mod_revision;
}

Result<std::int64_t> KvStore::lease() {
  std::lock_guard lock(m_lease_mutex);
  const auto now = std::chrono::steady_clock::now();
  const auto half = std::chrono::seconds(m_options.marker_ttl_seconds / 2);
  if (m_lease != 0 && now - m_lease_granted < half) {
    return m_lease;
  }
  auto granted = m_client.lease_grant(m_options.marker_ttl_seconds);
  if (!granted) {
    return std::unexpected(granted.error());
  }
  m_lease = granted->id;
  m_lease_granted = now;
  return m_lease;
}

Status KvStore::view(const std::function<Status(KvTx&)>& fn) {
  // No head read: the first read fixes the snapshot (every later one is at its revision).
  KvTx tx(m_client, 0, std::nullopt, "");
  if (auto st = fn(tx); !st) {
    return st;
  }
  if (tx.dirty()) {
    return fail(ErrorCode::bad_request, "a read-only transaction wrote to the store");
  }
  return {};
}

Result<std::int64_t> KvStore::settle(const std::string& change_id) {
  // Move the head: a copy of the txn still in flight now fails its compare. The head keeps
  // the value it has (a backend may keep its own counter there); the put is guarded by the
  // head's mod_revision so that it never undoes a change committed meanwhile (which moved the
  // head anyway, and so fenced as well).
  Status fenced = fail(ErrorCode::unavailable, "not fenced");
  for (int i = 0; i < k_fence_attempts && !fenced; ++i) {
    auto head = m_client.range(RangeRequest::of_key(head_key()));
    if (!head) {
      fenced = std::unexpected(head.error());
      continue;
    }
    TxnRequest fence;
    const std::int64_t mod = head->kvs.empty() ? 0 : head->kvs.front().mod_revision;
    fence.compare.push_back(Compare::mod(head_key(), CompareResult::equal, mod));
    fence.success.emplace_back(
        PutRequest::of(head_key(), head->kvs.empty() ? std::string() : head->kvs.front().value));
    auto done = m_client.txn(fence);
    fenced = done ? Status{} : Status(std::unexpected(done.error()));
  }
  if (!fenced) {
    return fail(ErrorCode::unavailable, std::string(k_outcome_unknown) +
                                            ": a change may or may not have been applied, "
                                            "and etcd did not answer to decide (" +
                                            fenced.error().message + ")");
  }
  auto marker = m_client.range(RangeRequest::of_key(marker_key(change_id)));
  if (!marker) {
    return std::unexpected(marker.error());
  }
  return marker->kvs.empty() ? 0 : marker->kvs.front().mod_revision;
}

Result<std::int64_t> KvStore::transact(const std::function<Status(KvTx&)>& fn) {
  for (int attempt = 0; attempt < m_options.max_attempts; ++attempt) {
    auto begun = begin();
    if (!begun) {
      return std::unexpected(begun.error());
    }
    const std::int64_t read_at = begun->revision;
    KvTx tx(m_client, begun->revision, std::move(begun->head), uuid_v4());
    if (auto st = fn(tx); !st) {
      return std::unexpected(st.error());
    }
    if (!tx.dirty()) {
      return 0;
    }
    if (!tx.changes()) {
      auto applied = commit_bookkeeping(tx);
      if (!applied) {
        return std::unexpected(applied.error());
      }
      if (*applied) {
        return 0;
      }
      continue; // a guard key went away: run again (the callback will see it gone)
    }
    auto ops = tx.operations();
    if (!ops) {
      return std::unexpected(ops.error());
    }
    if (ops->size() > k_max_ops) {
      return fail(ErrorCode::bad_request,
                  fmt::format("the change needs {} etcd operations; at most {} fit one "
                              "transaction",
                              ops->size(), k_max_ops));
    }
    auto lease_id = lease();
    if (!lease_id) {
      return std::unexpected(lease_id.error());
    }
    const std::string& change_id = tx.change_id();
    TxnRequest request;
    request.compare.push_back(Compare::mod(head_key(), CompareResult::less, read_at + 1));
    request.success = std::move(*ops);
    request.success.emplace_back(PutRequest::of(head_key(), tx.m_head_value.value_or(change_id)));
    request.success.emplace_back(PutRequest::of(marker_key(change_id), "", *lease_id));
    auto committed = m_client.txn(request);
    if (committed) {
      if (committed->succeeded) {
        return committed->header.revision;
      }
      continue; // the head moved since R: run again on a fresh snapshot
    }
    if (!is_outcome_unknown(committed.error())) {
      return std::unexpected(committed.error());
    }
    auto settled = settle(change_id);
    if (!settled) {
      return std::unexpected(settled.error());
    }
    if (*settled != 0) {
      return *settled; // it was applied: never twice
    }
  }
  // Busy rather than a conflict of the caller's making (the SQL backends' "busy" likewise).
  return fail(ErrorCode::unavailable,
              fmt::format("the store is busy: it changed under this transaction {} times in a "
                          "row; try again",
                          m_options.max_attempts));
}

} // namespace sharectl::store::etcd
