// Benchmark: our write path on etcd against etcd's own floor, in one run (not a test: it prints
// figures, no thresholds). A private 3-member etcd cluster and the real `sharectl-agent run` on
// it (plain HTTP on loopback, no filesystems of its own: spaces are placed on a seeded host whose
// liveness lease this program keeps, so nothing on this machine is touched). First one probe
// `POST /api/v1/spaces` is made and the keys it wrote are found by diffing the store's keyspace
// before and after; then, alternating, N space creates through the API and N replays of those
// same keys and value sizes as one guarded etcd txn straight to the gateway (what etcd itself
// needs to persist such a change). Prints both medians and p90, and the ratio API / etcd
// (goal <= 3).
//
// Usage: etcd_write_floor_bench [--creates 30]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/store/etcd/gateway.hpp"
#include "agent/store/store.hpp"
#include "common/http/client.hpp"
#include "tests/bench/bench_stores.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/etcd_fixture.hpp"

using namespace sharectl;
using Clock = std::chrono::steady_clock;
using bench::die;
using bench::median;
using bench::ms_since;
using bench::percentile;

namespace {

const std::string k_prefix = "/bench";

nlohmann::json request(http::HttpClient& client, const std::string& method, const std::string& url,
                       const http::HttpHeaders& headers, const std::string& body, int status) {
  auto answer = client.request(method, url, headers, body);
  if (!answer || answer->status != status) {
    die(method + " " + url + ": " + (answer ? answer->body : answer.error().message));
  }
  return answer->body.empty() ? nlohmann::json() : nlohmann::json::parse(answer->body);
}

// Every key under the store's prefix → (mod_revision, value size).
std::map<std::string, std::pair<std::int64_t, std::size_t>>
keyspace(store::etcd::EtcdGateway& gateway) {
  auto all = gateway.range(store::etcd::RangeRequest::of_prefix(k_prefix + "/"));
  if (!all) {
    die("cannot read the keyspace: " + all.error().message);
  }
  std::map<std::string, std::pair<std::int64_t, std::size_t>> out;
  for (const auto& kv : all->kvs) {
    out[kv.key] = {kv.mod_revision, kv.value.size()};
  }
  return out;
}

// etcd's count of gRPC requests handled, by method (Range, Txn, Put, …), summed over members:
// what the gateway turned our requests into.
std::map<std::string, double> etcd_requests(const test::EtcdCluster& cluster) {
  std::map<std::string, double> out;
  http::HttpClient client;
  for (int i = 0; i < cluster.size(); ++i) {
    auto answer = client.request("GET", cluster.client_url(i) + "/metrics", {}, "");
    if (!answer || answer->status != 200) {
      continue;
    }
    std::size_t at = 0;
    const std::string name = "grpc_server_handled_total{";
    while ((at = answer->body.find(name, at)) != std::string::npos) {
      const auto end = answer->body.find('\n', at);
      const std::string line = answer->body.substr(at, end - at);
      at = end;
      const auto method = line.find("grpc_method=\"");
      if (method == std::string::npos) {
        continue;
      }
      const auto from = method + 13;
      const std::string m = line.substr(from, line.find('"', from) - from);
      out[m] += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return out;
}

int run(int argc, char** argv) {
  int creates = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--creates") {
      creates = std::stoi(argv[i + 1]);
    } else {
      die(std::string("unknown option ") + argv[i]);
    }
  }
  test::EtcdCluster cluster;
  if (auto started = cluster.start(); !started) {
    die("etcd did not start: " + started.error().message);
  }
  const std::string url = "etcd://" + cluster.endpoints() + k_prefix;
  test::AgentOptions options;
  options.store = url;
  options.extra_yaml = "log:\n  level: warn\nspaces:\n  max_per_user: unlimited\n";
  auto agent = test::AgentProcess::start(options);
  if (!agent) {
    die("the agent did not start: " + agent.error().message);
  }
  const std::string base = (*agent)->url();
  http::HttpClient client;
  const http::HttpHeaders json_type{{"Content-Type", "application/json"}};
  request(client, "POST", base + "/api/v1/users", json_type,
          R"({"username":"bench","email":"bench@example.org","password":"bench password 1"})", 201);
  const auto app = request(client, "POST", base + "/api/v1/apps", json_type,
                           R"({"username":"bench","password":"bench password 1"})", 201);
  const http::HttpHeaders caller{{"Content-Type", "application/json"},
                                 {"X-User-ID", app["user_id"].get<std::string>()},
                                 {"Authorization", "Bearer " + app["token"].get<std::string>()}};

  // A host with room whose lease this program keeps: placement finds it up.
  auto store = store::open_store(url);
  if (!store) {
    die("cannot open the store: " + store.error().message);
  }
  const model::Id host_id = bench::seed_host(**store, "floor-host").id;
  bench::must((*store)->keep_server_alive(host_id, std::chrono::seconds(5)), "lease");
  std::atomic<bool> stop{false};
  std::thread lease([&] {
    while (!stop) {
      (void)(*store)->keep_server_alive(host_id, std::chrono::seconds(5));
      for (int i = 0; i < 20 && !stop; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });
  struct Joined { // a die() on the way still stops and joins the lease keeper
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joined() {
      stop = true;
      if (thread.joinable()) {
        thread.join();
      }
    }
  } joined{stop, lease};
  auto parsed = store::etcd::parse_etcd_url("etcd://" + cluster.endpoints());
  if (!parsed) {
    die(parsed.error().message);
  }
  store::etcd::EtcdGateway gateway(*parsed);
  auto create = [&](const std::string& name) {
    request(
        client, "POST", base + "/api/v1/spaces", caller,
        nlohmann::json{{"name", name}, {"size_bytes", 1 << 20}, {"server", "floor-host"}}.dump(),
        201);
  };

  // The probe: which keys (and value sizes) one space create writes.
  create("probe-warm"); // first use of a few caches
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto before = keyspace(gateway);
  create("probe");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto after = keyspace(gateway);
  std::vector<std::size_t> sizes;
  for (const auto& [key, value] : after) {
    const auto old = before.find(key);
    if (old == before.end() || old->second.first != value.first) {
      sizes.push_back(value.second);
    }
  }
  std::size_t bytes = 0;
  for (auto s : sizes) {
    bytes += s;
  }

  // Alternating: an API create, then etcd's floor for the same keys and sizes.
  std::vector<double> api, floor;
  std::map<std::string, double> per_create; // etcd requests during the API creates
  for (int i = 0; i < creates; ++i) {
    const auto counted = etcd_requests(cluster);
    const auto t0 = Clock::now();
    create("s" + std::to_string(i));
    api.push_back(ms_since(t0));
    for (const auto& [method, n] : etcd_requests(cluster)) {
      per_create[method] += n - (counted.contains(method) ? counted.at(method) : 0);
    }
    store::etcd::TxnRequest txn;
    const std::string head = "/floor/" + std::to_string(i) + "/head";
    txn.compare.push_back(
        store::etcd::Compare::mod(head, store::etcd::CompareResult::less, std::int64_t{1} << 62));
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      txn.success.emplace_back(store::etcd::PutRequest::of(
          "/floor/" + std::to_string(i) + "/" + std::to_string(k), std::string(sizes[k], 'x')));
    }
    const auto t1 = Clock::now();
    auto done = gateway.txn(txn);
    floor.push_back(ms_since(t1));
    if (!done || !done->succeeded) {
      die("the floor txn failed");
    }
  }
  stop = true;
  lease.join();
  std::printf("space create on a 3-member etcd: %zu keys written (%zu bytes of values)\n",
              sizes.size(), bytes);
  std::printf("%-34s %10s %10s\n", "", "median ms", "p90 ms");
  std::printf("%-34s %10.2f %10.2f\n", "POST /api/v1/spaces (agent)", median(api),
              percentile(api, 0.9));
  std::printf("%-34s %10.2f %10.2f\n", "same keys, one etcd txn (floor)", median(floor),
              percentile(floor, 0.9));
  std::printf("ratio agent / etcd: %.2f (goal <= 3)\n", median(api) / median(floor));
  std::printf("etcd requests per API space create (mean; includes the agent's background work):");
  for (const auto& [method, n] : per_create) {
    if (n > 0) {
      std::printf(" %s %.1f", method.c_str(), n / creates);
    }
  }
  std::printf("\n");
  (void)(*agent)->stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return bench::guarded_main("etcd_write_floor_bench", run, argc, argv);
}
