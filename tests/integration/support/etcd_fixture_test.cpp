// Proves tests/support/etcd_fixture: a private 3-member etcd cluster answers through its JSON
// gateway, survives the loss of one member, restarts a member on its data and ports, enables
// auth, and leaves nothing behind.
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/util/base64.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/require.hpp"

namespace sharectl::test {

namespace {

using nlohmann::json;

// Skips (or fails under CI) unless etcd is installed.
bool etcd_prerequisites() {
  return programs_available({"etcd"});
}

// Puts key=value through member i's gateway; REQUIREs a 200.
void put(EtcdCluster& cluster, int i, const std::string& key, const std::string& value) {
  auto response = cluster.post(
      i, "/v3/kv/put", json{{"key", base64_encode(key)}, {"value", base64_encode(value)}}.dump());
  SHARECTL_REQUIRE_OK(response);
  REQUIRE_MESSAGE(response->status == 200, response->body);
}

// The value of key read through member i's gateway ("" when absent); REQUIREs a 200.
std::string get(EtcdCluster& cluster, int i, const std::string& key) {
  auto response = cluster.post(i, "/v3/kv/range", json{{"key", base64_encode(key)}}.dump());
  SHARECTL_REQUIRE_OK(response);
  REQUIRE_MESSAGE(response->status == 200, response->body);
  const json body = json::parse(response->body);
  if (!body.contains("kvs")) {
    return {};
  }
  auto value = base64_decode(body["kvs"][0].value("value", ""));
  REQUIRE(value.has_value());
  return *value;
}

} // namespace

TEST_CASE("etcd fixture: three members answer and share what is written through one of them") {
  if (!etcd_prerequisites()) {
    return;
  }
  EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  REQUIRE(cluster.size() == 3);
  CHECK(cluster.endpoints() ==
        cluster.endpoint(0) + "," + cluster.endpoint(1) + "," + cluster.endpoint(2));
  for (int i = 0; i < 3; ++i) {
    CHECK(cluster.running(i));
    CHECK(cluster.pid(i) > 0);
    CHECK(cluster.endpoint(i) == "127.0.0.1:" + std::to_string(cluster.client_port(i)));
  }
  put(cluster, 0, "/fixture/a", "written via m0");
  CHECK(get(cluster, 1, "/fixture/a") == "written via m0");
  CHECK(get(cluster, 2, "/fixture/a") == "written via m0");

  auto members = cluster.post(2, "/v3/cluster/member/list", "{}");
  SHARECTL_REQUIRE_OK(members);
  CHECK(json::parse(members->body)["members"].size() == 3);
  auto leader = cluster.leader();
  SHARECTL_REQUIRE_OK(leader);
  CHECK(*leader >= 0);
  CHECK(*leader < 3);

  // etcd's limits are the stock ones: a transaction of 129 operations is refused.
  json ops = json::array();
  for (int i = 0; i < 129; ++i) {
    ops.push_back({{"request_put", {{"key", base64_encode("/ops/" + std::to_string(i))}}}});
  }
  auto txn = cluster.post(0, "/v3/kv/txn", json{{"success", ops}}.dump());
  SHARECTL_REQUIRE_OK(txn);
  CHECK(txn->status == 400);
  CHECK(txn->body.find("too many operations in txn request") != std::string::npos);
}

TEST_CASE("etcd fixture: a killed member leaves two that answer, restart keeps data and ports") {
  if (!etcd_prerequisites()) {
    return;
  }
  EtcdCluster cluster;
  SHARECTL_REQUIRE_OK(cluster.start());
  auto leader = cluster.leader();
  SHARECTL_REQUIRE_OK(leader);
  const int victim = *leader; // the hardest case: the other two must elect a new leader
  const pid_t old_pid = cluster.pid(victim);
  const int old_port = cluster.client_port(victim);
  SHARECTL_REQUIRE_OK(cluster.kill(victim));
  CHECK_FALSE(cluster.running(victim));
  CHECK_FALSE(process_alive(old_pid));

  const int a = (victim + 1) % 3;
  const int b = (victim + 2) % 3;
  auto new_leader = cluster.leader();
  SHARECTL_REQUIRE_OK(new_leader);
  CHECK(*new_leader != victim);
  put(cluster, a, "/fixture/after-kill", "still here");
  CHECK(get(cluster, b, "/fixture/after-kill") == "still here");
  CHECK_FALSE(cluster.post(victim, "/v3/kv/range", "{}").has_value());

  SHARECTL_REQUIRE_OK(cluster.restart(victim));
  CHECK(cluster.running(victim));
  CHECK(cluster.pid(victim) != old_pid);
  CHECK(cluster.client_port(victim) == old_port);
  // The restarted member caught up with what was written while it was down.
  CHECK(get(cluster, victim, "/fixture/after-kill") == "still here");

  SHARECTL_REQUIRE_OK(cluster.stop(b));
  CHECK_FALSE(cluster.running(b));
  SHARECTL_REQUIRE_OK(cluster.stop(b)); // no-op when stopped
}

TEST_CASE("etcd fixture: enable_auth makes the gateway refuse anonymous requests") {
  if (!etcd_prerequisites()) {
    return;
  }
  EtcdCluster cluster({.members = 3, .auth_token_ttl_seconds = 30});
  SHARECTL_REQUIRE_OK(cluster.start());
  put(cluster, 0, "/fixture/before-auth", "open");
  SHARECTL_REQUIRE_OK(cluster.enable_auth("fixture root password"));
  // post() now authenticates as root.
  CHECK(get(cluster, 1, "/fixture/before-auth") == "open");
  http::HttpClient anonymous;
  auto refused = anonymous.request("POST", cluster.client_url(2) + "/v3/kv/range",
                                   {{"Content-Type", "application/json"}},
                                   json{{"key", base64_encode("/fixture/before-auth")}}.dump());
  SHARECTL_REQUIRE_OK(refused);
  CHECK(refused->status != 200);
  CHECK(refused->body.find("user name is empty") != std::string::npos);
  // A restarted member is healthy again with auth on (its /health check copes with auth).
  SHARECTL_REQUIRE_OK(cluster.restart(1));
  CHECK(get(cluster, 1, "/fixture/before-auth") == "open");
}

TEST_CASE("etcd fixture: destruction leaves no member running and no directory") {
  if (!etcd_prerequisites()) {
    return;
  }
  std::vector<pid_t> pids;
  std::filesystem::path dir;
  {
    EtcdCluster cluster;
    SHARECTL_REQUIRE_OK(cluster.start());
    dir = cluster.dir();
    CHECK(std::filesystem::exists(dir));
    for (int i = 0; i < cluster.size(); ++i) {
      pids.push_back(cluster.pid(i));
    }
    SHARECTL_REQUIRE_OK(cluster.kill(2)); // a dead member must not upset the teardown
  }
  REQUIRE(pids.size() == 3);
  for (const pid_t pid : pids) {
    CHECK_FALSE(process_alive(pid));
  }
  CHECK_FALSE(std::filesystem::exists(dir));
}

} // namespace sharectl::test
