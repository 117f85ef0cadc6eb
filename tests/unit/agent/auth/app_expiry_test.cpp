// App expiry (idle and absolute, with an injected clock) and last-used batching.
#include <chrono>

#include <doctest/doctest.h>

#include "agent/auth/app_expiry.hpp"
#include "agent/auth/clock.hpp"

using namespace sharectl;
using namespace sharectl::agent::auth;
using namespace std::chrono_literals;

TEST_SUITE("auth") {

  TEST_CASE("app expiry: idle and absolute limits, valid at exactly the limit") {
    FakeClock clock;
    const AppLifetime life{7 * 24h, 90 * 24h};
    const Timestamp created = clock.now();
    struct Case {
      std::chrono::microseconds last_used_after_created;
      std::chrono::microseconds now_after_created;
      bool expired;
    };
    const Case cases[] = {
        {0s, 0s, false},
        {0s, 7 * 24h, false},                 // exactly idle_expiry: still valid
        {0s, 7 * 24h + 1us, true},            // one microsecond later: expired
        {6 * 24h, 13 * 24h, false},           // used recently enough
        {6 * 24h, 13 * 24h + 1s, true},       // idle since day 6
        {89 * 24h, 90 * 24h, false},          // absolute limit, exactly
        {90 * 24h - 1s, 90 * 24h + 1s, true}, // busy but past max_lifetime
        {0s, -1s, false},                     // clock behind creation: not expired
    };
    for (const Case& c : cases) {
      CAPTURE(c.now_after_created.count());
      const Timestamp last = created + c.last_used_after_created;
      const Timestamp now = created + c.now_after_created;
      CHECK(app_expired(created, last, now, life) == c.expired);
      model::App app;
      app.created_at = created;
      app.last_used_at = last;
      CHECK(app_expired(app, now, life) == c.expired);
    }
    CHECK(app_expires_at(created, created + 1h, life) == created + 1h + 7 * 24h);
    CHECK(app_expires_at(created, created + 88 * 24h, life) == created + 90 * 24h);
    // A last_used_at before created_at (never used, zero) counts from creation.
    CHECK(app_expires_at(created, Timestamp{}, life) == created + 7 * 24h);
  }

  TEST_CASE("app expiry: a fake clock drives expiry without waiting") {
    FakeClock clock;
    const AppLifetime life{1h, 3h};
    const Timestamp created = clock.now();
    Timestamp last = created;
    for (int i = 0; i < 3; ++i) { // used every 50 min: never idle for an hour
      clock.advance(50min);
      CHECK_FALSE(app_expired(created, last, clock.now(), life));
      last = clock.now();
    }
    clock.advance(1h); // 3h30m after creation, 1h idle: past the 3h absolute limit only
    CHECK(app_expired(created, last, clock.now(), life));
  }

  TEST_CASE("last-used tracker: records at most once per granularity, flush hands over") {
    FakeClock clock;
    LastUsedTracker tracker(60s);
    const Timestamp stored = clock.now();
    CHECK_FALSE(tracker.note_use("app-1", stored, clock.now())); // same as the store
    clock.advance(59s);
    CHECK_FALSE(tracker.note_use("app-1", stored, clock.now()));
    clock.advance(1s);
    CHECK(tracker.note_use("app-1", stored, clock.now()));
    const Timestamp recorded = clock.now();
    clock.advance(30s);
    CHECK_FALSE(tracker.note_use("app-1", stored, clock.now())); // pending is recent
    CHECK(tracker.effective_last_used("app-1", stored) == recorded);
    CHECK(tracker.effective_last_used("app-2", stored) == stored);
    clock.advance(30s);
    CHECK(tracker.note_use("app-1", stored, clock.now()));
    CHECK(tracker.note_use("app-2", stored, clock.now()));
    CHECK(tracker.pending_count() == 2);

    auto batch = tracker.flush();
    CHECK(batch.size() == 2);
    CHECK(batch.at("app-1") == clock.now());
    CHECK(tracker.pending_count() == 0);
    CHECK(tracker.flush().empty());

    // After the store took the batch, the stored value is the flushed one.
    CHECK_FALSE(tracker.note_use("app-1", batch.at("app-1"), clock.now() + 10s));
    CHECK(tracker.note_use("app-3", stored, clock.now()));
    tracker.forget("app-3");
    CHECK(tracker.pending_count() == 0);
  }

  TEST_CASE("last-used tracker: its generation moves whenever a last use it answers changes") {
    FakeClock clock;
    LastUsedTracker tracker(60s);
    const Timestamp stored = clock.now();
    auto generation = tracker.generation();
    const auto moved = [&] {
      const bool changed = tracker.generation() != generation;
      generation = tracker.generation();
      return changed;
    };
    clock.advance(30s);
    CHECK_FALSE(tracker.note_use("app-1", stored, clock.now())); // nothing recorded
    CHECK_FALSE(moved());
    clock.advance(30s);
    CHECK(tracker.note_use("app-1", stored, clock.now()));
    CHECK(moved());
    CHECK_FALSE(tracker.note_use("app-1", stored, clock.now() + 1s));
    CHECK_FALSE(moved());
    CHECK(tracker.flush().size() == 1);
    CHECK(moved());
    CHECK(tracker.flush().empty());
    CHECK_FALSE(moved());
    tracker.forget("app-1"); // nothing pending: nothing changes
    CHECK_FALSE(moved());
    CHECK(tracker.note_use("app-2", stored, clock.now()));
    CHECK(moved());
    tracker.forget("app-2");
    CHECK(moved());
  }

  TEST_CASE("last-used tracker: a 1000-request burst costs one write") {
    FakeClock clock;
    LastUsedTracker tracker;
    const Timestamp stored = clock.now() - 10min;
    int recorded = 0;
    for (int i = 0; i < 1000; ++i) {
      recorded += tracker.note_use("busy", stored, clock.now()) ? 1 : 0;
      clock.advance(10ms);
    }
    CHECK(recorded == 1);
  }

} // TEST_SUITE("auth")
