#include "agent/api/metrics.hpp"

#include <fmt/format.h>

namespace sharectl::agent::api {

namespace {

std::string escape_label(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

} // namespace

Metrics::Metrics(const std::vector<std::pair<std::string, std::string>>& method_and_pattern) {
  for (const auto& [method, pattern] : method_and_pattern) {
    auto& slot = m_slots.emplace_back();
    slot.method = method;
    slot.route = pattern;
  }
  auto& unmatched = m_slots.emplace_back();
  unmatched.method = "other";
  unmatched.route = "unmatched";
}

void Metrics::observe(std::size_t slot, int status, std::chrono::nanoseconds latency) {
  auto& s = m_slots[slot < m_slots.size() ? slot : m_slots.size() - 1];
  const int status_class = status / 100;
  if (status_class >= 1 && status_class <= 5) {
    s.by_class[static_cast<std::size_t>(status_class - 1)].fetch_add(1, std::memory_order_relaxed);
  }
  const double seconds = std::chrono::duration<double>(latency).count();
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    if (seconds <= k_buckets[i]) {
      s.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  s.count.fetch_add(1, std::memory_order_relaxed);
  s.sum_ns.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
}

Counter& Metrics::counter(std::string_view name, std::string_view help) {
  std::lock_guard lock(m_named_mutex);
  for (auto& named : m_named) {
    if (named.name == name) {
      return named.counter;
    }
  }
  auto& named = m_named.emplace_back();
  named.name = std::string(name);
  named.help = std::string(help);
  return named.counter;
}

std::uint64_t Metrics::requests(std::size_t slot, int status_class) const {
  if (slot >= m_slots.size() || status_class < 1 || status_class > 5) {
    return 0;
  }
  return m_slots[slot].by_class[static_cast<std::size_t>(status_class - 1)].load();
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP sharectl_http_requests_total HTTP requests answered, by route and status class.\n"
         "# TYPE sharectl_http_requests_total counter\n";
  for (const auto& s : m_slots) {
    for (std::size_t c = 0; c < s.by_class.size(); ++c) {
      const auto n = s.by_class[c].load(std::memory_order_relaxed);
      if (n != 0) {
        out += fmt::format(
            "sharectl_http_requests_total{{method=\"{}\",route=\"{}\",code=\"{}xx\"}} {}\n",
            escape_label(s.method), escape_label(s.route), c + 1, n);
      }
    }
  }
  out += "# HELP sharectl_http_request_duration_seconds Time from a complete request to its "
         "response, by route.\n"
         "# TYPE sharectl_http_request_duration_seconds histogram\n";
  for (const auto& s : m_slots) {
    const auto count = s.count.load(std::memory_order_relaxed);
    if (count == 0) {
      continue;
    }
    const auto labels =
        fmt::format("method=\"{}\",route=\"{}\"", escape_label(s.method), escape_label(s.route));
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < k_buckets.size(); ++i) {
      cumulative += s.buckets[i].load(std::memory_order_relaxed);
      out += fmt::format("sharectl_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                         labels, k_buckets[i], cumulative);
    }
    out += fmt::format("sharectl_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n",
                       labels, count);
    out += fmt::format("sharectl_http_request_duration_seconds_sum{{{}}} {}\n", labels,
                       static_cast<double>(s.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    out += fmt::format("sharectl_http_request_duration_seconds_count{{{}}} {}\n", labels, count);
  }
  out += fmt::format("# HELP sharectl_http_requests_in_flight Requests being handled now.\n"
                     "# TYPE sharectl_http_requests_in_flight gauge\n"
                     "sharectl_http_requests_in_flight {}\n",
                     m_in_flight.load(std::memory_order_relaxed));
  out += fmt::format("# HELP sharectl_http_connections_open Client connections open now.\n"
                     "# TYPE sharectl_http_connections_open gauge\n"
                     "sharectl_http_connections_open {}\n",
                     m_connections.load(std::memory_order_relaxed));
  out += fmt::format("# HELP sharectl_http_connections_refused_total Connections closed at once "
                     "because the connection cap was reached.\n"
                     "# TYPE sharectl_http_connections_refused_total counter\n"
                     "sharectl_http_connections_refused_total {}\n",
                     m_refused.value());
  std::lock_guard lock(m_named_mutex);
  for (const auto& named : m_named) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", named.name, named.help,
                       named.counter.value());
  }
  return out;
}

} // namespace sharectl::agent::api
