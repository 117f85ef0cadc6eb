// EtcdWatch against a real 3-member etcd 3.4 cluster: events in order with prev_kv, a watch
// from a compacted revision, surviving the loss of its member (and an expired token on the way
// back) without losing or repeating events, and stop() on an idle watch.
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/watch.hpp"
#include "tests/integration/agent/store/etcd_cluster_support.hpp"

namespace sharectl::store::etcd {

using namespace itest;

namespace {

// Records notices; the test waits on conditions over them.
class Recorder {
public:
  void operator()(const WatchNotice& notice) {
    std::lock_guard lock(m_mutex);
    m_notices.push_back(notice);
  }
  std::vector<WatchNotice> notices() {
    std::lock_guard lock(m_mutex);
    return m_notices;
  }
  // Every event delivered so far, in order.
  std::vector<Event> events() {
    std::vector<Event> out;
    for (const WatchNotice& notice : notices()) {
      out.insert(out.end(), notice.events.begin(), notice.events.end());
    }
    return out;
  }
  bool saw(WatchNotice::Kind kind) {
    for (const WatchNotice& notice : notices()) {
      if (notice.kind == kind) {
        return true;
      }
    }
    return false;
  }

private:
  std::mutex m_mutex;
  std::vector<WatchNotice> m_notices;
};

// The keys and values of events as "PUT key=value" / "DELETE key".
std::vector<std::string> describe(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& event : events) {
    out.push_back(event.type == EventType::put ? "PUT " + event.kv.key + "=" + event.kv.value
                                               : "DELETE " + event.kv.key);
  }
  return out;
}

} // namespace

TEST_CASE("etcd watch on a cluster: puts and deletes arrive in order with prev_kv") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  put(gateway, "/other/x", "not watched");
  const std::int64_t start = current_revision(gateway) + 1;
  Recorder recorder;
  EtcdWatch watch(gateway, WatchCreate::of_prefix("/w/", start, true), std::ref(recorder));

  put(gateway, "/w/a", "1");
  put(gateway, "/w/b", "2");
  put(gateway, "/other/y", "not watched");
  put(gateway, "/w/a", "3");
  SHARECTL_REQUIRE_OK(gateway.delete_range(DeleteRangeRequest::of_key("/w/a")));
  TxnRequest txn; // two events at one revision
  txn.success = {PutRequest::of("/w/c", "4"), DeleteRangeRequest::of_key("/w/b")};
  auto both = gateway.txn(txn);
  SHARECTL_REQUIRE_OK(both);

  eventually([&] { return recorder.events().size() >= 6; }, "the watch missed events");
  const std::vector<Event> events = recorder.events();
  CHECK(describe(events) == std::vector<std::string>{"PUT /w/a=1", "PUT /w/b=2", "PUT /w/a=3",
                                                     "DELETE /w/a", "PUT /w/c=4", "DELETE /w/b"});
  REQUIRE(events.size() == 6);
  CHECK(events[0].kv.version == 1);
  CHECK_FALSE(events[0].prev_kv.has_value());
  REQUIRE(events[2].prev_kv.has_value());
  CHECK(events[2].prev_kv->value == "1");
  REQUIRE(events[3].prev_kv.has_value());
  CHECK(events[3].prev_kv->value == "3");
  CHECK(events[3].kv.value.empty());
  CHECK(events[4].kv.mod_revision == both->header.revision);
  CHECK(events[5].kv.mod_revision == both->header.revision);
  for (std::size_t i = 1; i < events.size(); ++i) {
    CHECK(events[i].kv.mod_revision >= events[i - 1].kv.mod_revision);
  }
  // The txn's two events came in one notice (how other events are batched depends on timing:
  // a watch catching up from a past revision gets them all at once).
  int notices_with_txn_events = 0;
  for (const WatchNotice& notice : recorder.notices()) {
    int at_txn = 0;
    for (const Event& event : notice.events) {
      at_txn += event.kv.mod_revision == both->header.revision ? 1 : 0;
    }
    CHECK((at_txn == 0 || at_txn == 2));
    notices_with_txn_events += at_txn == 2 ? 1 : 0;
  }
  CHECK(notices_with_txn_events == 1);
  CHECK(watch.next_revision() == both->header.revision + 1);
  CHECK(watch.running());
  watch.stop();
  CHECK_FALSE(watch.running());
  CHECK(watch.streams_opened() == 1);
}

TEST_CASE("etcd watch on a cluster: a watch from a compacted revision reports compacted") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  const std::int64_t first = put(gateway, "/cw/k", "1");
  put(gateway, "/cw/k", "2");
  const std::int64_t third = put(gateway, "/cw/k", "3");
  SHARECTL_REQUIRE_OK(gateway.compact(third));

  Recorder recorder;
  EtcdWatch watch(gateway, WatchCreate::of_prefix("/cw/", first), std::ref(recorder));
  eventually([&] { return !watch.running(); }, "the watch did not end");
  const auto notices = recorder.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].kind == WatchNotice::Kind::compacted);
  CHECK(notices[0].revision == third);

  // From the compact revision itself the history is still there.
  Recorder from_third;
  EtcdWatch ok(gateway, WatchCreate::of_prefix("/cw/", third), std::ref(from_third));
  eventually([&] { return from_third.events().size() == 1; }, "no event from the compact rev");
  CHECK(from_third.events()[0].kv.value == "3");
  CHECK(ok.running());
}

TEST_CASE("etcd watch on a cluster: a watch survives the loss of its member, losing nothing") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  const std::int64_t start = current_revision(gateway) + 1;
  const std::size_t watched = gateway.preferred_endpoint(); // the watch starts there
  Recorder recorder;
  EtcdWatch watch(gateway, WatchCreate::of_prefix("/s/", start), std::ref(recorder));
  put(gateway, "/s/1", "before");
  eventually([&] { return recorder.events().size() == 1; }, "no first event");

  SHARECTL_REQUIRE_OK(cluster.kill(static_cast<int>(watched)));
  SHARECTL_REQUIRE_OK(cluster.leader());
  put(gateway, "/s/2", "after");
  put(gateway, "/s/3", "after");
  eventually([&] { return recorder.events().size() >= 3; }, "events lost after the kill");
  CHECK(describe(recorder.events()) ==
        std::vector<std::string>{"PUT /s/1=before", "PUT /s/2=after", "PUT /s/3=after"});
  CHECK(recorder.saw(WatchNotice::Kind::disconnected));
  CHECK(watch.streams_opened() >= 2);
  CHECK(watch.running());
}

TEST_CASE("etcd watch on a cluster: reconnecting with an expired token renews it") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster({.members = 3, .auth_token_ttl_seconds = 1});
  SHARECTL_REQUIRE_OK(cluster.start());
  SHARECTL_REQUIRE_OK(cluster.enable_auth("watch-root-pw"));
  EtcdGateway gateway(url_of(cluster, "root:watch-root-pw"));
  const std::int64_t start = current_revision(gateway) + 1;
  const std::size_t watched = gateway.preferred_endpoint();
  Recorder recorder;
  EtcdWatch watch(gateway, WatchCreate::of_prefix("/a/", start), std::ref(recorder));
  put(gateway, "/a/1", "x");
  eventually([&] { return recorder.events().size() == 1; }, "no first event");
  // The token the watch was opened with expires; the open stream does not care...
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  put(gateway, "/a/2", "x");
  eventually([&] { return recorder.events().size() == 2; }, "the open stream stopped");
  // ... but reopening it elsewhere needs a valid token.
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  SHARECTL_REQUIRE_OK(cluster.kill(static_cast<int>(watched)));
  SHARECTL_REQUIRE_OK(cluster.leader());
  put(gateway, "/a/3", "x");
  eventually([&] { return recorder.events().size() == 3; }, "no event after the reconnect");
  CHECK(describe(recorder.events()) ==
        std::vector<std::string>{"PUT /a/1=x", "PUT /a/2=x", "PUT /a/3=x"});
  CHECK_FALSE(recorder.saw(WatchNotice::Kind::failed));
  CHECK(gateway.stats().authentications >= 2);
  CHECK(watch.running());
}

TEST_CASE("etcd watch on a cluster: stop() ends an idle watch") {
  if (!etcd_available()) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  EtcdGateway gateway(url_of(cluster));
  Recorder recorder;
  EtcdWatch watch(gateway, WatchCreate::of_prefix("/idle/"), std::ref(recorder));
  eventually([&] { return watch.next_revision() > 0; }, "the watch was never created");
  CHECK(watch.running());
  watch.stop();
  CHECK_FALSE(watch.running());
  CHECK(recorder.notices().empty());
}

} // namespace sharectl::store::etcd
