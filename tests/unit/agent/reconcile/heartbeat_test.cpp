// The pure parts of the heartbeat: /proc/loadavg and /proc/meminfo parsing (malformed text is
// an error, never a guess) and when a server counts as up.
#include <doctest/doctest.h>

#include "agent/reconcile/heartbeat.hpp"

namespace {

using namespace sharectl;
namespace reconcile = sharectl::agent::reconcile;

} // namespace

TEST_CASE("parse_loadavg: the first figure, anything else is an error") {
  auto load = reconcile::parse_loadavg("0.52 0.58 0.59 2/1234 5678\n");
  REQUIRE(load.has_value());
  CHECK(*load == doctest::Approx(0.52));
  CHECK(*reconcile::parse_loadavg("12.00 1 1 1/1 1") == doctest::Approx(12.0));
  for (const char* bad : {"", " 0.5 0.5", "abc 1 1", "-1.0 1 1", "0.5x 1 1"}) {
    CAPTURE(bad);
    CHECK_FALSE(reconcile::parse_loadavg(bad).has_value());
  }
}

TEST_CASE("parse_meminfo: used = MemTotal - MemAvailable, in bytes") {
  const char* text = "MemTotal:        8000000 kB\n"
                     "MemFree:          100000 kB\n"
                     "MemAvailable:    6000000 kB\n"
                     "Buffers:           20000 kB\n";
  auto figures = reconcile::parse_meminfo(text);
  REQUIRE(figures.has_value());
  CHECK(figures->memory_total_bytes == 8000000ull * 1024);
  CHECK(figures->memory_used_bytes == 2000000ull * 1024);

  // MemAvailableX is not MemAvailable; missing or malformed figures are errors.
  CHECK_FALSE(reconcile::parse_meminfo("MemTotal: 10 kB\nMemAvailableX: 5 kB\n").has_value());
  CHECK_FALSE(reconcile::parse_meminfo("MemTotal: 10 kB\n").has_value());
  CHECK_FALSE(reconcile::parse_meminfo("MemTotal: ten kB\nMemAvailable: 5 kB\n").has_value());
  CHECK_FALSE(reconcile::parse_meminfo("MemTotal: 10 MB\nMemAvailable: 5 kB\n").has_value());
  CHECK_FALSE(reconcile::parse_meminfo("MemTotal: 99999999999999999999 kB\nMemAvailable: 5 kB\n")
                  .has_value());
  // More available than total (never seen, but not an underflow).
  CHECK(reconcile::parse_meminfo("MemTotal: 10 kB\nMemAvailable: 20 kB\n")->memory_used_bytes == 0);
}

TEST_CASE("server_up: status up and a heartbeat at most three intervals old") {
  const model::Timestamp now{std::chrono::seconds{1'700'000'000}};
  model::Server server;
  server.status = model::ServerStatus::up;
  CHECK_FALSE(reconcile::server_up(server, now)); // never beat
  server.last_heartbeat = now - reconcile::k_missed_heartbeats * reconcile::k_heartbeat_interval;
  CHECK(reconcile::server_up(server, now));
  server.last_heartbeat = *server.last_heartbeat - std::chrono::microseconds{1};
  CHECK_FALSE(reconcile::server_up(server, now));
  server.last_heartbeat = now + std::chrono::seconds{5}; // a clock ahead of ours
  CHECK(reconcile::server_up(server, now));
  server.status = model::ServerStatus::down;
  CHECK_FALSE(reconcile::server_up(server, now));
}
