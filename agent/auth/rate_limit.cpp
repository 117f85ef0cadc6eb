// Sliding-window failure limiting; see rate_limit.hpp.
#include "agent/auth/rate_limit.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace sharectl::agent::auth {

namespace {

constexpr std::int64_t k_ring = static_cast<std::int64_t>(RateLimiter::k_buckets) + 1;

std::size_t slot(std::int64_t bucket) {
  return static_cast<std::size_t>(((bucket % k_ring) + k_ring) % k_ring);
}

} // namespace

RateLimiter::RateLimiter(const Clock& clock, RateLimitConfig config)
    : m_clock(clock), m_config(config),
      m_bucket_length((std::chrono::duration_cast<std::chrono::microseconds>(config.window) +
                       std::chrono::microseconds{static_cast<std::int64_t>(k_buckets) - 1}) /
                      static_cast<std::int64_t>(k_buckets)) {
  if (config.limit == 0 || config.limit > std::numeric_limits<std::uint16_t>::max()) {
    throw std::invalid_argument("rate limit must be 1 to 65535");
  }
  if (config.window < std::chrono::seconds{static_cast<std::int64_t>(k_buckets)}) {
    throw std::invalid_argument("rate limit window must be at least 30 s");
  }
  if (m_config.max_keys == 0) {
    m_config.max_keys = 1;
  }
}

std::int64_t RateLimiter::bucket_of(Timestamp t) const {
  const std::int64_t us = t.time_since_epoch().count();
  const std::int64_t len = m_bucket_length.count();
  return us >= 0 ? us / len : -((-us + len - 1) / len);
}

void RateLimiter::advance(Counter& c, std::int64_t bucket) const {
  if (bucket <= c.head) {
    return; // the same bucket, or the clock stepped back: keep counting in the newest bucket
  }
  if (bucket - c.head >= k_ring) {
    c.counts.fill(0);
  } else {
    for (std::int64_t b = c.head + 1; b <= bucket; ++b) {
      c.counts[slot(b)] = 0;
    }
  }
  c.head = bucket;
}

RateDecision RateLimiter::decide(const Counter& counter, Timestamp now) const {
  RateDecision window = decide_window(counter, now);
  if (m_config.backoff_after == 0 || counter.streak < m_config.backoff_after ||
      now - counter.last >= m_config.window) {
    return window;
  }
  // 1 s after the backoff_after-th failure in a row, doubling with each one, at most backoff_max.
  const std::uint32_t doublings =
      std::min<std::uint32_t>(counter.streak - m_config.backoff_after, 30);
  const auto delay =
      std::min(std::chrono::seconds{std::int64_t{1} << doublings}, m_config.backoff_max);
  const Timestamp free_at =
      counter.last + std::chrono::duration_cast<std::chrono::microseconds>(delay);
  if (now >= free_at) {
    return window;
  }
  const auto wait =
      std::max(std::chrono::ceil<std::chrono::seconds>(free_at - now), std::chrono::seconds{1});
  return {false, window.allowed ? wait : std::max(wait, window.retry_after)};
}

RateDecision RateLimiter::decide_window(const Counter& counter, Timestamp now) const {
  Counter c = counter;
  advance(c, bucket_of(now));
  std::uint32_t total = 0;
  for (auto n : c.counts) {
    total += n;
  }
  if (total < m_config.limit) {
    return {};
  }
  std::uint32_t removed = 0;
  for (std::int64_t j = c.head - static_cast<std::int64_t>(k_buckets); j <= c.head; ++j) {
    removed += c.counts[slot(j)];
    if (total - removed < m_config.limit) {
      const Timestamp free_at =
          Timestamp{m_bucket_length * (j + 1)} +
          std::chrono::duration_cast<std::chrono::microseconds>(m_config.window);
      const auto wait = std::chrono::ceil<std::chrono::seconds>(free_at - now);
      return {false, std::max(wait, std::chrono::seconds{1})};
    }
  }
  return {false, m_config.window}; // unreachable: every bucket leaves the window
}

RateDecision RateLimiter::check(std::string_view key) {
  const Timestamp now = m_clock.now();
  std::lock_guard lock(m_mutex);
  auto it = m_index.find(key);
  if (it == m_index.end()) {
    return {};
  }
  Counter& counter = it->second->counter;
  RateDecision decision = decide(counter, now);
  if (!decision.allowed) {
    decision.first = !counter.reported;
    counter.reported = true;
  }
  return decision;
}

void RateLimiter::record_failure(std::string_view key) {
  const Timestamp now = m_clock.now();
  const std::int64_t bucket = bucket_of(now);
  std::lock_guard lock(m_mutex);
  auto it = m_index.find(key);
  if (it != m_index.end()) {
    m_lru.splice(m_lru.begin(), m_lru, it->second);
  } else {
    while (m_lru.size() >= m_config.max_keys) {
      m_index.erase(m_lru.back().key);
      m_lru.pop_back();
    }
    m_lru.push_front(Entry{std::string(key), Counter{bucket, {}}});
    m_index.emplace(m_lru.front().key, m_lru.begin());
  }
  Counter& c = m_lru.front().counter;
  advance(c, bucket);
  auto& n = c.counts[slot(c.head)];
  if (n < std::numeric_limits<std::uint16_t>::max()) {
    ++n;
  }
  // A run of failures ends when the last one is a whole window old.
  c.streak = c.streak > 0 && now - c.last < m_config.window ? c.streak + 1 : 1;
  c.last = now;
  c.reported = false;
}

void RateLimiter::record_success(std::string_view key) {
  std::lock_guard lock(m_mutex);
  auto it = m_index.find(key);
  if (it == m_index.end()) {
    return;
  }
  auto node = it->second;
  m_index.erase(it);
  m_lru.erase(node);
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(m_mutex);
  return m_lru.size();
}

namespace {

// The limiter key of an account from an address; the separator cannot occur in either.
std::string pair_key(std::string_view account, std::string_view address) {
  std::string key(account);
  key += '\x1f';
  key += address;
  return key;
}

} // namespace

LoginRateLimiter::LoginRateLimiter(const Clock& clock, LoginRateLimitConfig config)
    : m_pairs(clock, config.per_account_address), m_addresses(clock, config.per_address) {}

LoginDecision LoginRateLimiter::check(std::string_view account, std::string_view address) {
  const RateDecision pair = m_pairs.check(pair_key(account, address));
  const RateDecision by_address = m_addresses.check(address);
  if (pair.allowed && by_address.allowed) {
    return {};
  }
  LoginDecision out{false, std::max(pair.retry_after, by_address.retry_after),
                    pair.allowed ? LoginThrottle::address : LoginThrottle::account_address,
                    pair.allowed ? by_address.first : pair.first};
  (out.by == LoginThrottle::address ? m_refused_address : m_refused_pair)
      .fetch_add(1, std::memory_order_relaxed);
  return out;
}

void LoginRateLimiter::record_failure(std::string_view account, std::string_view address) {
  m_pairs.record_failure(pair_key(account, address));
  m_addresses.record_failure(address);
}

void LoginRateLimiter::record_success(std::string_view account, std::string_view address) {
  m_pairs.record_success(pair_key(account, address));
}

std::string LoginRateLimiter::metrics_text() const {
  std::string out;
  out += "# HELP sharectl_login_throttled_total Logins refused by the failed-login limits\n";
  out += "# TYPE sharectl_login_throttled_total counter\n";
  out += "sharectl_login_throttled_total{limit=\"account_address\"} " +
         std::to_string(refused_account_address()) + "\n";
  out += "sharectl_login_throttled_total{limit=\"address\"} " + std::to_string(refused_address()) +
         "\n";
  out += "# HELP sharectl_login_failure_keys Account-address pairs and addresses with recent "
         "failed logins\n";
  out += "# TYPE sharectl_login_failure_keys gauge\n";
  out += "sharectl_login_failure_keys{limit=\"account_address\"} " +
         std::to_string(m_pairs.size()) + "\n";
  out +=
      "sharectl_login_failure_keys{limit=\"address\"} " + std::to_string(m_addresses.size()) + "\n";
  return out;
}

} // namespace sharectl::agent::auth
