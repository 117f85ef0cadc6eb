// The real `sharectl-agent run` over HTTP: repeats of a cacheable GET are answered from the
// answer cache (sharectl_http_cached_answers_total grows), a login or logout through the agent
// shows in the very next list, a logged-out app is refused at once although its answers were
// kept, and Cache-Control: no-store never takes a kept answer.
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/http/client.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;
using nlohmann::json;

namespace {

const http::HttpHeaders k_json{{"Content-Type", "application/json"}};
constexpr const char* k_password = "carol password 1";

class Client {
public:
  explicit Client(std::string base) : m_base(std::move(base)) {}

  http::HttpResponse call(const std::string& method, const std::string& path,
                          http::HttpHeaders headers = {}, const std::string& body = {}) {
    headers.insert(headers.end(), k_json.begin(), k_json.end());
    auto answer = m_client.request(method, m_base + path, headers, body);
    REQUIRE_MESSAGE(answer.has_value(), test::error_text(answer));
    return *answer;
  }

  // A new app of carol: its credential headers and its id.
  std::pair<http::HttpHeaders, std::string> login() {
    const auto answer = call("POST", "/api/v1/apps", {},
                             json{{"username", "carol"}, {"password", k_password}}.dump());
    REQUIRE_MESSAGE(answer.status == 201, answer.body);
    const auto app = json::parse(answer.body);
    return {{{"X-User-ID", app["user_id"].get<std::string>()},
             {"Authorization", "Bearer " + app["token"].get<std::string>()}},
            app["app_id"].get<std::string>()};
  }

  std::uint64_t cached_answers() {
    const auto metrics = call("GET", "/metrics");
    const std::string name = "\nsharectl_http_cached_answers_total ";
    const auto at = metrics.body.find(name);
    REQUIRE(at != std::string::npos);
    return std::stoull(metrics.body.substr(at + name.size()));
  }

  std::size_t apps(const http::HttpHeaders& who, http::HttpHeaders extra = {}) {
    extra.insert(extra.end(), who.begin(), who.end());
    const auto answer = call("GET", "/api/v1/apps", extra);
    REQUIRE_MESSAGE(answer.status == 200, answer.body);
    return json::parse(answer.body).size();
  }

private:
  std::string m_base;
  http::HttpClient m_client;
};

} // namespace

TEST_CASE("answer cache: the real agent keeps answers, and a login or logout shows at once") {
  if (!test::prerequisite(std::filesystem::exists(test::agent_binary()),
                          "the sharectl-agent binary (build all targets)")) {
    return;
  }
  auto agent = test::AgentProcess::start({});
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  Client client((*agent)->url());
  REQUIRE(
      client
          .call(
              "POST", "/api/v1/users", {},
              json{{"username", "carol"}, {"email", "carol@example.org"}, {"password", k_password}}
                  .dump())
          .status == 201);
  const auto [first, first_id] = client.login();

  const auto before = client.cached_answers();
  for (int i = 0; i < 5; ++i) {
    CHECK(client.apps(first) == 1);
  }
  CHECK(client.cached_answers() > before); // kept for 1 s: even a slow machine repeats within it

  const auto [second, second_id] = client.login();
  CHECK(client.apps(first) == 2); // the login committed: the kept list gave way
  CHECK(client.apps(second) == 2);
  CHECK(client.call("DELETE", "/api/v1/apps/" + second_id, first).status == 204);
  CHECK(client.apps(first) == 1);
  CHECK(client.call("GET", "/api/v1/apps", second).status == 401); // logged out, at once

  const auto kept = client.cached_answers();
  for (int i = 0; i < 3; ++i) {
    CHECK(client.apps(first, {{"Cache-Control", "no-store"}}) == 1);
  }
  CHECK(client.cached_answers() == kept);

  auto stopped = (*agent)->stop();
  REQUIRE_MESSAGE(stopped.has_value(), test::error_text(stopped));
  CHECK(*stopped == 0);
}
