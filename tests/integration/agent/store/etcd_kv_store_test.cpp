// KvStore (agent/store/etcd/kv_store.hpp) on a real 3-member etcd cluster: transactions read one
// snapshot and their own writes, commit as one etcd revision, run again when another writer got
// in first (4 threads counting to 100 lose nothing), refuse a change over etcd's operation limit,
// and — with a client that loses the answer of a commit, before or after etcd applied it — apply
// the change exactly once; a prefix larger than a page is read in pages at one snapshot.
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/core.h>

#include "agent/store/etcd/kv_store.hpp"
#include "tests/integration/agent/store/etcd_cluster_support.hpp"

using namespace sharectl;
using namespace sharectl::store::etcd;
using namespace sharectl::store::etcd::itest;

namespace {

// The value of key as KvStore sees it now ("" when absent).
std::string value_of(KvStore& store, const std::string& key) {
  std::string out;
  SHARECTL_REQUIRE_OK(store.view([&](KvTx& tx) -> Status {
    auto kv = tx.get(key);
    if (!kv) {
      return std::unexpected(kv.error());
    }
    out = *kv ? (*kv)->value : "";
    return {};
  }));
  return out;
}

// Commits fn; REQUIREs success.
void commit(KvStore& store, const std::function<Status(KvTx&)>& fn) {
  auto done = store.transact(fn);
  REQUIRE_MESSAGE(done.has_value(), test::error_text(done));
}

// A client whose next commit (a txn with a compare) loses its answer: sent to etcd first
// (`applied`) or not at all; either way the caller hears "outcome unknown".
class LosingClient final : public KvClient {
public:
  explicit LosingClient(KvClient& real) : m_real(real) {}
  bool lose_next = false;
  bool send_before_losing = false;
  int commits_sent = 0;

  Result<RangeResponse> range(const RangeRequest& request) override {
    return m_real.range(request);
  }
  Result<TxnResponse> txn(const TxnRequest& request) override {
    // A commit writes a marker (a fence compares the head too, but writes none).
    const bool commit = std::ranges::any_of(request.success, [](const RequestOp& op) {
      const auto* put = std::get_if<PutRequest>(&op);
      return put != nullptr && put->key.find("/meta/applied/") != std::string::npos;
    });
    if (commit && lose_next) {
      lose_next = false;
      if (send_before_losing) {
        ++commits_sent;
        auto sent = m_real.txn(request);
        REQUIRE_MESSAGE(sent.has_value(), test::error_text(sent));
      }
      return fail(ErrorCode::unavailable, "outcome unknown: etcd: request timed out (test)");
    }
    commits_sent += commit ? 1 : 0;
    return m_real.txn(request);
  }
  Result<LeaseGrantResponse> lease_grant(std::int64_t ttl_seconds) override {
    return m_real.lease_grant(ttl_seconds);
  }

private:
  KvClient& m_real;
};

// A client that counts the paged range requests (those with a limit) and runs a hook once the
// first page has been answered.
class PagingClient final : public KvClient {
public:
  explicit PagingClient(KvClient& real) : m_real(real) {}
  int pages = 0;
  std::function<void()> after_first_page;

  Result<RangeResponse> range(const RangeRequest& request) override {
    auto read = m_real.range(request);
    if (request.limit > 0 && ++pages == 1 && after_first_page) {
      after_first_page();
    }
    return read;
  }
  Result<TxnResponse> txn(const TxnRequest& request) override { return m_real.txn(request); }
  Result<LeaseGrantResponse> lease_grant(std::int64_t ttl_seconds) override {
    return m_real.lease_grant(ttl_seconds);
  }

private:
  KvClient& m_real;
};

// A cluster and the gateway to it.
struct Etcd {
  test::EtcdCluster cluster;
  std::unique_ptr<EtcdGateway> gateway;
  std::unique_ptr<KvClient> client;
  Etcd() {
    SHARECTL_REQUIRE_OK(cluster.start());
    gateway = std::make_unique<EtcdGateway>(url_of(cluster));
    client = gateway_kv_client(*gateway);
  }
};

} // namespace

TEST_CASE("etcd kv store: snapshot reads, own writes, prefix deletes, one revision per change") {
  if (!etcd_available()) {
    return;
  }
  Etcd etcd;
  EtcdGateway& gateway = *etcd.gateway;
  KvStore store(*etcd.client, "/kv");

  auto first = store.transact([](KvTx& tx) -> Status {
    tx.put("/kv/a/1", "one");
    tx.put("/kv/a/2", "two");
    tx.put("/kv/b", "bee");
    return {};
  });
  REQUIRE_MESSAGE(first.has_value(), test::error_text(first));
  auto head = store.head_revision();
  REQUIRE(head.has_value());
  CHECK(*head == *first); // the whole change is one revision, and it is the store's revision

  auto second = store.transact([](KvTx& tx) -> Status {
    tx.erase("/kv/a/1");
    tx.put("/kv/a/3", "three");
    auto listed = tx.range("/kv/a/");
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == 2);
    CHECK((*listed)[0].key == "/kv/a/2");
    CHECK((*listed)[1].value == "three"); // its own write
    tx.erase_prefix("/kv/a/");
    tx.put("/kv/a/9", "nine"); // a put under an erased prefix: etcd gets single deletes
    auto after = tx.range("/kv/a/");
    REQUIRE(after.has_value());
    CHECK(after->size() == 1);
    return {};
  });
  REQUIRE_MESSAGE(second.has_value(), test::error_text(second));
  CHECK(*second > *first);
  auto held = gateway.range(RangeRequest::of_prefix("/kv/a/"));
  REQUIRE(held.has_value());
  REQUIRE(held->kvs.size() == 1);
  CHECK(held->kvs[0].key == "/kv/a/9");
  CHECK(held->kvs[0].mod_revision == *second);

  // A view is one snapshot, fixed by its first read: a write landing meanwhile is not seen by
  // its later reads, of that key or of any other.
  const std::string nine = held->kvs[0].value;
  SHARECTL_REQUIRE_OK(store.view([&](KvTx& tx) -> Status {
    auto before = tx.get("/kv/b");
    REQUIRE(before.has_value());
    put(gateway, "/kv/b", "changed");
    put(gateway, "/kv/a/9", "changed too");
    auto again = tx.get("/kv/b");
    REQUIRE(again.has_value());
    CHECK((*again)->value == "bee");
    auto other = tx.get("/kv/a/9"); // never read before in this view
    REQUIRE(other.has_value());
    REQUIRE(other->has_value());
    CHECK((*other)->value == nine);
    auto listed = tx.range("/kv/a/");
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().value == nine);
    return {};
  }));
  CHECK(value_of(store, "/kv/b") == "changed");

  // An error in the callback writes nothing; a whole prefix goes in one operation.
  auto refused = store.transact([](KvTx& tx) -> Status {
    tx.put("/kv/b", "never");
    return fail(ErrorCode::conflict, "no");
  });
  CHECK_FALSE(refused.has_value());
  CHECK(value_of(store, "/kv/b") == "changed");
  auto many = store.transact([](KvTx& tx) -> Status {
    for (int i = 0; i < 500; ++i) {
      tx.put("/kv/m/" + std::to_string(1000 + i), "x");
    }
    return {};
  });
  CHECK_FALSE(many.has_value()); // 500 puts: over etcd's default limit, refused before sending
  CHECK(many.error().code == ErrorCode::bad_request);
  for (int batch = 0; batch < 5; ++batch) {
    commit(store, [&](KvTx& tx) -> Status {
      for (int i = 0; i < 100; ++i) {
        tx.put(fmt::format("/kv/m/{}-{}", batch, i), "x");
      }
      return {};
    });
  }
  commit(store, [](KvTx& tx) -> Status {
    tx.erase_prefix("/kv/m/"); // 500 keys, one operation
    return {};
  });
  auto left = gateway.range(RangeRequest::of_prefix("/kv/m/"));
  REQUIRE(left.has_value());
  CHECK(left->kvs.empty());
}

TEST_CASE("etcd kv store: concurrent writers are serialized and none is lost") {
  if (!etcd_available()) {
    return;
  }
  Etcd etcd;
  KvStore store(*etcd.client, "/kv");
  std::mutex mutex;
  std::set<std::int64_t> revisions;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto done = store.transact([](KvTx& tx) -> Status {
          auto kv = tx.get("/kv/counter");
          if (!kv) {
            return std::unexpected(kv.error());
          }
          const int n = *kv ? std::stoi((*kv)->value) : 0;
          tx.put("/kv/counter", std::to_string(n + 1));
          return {};
        });
        if (!done) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mutex);
        revisions.insert(*done);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(failures == 0);
  CHECK(value_of(store, "/kv/counter") == "100");
  CHECK(revisions.size() == 100); // every change its own revision
}

TEST_CASE("etcd kv store: a commit whose answer is lost is applied exactly once") {
  if (!etcd_available()) {
    return;
  }
  Etcd etcd;
  EtcdGateway& gateway = *etcd.gateway;
  LosingClient client(*etcd.client);
  KvStore store(client, "/kv");
  int runs = 0;
  const auto increment = [&](KvTx& tx) -> Status {
    ++runs;
    auto kv = tx.get("/kv/n");
    if (!kv) {
      return std::unexpected(kv.error());
    }
    tx.put("/kv/n", std::to_string((*kv ? std::stoi((*kv)->value) : 0) + 1));
    return {};
  };

  SUBCASE("applied by etcd, answer lost: not applied again") {
    client.lose_next = true;
    client.send_before_losing = true;
    auto done = store.transact(increment);
    REQUIRE_MESSAGE(done.has_value(), test::error_text(done));
    CHECK(value_of(store, "/kv/n") == "1");
    CHECK(runs == 1);
    CHECK(client.commits_sent == 1);
    auto marker = gateway.range(RangeRequest::of_prefix("/kv/meta/applied/"));
    REQUIRE(marker.has_value());
    REQUIRE(marker->kvs.size() == 1);
    CHECK(*done == marker->kvs[0].mod_revision);
    CHECK(marker->kvs[0].lease != 0); // markers expire
  }
  SUBCASE("never reached etcd: run again, applied once") {
    client.lose_next = true;
    client.send_before_losing = false;
    auto done = store.transact(increment);
    REQUIRE_MESSAGE(done.has_value(), test::error_text(done));
    CHECK(value_of(store, "/kv/n") == "1");
    CHECK(runs == 2);
    CHECK(client.commits_sent == 1);
  }
}

TEST_CASE("etcd kv store: a large prefix is read in pages, all at one snapshot") {
  if (!etcd_available()) {
    return;
  }
  Etcd etcd;
  EtcdGateway& gateway = *etcd.gateway;
  KvStore writer(*etcd.client, "/kv");
  const int n = static_cast<int>(KvTx::k_first_page) + 500;
  const auto key = [](int i) { return fmt::format("/kv/p/{:05}", i); };
  for (int first = 0; first < n; first += 100) {
    commit(writer, [&](KvTx& tx) -> Status {
      for (int i = first; i < std::min(n, first + 100); ++i) {
        tx.put(key(i), std::string(40, 'v'));
      }
      return {};
    });
  }
  PagingClient client(*etcd.client);
  KvStore store(client, "/kv");
  // Between the pages, a key is added after every key read so far and the last one is deleted:
  // the later pages read at the first one's revision and see neither change.
  client.after_first_page = [&] {
    put(gateway, key(n), "late");
    auto gone = gateway.delete_range(DeleteRangeRequest::of_key(key(n - 1)));
    REQUIRE_MESSAGE(gone.has_value(), test::error_text(gone));
  };
  SHARECTL_REQUIRE_OK(store.view([&](KvTx& tx) -> Status {
    auto all = tx.range_uncached("/kv/p/");
    REQUIRE_MESSAGE(all.has_value(), test::error_text(all));
    REQUIRE(all->size() == static_cast<std::size_t>(n));
    CHECK(all->front().key == key(0));
    CHECK(all->back().key == key(n - 1));
    CHECK(all->back().value == std::string(40, 'v'));
    CHECK(std::ranges::is_sorted(*all, {}, &KeyValue::key));
    CHECK(std::ranges::adjacent_find(*all, {}, &KeyValue::key) == all->end());
    return {};
  }));
  CHECK(client.pages == 2);

  // range() pages likewise and applies the transaction's own writes; keys only leaves values out.
  client.pages = 0;
  client.after_first_page = nullptr;
  commit(store, [&](KvTx& tx) -> Status {
    tx.erase(key(0));
    tx.put("/kv/p/99999", "own");
    auto all = tx.range("/kv/p/");
    REQUIRE_MESSAGE(all.has_value(), test::error_text(all));
    REQUIRE(all->size() == static_cast<std::size_t>(n)); // 1 … n-2, n, and its own write
    CHECK(all->front().key == key(1));
    CHECK((*all)[all->size() - 2].value == "late");
    CHECK(all->back().value == "own");
    auto keys = tx.range_uncached("/kv/p/", true);
    REQUIRE_MESSAGE(keys.has_value(), test::error_text(keys));
    CHECK(keys->size() == all->size()); // from what range() read (no second read)
    return {};
  });
  CHECK(client.pages == 2);
  SHARECTL_REQUIRE_OK(store.view([&](KvTx& tx) -> Status {
    auto keys = tx.range_uncached("/kv/p/", true);
    REQUIRE_MESSAGE(keys.has_value(), test::error_text(keys));
    REQUIRE(keys->size() == static_cast<std::size_t>(n));
    CHECK(keys->front().value.empty());
    CHECK(keys->front().key == key(1));
    return {};
  }));
}
