// The API of a real agent whose store is a 3-member etcd cluster, under the cluster's faults:
// the leader the agent talks to is killed while 8 clients create groups — every answer is 201 or
// 503 with Retry-After (never 500), and every 201 group is there exactly once afterwards; with
// two members stopped a create is 503 with Retry-After, and once they are back the same agent
// (not restarted) creates again.
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/http/client.hpp"
#include "tests/integration/e2e/admin_login.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;

namespace {

Result<http::HttpResponse> create_group(http::HttpClient& client, const test::AgentProcess& agent,
                                        const http::HttpHeaders& admin, const std::string& name) {
  return client.request("POST", agent.url() + "/api/v1/groups", admin,
                        nlohmann::json{{"name", name}}.dump());
}

} // namespace

TEST_CASE("e2e: on etcd, a killed leader and a lost quorum are 503 with Retry-After, never 500, "
          "and no acknowledged write is lost or doubled") {
  if (!test::programs_available({"etcd"}) ||
      !test::prerequisite(std::filesystem::exists(test::agent_binary()),
                          "the sharectl-agent binary (build all targets)")) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  auto leader = cluster.leader();
  SHARECTL_REQUIRE_OK(leader);
  std::string endpoints = cluster.endpoint(*leader); // the agent talks to the leader first
  for (int i = 0; i < cluster.size(); ++i) {
    if (i != *leader) {
      endpoints += "," + cluster.endpoint(i);
    }
  }
  test::AgentOptions options;
  options.store = "etcd://" + endpoints + "/api-faults";
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  const auto admin = test::admin_login(**agent);

  std::mutex mutex;
  std::vector<std::string> created;
  std::map<int, int> statuses;
  int without_retry_after = 0;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      http::HttpClient client;
      for (int i = 0; !stop; ++i) {
        const std::string name = "g" + std::to_string(t) + "-" + std::to_string(i);
        auto answer = create_group(client, **agent, admin, name);
        std::lock_guard lock(mutex);
        const int status = answer ? answer->status : 0;
        ++statuses[status];
        if (status == 201) {
          created.push_back(name);
        } else if (status == 503 && !answer->header("Retry-After")) {
          ++without_retry_after;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  SHARECTL_REQUIRE_OK(cluster.kill(*leader));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  SHARECTL_REQUIRE_OK(cluster.restart(*leader));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& c : clients) {
    c.join();
  }
  for (const auto& [status, count] : statuses) {
    CAPTURE(status);
    CAPTURE(count);
    CHECK((status == 201 || status == 503));
  }
  CHECK(without_retry_after == 0);
  CHECK(created.size() > 8);

  http::HttpClient client;
  auto listed = client.request("GET", (*agent)->url() + "/api/v1/groups", admin, "");
  REQUIRE(listed.has_value());
  REQUIRE_MESSAGE(listed->status == 200, listed->body);
  std::map<std::string, int> seen;
  for (const auto& g : nlohmann::json::parse(listed->body)) {
    ++seen[g["name"].get<std::string>()];
  }
  for (const auto& name : created) {
    CHECK_MESSAGE(seen[name] == 1, name);
  }

  // No quorum: a write is 503 with Retry-After; back: the same agent writes again.
  const int other1 = (*leader + 1) % 3, other2 = (*leader + 2) % 3;
  SHARECTL_REQUIRE_OK(cluster.stop(other1));
  SHARECTL_REQUIRE_OK(cluster.stop(other2));
  auto refused = create_group(client, **agent, admin, "during");
  REQUIRE(refused.has_value());
  CHECK(refused->status == 503);
  CHECK(refused->header("Retry-After").has_value());
  SHARECTL_REQUIRE_OK(cluster.restart(other1));
  SHARECTL_REQUIRE_OK(cluster.restart(other2));
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 201; ++attempt) {
    auto again = create_group(client, **agent, admin, "after");
    REQUIRE(again.has_value());
    status = again->status;
    CHECK((status == 201 || status == 503));
    if (status != 201) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  CHECK(status == 201);
}
