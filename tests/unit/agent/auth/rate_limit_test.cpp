// Failed-login limiting: sliding window, retry-after, success reset, eviction, threads.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "agent/auth/rate_limit.hpp"

using namespace sharectl;
using namespace sharectl::agent::auth;
using namespace std::chrono_literals;

TEST_SUITE("auth") {

  TEST_CASE("rate limit: 100 failures per hour per key, then refused with Retry-After") {
    FakeClock clock;
    RateLimiter limiter(clock, {100, 3600s, 1000});
    for (int i = 0; i < 100; ++i) {
      REQUIRE(limiter.check("alice").allowed);
      limiter.record_failure("alice");
      clock.advance(1s);
    }
    const RateDecision refused = limiter.check("alice");
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after >= 1s);
    CHECK(refused.retry_after <= 3600s + 120s); // at most one bucket (window / 30) late
    CHECK(limiter.check("bob").allowed);        // other keys are unaffected
    CHECK(limiter.size() == 1);                 // check() does not create keys

    // Still refused just before retry_after, allowed once it has passed.
    clock.advance(refused.retry_after - 1s);
    CHECK_FALSE(limiter.check("alice").allowed);
    clock.advance(1s);
    CHECK(limiter.check("alice").allowed);
  }

  TEST_CASE("rate limit: never more than the limit in any window (sliding, not fixed)") {
    FakeClock clock;
    const std::uint32_t limit = 10;
    RateLimiter limiter(clock, {limit, 600s, 100});
    std::vector<Timestamp> accepted;
    // An attacker tries every 7 seconds for 2 hours and records every failure it may make.
    for (int i = 0; i < 2 * 3600 / 7; ++i) {
      if (limiter.check("k").allowed) {
        limiter.record_failure("k");
        accepted.push_back(clock.now());
      }
      clock.advance(7s);
    }
    for (std::size_t i = 0; i + limit < accepted.size(); ++i) {
      // Any limit+1 consecutive accepted failures span more than the window.
      CHECK(accepted[i + limit] - accepted[i] >= std::chrono::microseconds{600s});
    }
    // And the limiter is not much stricter than needed: about limit per window.
    CHECK(accepted.size() >= 2 * 6 * limit * 9 / 10);
  }

  TEST_CASE("rate limit: retry_after is exact to within one bucket") {
    FakeClock clock(Timestamp{std::chrono::microseconds{0}});
    RateLimiter limiter(clock, {3, 300s, 10}); // buckets of 10 s
    limiter.record_failure("k");               // t = 0
    clock.advance(100s);
    limiter.record_failure("k"); // t = 100
    limiter.record_failure("k");
    clock.advance(5s); // t = 105
    const RateDecision d = limiter.check("k");
    CHECK_FALSE(d.allowed);
    // The t=0 failure leaves the window at 300 s (bucket [0,10) leaves at 310 s at the latest).
    CHECK(d.retry_after >= 195s);
    CHECK(d.retry_after <= 205s);
  }

  TEST_CASE("rate limit: success forgets an account's failures") {
    FakeClock clock;
    RateLimiter limiter(clock, {3, 3600s, 10});
    for (int i = 0; i < 3; ++i) {
      limiter.record_failure("alice");
    }
    CHECK_FALSE(limiter.check("alice").allowed);
    limiter.record_success("alice");
    CHECK(limiter.check("alice").allowed);
    CHECK(limiter.size() == 0);
    limiter.record_success("nobody"); // harmless
  }

  TEST_CASE("rate limit: memory is bounded, the least recently used key goes first") {
    FakeClock clock;
    RateLimiter limiter(clock, {1, 3600s, 3});
    limiter.record_failure("a");
    limiter.record_failure("b");
    limiter.record_failure("c");
    limiter.record_failure("a"); // a is now the most recent
    limiter.record_failure("d"); // evicts b
    CHECK(limiter.size() == 3);
    CHECK_FALSE(limiter.check("a").allowed);
    CHECK(limiter.check("b").allowed);
    CHECK_FALSE(limiter.check("c").allowed);
    CHECK_FALSE(limiter.check("d").allowed);
    for (int i = 0; i < 10000; ++i) {
      limiter.record_failure("flood-" + std::to_string(i));
    }
    CHECK(limiter.size() == 3);
  }

  TEST_CASE("rate limit: invalid configurations are refused") {
    FakeClock clock;
    CHECK_THROWS_AS(RateLimiter(clock, {0, 3600s, 10}), std::invalid_argument);
    CHECK_THROWS_AS(RateLimiter(clock, {70000, 3600s, 10}), std::invalid_argument);
    CHECK_THROWS_AS(RateLimiter(clock, {10, 10s, 10}), std::invalid_argument);
  }

  TEST_CASE("rate limit: a growing delay after a run of failures, forgotten after a window") {
    FakeClock clock;
    RateLimiter limiter(clock, {100, 3600s, 10, 3, 8s});
    for (int i = 0; i < 2; ++i) {
      limiter.record_failure("k");
      CHECK(limiter.check("k").allowed); // the first failures cost nothing
    }
    // From the 3rd failure in a row: 1 s, 2 s, 4 s, 8 s, 8 s (capped) before the next try.
    for (const auto delay : {1s, 2s, 4s, 8s, 8s}) {
      limiter.record_failure("k");
      const RateDecision refused = limiter.check("k");
      CHECK_FALSE(refused.allowed);
      CHECK(refused.retry_after == delay);
      CHECK(refused.first);
      CHECK_FALSE(limiter.check("k").first); // later refusals of the same run are not first
      clock.advance(delay - 1s);
      CHECK_FALSE(limiter.check("k").allowed);
      clock.advance(1s);
      CHECK(limiter.check("k").allowed);
    }
    // A run ends after a quiet window: the next failure is the first of a new run.
    clock.advance(3600s);
    limiter.record_failure("k");
    CHECK(limiter.check("k").allowed);
  }

  TEST_CASE("rate limit: one address hammering an account never locks out its owner") {
    FakeClock clock;
    LoginRateLimiter limiter(clock); // the defaults: 100 an hour per (account, address)
    int tried = 0;
    // The attacker tries as fast as the limiter lets them for an hour.
    for (int second = 0; second < 3600; ++second) {
      if (limiter.check("victim", "192.0.2.66").allowed) {
        limiter.record_failure("victim", "192.0.2.66");
        ++tried;
      }
      clock.advance(1s);
    }
    CHECK(tried <= 100); // OWASP: ≤ 100 an hour
    CHECK(tried >= 5);   // slowed, not stopped dead
    if (limiter.check("victim", "192.0.2.66").allowed) {
      limiter.record_failure("victim", "192.0.2.66");
    }
    CHECK_FALSE(limiter.check("victim", "192.0.2.66").allowed); // and still slowed down
    CHECK(limiter.check("victim", "203.0.113.7").allowed);      // the owner, elsewhere
    CHECK(limiter.refused_account_address() > 0);
    // The owner's success clears only their own address's failures.
    limiter.record_success("victim", "203.0.113.7");
    CHECK_FALSE(limiter.check("victim", "192.0.2.66").allowed);
  }

  TEST_CASE("rate limit: login limiter caps failures per (account, address) and per address") {
    FakeClock clock;
    LoginRateLimiter limiter(clock, {{3, 3600s, 100}, {5, 3600s, 100}});
    // One address tries many accounts: the address limit stops it.
    for (int i = 0; i < 5; ++i) {
      CHECK(limiter.check("user" + std::to_string(i), "192.0.2.1").allowed);
      limiter.record_failure("user" + std::to_string(i), "192.0.2.1");
    }
    const LoginDecision scan = limiter.check("fresh-user", "192.0.2.1");
    CHECK_FALSE(scan.allowed);
    CHECK(scan.by == LoginThrottle::address);
    CHECK(limiter.check("fresh-user", "192.0.2.2").allowed);
    // One address tries one account: the pair limit stops it, other addresses go on.
    for (int i = 0; i < 3; ++i) {
      limiter.record_failure("victim", "198.51.100.1");
    }
    const LoginDecision pair = limiter.check("victim", "198.51.100.1");
    CHECK_FALSE(pair.allowed);
    CHECK(pair.by == LoginThrottle::account_address);
    CHECK(limiter.check("victim", "203.0.113.9").allowed);
    // A success from that address clears the pair.
    limiter.record_success("victim", "198.51.100.1");
    CHECK(limiter.check("victim", "198.51.100.1").allowed);
    CHECK(limiter.refused_address() == 1);
    CHECK(limiter.refused_account_address() == 1);
    const std::string text = limiter.metrics_text();
    CHECK(text.find("sharectl_login_throttled_total{limit=\"address\"} 1") != std::string::npos);
  }

  TEST_CASE("rate limit: concurrent use from many threads") {
    FakeClock clock;
    RateLimiter limiter(clock, {1000, 3600s, 64});
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&limiter, t] {
        for (int i = 0; i < 2000; ++i) {
          const std::string key = "k" + std::to_string((i + t) % 100);
          (void)limiter.check(key);
          limiter.record_failure(key);
          if (i % 50 == 0) {
            limiter.record_success(key);
          }
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
    CHECK(limiter.size() <= 64);
  }

} // TEST_SUITE("auth")
