// AnswerCache: a kept answer is given only at the read stamp it was built at (same store
// revision and app-use generation, less than ttl of agent clock later), per app and target; the
// cache stays within its entry and byte budgets.
#include <doctest/doctest.h>

#include "agent/handlers/answer_cache.hpp"

namespace handlers = sharectl::agent::handlers;
namespace api = sharectl::agent::api;
using handlers::ReadStamp;
using std::chrono::milliseconds;

namespace {

const sharectl::model::Timestamp k_t0{std::chrono::microseconds{1704067200000000}};

ReadStamp stamp(sharectl::model::Revision revision, std::uint64_t uses, milliseconds after = {}) {
  return ReadStamp{revision, uses, k_t0 + after};
}

api::Response answer(std::string body) {
  return api::Response::json(200, std::move(body));
}

} // namespace

TEST_CASE("AnswerCache: an answer only for its app and target, at its stamp, within the ttl") {
  handlers::AnswerCache cache(milliseconds(1000));
  CHECK_FALSE(cache.find("app-a", "/api/v1/spaces", stamp(7, 3)));
  cache.put("app-a", "/api/v1/spaces", answer("[1]"), stamp(7, 3));

  auto hit = cache.find("app-a", "/api/v1/spaces", stamp(7, 3, milliseconds(999)));
  REQUIRE(hit);
  CHECK(hit->status == 200);
  CHECK(hit->body == "[1]");
  CHECK(hit->headers.get("Content-Type") == "application/json");

  CHECK_FALSE(cache.find("app-b", "/api/v1/spaces", stamp(7, 3)));          // another app
  CHECK_FALSE(cache.find("app-a", "/api/v1/spaces?all=true", stamp(7, 3))); // another target
  CHECK_FALSE(cache.find("app-a", "/api/v1/spaces", stamp(8, 3)));          // a commit since
  CHECK_FALSE(cache.find("app-a", "/api/v1/spaces", stamp(7, 4)));          // an app use recorded
  CHECK_FALSE(cache.find("app-a", "/api/v1/spaces", stamp(7, 3, milliseconds(1000)))); // ttl
  CHECK_FALSE(cache.find("app-a", "/api/v1/spaces", stamp(7, 3, milliseconds(-1))));   // went back

  cache.put("app-a", "/api/v1/spaces", answer("[1,2]"), stamp(8, 3)); // a newer answer replaces
  CHECK(cache.find("app-a", "/api/v1/spaces", stamp(8, 3))->body == "[1,2]");
  CHECK(cache.size() == 1);
  CHECK(cache.bytes() == 5);
}

TEST_CASE("AnswerCache: full, it drops answers no longer valid first, then starts over") {
  handlers::AnswerCache cache(milliseconds(1000), 3, 1000);
  cache.put("old", "/x", answer("o"), stamp(1, 0));
  cache.put("b", "/x", answer("b"), stamp(2, 0));
  cache.put("c", "/x", answer("c"), stamp(2, 0));
  cache.put("d", "/x", answer("d"), stamp(2, 0)); // "old" is stale at revision 2
  CHECK(cache.size() == 3);
  CHECK(cache.find("b", "/x", stamp(2, 0)));
  CHECK(cache.find("d", "/x", stamp(2, 0)));
  cache.put("e", "/x", answer("e"), stamp(2, 0)); // nothing stale: start over
  CHECK(cache.size() == 1);
  CHECK(cache.find("e", "/x", stamp(2, 0)));
}

TEST_CASE("AnswerCache: bodies stay within the byte budget, a huge answer is not kept") {
  handlers::AnswerCache cache(milliseconds(1000), 100, 800);
  cache.put("a", "/big", answer(std::string(101, 'x')), stamp(1, 0)); // over 800 / 8
  CHECK_FALSE(cache.find("a", "/big", stamp(1, 0)));
  CHECK(cache.size() == 0);
  for (int i = 0; i < 20; ++i) {
    cache.put("a", "/n" + std::to_string(i), answer(std::string(100, 'y')), stamp(1, 0));
    CHECK(cache.bytes() <= 800);
  }
  CHECK(cache.find("a", "/n19", stamp(1, 0)));
}
