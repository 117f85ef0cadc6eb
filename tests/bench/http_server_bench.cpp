// Benchmark of the agent's HTTP transport (not a test: no thresholds). Starts the real server on
// 127.0.0.1:0 (plain HTTP), opens N keep-alive connections, each doing a fixed number of
// GET requests one after another, and prints requests per second and p50/p99 latency, the
// median of a few runs. Two routes are measured side by side: /healthz (answered on the I/O
// threads) and /work (a handler dispatched to the worker pool, as store-backed routes are), so
// the ratio shows the cost of the worker hop.
//
// Usage: http_server_bench [--connections N] [--requests PER_CONNECTION] [--runs R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/api/server.hpp"

using namespace sharectl;
using namespace sharectl::agent::api;
using Clock = std::chrono::steady_clock;

namespace {

struct RunResult {
  double requests_per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::size_t failures = 0;
};

int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One keep-alive connection doing `count` requests; appends each latency in microseconds.
std::size_t client_loop(int port, const std::string& request, std::size_t count,
                        std::vector<double>& latencies) {
  const int fd = connect_loopback(port);
  if (fd < 0) {
    return count;
  }
  std::size_t failures = 0;
  std::string buffer;
  char chunk[8192];
  for (std::size_t i = 0; i < count; ++i) {
    const auto start = Clock::now();
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      failures += count - i;
      break;
    }
    // Read one response: headers, then Content-Length bytes.
    std::size_t need = std::string::npos;
    bool ok = true;
    while (true) {
      if (need == std::string::npos) {
        const auto end = buffer.find("\r\n\r\n");
        if (end != std::string::npos) {
          const auto cl = buffer.find("Content-Length: ");
          const auto length = cl == std::string::npos || cl > end
                                  ? 0
                                  : std::strtoul(buffer.c_str() + cl + 16, nullptr, 10);
          need = end + 4 + length;
        }
      }
      if (need != std::string::npos && buffer.size() >= need) {
        ok = buffer.compare(0, 12, "HTTP/1.1 200") == 0;
        buffer.erase(0, need);
        break;
      }
      const auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        ok = false;
        break;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    if (!ok) {
      failures += count - i;
      break;
    }
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  ::close(fd);
  return failures;
}

RunResult run_once(int port, std::string_view path, std::size_t connections,
                   std::size_t per_connection) {
  const std::string request =
      "GET " + std::string(path) + " HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\n\r\n";
  std::vector<std::vector<double>> latencies(connections);
  std::vector<std::size_t> failures(connections, 0);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (std::size_t c = 0; c < connections; ++c) {
    latencies[c].reserve(per_connection);
    threads.emplace_back(
        [&, c] { failures[c] = client_loop(port, request, per_connection, latencies[c]); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& part : latencies) {
    all.insert(all.end(), part.begin(), part.end());
  }
  RunResult result;
  for (const auto f : failures) {
    result.failures += f;
  }
  if (all.empty()) {
    return result;
  }
  std::sort(all.begin(), all.end());
  result.requests_per_second = static_cast<double>(all.size()) / seconds;
  result.p50_us = all[all.size() / 2];
  result.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  return result;
}

RunResult median_of(std::vector<RunResult> runs) {
  const auto pick = [&runs](auto member) {
    std::vector<double> values;
    for (const auto& run : runs) {
      values.push_back(run.*member);
    }
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  RunResult median;
  median.requests_per_second = pick(&RunResult::requests_per_second);
  median.p50_us = pick(&RunResult::p50_us);
  median.p99_us = pick(&RunResult::p99_us);
  for (const auto& run : runs) {
    median.failures += run.failures;
  }
  return median;
}

} // namespace

int main(int argc, char** argv) {
  std::size_t connections = 16;
  std::size_t per_connection = 2000;
  std::size_t runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const auto value = static_cast<std::size_t>(std::strtoul(argv[i + 1], nullptr, 10));
    if (flag == "--connections") {
      connections = std::max<std::size_t>(1, value);
    } else if (flag == "--requests") {
      per_connection = std::max<std::size_t>(1, value);
    } else if (flag == "--runs") {
      runs = std::max<std::size_t>(1, value);
    } else {
      std::fprintf(stderr, "usage: %s [--connections N] [--requests N] [--runs N]\n", argv[0]);
      return 2;
    }
  }

  ServerConfig config;
  config.address = "127.0.0.1";
  config.tls = false;
  config.max_queued_handlers = 4096;
  std::vector<Route> routes = {
      {"GET", "/work", [](Request&) -> Result<Response> { return Response::text(200, "done"); },
       Permission::anyone(), "A trivial handler on the worker pool"}};
  auto server = HttpServer::start(config, routes);
  if (!server) {
    std::fprintf(stderr, "cannot start the server: %s\n", to_string(server.error()).c_str());
    return 1;
  }
  const int port = (*server)->port();
  std::printf("sharectl HTTP transport: %zu connections x %zu requests, median of %zu runs, "
              "%zu I/O threads, %zu workers, %u cores\n",
              connections, per_connection, runs, config.io_threads, config.worker_threads,
              std::thread::hardware_concurrency());
  std::vector<std::pair<std::string, RunResult>> medians;
  for (const std::string path : {"/healthz", "/work"}) {
    run_once(port, path, connections, std::min<std::size_t>(per_connection, 200)); // warm-up
    std::vector<RunResult> results;
    for (std::size_t r = 0; r < runs; ++r) {
      results.push_back(run_once(port, path, connections, per_connection));
    }
    const auto median = median_of(results);
    std::printf("  GET %-9s %9.0f req/s   p50 %7.1f us   p99 %7.1f us   failures %zu\n",
                path.c_str(), median.requests_per_second, median.p50_us, median.p99_us,
                median.failures);
    medians.emplace_back(path, median);
  }
  if (medians[0].second.requests_per_second > 0) {
    std::printf("  worker-pool route / inline route throughput: %.2f\n",
                medians[1].second.requests_per_second / medians[0].second.requests_per_second);
  }
  (*server)->stop();
  return 0;
}
