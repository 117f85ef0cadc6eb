// The read view of a real agent on a 3-member etcd cluster, from the API: a write through the
// agent is in its next GET (no Cache-Control needed); a write through another handle on the
// store shows within the change feed's delay; after a compaction past the agent's watch the
// agent still sees every later write; with two members stopped, GETs keep answering from memory
// while writes are 503 with Retry-After, and once the members return the same agent writes again.
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/store/store.hpp"
#include "common/http/client.hpp"
#include "common/util/base64.hpp"
#include "tests/integration/e2e/admin_login.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/require.hpp"

using namespace sharectl;
using Clock = std::chrono::steady_clock;

namespace {

struct Api {
  const test::AgentProcess& agent;
  http::HttpHeaders headers;
  http::HttpClient client{http::ClientOptions{}};

  Result<http::HttpResponse> call(const std::string& method, const std::string& path,
                                  const std::string& body = "") {
    return client.request(method, agent.url() + path, headers, body);
  }
  // The names of the groups GET /api/v1/groups lists.
  std::vector<std::string> groups() {
    auto got = call("GET", "/api/v1/groups");
    REQUIRE_MESSAGE(got.has_value(), test::error_text(got));
    REQUIRE_MESSAGE(got->status == 200, got->body);
    std::vector<std::string> out;
    for (const auto& g : nlohmann::json::parse(got->body)) {
      out.push_back(g["name"].get<std::string>());
    }
    return out;
  }
  bool lists(const std::string& name) {
    auto all = groups();
    return std::find(all.begin(), all.end(), name) != all.end();
  }
};

Api admin_api(const test::AgentProcess& agent) {
  return Api{agent, test::admin_login(agent)};
}

void create_behind(store::Store& store, const std::string& name) {
  SHARECTL_REQUIRE_OK(store.transact([&](store::Tx& tx) -> Status {
    model::Group g;
    g.name = name;
    auto made = tx.create(g);
    return made ? Status{} : std::unexpected(made.error());
  }));
}

// Milliseconds until the agent lists group `name` (REQUIREs it within 10 s).
long long until_listed(Api& api, const std::string& name) {
  const auto start = Clock::now();
  while (!api.lists(name)) {
    REQUIRE_MESSAGE(Clock::now() - start < std::chrono::seconds(10), name << " never listed");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

} // namespace

TEST_CASE("e2e: on etcd, the agent reads from its view: own writes at once, others' by the feed, "
          "through a compaction, and without quorum") {
  if (!test::programs_available({"etcd"}) ||
      !test::prerequisite(std::filesystem::exists(test::agent_binary()),
                          "the sharectl-agent binary (build all targets)")) {
    return;
  }
  test::EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  test::AgentOptions options;
  options.store = "etcd://" + cluster.endpoints() + "/read-view";
  auto agent = test::AgentProcess::start(options);
  REQUIRE_MESSAGE(agent.has_value(), test::error_text(agent));
  auto api = admin_api(**agent);
  auto other = store::open_store(options.store); // another agent's handle on the same store
  SHARECTL_REQUIRE_OK(other);

  // A write through the agent: in its very next GET, with no Cache-Control header.
  for (int i = 0; i < 5; ++i) {
    const std::string name = "own" + std::to_string(i);
    auto made = api.call("POST", "/api/v1/groups", nlohmann::json{{"name", name}}.dump());
    REQUIRE(made.has_value());
    REQUIRE_MESSAGE(made->status == 201, made->body);
    CHECK(api.lists(name));
  }

  // A write through another handle: by the change feed.
  create_behind(**other, "elsewhere");
  MESSAGE("another handle's write listed by the agent after " << until_listed(api, "elsewhere")
                                                              << " ms");

  // etcd compacted past the revision the agent's watch started at: the agent still follows.
  auto probe = cluster.post(0, "/v3/kv/range", nlohmann::json{{"key", base64_encode("x")}}.dump());
  REQUIRE(probe.has_value());
  const auto head = nlohmann::json::parse(probe->body)["header"]["revision"].get<std::string>();
  auto compacted = cluster.post(0, "/v3/kv/compaction",
                                nlohmann::json{{"revision", head}, {"physical", true}}.dump());
  REQUIRE(compacted.has_value());
  REQUIRE_MESSAGE(compacted->status == 200, compacted->body);
  for (int i = 0; i < 3; ++i) {
    const std::string name = "after-compaction" + std::to_string(i);
    create_behind(**other, name);
    until_listed(api, name);
  }

  // No quorum: reads answer from memory, writes are 503 with Retry-After.
  SHARECTL_REQUIRE_OK(cluster.stop(1));
  SHARECTL_REQUIRE_OK(cluster.stop(2));
  const auto listed = api.groups();
  CHECK(listed.size() >= 9);
  auto one = api.call("GET", "/api/v1/groups/own0");
  REQUIRE(one.has_value());
  CHECK_MESSAGE(one->status == 200, one->body);
  auto spaces = api.call("GET", "/api/v1/spaces?all=true");
  REQUIRE(spaces.has_value());
  CHECK_MESSAGE(spaces->status == 200, spaces->body);
  auto refused = api.call("POST", "/api/v1/groups", nlohmann::json{{"name", "during"}}.dump());
  REQUIRE(refused.has_value());
  CHECK(refused->status == 503);
  CHECK(refused->header("Retry-After").has_value());
  SHARECTL_REQUIRE_OK(cluster.restart(1));
  SHARECTL_REQUIRE_OK(cluster.restart(2));
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 201; ++attempt) {
    auto again = api.call("POST", "/api/v1/groups", nlohmann::json{{"name", "back"}}.dump());
    REQUIRE(again.has_value());
    status = again->status;
    CHECK((status == 201 || status == 503));
    if (status != 201) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  REQUIRE(status == 201);
  CHECK(api.lists("back"));
  // And the feed resumed: another handle's write shows again.
  create_behind(**other, "elsewhere-again");
  until_listed(api, "elsewhere-again");
}
