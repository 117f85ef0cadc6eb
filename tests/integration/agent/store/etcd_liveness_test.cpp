// Server liveness on etcd (Store::keep_server_alive): one lease per agent with a TTL of three
// intervals holds the server's alive key, so every agent reads the server up while the lease
// lives and down once it expires or is released — no comparison of clocks between hosts. A
// lease found expired is replaced at the next beat. On a real 3-member cluster.
#include <thread>

#include "tests/integration/agent/store/conformance.hpp"
#include "tests/integration/agent/store/etcd_cluster_support.hpp"

using namespace sharectl;
using namespace sharectl::store;

namespace {

model::ServerStatus status_of(Store& store, const Id& id) {
  auto server = conformance::get_one<model::Server>(store, id);
  SHARECTL_REQUIRE_OK(server);
  return server->status;
}

} // namespace

TEST_SUITE("store") {

  TEST_CASE("etcd liveness: a server is up while its agent's lease lives, down when it ends") {
    if (!etcd::itest::etcd_available()) {
      return;
    }
    test::EtcdCluster cluster;
    SHARECTL_REQUIRE_OK(cluster.start());
    const std::string url = "etcd://" + cluster.endpoints() + "/liveness";
    auto opened = open_store(url);
    SHARECTL_REQUIRE_OK(opened);
    auto agent = std::move(*opened); // the server's own agent
    auto other = open_store(url);    // any other agent reading it
    SHARECTL_REQUIRE_OK(other);
    model::Server s;
    s.name = "storage1";
    s.status = model::ServerStatus::up; // what the row says does not make it alive
    auto server = conformance::create_one(*agent, s);
    SHARECTL_REQUIRE_OK(server);
    CHECK(status_of(**other, server->id) == model::ServerStatus::down);

    const auto interval = std::chrono::seconds(1); // lease TTL 3 s
    SHARECTL_REQUIRE_OK(agent->keep_server_alive(server->id, interval));
    CHECK(status_of(**other, server->id) == model::ServerStatus::up);
    auto listed = (*other)->view_result([](Tx& tx) { return tx.list<model::Server>(); });
    SHARECTL_REQUIRE_OK(listed);
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().status == model::ServerStatus::up);
    REQUIRE(listed->front().last_heartbeat.has_value());
    auto before = (*other)->current_revision();
    SHARECTL_REQUIRE_OK(before);

    // Beats keep it up; they are not changes (the store revision stays).
    for (int i = 0; i < 4; ++i) {
      std::this_thread::sleep_for(interval);
      SHARECTL_REQUIRE_OK(agent->keep_server_alive(server->id, interval));
      CHECK(status_of(**other, server->id) == model::ServerStatus::up);
    }
    CHECK(*(*other)->current_revision() == *before);

    // The agent stops beating: down once the lease has expired, as every reader sees it.
    etcd::itest::eventually(
        [&] { return status_of(**other, server->id) == model::ServerStatus::down; },
        "the server goes down when its lease expires");
    // Its next beat finds the lease gone, takes a new one, and it is up again.
    SHARECTL_REQUIRE_OK(agent->keep_server_alive(server->id, interval));
    CHECK(status_of(**other, server->id) == model::ServerStatus::up);
    // A clean stop releases the lease: down at once.
    agent->release_server_alive();
    CHECK(status_of(**other, server->id) == model::ServerStatus::down);
  }
}
