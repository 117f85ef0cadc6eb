// The space and share routes against a real HttpServer on 127.0.0.1:0 with a SQLite store and
// a dir-driver filesystem in a temp dir (registered as this host): create → 201 pending with
// its share, duplicates and taken share names → 409 before anything is created, no room → 409
// naming the largest free room, allowance, bad names → 400, other users' spaces → 404/403,
// grants, and delete with shares → 409 unless forced.
#include <memory>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/api/server.hpp"
#include "agent/auth/password.hpp"
#include "agent/handlers/account.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/context.hpp"
#include "agent/reconcile/register.hpp"
#include "agent/store/store.hpp"
#include "common/http/client.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
namespace handlers = sharectl::agent::handlers;
namespace api = sharectl::agent::api;
namespace auth = sharectl::agent::auth;

constexpr const char* k_password = "correct horse battery";
constexpr std::uint64_t k_mib = 1024 * 1024;

// An agent in this process with a registered dir filesystem.
class Agent {
public:
  Agent() {
    auto opened = store::open_store("sqlite://" + (m_dir.path() / "state.db").string());
    REQUIRE_MESSAGE(opened.has_value(), test::error_text(opened));
    m_store = std::move(*opened);
    config::AgentConfig cfg;
    cfg.server.name = "testhost";
    cfg.filesystems = {{m_dir.path() / "fs", config::FilesystemDriver::dir}};
    auto registered = agent::reconcile::register_host(*m_store, cfg);
    REQUIRE_MESSAGE(registered.has_value(), test::error_text(registered));
    REQUIRE(registered->filesystems.size() == 1);
    m_capacity = registered->filesystems.front().capacity_bytes;
    m_context = std::make_unique<handlers::AgentContext>(*m_store, cfg, m_clock);
    api::ServerConfig server_config;
    server_config.tls = false;
    api::ServerHooks hooks;
    hooks.authorize = handlers::make_authorizer(*m_context);
    auto started =
        api::HttpServer::start(server_config, handlers::agent_routes(*m_context), std::move(hooks));
    REQUIRE_MESSAGE(started.has_value(), test::error_text(started));
    m_server = std::move(*started);
  }

  // Sends a request as `who` (the login answer; null: no credentials).
  http::HttpResponse call(const json& who, const std::string& method, const std::string& path,
                          const json& body = nullptr) {
    http::HttpHeaders headers{{"Content-Type", "application/json"}};
    if (!who.is_null()) {
      headers.emplace_back("X-User-ID", who["user_id"].get<std::string>());
      headers.emplace_back("Authorization", "Bearer " + who["token"].get<std::string>());
    }
    auto answer =
        m_client.request(method, "http://127.0.0.1:" + std::to_string(m_server->port()) + path,
                         headers, body.is_null() ? std::string() : body.dump());
    REQUIRE_MESSAGE(answer.has_value(), test::error_text(answer));
    return *answer;
  }

  // A user stored directly, logged in; returns the login answer.
  json user(const std::string& name, std::optional<std::uint64_t> allowance = std::nullopt) {
    auto hash = auth::hash_password(k_password);
    REQUIRE(hash.has_value());
    auto stored = m_store->transact_result([&](store::Tx& tx) -> Result<model::User> {
      model::User u;
      u.username = name;
      u.allowance_bytes = allowance;
      auto created = tx.create(u);
      if (created) {
        if (auto set = tx.set_user_secrets(created->id, {*hash, std::nullopt}); !set) {
          return std::unexpected(set.error());
        }
      }
      return created;
    });
    REQUIRE_MESSAGE(stored.has_value(), test::error_text(stored));
    const auto answer =
        call(nullptr, "POST", "/api/v1/apps", json{{"username", name}, {"password", k_password}});
    REQUIRE_MESSAGE(answer.status == 201, answer.body);
    return json::parse(answer.body);
  }

  std::uint64_t capacity() const { return m_capacity; }

private:
  test::TempDir m_dir;
  auth::SystemClock m_clock;
  std::unique_ptr<store::Store> m_store;
  std::unique_ptr<handlers::AgentContext> m_context;
  std::unique_ptr<api::HttpServer> m_server;
  http::HttpClient m_client;
  std::uint64_t m_capacity = 0;
};

json space_body(const std::string& name, std::uint64_t size) {
  return json{{"name", name}, {"size_bytes", size}};
}

std::string message_of(const http::HttpResponse& answer) {
  return json::parse(answer.body)["error"]["message"].get<std::string>();
}

} // namespace

TEST_CASE("space create: 201 pending with its share; duplicates and taken share names 409") {
  Agent agent;
  const json alice = agent.user("alice");
  const json bob = agent.user("bob");
  const auto created = agent.call(alice, "POST", "/api/v1/spaces", space_body("projects", k_mib));
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const auto space = json::parse(created.body);
  CHECK(space["status"] == "pending");
  CHECK(space["owner"] == "alice");
  CHECK(space["share"] == "projects");
  CHECK(space["server"] == "testhost");
  CHECK(space["size_bytes"] == k_mib);

  CHECK(agent.call(alice, "POST", "/api/v1/spaces", space_body("projects", k_mib)).status == 409);

  // bob's space "Projects" would publish a share whose name is taken (case-insensitively).
  const auto taken = agent.call(bob, "POST", "/api/v1/spaces", space_body("Projects", k_mib));
  CHECK(taken.status == 409);
  CHECK(message_of(taken).find("--share-name") != std::string::npos);
  CHECK(agent.call(bob, "GET", "/api/v1/spaces/bob/Projects").status == 404);
  auto renamed = space_body("Projects", k_mib);
  renamed["share_name"] = "bobs-projects";
  const auto retried = agent.call(bob, "POST", "/api/v1/spaces", renamed);
  REQUIRE_MESSAGE(retried.status == 201, retried.body);
  CHECK(json::parse(retried.body)["share"] == "bobs-projects");
  auto no_share = space_body("scratch", k_mib);
  no_share["share_name"] = nullptr;
  const auto bare = agent.call(bob, "POST", "/api/v1/spaces", no_share);
  REQUIRE_MESSAGE(bare.status == 201, bare.body);
  CHECK(json::parse(bare.body)["share"] == "");

  const auto mine = json::parse(agent.call(bob, "GET", "/api/v1/spaces").body);
  CHECK(mine.size() == 2);
  const auto shares = json::parse(agent.call(alice, "GET", "/api/v1/shares").body);
  REQUIRE(shares.size() == 1);
  CHECK(shares[0]["name"] == "projects");
}

TEST_CASE("space create: no room and over allowance are 409; bad input 400") {
  Agent agent;
  const json alice = agent.user("alice", 3 * k_mib);
  const auto huge =
      agent.call(alice, "POST", "/api/v1/spaces", space_body("huge", agent.capacity() + 1));
  CHECK(huge.status == 409);
  CHECK(message_of(huge).find("largest free room") != std::string::npos);

  CHECK(agent.call(alice, "POST", "/api/v1/spaces", space_body("a", 2 * k_mib)).status == 201);
  const auto over = agent.call(alice, "POST", "/api/v1/spaces", space_body("b", 2 * k_mib));
  CHECK(over.status == 409);
  CHECK(message_of(over).find("in total") != std::string::npos);

  for (const char* bad : {"../x", "a b", "", "x;y", "-lead", "name\nnl"}) {
    CAPTURE(bad);
    CHECK(agent.call(alice, "POST", "/api/v1/spaces", space_body(bad, k_mib)).status == 400);
  }
  CHECK(agent.call(alice, "POST", "/api/v1/spaces", space_body("zero", 0)).status == 400);
  auto reserved = space_body("c", k_mib);
  reserved["share_name"] = "global";
  CHECK(agent.call(alice, "POST", "/api/v1/spaces", reserved).status == 400);
  auto unknown = space_body("d", k_mib);
  unknown["colour"] = "blue";
  CHECK(agent.call(alice, "POST", "/api/v1/spaces", unknown).status == 400);
  for (const char* comment : {"bad%comment", "back\\slash", ";starts", "line\nbreak"}) {
    CAPTURE(comment);
    CHECK(agent
              .call(alice, "POST", "/api/v1/shares",
                    json{{"name", "s1"}, {"space", "a"}, {"comment", comment}})
              .status == 400);
  }
  CHECK(agent
            .call(alice, "POST", "/api/v1/shares",
                  json{{"name", "s1"}, {"space", "a"}, {"subdir", "../etc"}})
            .status == 400);
  CHECK(agent.call(nullptr, "POST", "/api/v1/spaces", space_body("e", k_mib)).status == 401);
}

TEST_CASE("other users' spaces: 404 to read, 403 to create for them; grants and delete") {
  Agent agent;
  const json alice = agent.user("alice");
  const json bob = agent.user("bob");
  REQUIRE(agent.call(alice, "POST", "/api/v1/spaces", space_body("projects", k_mib)).status == 201);
  CHECK(agent.call(bob, "GET", "/api/v1/spaces/alice/projects").status == 404);
  CHECK(agent.call(bob, "DELETE", "/api/v1/spaces/alice/projects").status == 404);
  CHECK(agent.call(bob, "PATCH", "/api/v1/spaces/alice/projects", json{{"size_bytes", k_mib}})
            .status == 404);
  CHECK(agent.call(bob, "GET", "/api/v1/shares/projects").status == 404);
  auto for_alice = space_body("gift", k_mib);
  for_alice["owner"] = "alice";
  CHECK(agent.call(bob, "POST", "/api/v1/spaces", for_alice).status == 403);
  CHECK(agent.call(bob, "GET", "/api/v1/spaces").body == "[]");

  const auto resized =
      agent.call(alice, "PATCH", "/api/v1/spaces/alice/projects", json{{"size_bytes", 2 * k_mib}});
  REQUIRE_MESSAGE(resized.status == 200, resized.body);
  CHECK(json::parse(resized.body)["size_bytes"] == 2 * k_mib);

  const auto granted =
      agent.call(alice, "PUT", "/api/v1/shares/projects/acl/user:bob", json{{"level", "read"}});
  REQUIRE_MESSAGE(granted.status == 200, granted.body);
  const auto acl = json::parse(agent.call(alice, "GET", "/api/v1/shares/projects/acl").body);
  REQUIRE(acl.size() == 1);
  CHECK(acl[0]["user"] == "bob");
  CHECK(acl[0]["level"] == "read");
  CHECK(agent.call(bob, "PUT", "/api/v1/shares/projects/acl/user:bob", json{{"level", "write"}})
            .status != 200);
  CHECK(agent.call(alice, "PUT", "/api/v1/shares/projects/acl/user:bob", json{{"level", "all"}})
            .status == 400);
  CHECK(agent.call(alice, "DELETE", "/api/v1/shares/projects/acl/user:bob").status == 200);

  const auto busy = agent.call(alice, "DELETE", "/api/v1/spaces/alice/projects");
  CHECK(busy.status == 409);
  const auto forced = agent.call(alice, "DELETE", "/api/v1/spaces/alice/projects?force=true");
  REQUIRE_MESSAGE(forced.status == 202, forced.body);
  CHECK(json::parse(forced.body)["status"] == "deleting");
  CHECK(agent.call(alice, "GET", "/api/v1/shares/projects").status == 404);
}
