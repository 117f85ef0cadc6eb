// Benchmark: a mixed workload against the real `sharectl-agent run` on one store backend (not a
// test: it prints figures, no thresholds). N users (default 1,000) registered and logged in
// through the API; then 64 client threads, each with its own keep-alive connection, for D
// seconds: 19 of 20 requests are GET /api/v1/spaces of a random user, 1 in 20 a write by that
// user — alternately a space create (with its share) and a grant of the user's newest share to
// another user. Spaces are placed on a seeded host this program keeps alive (nothing on this
// machine is touched). Prints throughput, p50/p99 of reads and of writes, the share of writes
// slower than 50 ms and the count of 5xx answers. Run it once per backend to compare.
//
// Usage: mixed_workload_bench [--store sqlite|postgres|etcd] [--users 1000] [--connections 64]
//                             [--duration 10]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/store/store.hpp"
#include "common/http/client.hpp"
#include "tests/bench/bench_stores.hpp"
#include "tests/support/agent_process.hpp"

using namespace sharectl;
using Clock = std::chrono::steady_clock;
using bench::die;
using bench::median;
using bench::ms_since;
using bench::percentile;

namespace {

struct User {
  std::string name;
  http::HttpHeaders headers;
  std::vector<std::string> shares; // made by this run, newest last
  std::mutex mutex;
};

int run(int argc, char** argv) {
  std::string backend = "sqlite";
  int users = 1000, connections = 64, duration = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--store") {
      backend = argv[i + 1];
    } else if (flag == "--users") {
      users = std::stoi(argv[i + 1]);
    } else if (flag == "--connections") {
      connections = std::stoi(argv[i + 1]);
    } else if (flag == "--duration") {
      duration = std::stoi(argv[i + 1]);
    } else {
      die("unknown option " + flag);
    }
  }
  const bench::BenchStore backing(backend, "/mixed");
  test::AgentOptions options;
  options.store = backing.url;
  options.extra_yaml = "log:\n  level: warn\n";
  auto agent = test::AgentProcess::start(options);
  if (!agent) {
    die("the agent did not start: " + agent.error().message);
  }
  const std::string base = (*agent)->url();

  // A host with room, kept alive by this program (a lease on etcd, fresh heartbeats on SQL).
  auto store = store::open_store((*agent)->store_url());
  if (!store) {
    die("cannot open the store: " + store.error().message);
  }
  const model::Server host = bench::seed_host(**store, "mixed-host");
  std::atomic<bool> stop{false};
  std::thread alive([&] {
    while (!stop) {
      model::Server beat = host;
      beat.last_heartbeat = model::now_utc();
      (void)(*store)->transact([&](store::Tx& tx) { return tx.touch_server(beat); });
      (void)(*store)->keep_server_alive(host.id, std::chrono::seconds(5));
      for (int i = 0; i < 20 && !stop; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  // The users, registered and logged in by 8 threads.
  std::vector<std::unique_ptr<User>> people(static_cast<std::size_t>(users));
  {
    std::atomic<int> next{0};
    std::mutex failed_mutex;
    std::string failed; // die() in a thread would terminate without stopping the fixtures
    std::vector<std::thread> setup;
    for (int t = 0; t < 8; ++t) {
      setup.emplace_back([&] {
        http::HttpClient client;
        const http::HttpHeaders json_type{{"Content-Type", "application/json"}};
        for (int i = next++; i < users; i = next++) {
          auto u = std::make_unique<User>();
          u->name = "mixed" + std::to_string(i);
          const auto body = nlohmann::json{{"username", u->name},
                                           {"email", u->name + "@example.org"},
                                           {"password", "mixed password 1"}}
                                .dump();
          auto made = client.request("POST", base + "/api/v1/users", json_type, body);
          auto app = client.request(
              "POST", base + "/api/v1/apps", json_type,
              nlohmann::json{{"username", u->name}, {"password", "mixed password 1"}}.dump());
          if (!made || made->status != 201 || !app || app->status != 201) {
            std::lock_guard lock(failed_mutex);
            failed = "cannot register " + u->name + ": " +
                     (made && made->status != 201 ? made->body
                      : app                       ? app->body
                                                  : app.error().message);
            return;
          }
          const auto j = nlohmann::json::parse(app->body);
          u->headers = {{"Content-Type", "application/json"},
                        {"X-User-ID", j["user_id"].get<std::string>()},
                        {"Authorization", "Bearer " + j["token"].get<std::string>()}};
          people[static_cast<std::size_t>(i)] = std::move(u);
        }
      });
    }
    for (auto& t : setup) {
      t.join();
    }
    if (!failed.empty()) {
      stop = true;
      alive.join();
      die(failed);
    }
  }

  // The mix.
  std::mutex mutex;
  std::vector<double> reads, writes;
  std::atomic<int> errors5xx{0}, other_errors{0};
  std::atomic<int> serial{0};
  const auto deadline = Clock::now() + std::chrono::seconds(duration);
  std::vector<std::thread> clients;
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] {
      http::HttpClient client;
      std::mt19937 random(static_cast<unsigned>(c) * 7919u + 1);
      std::uniform_int_distribution<int> pick(0, users - 1);
      std::vector<double> my_reads, my_writes;
      for (int n = 0; Clock::now() < deadline; ++n) {
        User& u = *people[static_cast<std::size_t>(pick(random))];
        const bool write = n % 20 == 19;
        Result<http::HttpResponse> answer = std::unexpected(Error{ErrorCode::internal, ""});
        const auto t0 = Clock::now();
        if (!write) {
          answer = client.request("GET", base + "/api/v1/spaces", u.headers, "");
        } else {
          std::string newest;
          {
            std::lock_guard lock(u.mutex);
            newest = u.shares.empty() || n % 40 == 19 ? "" : u.shares.back();
          }
          if (newest.empty()) {
            const std::string name = "m" + std::to_string(serial++);
            answer = client.request(
                "POST", base + "/api/v1/spaces", u.headers,
                nlohmann::json{{"name", name}, {"size_bytes", 1 << 20}, {"server", "mixed-host"}}
                    .dump());
            if (answer && answer->status == 201) {
              std::lock_guard lock(u.mutex);
              u.shares.push_back(name);
            }
          } else {
            const auto& other = people[static_cast<std::size_t>(pick(random))]->name;
            answer = client.request("PUT", base + "/api/v1/shares/" + newest + "/acl/user:" + other,
                                    u.headers, R"({"level":"read"})");
          }
        }
        (write ? my_writes : my_reads).push_back(ms_since(t0));
        if (!answer || answer->status >= 500) {
          ++errors5xx;
        } else if (answer->status >= 400 && answer->status != 409) {
          ++other_errors;
        }
      }
      std::lock_guard lock(mutex);
      reads.insert(reads.end(), my_reads.begin(), my_reads.end());
      writes.insert(writes.end(), my_writes.begin(), my_writes.end());
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  stop = true;
  alive.join();
  const auto slow = std::count_if(writes.begin(), writes.end(), [](double ms) { return ms > 50; });
  std::printf("mixed workload on %s: %d users, %d connections, %d s; 19 GETs /api/v1/spaces to 1 "
              "write (space create or share grant)\n",
              backend.c_str(), users, connections, duration);
  std::printf("throughput %.0f req/s; reads p50 %.2f ms p99 %.2f ms; writes p50 %.2f ms p99 %.2f "
              "ms; writes over 50 ms: %.1f%%; 5xx or no answer: %d; other 4xx: %d\n",
              static_cast<double>(reads.size() + writes.size()) / duration, median(reads),
              percentile(reads, 0.99), median(writes), percentile(writes, 0.99),
              writes.empty() ? 0.0 : 100.0 * static_cast<double>(slow) / writes.size(),
              errors5xx.load(), other_errors.load());
  (void)(*agent)->stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return bench::guarded_main("mixed_workload_bench", run, argc, argv);
}
