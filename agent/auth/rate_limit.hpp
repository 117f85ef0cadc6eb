// Failed-login limiting: a sliding-window counter per key (an account name, a source address)
// that never lets more than `limit` failures through in any window of `window` length, with
// bounded memory (fixed-size counters per key, least recently used keys evicted past
// max_keys), thread-safe and driven by an injected Clock. LoginRateLimiter combines one
// limiter per account and one per source address. See agent/auth/README.md.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/auth/clock.hpp"

namespace sharectl::agent::auth {

// How many failures a limiter allows.
struct RateLimitConfig {
  std::uint32_t limit = 100;         // failures allowed in any window (1..65535)
  std::chrono::seconds window{3600}; // the window's length
  std::size_t max_keys = 50000;      // keys kept; the least recently used go first
};

// The answer of a limiter: allowed, or refused until retry_after has passed.
struct RateDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0}; // when refused: at least 1 s
};

// A sliding-window failure counter per key. The window is cut into k_buckets equal buckets
// and the oldest, partly elapsed bucket still counts in full, so the limit is never exceeded
// and a refused key is let in again at most one bucket (window / 30) later than exactly.
class RateLimiter {
public:
  // Buckets per window.
  static constexpr std::size_t k_buckets = 30;

  // A limiter reading the time from `clock` (which must outlive it). Throws
  // std::invalid_argument for a limit of 0 or above 65535, or a window under k_buckets seconds.
  RateLimiter(const Clock& clock, RateLimitConfig config);

  // Whether another failure of `key` would still be within the limit (i.e. whether to try the
  // login at all). Does not create the key. Never fails.
  RateDecision check(std::string_view key) const;

  // Counts a failure of `key`. Never fails.
  void record_failure(std::string_view key);

  // Forgets the failures of `key` (a successful login of that account). Never fails.
  void record_success(std::string_view key);

  // How many keys are tracked.
  std::size_t size() const;

private:
  struct Counter {
    std::int64_t head = 0; // bucket number of counts[head % (k_buckets + 1)]
    std::array<std::uint16_t, k_buckets + 1> counts{};
  };
  struct Entry {
    std::string key;
    Counter counter;
  };

  std::int64_t bucket_of(Timestamp t) const;
  void advance(Counter& c, std::int64_t bucket) const;
  RateDecision decide(const Counter& c, Timestamp now) const;

  const Clock& m_clock;
  RateLimitConfig m_config;
  std::chrono::microseconds m_bucket_length;
  mutable std::mutex m_mutex;
  std::list<Entry> m_lru; // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> m_index;
};

// Limits for LoginRateLimiter.
struct LoginRateLimitConfig {
  RateLimitConfig per_account{100, std::chrono::seconds{3600}, 50000};
  RateLimitConfig per_address{300, std::chrono::seconds{3600}, 50000};
};

// Failed logins limited per account and per source address (issue 4: ≤ 100 per hour per
// account). Apply it to unknown accounts too, so its answers say nothing about which exist.
class LoginRateLimiter {
public:
  // Limiters reading `clock` (which must outlive this). Throws like RateLimiter.
  LoginRateLimiter(const Clock& clock, LoginRateLimitConfig config = {});

  // Whether a login of `account` from `address` may be tried; refused with the longer of the
  // two waits. Never fails.
  RateDecision check(std::string_view account, std::string_view address) const;

  // Counts a failed login against both keys. Never fails.
  void record_failure(std::string_view account, std::string_view address);

  // Clears the account's failures after a successful login; the address keeps its count, so
  // logging in to one's own account does not reset an attacker's budget. Never fails.
  void record_success(std::string_view account);

private:
  RateLimiter m_accounts;
  RateLimiter m_addresses;
};

} // namespace sharectl::agent::auth
