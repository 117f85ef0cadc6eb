// The heartbeat (agent/reconcile/heartbeat.hpp) against a SQLite store and the in-process agent
// with an injected clock, and against a private PostgreSQL: a beat records load, memory and free
// bytes without a new store revision (so no host reconciles on it); a host whose last beat is
// older than three intervals is shown down and space create does not place on it (but on an up
// host beside it); the next beat brings it back up.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/reconcile/heartbeat.hpp"
#include "agent/reconcile/register.hpp"
#include "tests/integration/agent/handlers/storage_fixture.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;
namespace reconcile = sharectl::agent::reconcile;

json server_of(test::StorageAgent& agent, const http::HttpHeaders& who) {
  const auto answer = agent.as(who, "GET", "/api/v1/servers/testhost");
  REQUIRE_MESSAGE(answer.status == 200, answer.body);
  return json::parse(answer.body);
}

} // namespace

TEST_CASE("heartbeat: records figures without a new revision or change-feed entry") {
  agent::auth::FakeClock clock(model::now_utc());
  test::StorageAgent agent(&clock);
  reconcile::Heartbeat heartbeat(agent.store(), agent.context().config, clock);
  const auto revision = agent.store().current_revision();
  REQUIRE(revision.has_value());
  const auto server_before = agent.server();

  clock.advance(std::chrono::seconds{15});
  auto beat = heartbeat.beat();
  REQUIRE_MESSAGE(beat.has_value(), test::error_text(beat));

  const auto server = agent.server();
  REQUIRE(server.last_heartbeat.has_value());
  CHECK(*server.last_heartbeat == clock.now());
  CHECK(server.memory_total_bytes > 0);
  CHECK(server.memory_used_bytes > 0);
  CHECK(server.memory_used_bytes <= server.memory_total_bytes);
  CHECK(server.load_average >= 0);
  CHECK(server.revision == server_before.revision);
  CHECK(agent.filesystem().free_bytes > 0);
  CHECK(*agent.store().current_revision() == *revision);
  auto feed = agent.store().changes_since(*revision);
  REQUIRE(feed.has_value());
  CHECK(feed->changes.empty());
}

TEST_CASE("heartbeat: a host silent for three intervals is down and gets no spaces") {
  agent::auth::FakeClock clock(model::now_utc());
  test::StorageAgent agent(&clock);
  reconcile::Heartbeat heartbeat(agent.store(), agent.context().config, clock);
  const auto alice = agent.user("alice");
  const auto vera = agent.user("vera");
  agent.bind("viewer", agent.stored_user("vera"));
  REQUIRE(heartbeat.beat().has_value());

  clock.advance(reconcile::k_missed_heartbeats * reconcile::k_heartbeat_interval);
  CHECK(server_of(agent, vera)["status"] == "up"); // exactly three intervals: still up
  clock.advance(std::chrono::seconds{1});
  CHECK(server_of(agent, vera)["status"] == "down");
  CHECK(server_of(agent, alice)["status"] == "down");

  const auto refused =
      agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "p"}, {"size_bytes", k_mib}});
  CHECK(refused.status == 409);
  CHECK(test::message_of(refused).find("no samba server with filesystems is up") !=
        std::string::npos);
  auto named = json{{"name", "p"}, {"size_bytes", k_mib}, {"server", "testhost"}};
  const auto named_refused = agent.as(alice, "POST", "/api/v1/spaces", named);
  CHECK(named_refused.status == 409);
  CHECK(test::message_of(named_refused).find("testhost is down") != std::string::npos);
  const auto fs = json::parse(agent.as(vera, "GET", "/api/v1/filesystems").body);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0]["status"] == "down");

  REQUIRE(heartbeat.beat().has_value());
  CHECK(server_of(agent, vera)["status"] == "up");
  CHECK(agent.as(alice, "POST", "/api/v1/spaces", named).status == 201);
}

TEST_CASE("heartbeat: a server marked down comes back up at a new revision, unknown host") {
  agent::auth::FakeClock clock(model::now_utc());
  test::StorageAgent agent(&clock);
  auto server = agent.server();
  server.status = model::ServerStatus::down;
  auto marked = agent.store().transact_result([&](store::Tx& tx) { return tx.update(server); });
  REQUIRE(marked.has_value());
  reconcile::Heartbeat heartbeat(agent.store(), agent.context().config, clock);
  REQUIRE(heartbeat.beat().has_value());
  const auto after = agent.server();
  CHECK(after.status == model::ServerStatus::up);
  CHECK(after.revision > marked->revision);

  auto other = agent.context().config;
  other.server.name = "elsewhere";
  reconcile::Heartbeat stranger(agent.store(), other, clock);
  auto refused = stranger.beat();
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::not_found);
}

TEST_CASE("heartbeat: placement skips a silent host for an up one beside it") {
  agent::auth::FakeClock clock(model::now_utc());
  test::StorageAgent agent(&clock);
  const auto alice = agent.user("alice");
  // A second samba host with a bigger filesystem, beating by the same clock.
  auto other = agent.context().config;
  other.server.name = "other";
  test::TempDir other_root;
  other.filesystems = {{other_root.path(), config::FilesystemDriver::dir}};
  auto registered = reconcile::register_host(agent.store(), other);
  REQUIRE_MESSAGE(registered.has_value(), test::error_text(registered));
  reconcile::Heartbeat testhost(agent.store(), agent.context().config, clock);
  reconcile::Heartbeat elsewhere(agent.store(), other, clock);

  clock.advance(std::chrono::seconds{40});
  REQUIRE(testhost.beat().has_value());
  clock.advance(std::chrono::seconds{10}); // "other" last beat at registration: 50 s ago
  const auto placed =
      agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "a"}, {"size_bytes", k_mib}});
  REQUIRE_MESSAGE(placed.status == 201, placed.body);
  CHECK(json::parse(placed.body)["server"] == "testhost");

  clock.advance(std::chrono::seconds{40});
  REQUIRE(elsewhere.beat().has_value()); // now testhost is the silent one
  const auto moved =
      agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "b"}, {"size_bytes", k_mib}});
  REQUIRE_MESSAGE(moved.status == 201, moved.body);
  CHECK(json::parse(moved.body)["server"] == "other");
}

TEST_CASE("heartbeat: PostgreSQL records the figures without a new revision") {
  if (!test::running_as_root() ||
      !test::prerequisite(test::find_postgres_bindir().has_value(),
                          "PostgreSQL server binaries (initdb, postgres, psql)") ||
      !test::programs_available({"setpriv", "cp"})) {
    return;
  }
  test::PostgresServer server;
  auto started = server.start();
  REQUIRE_MESSAGE(started.has_value(), test::error_text(started));
  auto store = store::open_store(server.url());
  REQUIRE_MESSAGE(store.has_value(), test::error_text(store));
  test::TempDir root;
  config::AgentConfig cfg;
  cfg.server.name = "pghost";
  cfg.filesystems = {{root.path(), config::FilesystemDriver::dir}};
  auto registered = reconcile::register_host(**store, cfg);
  REQUIRE_MESSAGE(registered.has_value(), test::error_text(registered));
  const auto revision = (*store)->current_revision();
  REQUIRE(revision.has_value());

  agent::auth::FakeClock clock(model::now_utc() + std::chrono::seconds{15});
  reconcile::Heartbeat heartbeat(**store, cfg, clock);
  auto beat = heartbeat.beat();
  REQUIRE_MESSAGE(beat.has_value(), test::error_text(beat));
  auto row = (*store)->view_result([](store::Tx& tx) { return tx.find_server("pghost"); });
  REQUIRE(row.has_value());
  CHECK(row->last_heartbeat == clock.now());
  CHECK(row->memory_total_bytes > 0);
  CHECK(row->revision == registered->server.revision);
  auto fs = (*store)->view_result(
      [&](store::Tx& tx) { return tx.get<model::FileSystem>(registered->filesystems.front().id); });
  REQUIRE(fs.has_value());
  CHECK(fs->free_bytes > 0);
  CHECK(*(*store)->current_revision() == *revision);
}
