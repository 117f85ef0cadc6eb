// The etcd store under the faults a cluster has (a real 3-member cluster on loopback): the leader
// killed under 8 writers — every acknowledged write is there exactly once, every refused one says
// `unavailable` (503 at the API, never 500) and is absent unless its outcome was unknown; two of
// three members stopped — writes fail `unavailable`, and succeed again through the same store
// object once they are back.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/agent/store/conformance.hpp"
#include "tests/integration/agent/store/etcd_cluster_support.hpp"

using namespace sharectl;
using namespace sharectl::store;

namespace {

std::unique_ptr<Store> open_on(const test::EtcdCluster& cluster, const std::string& prefix) {
  auto opened = open_store("etcd://" + cluster.endpoints() + prefix);
  SHARECTL_REQUIRE_OK(opened);
  return std::move(*opened);
}

} // namespace

TEST_SUITE("store") {

  TEST_CASE("etcd faults: the leader killed under 8 writers loses no acknowledged write and "
            "doubles none") {
    if (!etcd::itest::etcd_available()) {
      return;
    }
    test::EtcdCluster cluster;
    SHARECTL_REQUIRE_OK(cluster.start());
    auto leader = cluster.leader();
    SHARECTL_REQUIRE_OK(leader);
    // The store talks to the leader first: killing it cuts requests in flight (outcome unknown).
    std::string endpoints = cluster.endpoint(*leader);
    for (int i = 0; i < cluster.size(); ++i) {
      if (i != *leader) {
        endpoints += "," + cluster.endpoint(i);
      }
    }
    auto opened = open_store("etcd://" + endpoints + "/faults");
    SHARECTL_REQUIRE_OK(opened);
    auto store = std::move(*opened);
    std::mutex mutex;
    std::vector<std::string> acknowledged;
    std::map<std::string, Error> refused;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          const std::string name = "w" + std::to_string(t) + "-" + std::to_string(i);
          auto made = conformance::create_one(*store, conformance::user_named(name));
          std::lock_guard lock(mutex);
          if (made) {
            acknowledged.push_back(name);
          } else {
            refused.emplace(name, made.error());
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    SHARECTL_REQUIRE_OK(cluster.kill(*leader));
    std::this_thread::sleep_for(std::chrono::seconds(3)); // a new leader is elected meanwhile
    SHARECTL_REQUIRE_OK(cluster.restart(*leader));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
    for (auto& w : writers) {
      w.join();
    }
    CAPTURE(acknowledged.size());
    CAPTURE(refused.size());
    MESSAGE(acknowledged.size() << " writes acknowledged, " << refused.size() << " refused");
    CHECK(acknowledged.size() > 8); // writes went on before and after the election
    auto users = store->view_result([](Tx& tx) { return tx.list<model::User>(); });
    SHARECTL_REQUIRE_OK(users);
    std::map<std::string, int> stored;
    for (const auto& u : *users) {
      ++stored[u.username];
    }
    for (const auto& name : acknowledged) {
      CHECK_MESSAGE(stored[name] == 1, name);
    }
    for (const auto& [name, error] : refused) {
      CAPTURE(name);
      CAPTURE(error.message);
      CHECK(error.code == ErrorCode::unavailable); // 503 at the API, never 500
      if (error.message.find("outcome unknown") == std::string::npos) {
        CHECK(stored[name] == 0); // refused means not applied, unless etcd could not tell
      }
    }
    CHECK(stored.size() == users->size()); // no name twice
    auto rev = store->current_revision();
    SHARECTL_REQUIRE_OK(rev);
    CHECK(static_cast<std::size_t>(*rev) == users->size()); // one revision per applied create
  }

  TEST_CASE("etcd faults: without a quorum writes are unavailable, and resume when it returns") {
    if (!etcd::itest::etcd_available()) {
      return;
    }
    test::EtcdCluster cluster;
    SHARECTL_REQUIRE_OK(cluster.start());
    auto store = open_on(cluster, "/quorum");
    SHARECTL_REQUIRE_OK(conformance::create_one(*store, conformance::user_named("before")));
    SHARECTL_REQUIRE_OK(cluster.stop(1));
    SHARECTL_REQUIRE_OK(cluster.stop(2));
    auto refused = conformance::create_one(*store, conformance::user_named("during"));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::unavailable);
    SHARECTL_REQUIRE_OK(cluster.restart(1));
    SHARECTL_REQUIRE_OK(cluster.restart(2));
    // The same store object writes again: no reopen, no agent restart.
    Result<model::User> after = std::unexpected(Error{ErrorCode::internal, "not tried"});
    etcd::itest::eventually(
        [&] {
          after = conformance::create_one(*store, conformance::user_named("after"));
          return after.has_value() || after.error().code == ErrorCode::conflict;
        },
        "writes resume once the quorum is back");
    auto names = store->view_result([](Tx& tx) { return tx.list<model::User>(); });
    SHARECTL_REQUIRE_OK(names);
    std::set<std::string> seen;
    for (const auto& u : *names) {
      seen.insert(u.username);
    }
    CHECK(seen.contains("before"));
    CHECK(seen.contains("after"));
    CHECK_FALSE(seen.contains("during"));
  }
}

TEST_CASE("etcd maintenance: one agent per round compacts to the revision of the round before, "
          "the change feed and waiters go on") {
  if (!etcd::itest::etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  auto a = open_on(cluster, "/maintenance");
  auto b = open_on(cluster, "/maintenance");
  auto parsed = etcd::parse_etcd_url("etcd://" + cluster.endpoints());
  REQUIRE(parsed.has_value());
  etcd::EtcdGateway gateway(*parsed);

  SHARECTL_REQUIRE_OK(a->maintain()); // round 1: a records where history stands
  const auto recorded = etcd::itest::current_revision(gateway);
  SHARECTL_REQUIRE_OK(b->maintain()); // b lost the round: it only learns the marker
  for (int i = 0; i < 5; ++i) {
    SHARECTL_REQUIRE_OK(
        conformance::create_one(*a, conformance::user_named("u" + std::to_string(i))));
  }
  auto warnings = a->maintain(); // round 2: a compacts to what round 1 recorded
  SHARECTL_REQUIRE_OK(warnings);
  CHECK(warnings->empty()); // a small database: no quota warning
  etcd::RangeRequest old = etcd::RangeRequest::of_key("/maintenance/meta/head");
  old.revision = recorded - 1;
  auto gone = gateway.range(old);
  REQUIRE_FALSE(gone.has_value());
  CHECK(etcd::is_compacted(gone.error()));
  old.revision = recorded; // kept: the compaction stopped there
  CHECK(gateway.range(old).has_value());
  SHARECTL_REQUIRE_OK(b->maintain()); // b finds a's mark of this round: compacts nothing

  // The store's own feed is unaffected, and a waiter still wakes on another agent's write.
  auto feed = a->changes_since(0);
  SHARECTL_REQUIRE_OK(feed);
  CHECK_FALSE(feed->compacted);
  CHECK(feed->changes.size() == 5);
  const auto base = *a->current_revision();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    SHARECTL_CHECK_OK(conformance::create_one(*b, conformance::user_named("late")));
  });
  auto woke = a->wait_for_change(base, std::chrono::seconds(10));
  writer.join();
  SHARECTL_REQUIRE_OK(woke);
  CHECK(*woke == base + 1);
}
