// What the benchmarks of the agent on each store backend share: the backend's server, started
// privately on loopback (PostgreSQL, or a 3-member etcd cluster; SQLite is the agent's own file),
// and a seeded samba host with ample room to place spaces on (nothing on this machine is
// touched: its filesystem path does not exist and no agent reconciles it). Header-only.
#pragma once

#include <memory>
#include <string>

#include "agent/store/store.hpp"
#include "tests/bench/bench_support.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace sharectl::bench {

// The store of an agent under benchmark: "sqlite", "postgres" or "etcd".
struct BenchStore {
  std::unique_ptr<test::PostgresServer> postgres;
  std::unique_ptr<test::EtcdCluster> etcd;
  std::string url; // for AgentOptions::store; empty: the agent's own SQLite file

  // Starts the backend's server (die() when it cannot); etcd keys live under `prefix`.
  explicit BenchStore(const std::string& backend, const std::string& prefix = "/bench") {
    if (backend == "postgres") {
      postgres = std::make_unique<test::PostgresServer>();
      must(postgres->start(), "PostgreSQL did not start");
      url = postgres->url();
    } else if (backend == "etcd") {
      etcd = std::make_unique<test::EtcdCluster>();
      must(etcd->start(), "etcd did not start");
      url = "etcd://" + etcd->endpoints() + prefix;
    } else if (backend != "sqlite") {
      die("--store: sqlite, postgres or etcd");
    }
  }
};

// Creates server `name` (status up) with a filesystem of 1 PiB at a path that does not exist;
// the server. Keep it alive with Store::keep_server_alive (etcd) and touch_server (SQL).
inline model::Server seed_host(store::Store& store, const std::string& name) {
  return must(store.transact_result([&](store::Tx& tx) -> Result<model::Server> {
    model::Server server;
    server.name = name;
    server.address = "192.0.2.1";
    server.status = model::ServerStatus::up;
    auto made = tx.create(server);
    if (!made) {
      return made;
    }
    model::FileSystem fs;
    fs.server_id = made->id;
    fs.path = "/nonexistent/" + name;
    fs.capacity_bytes = 1ULL << 50;
    auto created = tx.create(fs);
    return created ? made : std::unexpected(created.error());
  }),
              "cannot seed host " + name);
}

} // namespace sharectl::bench
