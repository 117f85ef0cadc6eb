// Benchmark: adding one share end to end (POST /api/v1/shares → status `ready`, polled every
// 10 ms) on a host that already serves SHARES shares (default 10,000), against the same on a
// host serving one share, and the agent's RSS (/proc/PID/status VmRSS) before and after. The
// host is the real agent with a private smbd and a `dir` filesystem; the bulk shares are seeded
// through the store API into the agent's SQLite file while the agent is stopped (one space
// holds them all), then the agent converges them on restart (that time is printed too).
// Usage: space_shares_bench [SHARES=10000] [ROUNDS=5]. Needs root and Samba.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

#include <fmt/core.h>
#include <unistd.h>

#include "agent/store/store.hpp"
#include "tests/bench/bench_support.hpp"
#include "tests/integration/e2e/fault_host.hpp"

using namespace sharectl;
using namespace std::chrono_literals;
namespace fault = sharectl::test::fault;
using Clock = std::chrono::steady_clock;
using bench::die;
using bench::median;
using bench::ms_since;
using bench::must;

namespace {

// The agent's resident set in KiB.
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

// Creates share name in space and returns the milliseconds until it is ready.
double add_one(fault::ApiUser& user, const std::string& name, const std::string& space) {
  const auto start = Clock::now();
  auto made = user.call("POST", "/api/v1/shares", {{"name", name}, {"space", space}});
  if (!made || made->status != 201) {
    die("share create: " + (made ? made->body : made.error().message));
  }
  std::string status;
  const bool ready = fault::poll_until(
      [&] {
        auto got = user.get("/api/v1/shares/" + name);
        status = got ? got->value("status", "") + " " + got->value("status_message", "") : "";
        return status == "ready ";
      },
      300s, 10ms);
  if (!ready) {
    die("share " + name + " not ready: " + status);
  }
  return ms_since(start);
}

int run(int shares, int rounds) {
  fault::HostAccounts accounts;
  fault::Host host;
  // One user holds every share here: a site with such users lifts shares.max_per_user.
  must(host.start("60s", "shares:\n  max_per_user: unlimited\n"), "host");
  const std::string owner = fault::owner_name("scale");
  accounts.add(owner);
  auto user = must(fault::ApiUser::login(host.agent->url(), owner, "scale password 1"), "login");
  auto made = user.call("POST", "/api/v1/spaces", {{"name", "bulk"}, {"size_bytes", 1 << 30}});
  if (!made || made->status != 201) {
    die("space create: " + (made ? made->body : made.error().message));
  }
  (void)add_one(user, "warmup", "bulk");

  std::vector<double> small;
  for (int i = 0; i < rounds; ++i) {
    small.push_back(add_one(user, fmt::format("small{}", i), "bulk"));
  }
  const long rss_small = rss_kib(host.agent->pid());

  // Seed the bulk shares while the agent is stopped.
  const auto space_id = must(user.get("/api/v1/spaces/" + owner + "/bulk"), "space").at("id");
  must(host.agent->stop(), "stop agent");
  {
    store::OpenOptions open;
    open.migrate = false; // the agent made the schema; never change it behind its back
    auto store = must(
        store::open_store("sqlite://" + (host.agent->dir() / "state" / "state.db").string(), open),
        "store");
    const auto seed_start = Clock::now();
    for (int first = 0; first < shares; first += 1000) {
      must(store->transact([&](store::Tx& tx) -> Status {
        for (int i = first; i < std::min(shares, first + 1000); ++i) {
          model::Share share;
          share.name = fmt::format("bulk{:05}", i);
          share.space_id = space_id.get<std::string>();
          if (auto stored = tx.create(share); !stored) {
            return std::unexpected(stored.error());
          }
        }
        return {};
      }),
           "seed");
    }
    fmt::print("seeded {} shares through the store in {:.0f} ms\n", shares, ms_since(seed_start));
  }
  const auto restart = Clock::now();
  must(host.agent->restart(), "restart agent");
  const std::string last = fmt::format("bulk{:05}", shares - 1);
  const bool converged = fault::poll_until(
      [&] {
        auto got = user.get("/api/v1/shares/" + last);
        return got && got->value("status", "") == "ready";
      },
      600s, 200ms);
  if (!converged) {
    die("the bulk shares never became ready:\n" + host.agent->log_tail());
  }
  const double converge_ms = ms_since(restart);
  const auto sections = fault::include_sections(host.include_text()).size();
  const long rss_before = rss_kib(host.agent->pid());

  std::vector<double> large;
  for (int i = 0; i < rounds; ++i) {
    large.push_back(add_one(user, fmt::format("more{}", i), "bulk"));
  }
  const long rss_after = rss_kib(host.agent->pid());

  fmt::print("restart with {} seeded shares: all ready after {:.0f} ms ({} sections rendered)\n",
             shares, converge_ms, sections);
  fmt::print("add one share, {} shares on the host: median {:.1f} ms (n={})\n", rounds + 2,
             median(small), rounds);
  fmt::print("add one share, {} shares on the host: median {:.1f} ms (n={}), ratio {:.1f}\n",
             shares + rounds + 2, median(large), rounds, median(large) / median(small));
  fmt::print("agent VmRSS: {} KiB with a few shares; {} KiB with {} shares before adding, {} KiB "
             "after adding {}\n",
             rss_small, rss_before, shares, rss_after, rounds);
  (void)host.agent->stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const int shares = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "space_shares_bench: needs root (Unix accounts, smbd)\n");
    return 1;
  }
  try {
    return run(shares, rounds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "space_shares_bench: %s\n", e.what());
    return 1;
  }
}
