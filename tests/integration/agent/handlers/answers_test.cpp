// The answer cache against a real HttpServer on 127.0.0.1:0 with a SQLite store: repeats of a
// cacheable GET are answered from it (counted in /metrics), a change made through this agent —
// a new space, a role binding given or taken — shows in the very next answer, one made through
// another handle on the store (another agent sharing it: SQLite, and PostgreSQL with its change
// feed) within the cache's second, and Cache-Control: no-cache always answers afresh.
#include <chrono>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/agent/handlers/storage_fixture.hpp"
#include "tests/support/postgres_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;
using Agent = test::StorageAgent;

// sharectl_http_cached_answers_total from GET /metrics.
std::uint64_t cached_answers(Agent& agent) {
  const auto metrics = agent.call("GET", "/metrics");
  REQUIRE(metrics.status == 200);
  const std::string name = "\nsharectl_http_cached_answers_total ";
  const auto at = metrics.body.find(name);
  REQUIRE(at != std::string::npos);
  return std::stoull(metrics.body.substr(at + name.size()));
}

json sizes_of(const http::HttpResponse& answer) {
  REQUIRE_MESSAGE(answer.status == 200, answer.body);
  json out = json::object();
  for (const auto& space : json::parse(answer.body)) {
    out[space["name"].get<std::string>()] = space["size_bytes"];
  }
  return out;
}

} // namespace

TEST_CASE("answer cache: repeats are answered from it, a change through this agent at once") {
  Agent agent;
  const auto alice = agent.user("alice");
  const auto bob = agent.user("bob");
  const auto before = cached_answers(agent);
  CHECK(agent.as(alice, "GET", "/api/v1/spaces").body == "[]");
  CHECK(agent.as(alice, "GET", "/api/v1/spaces").body == "[]");
  CHECK(agent.as(alice, "GET", "/api/v1/spaces").body == "[]");
  CHECK(cached_answers(agent) >= before + 1); // ttl 1 s: a slow machine may miss one

  const auto created =
      agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "projects"}, {"size_bytes", k_mib}});
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const auto space_id = json::parse(created.body)["id"].get<std::string>();
  CHECK(sizes_of(agent.as(alice, "GET", "/api/v1/spaces")) == json{{"projects", k_mib}});

  // Bob may not read alice's space; a binding given through this agent's store shows at once,
  // and so does taking it away (refusals are never kept).
  CHECK(agent.as(bob, "GET", "/api/v1/spaces/alice/projects").status == 404);
  CHECK(agent.as(bob, "GET", "/api/v1/spaces/alice/projects").status == 404);
  const auto binding = agent.bind("viewer", agent.stored_user("bob"), space_id);
  CHECK(agent.as(bob, "GET", "/api/v1/spaces/alice/projects").status == 200);
  CHECK(agent.as(bob, "GET", "/api/v1/spaces/alice/projects").status == 200);
  CHECK(json::parse(agent.as(bob, "GET", "/api/v1/spaces?all=true").body).size() == 1);
  auto removed =
      agent.store().transact([&](store::Tx& tx) { return tx.remove<model::Binding>(binding.id); });
  REQUIRE_MESSAGE(removed.has_value(), test::error_text(removed));
  CHECK(agent.as(bob, "GET", "/api/v1/spaces/alice/projects").status == 404);
  // Leaving alice's space out of bob's list is not a denied request: nothing audited.
  const auto audited = agent.audit_text();
  CHECK(json::parse(agent.as(bob, "GET", "/api/v1/spaces?all=true").body).empty());
  CHECK(agent.audit_text() == audited);
}

namespace {

// A change made through another handle on the agent's store (another agent sharing it) shows
// within the cache's second, and at once with Cache-Control: no-cache.
void another_agents_change_shows(Agent& agent) {
  const auto alice = agent.user("alice");
  REQUIRE(
      agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "projects"}, {"size_bytes", k_mib}})
          .status == 201);
  CHECK(sizes_of(agent.as(alice, "GET", "/api/v1/spaces")) == json{{"projects", k_mib}});
  CHECK(sizes_of(agent.as(alice, "GET", "/api/v1/spaces")) == json{{"projects", k_mib}});

  // Another agent sharing the store resizes the space: the new size shows within the cache's
  // second (10 s for a slow machine) …
  auto other = store::open_store(agent.store_url());
  REQUIRE_MESSAGE(other.has_value(), test::error_text(other));
  const auto resize_elsewhere = [&](std::uint64_t size) {
    auto resized = (*other)->transact([&](store::Tx& tx) -> Status {
      auto space = tx.find_space(agent.stored_user("alice").id, "projects");
      if (!space) {
        return std::unexpected(space.error());
      }
      space->size_bytes = size;
      auto updated = tx.update(*space);
      if (!updated) {
        return std::unexpected(updated.error());
      }
      return {};
    });
    REQUIRE_MESSAGE(resized.has_value(), test::error_text(resized));
  };
  resize_elsewhere(2 * k_mib);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  json seen;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = sizes_of(agent.as(alice, "GET", "/api/v1/spaces"));
    if (seen == json{{"projects", 2 * k_mib}}) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(seen == json{{"projects", 2 * k_mib}});

  // … and at once to a client that asks for a fresh answer.
  resize_elsewhere(3 * k_mib);
  const auto fresh =
      agent.as(alice, "GET", "/api/v1/spaces", nullptr, {{"Cache-Control", "no-cache"}});
  CHECK(sizes_of(fresh) == json{{"projects", 3 * k_mib}});
}

} // namespace

TEST_CASE("answer cache: another agent's change within the ttl, Cache-Control: no-cache at once") {
  Agent agent;
  another_agents_change_shows(agent);
}

TEST_CASE("answer cache: on PostgreSQL, another agent's change within the ttl, no-cache at once") {
  if (!test::running_as_root() ||
      !test::prerequisite(test::find_postgres_bindir().has_value(),
                          "PostgreSQL server binaries (initdb, postgres, psql)") ||
      !test::programs_available({"setpriv", "cp"})) {
    return;
  }
  test::PostgresServer server;
  auto started = server.start();
  REQUIRE_MESSAGE(started.has_value(), test::error_text(started));
  Agent agent(nullptr, server.url());
  another_agents_change_shows(agent);
}
