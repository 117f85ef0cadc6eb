// CallerCache: an entry serves only at the store revision it was read at and within its ttl;
// a full cache makes room without growing.
#include <doctest/doctest.h>

#include "agent/handlers/caller_cache.hpp"

namespace handlers = sharectl::agent::handlers;
using std::chrono::milliseconds;

namespace {

handlers::Caller caller_named(const std::string& name) {
  handlers::Caller caller;
  caller.user.id = "user-" + name;
  caller.user.username = name;
  caller.app.id = "app-" + name;
  return caller;
}

} // namespace

TEST_CASE("CallerCache: a hit only at the same revision and within the ttl") {
  handlers::CallerCache cache(milliseconds(2000), 16);
  const auto t0 = handlers::CallerCache::Clock::now();
  CHECK_FALSE(cache.find("hash-a", 7, t0));
  cache.put("hash-a", caller_named("alice"), 7, t0);

  auto hit = cache.find("hash-a", 7, t0 + milliseconds(1999));
  REQUIRE(hit);
  CHECK(hit->user.username == "alice");
  CHECK(hit->app.id == "app-alice");

  CHECK_FALSE(cache.find("hash-a", 8, t0 + milliseconds(1)));    // a commit since: stale
  CHECK_FALSE(cache.find("hash-a", 7, t0 + milliseconds(2000))); // ttl over
  CHECK_FALSE(cache.find("hash-a", 7, t0 - milliseconds(1)));    // clock went back
  CHECK_FALSE(cache.find("hash-b", 7, t0));

  cache.put("hash-a", caller_named("alice2"), 8, t0 + milliseconds(5)); // re-read replaces
  CHECK(cache.find("hash-a", 8, t0 + milliseconds(6))->user.username == "alice2");
  CHECK(cache.size() == 1);
}

TEST_CASE("CallerCache: a full cache drops stale entries first, never grows past capacity") {
  handlers::CallerCache cache(milliseconds(1000), 3);
  const auto t0 = handlers::CallerCache::Clock::now();
  cache.put("old", caller_named("old"), 1, t0);
  cache.put("b", caller_named("b"), 2, t0);
  cache.put("c", caller_named("c"), 2, t0);
  cache.put("d", caller_named("d"), 2, t0 + milliseconds(1)); // "old" is stale at revision 2
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.find("old", 1, t0));
  CHECK(cache.find("b", 2, t0 + milliseconds(2)));
  CHECK(cache.find("d", 2, t0 + milliseconds(2)));

  cache.put("e", caller_named("e"), 2, t0 + milliseconds(3)); // nothing stale: start over
  CHECK(cache.size() <= 3);
  CHECK(cache.find("e", 2, t0 + milliseconds(4)));
}
