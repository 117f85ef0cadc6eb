// The in-process agent shared by the handler tests: a SQLite store in a temp dir (or the store
// at a given URL, e.g. a test PostgreSQL server), an
// AgentContext over a config and a clock, and the agent's routes (with make_authorizer) on a
// real HttpServer at 127.0.0.1:0, driven over HTTP with libcurl.
#pragma once

#include <memory>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/api/server.hpp"
#include "agent/auth/clock.hpp"
#include "agent/auth/password.hpp"
#include "agent/auth/rate_limit.hpp"
#include "agent/handlers/account.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/context.hpp"
#include "agent/store/store.hpp"
#include "common/http/client.hpp"
#include "tests/support/require.hpp"
#include "tests/support/temp_dir.hpp"

namespace sharectl::test {

// An agent in this process. `clock` (when given, it must outlive the agent) drives both the
// context and the store's times; otherwise the context uses the system clock and the store its
// default.
class InProcessAgent {
public:
  explicit InProcessAgent(config::AgentConfig cfg = {}, const agent::auth::Clock* clock = nullptr,
                          agent::auth::LoginRateLimitConfig limits = {}, std::string url = {})
      : m_url(url.empty() ? "sqlite://" + (m_dir.path() / "state.db").string() : std::move(url)) {
    store::OpenOptions options;
    if (clock != nullptr) {
      options.clock = [clock] { return clock->now(); };
    }
    auto opened = store::open_store(store_url(), options);
    REQUIRE_MESSAGE(opened.has_value(), test::error_text(opened));
    m_store = std::move(*opened);
    m_context = std::make_unique<agent::handlers::AgentContext>(
        *m_store, std::move(cfg), clock != nullptr ? *clock : m_system_clock, limits);
    agent::api::ServerConfig server_config;
    server_config.tls = false;
    agent::api::ServerHooks hooks;
    agent::handlers::install_hooks(*m_context, hooks);
    auto started = agent::api::HttpServer::start(
        server_config, agent::handlers::agent_routes(*m_context), std::move(hooks));
    REQUIRE_MESSAGE(started.has_value(), test::error_text(started));
    m_server = std::move(*started);
  }

  // The URL of the agent's store (another handle on it plays a second agent sharing the store).
  const std::string& store_url() const { return m_url; }

  InProcessAgent(const InProcessAgent&) = delete;
  InProcessAgent& operator=(const InProcessAgent&) = delete;

  // Sends a request with a JSON content type and `headers`; every response body is recorded.
  http::HttpResponse call(const std::string& method, const std::string& path,
                          const std::string& body = {}, http::HttpHeaders headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    auto answer = m_client.request(method, "http://127.0.0.1:" + std::to_string(port()) + path,
                                   headers, body);
    REQUIRE_MESSAGE(answer.has_value(), test::error_text(answer));
    m_bodies += answer->body;
    return *answer;
  }

  // The password of every user add_user() stores.
  static constexpr const char* k_password = "correct horse battery";

  // A user stored directly with k_password and these flags.
  model::User add_user(const std::string& name, bool admin = false, bool manager = false) {
    if (m_hash.empty()) {
      auto hash = agent::auth::hash_password(k_password);
      REQUIRE_MESSAGE(hash.has_value(), test::error_text(hash));
      m_hash = *hash;
    }
    auto user = m_store->transact_result([&](store::Tx& tx) -> Result<model::User> {
      model::User u;
      u.username = name;
      u.is_admin = admin;
      u.is_manager = manager;
      auto stored = tx.create(u);
      if (stored) {
        if (auto set = tx.set_user_secrets(stored->id, {m_hash, std::nullopt}); !set) {
          return std::unexpected(set.error());
        }
      }
      return stored;
    });
    REQUIRE_MESSAGE(user.has_value(), test::error_text(user));
    return *user;
  }

  // Binds the role named `role` (a built-in one is created when missing) to `user`, at cluster
  // scope or on `space_id`; returns the binding.
  model::Binding bind(const std::string& role, const model::User& user,
                      std::optional<model::Id> space_id = std::nullopt) {
    auto done = m_store->transact_result([&](store::Tx& tx) -> Result<model::Binding> {
      auto found = tx.find_role(role);
      if (!found) {
        model::Role r;
        r.name = role;
        r.builtin = true;
        found = tx.create(r);
      }
      if (!found) {
        return std::unexpected(found.error());
      }
      model::Binding b;
      b.role_id = found->id;
      b.subject = user.id;
      b.space_id = std::move(space_id);
      return tx.create(b);
    });
    REQUIRE_MESSAGE(done.has_value(), test::error_text(done));
    return *done;
  }

  // Logs `name` in with k_password and returns the credential headers.
  http::HttpHeaders login(const std::string& name) {
    const nlohmann::json body{{"username", name}, {"password", k_password}};
    const auto answer = call("POST", "/api/v1/apps", body.dump());
    REQUIRE_MESSAGE(answer.status == 201, answer.body);
    const auto app = nlohmann::json::parse(answer.body);
    return {{"X-User-ID", app["user_id"].get<std::string>()},
            {"Authorization", "Bearer " + app["token"].get<std::string>()}};
  }

  // Every audit event as "outcome action resource detail" lines, newest first.
  std::string audit_text() {
    auto events = m_store->view_result([](store::Tx& tx) {
      return tx.list_audit(store::AuditQuery{std::nullopt, std::nullopt, 1000});
    });
    REQUIRE_MESSAGE(events.has_value(), test::error_text(events));
    std::string out;
    for (const auto& e : *events) {
      out += std::string(model::to_string(e.outcome)) + " " + e.action + " " + e.resource + " " +
             e.detail + "\n";
    }
    return out;
  }

  // Every response body so far, concatenated (for secret-grep checks).
  const std::string& bodies() const { return m_bodies; }
  store::Store& store() { return *m_store; }
  agent::handlers::AgentContext& context() { return *m_context; }
  std::uint16_t port() const { return m_server->port(); }
  const std::vector<agent::api::Route>& routes() const { return m_server->routes(); }

private:
  TempDir m_dir;
  std::string m_url;
  agent::auth::SystemClock m_system_clock;
  std::unique_ptr<store::Store> m_store;
  std::unique_ptr<agent::handlers::AgentContext> m_context;
  std::unique_ptr<agent::api::HttpServer> m_server;
  http::HttpClient m_client;
  std::string m_bodies;
  std::string m_hash; // k_password's hash, made once
};

} // namespace sharectl::test
