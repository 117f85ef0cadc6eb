// Benchmark of the real agent under wrk (not a test: it prints figures, no thresholds). In one
// run, interleaved round by round: wrk against a bare Beast hello server
// (tests/bench/http_bare_server_bench, same build flags) and against the real `sharectl-agent
// run` (tests/support AgentProcess: plain HTTP on loopback, SQLite in a temp dir, no filesystems
// so the host and /etc/samba are left alone) on the authenticated GET /api/v1/apps and
// GET /api/v1/spaces with 20 spaces (seeded through the store API while the agent is stopped).
// Repeats of those GETs are answered from the agent's answer cache; the same two requests with
// Cache-Control: no-cache (authorized, read and rendered every time) are measured beside them.
// Prints req/s and p50/p99 of each (median over rounds), the agent/bare ratio (goal ≥ 0.5 with
// p99 ≤ 10 ms), the server's CPU time per request, the share of requests the answer cache
// answered (from the agent's /metrics), and login latency (POST /api/v1/apps, median
// and p99) alone and while wrk loads GET /api/v1/apps.
//
// With --store postgres or etcd the agent's store is a private PostgreSQL server or 3-member etcd
// cluster on loopback (tests/support fixtures) instead of SQLite: the same figures per backend.
//
// Usage: http_wrk_bench [--connections 64] [--threads 2] [--duration 5] [--rounds 3]
//                       [--logins 40] [--log-level info|warn] [--store sqlite|postgres|etcd]
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "agent/store/store.hpp"
#include "common/http/client.hpp"
#include "common/util/process.hpp"
#include "tests/bench/bench_stores.hpp"
#include "tests/support/agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/etcd_fixture.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/postgres_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using Clock = std::chrono::steady_clock;
using bench::die;
using bench::median;
using bench::percentile;

namespace {

struct Options {
  int connections = 64;
  int threads = 2;
  int duration = 5;
  int rounds = 3;
  int logins = 40;
  std::string log_level = "info"; // the agent's log.level (info writes an access log line)
  std::string store = "sqlite";   // sqlite | postgres | etcd
};

struct WrkResult {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double cpu_us = 0;   // the server's CPU time (user + system) per request
  double cached = 0;   // the share of requests answered from the agent's answer cache
  std::string problem; // non-2xx answers, socket errors, or wrk's failure
};

// sharectl_http_cached_answers_total at `base`/metrics (0 when it cannot be read).
double cached_answers(const std::string& base) {
  http::HttpClient client;
  auto answer = client.request("GET", base + "/metrics", {}, "");
  const std::string name = "\nsharectl_http_cached_answers_total ";
  const auto at = answer && answer->status == 200 ? answer->body.find(name) : std::string::npos;
  return at == std::string::npos ? 0 : std::stod(answer->body.substr(at + name.size()));
}

double to_ms(double value, const std::string& unit) {
  return unit == "us" ? value / 1000 : unit == "s" ? value * 1000 : value;
}

// CPU time (user + system, all threads) that process `pid` has used so far, in seconds.
double cpu_seconds(pid_t pid) {
  std::FILE* file = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (file == nullptr) {
    return 0;
  }
  char buffer[1024] = {};
  const auto n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  const std::string stat(buffer, n);
  const auto close = stat.rfind(')'); // the command name may contain spaces
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) {
      utime = std::stod(field);
    } else if (i == 15) {
      stime = std::stod(field);
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Runs wrk once against the server with pid `server` and parses its --latency report; with
// `agent` (its base URL), also how many of the requests its answer cache answered.
WrkResult run_wrk(const Options& o, const std::string& url, const std::vector<std::string>& headers,
                  pid_t server = 0, const std::string& agent = {}) {
  Command command;
  command.program = "wrk";
  command.args = {"-t", std::to_string(o.threads),        "-c",       std::to_string(o.connections),
                  "-d", std::to_string(o.duration) + "s", "--latency"};
  for (const auto& header : headers) {
    command.args.push_back("-H");
    command.args.push_back(header);
  }
  command.args.push_back(url);
  command.timeout = std::chrono::seconds(o.duration + 60);
  const double cpu_before = server != 0 ? cpu_seconds(server) : 0;
  const double cached_before = agent.empty() ? 0 : cached_answers(agent);
  auto result = make_process_runner()->run(command);
  const double cpu_used = server != 0 ? cpu_seconds(server) - cpu_before : 0;
  const double cached = agent.empty() ? 0 : cached_answers(agent) - cached_before;
  WrkResult out;
  if (!result || !result->ok()) {
    out.problem = result ? "wrk exited " + std::to_string(result->exit_code) + ": " + result->err
                         : result.error().message;
    return out;
  }
  std::smatch m;
  const std::string& text = result->out;
  if (std::regex_search(text, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    out.rps = std::stod(m[1]);
  }
  if (std::regex_search(text, m, std::regex(R"(([0-9]+) requests in)"))) {
    const double requests = std::stod(m[1]);
    out.cpu_us = requests > 0 ? cpu_used * 1e6 / requests : 0;
    out.cached = requests > 0 ? cached / requests : 0;
  }
  if (std::regex_search(text, m, std::regex(R"(\n\s+50%\s+([0-9.]+)(us|ms|s))"))) {
    out.p50_ms = to_ms(std::stod(m[1]), m[2]);
  }
  if (std::regex_search(text, m, std::regex(R"(\n\s+99%\s+([0-9.]+)(us|ms|s))"))) {
    out.p99_ms = to_ms(std::stod(m[1]), m[2]);
  }
  for (const char* bad : {"Non-2xx or 3xx responses", "Socket errors"}) {
    if (const auto at = text.find(bad); at != std::string::npos) {
      out.problem += text.substr(at, text.find('\n', at) - at) + "; ";
    }
  }
  return out;
}

// A request that must succeed with `status`; the parsed JSON body.
nlohmann::json must(http::HttpClient& client, const std::string& method, const std::string& url,
                    const http::HttpHeaders& headers, const std::string& body, int status) {
  auto answer = client.request(method, url, headers, body);
  if (!answer || answer->status != status) {
    die(method + " " + url + ": " + (answer ? answer->body : answer.error().message));
  }
  return answer->body.empty() ? nlohmann::json() : nlohmann::json::parse(answer->body);
}

// Registers `name` with the bench password and logs in; the credential headers.
http::HttpHeaders user_app(http::HttpClient& client, const std::string& base,
                           const std::string& name, std::string* user_id = nullptr) {
  const http::HttpHeaders json_type{{"Content-Type", "application/json"}};
  const std::string password = "bench password 1";
  must(client, "POST", base + "/api/v1/users", json_type,
       nlohmann::json{{"username", name}, {"email", name + "@example.org"}, {"password", password}}
           .dump(),
       201);
  const auto app = must(client, "POST", base + "/api/v1/apps", json_type,
                        nlohmann::json{{"username", name}, {"password", password}}.dump(), 201);
  if (user_id != nullptr) {
    *user_id = app["user_id"].get<std::string>();
  }
  return {{"X-User-ID", app["user_id"].get<std::string>()},
          {"Authorization", "Bearer " + app["token"].get<std::string>()}};
}

// Seeds `count` ready spaces (each with its share) of `owner_id` on a placeholder host, one
// space per transaction (etcd takes at most 128 operations in one).
void seed_spaces(const std::string& store_url, const std::string& owner_id, int count) {
  auto store = store::open_store(store_url);
  if (!store) {
    die("cannot open the store: " + store.error().message);
  }
  const model::Server host = bench::seed_host(**store, "bench-host");
  auto fs_id = (*store)->view_result([&](store::Tx& tx) -> Result<model::Id> {
    auto fs = tx.find_filesystem(host.id, "/nonexistent/bench-host");
    return fs ? Result<model::Id>(fs->id) : std::unexpected(fs.error());
  });
  if (!fs_id) {
    die("cannot seed a filesystem: " + fs_id.error().message);
  }
  for (int i = 0; i < count; ++i) {
    auto done = (*store)->transact([&](store::Tx& tx) -> Status {
      model::Space space;
      space.owner_id = owner_id;
      space.name = "space" + std::to_string(i);
      space.size_bytes = 1ULL << 30;
      space.filesystem_id = *fs_id;
      space.status = model::ObjectStatus::ready;
      auto stored = tx.create(space);
      if (!stored) {
        return std::unexpected(stored.error());
      }
      model::Share share;
      share.name = "bench-share" + std::to_string(i);
      share.space_id = stored->id;
      auto made = tx.create(share);
      return made ? Status{} : std::unexpected(made.error());
    });
    if (!done) {
      die("cannot seed spaces: " + done.error().message);
    }
  }
}

// Login latencies in milliseconds: `count` sequential POST /api/v1/apps of an existing user,
// each app logged out again afterwards (untimed), as a user does: apps.max_per_user caps how
// many one user holds at once.
std::vector<double> login_latencies(const std::string& base, const std::string& name, int count) {
  http::HttpClient client;
  std::vector<double> out;
  const auto body = nlohmann::json{
      {"username", name},
      {"password", "bench password 1"},
      {"name", "bench"}}.dump();
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    const auto app = must(client, "POST", base + "/api/v1/apps",
                          {{"Content-Type", "application/json"}}, body, 201);
    out.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    const auto id = app["app_id"].get<std::string>();
    must(client, "DELETE", base + "/api/v1/apps/" + id,
         {{"X-User-ID", app["user_id"].get<std::string>()},
          {"Authorization", "Bearer " + app["token"].get<std::string>()}},
         {}, 204);
  }
  return out;
}

std::vector<std::string> header_lines(const http::HttpHeaders& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    out.push_back(name + ": " + value);
  }
  return out;
}

} // namespace

namespace {

int run(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--log-level") {
      o.log_level = argv[i + 1];
      continue;
    }
    if (flag == "--store") {
      o.store = argv[i + 1];
      if (o.store != "sqlite" && o.store != "postgres" && o.store != "etcd") {
        die("--store: sqlite, postgres or etcd");
      }
      continue;
    }
    const int value = std::stoi(argv[i + 1]);
    if (flag == "--connections") {
      o.connections = value;
    } else if (flag == "--threads") {
      o.threads = value;
    } else if (flag == "--duration") {
      o.duration = value;
    } else if (flag == "--rounds") {
      o.rounds = value;
    } else if (flag == "--logins") {
      o.logins = value;
    } else {
      die("unknown option " + flag);
    }
  }
  if (!test::find_program("wrk")) {
    die("wrk is not installed (apt-get install wrk)");
  }

  // The bare server.
  test::TempDir dir;
  const int bare_port = test::free_tcp_port();
  test::SpawnOptions spawn;
  spawn.argv = {SHARECTL_BINARY_DIR "/tests/http_bare_server_bench", "--port",
                std::to_string(bare_port), "--threads", "2"};
  spawn.log_file = dir.path() / "bare.log";
  spawn.parent_death_signal = SIGTERM;
  auto bare = test::ChildProcess::spawn(spawn);
  if (!bare || !test::wait_for_tcp("127.0.0.1", bare_port, std::chrono::seconds(10))) {
    die("the bare server did not start (build the http_bare_server_bench target)");
  }

  // The store, unless SQLite in the agent's directory.
  const bench::BenchStore backing(o.store);
  test::AgentOptions agent_options;
  agent_options.store = backing.url;

  // The agent, its users and 20 spaces.
  agent_options.extra_yaml = "log:\n  level: " + o.log_level + "\n";
  auto agent = test::AgentProcess::start(agent_options);
  if (!agent) {
    die("the agent did not start: " + agent.error().message);
  }
  const std::string base = (*agent)->url();
  http::HttpClient client;
  std::string reader_id;
  const auto reader = user_app(client, base, "bench", &reader_id);
  (void)user_app(client, base, "bench-login");
  if (auto stopped = (*agent)->stop(); !stopped || *stopped != 0) {
    die("the agent did not stop cleanly");
  }
  seed_spaces((*agent)->store_url(), reader_id, 20);
  if (auto restarted = (*agent)->restart(); !restarted) {
    die("the agent did not restart: " + restarted.error().message);
  }
  const auto spaces = must(client, "GET", base + "/api/v1/spaces", reader, "", 200);
  if (spaces.size() != 20) {
    die("GET /api/v1/spaces lists " + std::to_string(spaces.size()) + " spaces, not 20");
  }

  // The same requests with Cache-Control: no-cache: every one authorized, read and rendered.
  auto fresh = header_lines(reader);
  fresh.push_back("Cache-Control: no-cache");
  struct Target {
    std::string label;
    std::string url;
    std::vector<std::string> headers;
    pid_t pid = 0;
    std::vector<WrkResult> runs;
  };
  std::vector<Target> targets = {
      {"bare Beast hello",
       "http://127.0.0.1:" + std::to_string(bare_port) + "/",
       {},
       bare->pid(),
       {}},
      {"GET /api/v1/apps", base + "/api/v1/apps", header_lines(reader), (*agent)->pid(), {}},
      {"GET /api/v1/spaces (20)",
       base + "/api/v1/spaces",
       header_lines(reader),
       (*agent)->pid(),
       {}},
      {"  apps, no-cache", base + "/api/v1/apps", fresh, (*agent)->pid(), {}},
      {"  spaces (20), no-cache", base + "/api/v1/spaces", fresh, (*agent)->pid(), {}},
  };
  for (int round = 0; round < o.rounds; ++round) {
    for (auto& target : targets) {
      const bool agent_target = target.pid != bare->pid();
      target.runs.push_back(
          run_wrk(o, target.url, target.headers, target.pid, agent_target ? base : std::string()));
      if (!target.runs.back().problem.empty()) {
        std::fprintf(stderr, "%s: %s\n", target.label.c_str(), target.runs.back().problem.c_str());
      }
    }
  }

  std::printf("wrk -t%d -c%d -d%ds, median of %d interleaved rounds (same build, same run), "
              "agent log.level %s, store %s\n",
              o.threads, o.connections, o.duration, o.rounds, o.log_level.c_str(), o.store.c_str());
  std::printf("%-26s %10s %9s %9s %8s %17s %11s\n", "endpoint", "req/s", "p50 ms", "p99 ms",
              "ratio", "server CPU/req", "from cache");
  double bare_rps = 0;
  for (const auto& target : targets) {
    std::vector<double> rps, p50, p99, cpu, cached;
    for (const auto& run : target.runs) {
      cpu.push_back(run.cpu_us);
      cached.push_back(run.cached * 100);
      rps.push_back(run.rps);
      p50.push_back(run.p50_ms);
      p99.push_back(run.p99_ms);
    }
    if (bare_rps == 0) {
      bare_rps = median(rps);
    }
    char from_cache[16] = "-";
    if (target.pid != bare->pid()) {
      std::snprintf(from_cache, sizeof from_cache, "%.1f%%", median(cached));
    }
    std::printf("%-26s %10.0f %9.2f %9.2f %8.2f %14.1f us %11s\n", target.label.c_str(),
                median(rps), median(p50), median(p99), bare_rps > 0 ? median(rps) / bare_rps : 0.0,
                median(cpu), from_cache);
  }
  std::printf("goal: ratio >= 0.50 with p99 <= 10 ms\n");

  // Login latency alone, then while wrk loads GET /api/v1/apps.
  const auto alone = login_latencies(base, "bench-login", o.logins);
  std::vector<double> loaded;
  std::thread load([&] { (void)run_wrk(o, targets[1].url, targets[1].headers); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  loaded = login_latencies(base, "bench-login", o.logins);
  load.join();
  std::printf("login (POST /api/v1/apps, %d sequential):  alone median %.1f ms p99 %.1f ms;"
              "  under wrk load median %.1f ms p99 %.1f ms\n",
              o.logins, median(alone), percentile(alone, 0.99), median(loaded),
              percentile(loaded, 0.99));
  (void)(*agent)->stop();
  (void)bare->stop(SIGTERM, std::chrono::seconds(5));
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return bench::guarded_main("http_wrk_bench", run, argc, argv);
}
