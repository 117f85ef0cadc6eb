// Failed-login limiting: a sliding-window counter per key (an account and source address, a
// source address) that never lets more than `limit` failures through in any window of `window`
// length and, optionally, slows a key down with a growing delay after a run of failures, with
// bounded memory (fixed-size counters per key, least recently used keys evicted past
// max_keys), thread-safe and driven by an injected Clock. LoginRateLimiter combines one limiter
// per (account, address) and one per address, so that nobody can lock an account for everyone.
// See agent/auth/README.md.
#pragma once

#include <array>
#include <atomic>
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
  // Failures in a row (none older than `window` apart) let through before each further attempt
  // must wait 1 s, 2 s, 4 s, … (doubling, at most backoff_max) after the last failure; 0: none.
  std::uint32_t backoff_after = 0;
  std::chrono::seconds backoff_max{60};
};

// The answer of a limiter: allowed, or refused until retry_after has passed.
struct RateDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0}; // when refused: at least 1 s
  bool first = false; // refused for the first time since the key's last failure (worth a log)
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

  // Whether another failure of `key` would still be within the limit and past its delay (i.e.
  // whether to try the login at all). Does not create the key; notes that a refusal was given
  // (RateDecision::first). Never fails.
  RateDecision check(std::string_view key);

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
    std::uint32_t streak = 0; // failures in a row (for the growing delay)
    Timestamp last{};         // the last failure
    bool reported = false;    // a refusal was answered since the last failure
  };
  struct Entry {
    std::string key;
    Counter counter;
  };

  std::int64_t bucket_of(Timestamp t) const;
  void advance(Counter& c, std::int64_t bucket) const;
  RateDecision decide(const Counter& c, Timestamp now) const;
  RateDecision decide_window(const Counter& c, Timestamp now) const;

  const Clock& m_clock;
  RateLimitConfig m_config;
  std::chrono::microseconds m_bucket_length;
  mutable std::mutex m_mutex;
  std::list<Entry> m_lru; // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> m_index;
};

// Limits for LoginRateLimiter.
struct LoginRateLimitConfig {
  // One account from one source address: OWASP's at most 100 failures an hour, and after 5 in
  // a row a growing delay (1 s doubling to 60 s) before the next try from that address.
  RateLimitConfig per_account_address{100, std::chrono::seconds{3600}, 100000, 5,
                                      std::chrono::seconds{60}};
  // One source address, whatever the accounts (a scan of many accounts).
  RateLimitConfig per_address{300, std::chrono::seconds{3600}, 50000};
};

// Which limit refused a login.
enum class LoginThrottle { none, account_address, address };

// The answer of LoginRateLimiter::check.
struct LoginDecision {
  bool allowed = true;
  std::chrono::seconds retry_after{0};
  LoginThrottle by = LoginThrottle::none;
  bool first = false; // the first refusal since that key's last failure (audit it)
};

// Failed logins limited per (account, source address) and per source address, never per
// account alone: an attacker hammering an account from one address is slowed down and then
// refused, while its owner logging in from another address is not (the account cannot be locked
// for everyone). Apply it to unknown accounts too, so its answers say nothing about which exist.
// Counts its refusals for /metrics.
class LoginRateLimiter {
public:
  // Limiters reading `clock` (which must outlive this). Throws like RateLimiter.
  LoginRateLimiter(const Clock& clock, LoginRateLimitConfig config = {});

  // Whether a login of `account` from `address` may be tried; refused with the longer of the
  // waits and the limit that refused (counted). Never fails.
  LoginDecision check(std::string_view account, std::string_view address);

  // Counts a failed login against the pair and the address. Never fails.
  void record_failure(std::string_view account, std::string_view address);

  // Clears the pair's failures after a successful login from that address; the address keeps its
  // count, so logging in to one's own account does not reset a scan's budget. Never fails.
  void record_success(std::string_view account, std::string_view address);

  // Refusals so far by (account, address) and by address alone.
  std::uint64_t refused_account_address() const { return m_refused_pair.load(); }
  std::uint64_t refused_address() const { return m_refused_address.load(); }

  // The Prometheus text of the refusal counters (sharectl_login_throttled_total by limit) and
  // of the keys tracked. Never fails.
  std::string metrics_text() const;

private:
  RateLimiter m_pairs;
  RateLimiter m_addresses;
  std::atomic<std::uint64_t> m_refused_pair{0};
  std::atomic<std::uint64_t> m_refused_address{0};
};

} // namespace sharectl::agent::auth
