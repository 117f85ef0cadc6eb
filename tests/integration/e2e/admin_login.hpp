// The first admin of a test agent (AgentProcess creates "admin" with "admin password 1") logged
// in through the API: the headers its requests carry. Header-only, for e2e tests.
#pragma once

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/http/client.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/require.hpp"

namespace sharectl::test {

inline http::HttpHeaders admin_login(const AgentProcess& agent) {
  http::HttpClient client;
  auto app = client.request(
      "POST", agent.url() + "/api/v1/apps", {{"Content-Type", "application/json"}},
      nlohmann::json{{"username", "admin"}, {"password", "admin password 1"}}.dump());
  REQUIRE_MESSAGE(app.has_value(), error_text(app));
  REQUIRE_MESSAGE(app->status == 201, app->body);
  const auto j = nlohmann::json::parse(app->body);
  return {{"Content-Type", "application/json"},
          {"X-User-ID", j["user_id"].get<std::string>()},
          {"Authorization", "Bearer " + j["token"].get<std::string>()}};
}

} // namespace sharectl::test
