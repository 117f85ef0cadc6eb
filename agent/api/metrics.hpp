// The agent's Prometheus metrics: request counts by route pattern, method and status class, a
// latency histogram per route, in-flight requests, open and refused connections, and plain
// counters other layers register (logins, store errors). Labels hold only route patterns and
// methods from the route table, never user data. Lock-free on the request path; nothing fails.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sharectl::agent::api {

// A monotonically increasing counter; safe to bump from any thread.
class Counter {
public:
  // Adds n.
  void inc(std::uint64_t n = 1) { m_value.fetch_add(n, std::memory_order_relaxed); }
  // The current value.
  std::uint64_t value() const { return m_value.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint64_t> m_value{0};
};

// The metrics of one server.
class Metrics {
public:
  // The histogram's bucket upper bounds in seconds.
  static constexpr std::array<double, 14> k_buckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

  // One slot per (method, route pattern) in this order; slot routes.size() counts requests that
  // matched no route (label route="unmatched", method="other").
  explicit Metrics(const std::vector<std::pair<std::string, std::string>>& method_and_pattern);

  // The slot that counts requests matching no route.
  std::size_t unmatched_slot() const { return m_slots.size() - 1; }
  // Records one finished request in a slot (out of range counts as unmatched).
  void observe(std::size_t slot, int status, std::chrono::nanoseconds latency);
  // A request started (+1) or finished (-1).
  void add_in_flight(int delta) { m_in_flight.fetch_add(delta, std::memory_order_relaxed); }
  // A connection opened (+1) or closed (-1).
  void add_open_connections(int delta) {
    m_connections.fetch_add(delta, std::memory_order_relaxed);
  }
  // A connection was refused because the connection cap was reached.
  void count_refused_connection() { m_refused.inc(); }

  // The counter of this name (created on first use with this help text). name must be a valid
  // Prometheus metric name such as "sharectl_logins_failed_total". Never fails.
  Counter& counter(std::string_view name, std::string_view help);

  // The Prometheus text exposition (version 0.0.4) of every metric. Never fails.
  std::string render() const;

  // The number of requests recorded in a slot with a status of this class (2 for 2xx, …).
  std::uint64_t requests(std::size_t slot, int status_class) const;

private:
  struct Slot {
    std::string method;
    std::string route;
    std::array<std::atomic<std::uint64_t>, 5> by_class{}; // 1xx..5xx
    std::array<std::atomic<std::uint64_t>, k_buckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  struct Named {
    std::string name;
    std::string help;
    Counter counter;
  };

  std::deque<Slot> m_slots;
  std::atomic<std::int64_t> m_in_flight{0};
  std::atomic<std::int64_t> m_connections{0};
  Counter m_refused;
  mutable std::mutex m_named_mutex;
  std::deque<Named> m_named;
};

} // namespace sharectl::agent::api
