// Sliding-window failure limiting; see rate_limit.hpp.
#include "agent/auth/rate_limit.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

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

RateDecision RateLimiter::check(std::string_view key) const {
  const Timestamp now = m_clock.now();
  std::lock_guard lock(m_mutex);
  auto it = m_index.find(key);
  if (it == m_index.end()) {
    return {};
  }
  return decide(it->second->counter, now);
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

LoginRateLimiter::LoginRateLimiter(const Clock& clock, LoginRateLimitConfig config)
    : m_accounts(clock, config.per_account), m_addresses(clock, config.per_address) {}

RateDecision LoginRateLimiter::check(std::string_view account, std::string_view address) const {
  const RateDecision a = m_accounts.check(account);
  const RateDecision b = m_addresses.check(address);
  if (a.allowed && b.allowed) {
    return {};
  }
  return {false, std::max(a.retry_after, b.retry_after)};
}

void LoginRateLimiter::record_failure(std::string_view account, std::string_view address) {
  m_accounts.record_failure(account);
  m_addresses.record_failure(address);
}

void LoginRateLimiter::record_success(std::string_view account) {
  m_accounts.record_success(account);
}

} // namespace sharectl::agent::auth
