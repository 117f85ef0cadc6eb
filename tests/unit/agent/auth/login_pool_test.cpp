// The bounded login pool: results, exceptions, refusal when full, concurrency bound, stop.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "agent/auth/login_pool.hpp"

using namespace sharectl;
using namespace sharectl::agent::auth;
using namespace std::chrono_literals;

namespace {

// A gate the test opens to release blocked jobs.
class Gate {
public:
  void wait() {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [this] { return m_open; });
  }
  void open() {
    {
      std::lock_guard lock(m_mutex);
      m_open = true;
    }
    m_cv.notify_all();
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_open = false;
};

} // namespace

TEST_SUITE("auth") {

  TEST_CASE("login pool: runs work and returns results and exceptions") {
    LoginPool pool({2, 4});
    auto r = pool.run([] { return 42; });
    REQUIRE(r);
    CHECK(*r == 42);
    auto v = pool.run([] {});
    CHECK(v.has_value());
    auto f = pool.submit([]() -> int { throw std::runtime_error("boom"); });
    REQUIRE(f);
    CHECK_THROWS_AS(f->get(), std::runtime_error);
  }

  TEST_CASE("login pool: a full queue refuses at once with unavailable") {
    LoginPool pool({1, 2});
    Gate gate;
    std::atomic<int> started{0};
    auto blocker = pool.submit([&] {
      ++started;
      gate.wait();
    });
    REQUIRE(blocker);
    while (started.load() == 0) {
      std::this_thread::sleep_for(1ms);
    }
    auto q1 = pool.submit([] { return 1; });
    auto q2 = pool.submit([] { return 2; });
    REQUIRE(q1);
    REQUIRE(q2);
    CHECK(pool.queued() == 2);
    const auto before = std::chrono::steady_clock::now();
    auto refused = pool.submit([] { return 3; });
    CHECK(std::chrono::steady_clock::now() - before < 1s);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::unavailable);
    gate.open();
    CHECK(q1->get() == 1);
    CHECK(q2->get() == 2);
  }

  TEST_CASE("login pool: never more than `threads` jobs at once") {
    LoginPool pool({3, 100});
    std::atomic<int> running{0};
    std::atomic<int> peak{0};
    std::vector<std::future<void>> futures;
    for (int i = 0; i < 40; ++i) {
      auto f = pool.submit([&] {
        const int now = ++running;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        std::this_thread::sleep_for(2ms);
        --running;
      });
      REQUIRE(f);
      futures.push_back(std::move(*f));
    }
    for (auto& f : futures) {
      f.get();
    }
    CHECK(peak.load() <= 3);
    CHECK(peak.load() >= 1);
  }

  TEST_CASE("login pool: stop finishes queued work and then refuses") {
    std::atomic<int> done{0};
    LoginPool pool({1, 10});
    for (int i = 0; i < 5; ++i) {
      REQUIRE(pool.submit([&] {
        std::this_thread::sleep_for(1ms);
        ++done;
      }));
    }
    pool.stop();
    CHECK(done.load() == 5);
    auto late = pool.submit([] {});
    REQUIRE_FALSE(late);
    CHECK(late.error().code == ErrorCode::unavailable);
    pool.stop(); // idempotent
  }

} // TEST_SUITE("auth")
