// Server liveness on etcd (Store::keep_server_alive): one lease per agent with a TTL of three
// intervals holds the server's alive key, so every agent reads the server up while the lease
// lives and down once it expires or is released — no comparison of clocks between hosts. A
// lease found expired is replaced at the next beat. On a real 3-member cluster.
#include <thread>

#include "agent/store/view/view_store.hpp"
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

TEST_SUITE("store") {

  TEST_CASE("etcd liveness: another agent's read view follows the lease, up and then down") {
    if (!etcd::itest::etcd_available()) {
      return;
    }
    test::EtcdCluster cluster;
    SHARECTL_REQUIRE_OK(cluster.start());
    const std::string url = "etcd://" + cluster.endpoints() + "/liveness-view";
    auto opened = open_store(url);
    SHARECTL_REQUIRE_OK(opened);
    auto agent = std::move(*opened);
    auto backend = open_store(url);
    SHARECTL_REQUIRE_OK(backend);
    auto viewed = view::ViewStore::open(std::move(*backend));
    SHARECTL_REQUIRE_OK(viewed);
    auto& reader = **viewed;
    model::Server s;
    s.name = "storage1";
    auto server = conformance::create_one(*agent, s);
    SHARECTL_REQUIRE_OK(server);
    const auto interval = std::chrono::seconds(1);
    SHARECTL_REQUIRE_OK(agent->keep_server_alive(server->id, interval));
    SHARECTL_REQUIRE_OK(
        agent->transact([&](Tx& tx) { return tx.touch_server_observed(server->id, 7); }));
    // Liveness and the observed revision are bookkeeping (no feed entry): the view's refresh
    // brings them, beat after beat.
    auto until = [&](auto&& seen) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < deadline) {
        SHARECTL_REQUIRE_OK(agent->keep_server_alive(server->id, interval));
        auto got = conformance::get_one<model::Server>(reader, server->id);
        SHARECTL_REQUIRE_OK(got);
        if (seen(*got)) {
          return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      return false;
    };
    CHECK(until([](const model::Server& got) {
      return got.status == model::ServerStatus::up && got.observed_revision == 7;
    }));
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(interval);
      SHARECTL_REQUIRE_OK(agent->keep_server_alive(server->id, interval));
      CHECK(status_of(reader, server->id) == model::ServerStatus::up);
    }
    // A change of the server's document (the feed) reloads it with its liveness and figures.
    auto current = conformance::get_one<model::Server>(*agent, server->id);
    SHARECTL_REQUIRE_OK(current);
    current->smb_port = 4450;
    SHARECTL_REQUIRE_OK(agent->transact([&](Tx& tx) -> Status {
      auto updated = tx.update(*current);
      return updated ? Status{} : std::unexpected(updated.error());
    }));
    CHECK(until([](const model::Server& got) { return got.smb_port == 4450; }));
    auto reloaded = conformance::get_one<model::Server>(reader, server->id);
    SHARECTL_REQUIRE_OK(reloaded);
    CHECK(reloaded->status == model::ServerStatus::up);
    CHECK(reloaded->observed_revision == 7);
    // The agent stops beating (killed): down once the lease is gone, in the view too.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (status_of(reader, server->id) != model::ServerStatus::down) {
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "never down in the view");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}
