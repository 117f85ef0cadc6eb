// KvStore: serializable read-write transactions over etcd, the engine the etcd Store backend is
// built on (agent/store/etcd/README.md §Transactions).
//   * A transaction reads at one revision R (the head key is read first; every later read
//     passes revision R), so it sees one consistent snapshot; its writes are buffered and it
//     reads its own writes.
//   * Commit is one etcd txn: if the head key <prefix>/meta/head has not moved since R, apply
//     the buffered puts and deletes, set the head to this change's id and write the marker
//     <prefix>/meta/applied/<change id> (under a lease, so markers expire). Every change moves
//     the head, so writers are serialized like the SQL backends' (a reader at R has seen every
//     change up to R) and each change is one etcd revision. A moved head runs the callback
//     again (callbacks must have no side effects outside the transaction).
//   * A commit whose outcome is unknown (etcd's "request timed out", a lost answer) is never
//     resent blindly: the head is fenced (moved by a write of its own, so a late-arriving copy
//     of the txn fails its compare), then the marker tells whether it was applied; if not, the
//     callback runs again. So a change is applied once or not at all.
//   * A change of more than k_max_ops operations is refused (etcd's default limit is 128).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/store/etcd/types.hpp"
#include "common/util/error.hpp"

namespace sharectl::store::etcd {

class EtcdGateway;

// What KvStore needs of etcd (EtcdGateway in the product; tests wrap it to inject failures).
class KvClient {
public:
  virtual ~KvClient() = default;
  virtual Result<RangeResponse> range(const RangeRequest& request) = 0;
  virtual Result<TxnResponse> txn(const TxnRequest& request) = 0;
  virtual Result<LeaseGrantResponse> lease_grant(std::int64_t ttl_seconds) = 0;
};

// A KvClient over a gateway (which must outlive it).
std::unique_ptr<KvClient> gateway_kv_client(EtcdGateway& gateway);

// One transaction's view and buffered writes. Keys are full keys (with the store's prefix).
class KvTx {
public:
  // The revision every read of this transaction is at (in a view: fixed by its first read; 0
  // before it).
  std::int64_t read_revision() const { return m_revision; }
  // The key as of R with this transaction's writes applied; nullopt when absent.
  Result<std::optional<KeyValue>> get(const std::string& key);
  // Every key with this prefix as of R with this transaction's writes applied, by key.
  Result<std::vector<KeyValue>> range(const std::string& prefix);
  // Like range(), but not kept for later reads (each call reads again): for whole-store reads
  // of prefixes that may hold millions of keys. keys_only leaves the values read empty (a
  // buffered put keeps its value).
  Result<std::vector<KeyValue>> range_uncached(const std::string& prefix, bool keys_only = false);
  // range() of each prefix, in order, with one etcd request per 128 prefixes not read before.
  Result<std::vector<std::vector<KeyValue>>> range_many(const std::vector<std::string>& prefixes);
  // Buffers a write of key (its KeyValue reads back with mod_revision 0 until committed).
  void put(const std::string& key, std::string value);
  // Buffers a delete of key.
  void erase(const std::string& key);
  // Buffers a delete of every key with this prefix.
  void erase_prefix(const std::string& prefix);
  // Buffers a bookkeeping write: a put that is not a change (the head does not move for it).
  // A transaction of bookkeeping writes only commits them alone, guarded by guard_key existing
  // (a moved guard runs the callback again); with changes, they commit in the change's txn.
  void put_bookkeeping(const std::string& key, std::string value, const std::string& guard_key);
  // The keys of the given list as of R with this transaction's writes applied (nullopt: absent),
  // in the same order; one etcd request per 128 keys not buffered.
  Result<std::vector<std::optional<KeyValue>>> get_many(const std::vector<std::string>& keys);
  // A raw read at R (request.revision is set to R); buffered writes are not applied, so use it
  // for append-only keys this transaction does not write (time-ordered logs, paging).
  Result<RangeResponse> scan(RangeRequest request);
  // Prefix reads (range, range_uncached) are paged: the first page asks for k_first_page keys,
  // each later one for as many as fill about k_page_bytes at the size of the keys read so far
  // (k_min_page to k_max_page), from just after the last key read and at R, so that no answer
  // nears the HTTP client's 64 MiB response limit (etcd 3.4 has no byte limit of its own).
  static constexpr std::int64_t k_first_page = 1024;
  static constexpr std::int64_t k_min_page = 256;
  static constexpr std::int64_t k_max_page = 65536;
  static constexpr std::size_t k_page_bytes = 8u << 20;
  // Whether anything is buffered.
  bool dirty() const { return !m_writes.empty() || !m_erased_prefixes.empty(); }
  // Whether a change (anything but bookkeeping) is buffered.
  bool changes() const {
    return !m_erased_prefixes.empty() || m_writes.size() > m_bookkeeping.size();
  }
  // The head key as read at R (nullopt before the first change; in a view: not read, nullopt).
  const std::optional<KeyValue>& head() const { return m_head; }
  // The id this transaction's change commits under (its marker key names it).
  const std::string& change_id() const { return m_change_id; }
  // What the commit writes into the head key (default: the change id). The fence after an
  // ambiguous commit rewrites the head's value as it finds it.
  void set_head_value(std::string value) { m_head_value = std::move(value); }

private:
  friend class KvStore;
  KvTx(KvClient& client, std::int64_t revision, std::optional<KeyValue> head, std::string change_id)
      : m_client(client), m_revision(revision), m_head(std::move(head)),
        m_change_id(std::move(change_id)) {}
  bool erased_by_prefix(const std::string& key) const;
  // Every key of request's range at R, in pages (see k_first_page).
  Result<std::vector<KeyValue>> read_pages(RangeRequest request);
  // kvs (every key under prefix at R, by key) with this transaction's writes applied.
  std::vector<KeyValue> with_writes(const std::string& prefix, std::vector<KeyValue> kvs) const;
  // The answers of many range requests, at R, in one read-only txn per 128 (etcd's limit).
  Result<std::vector<std::vector<KeyValue>>> read_batch(std::vector<RangeRequest> requests);
  // Fixes the snapshot at the first read's revision (views start without one).
  void pin(std::int64_t revision) {
    if (m_revision == 0) {
      m_revision = revision;
    }
  }
  // The key at R from what this transaction already read; nullopt when it has not read it.
  std::optional<std::optional<KeyValue>> read_before(const std::string& key) const;
  // The etcd operations of the buffered writes (prefix deletes that cover a buffered put become
  // deletes of the keys they held at R, since etcd refuses a key written twice in one txn).
  Result<std::vector<RequestOp>> operations();

  KvClient& m_client;
  std::int64_t m_revision = 0;
  std::optional<KeyValue> m_head;
  std::string m_change_id;
  std::optional<std::string> m_head_value;
  std::map<std::string, std::optional<std::string>> m_writes; // nullopt: deleted
  std::vector<std::string> m_erased_prefixes;
  std::set<std::string> m_bookkeeping; // keys of m_writes that are bookkeeping puts
  // What this transaction read at R (immutable at a fixed revision): a key read twice, or read
  // after a range that held it, costs one request.
  std::map<std::string, std::optional<KeyValue>> m_read;
  std::map<std::string, std::vector<KeyValue>> m_ranged; // prefix → its keys at R
  std::set<std::string> m_guards; // keys a bookkeeping-only commit requires to exist
};

// Options of a KvStore.
struct KvStoreOptions {
  int max_attempts = 64;                  // callback runs before giving up (unavailable)
  std::int64_t marker_ttl_seconds = 3600; // how long applied-markers live
};

// Transactions over one key prefix of an etcd cluster. Thread-safe.
class KvStore {
public:
  // At most this many operations of a change (etcd's default --max-txn-ops is 128; the head and
  // the marker take two).
  static constexpr std::size_t k_max_ops = 126;

  // Uses client (which must outlive this) for keys under prefix ("/sharectl").
  KvStore(KvClient& client, std::string prefix, KvStoreOptions options = {});

  // Runs fn in a read-write transaction and commits its writes; returns the revision of the
  // commit (0 when fn wrote nothing or only bookkeeping). fn's error aborts without writing. Fails
  // with unavailable (busy) after max_attempts moved heads, bad_request for a change over k_max_ops
  // operations, unavailable when etcd does not answer (also when a commit's outcome could not be
  // decided).
  Result<std::int64_t> transact(const std::function<Status(KvTx&)>& fn);

  // Runs fn on a snapshot, fixed by its first read (its writes are refused with bad_request at
  // the end).
  Status view(const std::function<Status(KvTx&)>& fn);

  // The store revision: the head's mod_revision (0 before the first change).
  Result<std::int64_t> head_revision();

  // Keys the engine owns.
  std::string head_key() const { return m_prefix + "/meta/head"; }
  std::string marker_key(const std::string& change_id) const {
    return m_prefix + "/meta/applied/" + change_id;
  }

private:
  struct Begun {
    std::int64_t revision = 0;
    std::optional<KeyValue> head;
  };
  Result<Begun> begin();
  // Commits the bookkeeping writes of a transaction without changes: true when applied, false
  // when a guard key was gone (run the callback again).
  Result<bool> commit_bookkeeping(KvTx& tx);
  Result<std::int64_t> lease();
  // After an unknown outcome: moves the head, then reads the marker. The commit revision when
  // the change was applied, 0 when it was not.
  Result<std::int64_t> settle(const std::string& change_id);

  KvClient& m_client;
  std::string m_prefix;
  KvStoreOptions m_options;
  std::mutex m_lease_mutex;
  std::int64_t m_lease = 0;
  std::chrono::steady_clock::time_point m_lease_granted{};
};

} // namespace sharectl::store::etcd
