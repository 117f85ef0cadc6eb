// App expiry with a FakeClock (idle expiry, absolute maximum, a used app staying alive) and
// Authorization: Basic (auth.basic; its 429 carries the login route's Retry-After) against a
// real HttpServer on 127.0.0.1:0 with a SQLite store in a temp dir, driven over HTTP with
// libcurl.
#include <chrono>
#include <memory>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/auth/password.hpp"
#include "tests/integration/agent/handlers/harness.hpp"
#include "tests/support/require.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
namespace handlers = sharectl::agent::handlers;
namespace api = sharectl::agent::api;
namespace auth = sharectl::agent::auth;
using std::chrono::days;
using std::chrono::seconds;

constexpr const char* k_password = "correct horse battery";

// An agent in this process on a FakeClock: idle expiry 7d, absolute maximum 30d.
class Agent {
public:
  explicit Agent(bool basic = false, auth::LoginRateLimitConfig limits = {})
      : m_agent(config_for(basic), &m_clock, limits) { // the store's times follow the FakeClock
    auto hash = auth::hash_password(k_password);
    REQUIRE(hash.has_value());
    auto user = m_agent.store().transact_result([&](store::Tx& tx) -> Result<model::User> {
      model::User u;
      u.username = "alice";
      u.email = "alice@example.org";
      auto stored = tx.create(u);
      if (stored) {
        if (auto set = tx.set_user_secrets(stored->id, {*hash, std::nullopt}); !set) {
          return std::unexpected(set.error());
        }
      }
      return stored;
    });
    REQUIRE_MESSAGE(user.has_value(), test::error_text(user));
  }

  // Sends a request with a JSON content type and `headers`.
  http::HttpResponse call(const std::string& method, const std::string& path,
                          const std::string& body = {}, http::HttpHeaders headers = {}) {
    return m_agent.call(method, path, body, std::move(headers));
  }

  // Logs alice in and returns the credential headers.
  http::HttpHeaders login() {
    const auto answer =
        call("POST", "/api/v1/apps", json{{"username", "alice"}, {"password", k_password}}.dump());
    REQUIRE_MESSAGE(answer.status == 201, answer.body);
    const auto app = json::parse(answer.body);
    return {{"X-User-ID", app["user_id"].get<std::string>()},
            {"Authorization", "Bearer " + app["token"].get<std::string>()}};
  }

  // GET /api/v1/whoami with these headers; the status.
  int whoami(const http::HttpHeaders& headers) {
    return call("GET", "/api/v1/whoami", {}, headers).status;
  }

  // Moves the agent's clock.
  void advance(std::chrono::microseconds by) { m_clock.advance(by); }

  // Disables alice in the store: through the agent's own store handle, or (elsewhere) through
  // another handle on the same database, as another agent sharing the store would.
  void disable_alice(bool elsewhere = false) {
    std::unique_ptr<store::Store> other;
    if (elsewhere) {
      auto opened = store::open_store(m_agent.store_url());
      REQUIRE_MESSAGE(opened.has_value(), test::error_text(opened));
      other = std::move(*opened);
    }
    store::Store& target = elsewhere ? *other : m_agent.store();
    auto done = target.transact([&](store::Tx& tx) -> Status {
      auto user = tx.find_user("alice");
      if (!user) {
        return std::unexpected(user.error());
      }
      user->is_active = false;
      auto updated = tx.update(*user);
      if (!updated) {
        return std::unexpected(updated.error());
      }
      return {};
    });
    REQUIRE(done.has_value());
  }

private:
  static config::AgentConfig config_for(bool basic) {
    config::AgentConfig cfg;
    cfg.auth.basic = basic;
    cfg.apps.idle_expiry = days{7};
    cfg.apps.max_lifetime = days{30};
    return cfg;
  }

  auth::FakeClock m_clock; // before m_agent, which keeps a reference to it
  test::InProcessAgent m_agent;
};

// "Basic base64(user:password)".
std::string basic(const std::string& user, const std::string& password) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = user + ":" + password;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) {
      n |= static_cast<unsigned char>(in[i + 1]) << 8;
    }
    if (i + 2 < in.size()) {
      n |= static_cast<unsigned char>(in[i + 2]);
    }
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? k_alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? k_alphabet[n & 63] : '=';
  }
  return "Basic " + out;
}

} // namespace

TEST_CASE("expiry: an app unused for longer than idle_expiry is 401, at the limit it is valid") {
  Agent agent;
  const auto app = agent.login();
  agent.advance(days{7});
  CHECK(agent.whoami(app) == 200); // valid at exactly the limit, and this use renews it
  agent.advance(days{7} + seconds{1});
  const auto expired = agent.call("GET", "/api/v1/whoami", {}, app);
  CHECK(expired.status == 401);
  CHECK(json::parse(expired.body)["error"]["code"] == "unauthenticated");
  CHECK(agent.whoami(agent.login()) == 200); // a new login works
}

TEST_CASE("expiry: a used app stays alive, and still ends at the absolute maximum") {
  Agent agent;
  const auto app = agent.login();
  for (int day = 6; day <= 30; day += 6) {
    agent.advance(days{6});
    CAPTURE(day);
    CHECK(agent.whoami(app) == 200);
  }
  agent.advance(seconds{1}); // 30 days and 1 second after login, last used 1 second ago
  CHECK(agent.whoami(app) == 401);
  const auto list = agent.call("GET", "/api/v1/apps", {}, agent.login());
  REQUIRE(list.status == 200);
  CHECK(json::parse(list.body).size() == 1); // the expired app is not listed
}

TEST_CASE("basic auth: per-request password check when enabled, 401 when disabled") {
  SUBCASE("disabled: a Basic header is 401") {
    Agent agent(false);
    CHECK(agent.whoami({{"Authorization", basic("alice", k_password)}}) == 401);
  }
  SUBCASE("enabled: right password 200, wrong or unknown 401 alike, disabled user 401") {
    Agent agent(true);
    const auto ok =
        agent.call("GET", "/api/v1/whoami", {}, {{"Authorization", basic("alice", k_password)}});
    REQUIRE_MESSAGE(ok.status == 200, ok.body);
    CHECK(json::parse(ok.body)["user"]["username"] == "alice");
    CHECK(agent.whoami({{"Authorization", basic("alice@example.org", k_password)}}) == 200);
    const auto wrong =
        agent.call("GET", "/api/v1/whoami", {}, {{"Authorization", basic("alice", "nope-nope")}});
    const auto unknown =
        agent.call("GET", "/api/v1/whoami", {}, {{"Authorization", basic("nobody", "nope")}});
    CHECK(wrong.status == 401);
    CHECK(unknown.status == 401);
    CHECK(json::parse(wrong.body)["error"]["message"] ==
          json::parse(unknown.body)["error"]["message"]);
    agent.disable_alice();
    CHECK(agent.whoami({{"Authorization", basic("alice", k_password)}}) == 401);
  }
  SUBCASE("enabled: failures share the login rate limit (429)") {
    auth::LoginRateLimitConfig limits;
    limits.per_account_address.limit = 3;
    limits.per_account_address.backoff_after = 0;
    Agent agent(true, limits);
    for (int i = 0; i < 3; ++i) {
      CHECK(agent.whoami({{"Authorization", basic("alice", "wrong password")}}) == 401);
    }
    const auto limited =
        agent.call("GET", "/api/v1/whoami", {}, {{"Authorization", basic("alice", k_password)}});
    CHECK(limited.status == 429);
    CHECK(json::parse(limited.body)["error"]["code"] == "rate_limited");
    const auto login = agent.call("POST", "/api/v1/apps",
                                  json{{"username", "alice"}, {"password", k_password}}.dump());
    CHECK(login.status == 429);
    // The Basic path answers with the same Retry-After as the login route, and it is true:
    // once that many seconds have passed, the right password is accepted again.
    REQUIRE(limited.header("Retry-After").has_value());
    CHECK(limited.header("Retry-After") == login.header("Retry-After"));
    const long retry_after = std::stol(std::string(*limited.header("Retry-After")));
    CHECK(retry_after >= 1);
    CHECK(retry_after <= 3600 + 120); // the window, plus at most one 120 s bucket
    agent.advance(seconds{retry_after});
    CHECK(agent.whoami({{"Authorization", basic("alice", k_password)}}) == 200);
  }
}

TEST_CASE("callers: a cached app ends at once when its user is disabled or it is logged out") {
  Agent agent;
  const auto first = agent.login();
  const auto second = agent.login();
  CHECK(agent.whoami(first) == 200);
  CHECK(agent.whoami(first) == 200); // served from the cache of recent callers

  const auto whoami = json::parse(agent.call("GET", "/api/v1/whoami", {}, first).body);
  const auto first_id = whoami["app"]["app_id"].get<std::string>();
  CHECK(agent.call("DELETE", "/api/v1/apps/" + first_id, {}, second).status == 204);
  CHECK(agent.whoami(first) == 401); // logged out: at once, not after the cache's ttl
  CHECK(agent.whoami(second) == 200);

  agent.disable_alice();
  CHECK(agent.whoami(second) == 401);
}

TEST_CASE("callers: a user disabled through another agent sharing the store is refused soon") {
  // The other agent's commit reaches this one by the change feed or, at the latest, when the
  // cached caller's 2 s are over; 10 s leaves room for a loaded machine.
  Agent agent;
  const auto app = agent.login();
  CHECK(agent.whoami(app) == 200);
  agent.disable_alice(/*elsewhere=*/true);
  const auto deadline = std::chrono::steady_clock::now() + seconds{10};
  int status = 200;
  while (status == 200 && std::chrono::steady_clock::now() < deadline) {
    status = agent.whoami(app);
    if (status == 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  CHECK(status == 401);
}

TEST_CASE("answers: a kept apps list gives way to a use recorded since, within its second") {
  // The list was kept 0.5 s before a use was recorded (60 s granularity): its ttl has not run
  // out, yet the next list shows the new last use.
  Agent agent;
  const auto app = agent.login();
  agent.advance(std::chrono::milliseconds{59500});
  const auto kept = agent.call("GET", "/api/v1/apps", {}, app).body;
  CHECK(agent.call("GET", "/api/v1/apps", {}, app).body == kept);
  agent.advance(std::chrono::milliseconds{600});
  CHECK(agent.whoami(app) == 200); // records the use: 60.1 s after the login
  const auto after = json::parse(agent.call("GET", "/api/v1/apps", {}, app).body);
  REQUIRE(after.size() == 1);
  CHECK(after[0]["last_used_at"] != json::parse(kept)[0]["last_used_at"]);
}
