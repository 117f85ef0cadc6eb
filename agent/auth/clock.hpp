// The time source of the auth code (app expiry, last-used batching, rate limiting), injected so
// tests move time by hand (DESIGN.md Convention 4). SystemClock for the agent, FakeClock for
// tests. Times are model::Timestamp (UTC, microseconds), as the store keeps them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/model/object.hpp"

namespace sharectl::agent::auth {

using model::Timestamp;

// A source of the current time. Implementations are thread-safe.
class Clock {
public:
  virtual ~Clock() = default;
  // The current time; never fails.
  virtual Timestamp now() const = 0;
};

// The real wall clock (model::now_utc).
class SystemClock final : public Clock {
public:
  // The current UTC time.
  Timestamp now() const override { return model::now_utc(); }
};

// A clock that only moves when told to; thread-safe, for tests.
class FakeClock final : public Clock {
public:
  // Starts at `start` (default: 2024-01-01T00:00:00Z).
  explicit FakeClock(Timestamp start = Timestamp{std::chrono::microseconds{1704067200000000}})
      : m_now(start.time_since_epoch().count()) {}
  // The time last set.
  Timestamp now() const override { return Timestamp{std::chrono::microseconds{m_now.load()}}; }
  // Moves the clock forward (or backward, for a negative d).
  void advance(std::chrono::microseconds d) { m_now += d.count(); }
  // Sets the clock.
  void set(Timestamp t) { m_now = t.time_since_epoch().count(); }

private:
  std::atomic<std::int64_t> m_now;
};

} // namespace sharectl::agent::auth
