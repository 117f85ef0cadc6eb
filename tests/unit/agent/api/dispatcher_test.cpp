#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "agent/api/dispatcher.hpp"

using namespace sharectl;
using namespace sharectl::agent::api;

namespace {

Router table() {
  auto router = Router::create({
      {"GET", "/open/{name}",
       [](Request& request) -> Result<Response> {
         return Response::text(200, std::string(request.param("name")) + "|" +
                                        std::string(request.query_param("q").value_or("-")));
       },
       Permission::anyone(), "open", false},
      {"GET", "/closed", [](Request&) -> Result<Response> { return Response::text(200, "in"); },
       Permission::authenticated(), "closed"},
      {"GET", "/boom",
       [](Request&) -> Result<Response> { throw std::runtime_error("password=hunter2"); },
       Permission::anyone(), "throws"},
      {"GET", "/gone",
       [](Request&) -> Result<Response> { return fail(ErrorCode::not_found, "no space x"); },
       Permission::anyone(), "fails"},
  });
  REQUIRE(router.has_value());
  return std::move(*router);
}

Request request_for(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.request_id = "rid";
  return request;
}

// Runs a request through route() and invoke() as the server does.
Response run(Dispatcher& dispatcher, Request request) {
  auto plan = dispatcher.route(request);
  Response response = plan.response ? *plan.response : dispatcher.invoke(request);
  dispatcher.finish(response, request, plan.slot, Dispatcher::Clock::now());
  return response;
}

} // namespace

TEST_SUITE("agent.api.dispatcher") {

  TEST_CASE("routes, decodes and answers") {
    Dispatcher dispatcher(table(), {}, 8);
    auto request = request_for("GET", "/open/a%20b?q=x+y");
    auto plan = dispatcher.route(request);
    CHECK_FALSE(plan.response.has_value());
    CHECK_FALSE(plan.blocking);
    CHECK(request.path == "/open/a%20b");
    CHECK(request.query == "q=x+y");
    CHECK(request.param("name") == "a b");
    auto response = dispatcher.invoke(request);
    CHECK(response.body == "a b|x y");

    auto finished = run(dispatcher, request_for("GET", "/open/z"));
    CHECK(finished.headers.get("X-Request-Id") == "rid");
    CHECK(dispatcher.metrics().requests(0, 2) == 1);
  }

  TEST_CASE("refusals and failures become SPEC error responses") {
    std::vector<std::string> logged;
    ServerHooks hooks;
    hooks.log = [&logged](std::string_view line) { logged.emplace_back(line); };
    Dispatcher dispatcher(table(), hooks, 8);
    CHECK(run(dispatcher, request_for("GET", "/nope")).status == 404);
    CHECK(run(dispatcher, request_for("GET", "/open/..%2f")).status == 400);
    CHECK(run(dispatcher, request_for("GET", "/open/x?q=%")).status == 400);
    auto wrong = run(dispatcher, request_for("POST", "/closed"));
    CHECK(wrong.status == 405);
    CHECK(wrong.headers.get("Allow") == "GET, HEAD");
    CHECK(run(dispatcher, request_for("GET", "/closed")).status == 401); // no authorizer: deny
    auto gone = run(dispatcher, request_for("GET", "/gone"));
    CHECK(gone.status == 404);
    CHECK(gone.body ==
          R"({"error":{"code":"not_found","message":"no space x","request_id":"rid"}})");
    auto boom = run(dispatcher, request_for("GET", "/boom"));
    CHECK(boom.status == 500);
    CHECK(boom.body.find("hunter2") == std::string::npos);
    REQUIRE(logged.size() == 1);
    CHECK(logged[0].find("GET /boom") != std::string::npos);
    const auto unmatched = dispatcher.metrics().unmatched_slot();
    CHECK(dispatcher.metrics().requests(unmatched, 4) == 3);
  }

  TEST_CASE("the authorizer sees the route and may pass the caller on") {
    ServerHooks hooks;
    hooks.authorize = [](Request& request) -> Status {
      if (request.headers.get("X-User-ID") != "u1") {
        return fail(ErrorCode::forbidden,
                    "missing permission " + request.route->permission.to_string());
      }
      request.auth = 42;
      return {};
    };
    Dispatcher dispatcher(table(), hooks, 8);
    auto denied = run(dispatcher, request_for("GET", "/closed"));
    CHECK(denied.status == 403);
    CHECK(denied.body.find("missing permission authenticated") != std::string::npos);
    auto request = request_for("GET", "/closed");
    request.headers.add("x-user-id", "u1");
    auto plan = dispatcher.route(request);
    CHECK(plan.blocking);
    CHECK(dispatcher.invoke(request).status == 200);
    CHECK(std::any_cast<int>(request.auth) == 42);
  }

  TEST_CASE("an authorizer's refusal headers reach the response") {
    ServerHooks hooks;
    hooks.authorize = [](Request&) -> std::expected<void, Refusal> {
      Headers headers;
      headers.set("Retry-After", "42");
      return std::unexpected(
          Refusal{Error{ErrorCode::rate_limited, "too many failed logins"}, std::move(headers)});
    };
    auto router = Router::create(
        {{"GET", "/p", [](Request&) -> Result<Response> { return Response::text(200, "x"); },
          Permission::authenticated(), "p"}});
    REQUIRE(router.has_value());
    Dispatcher dispatcher(std::move(*router), std::move(hooks), 8);
    Request request;
    request.method = "GET";
    request.target = "/p";
    auto plan = dispatcher.route(request);
    REQUIRE_FALSE(plan.response.has_value());
    const auto response = dispatcher.invoke(request);
    CHECK(response.status == 429);
    CHECK(response.headers.get("Retry-After") == "42");
  }

  TEST_CASE("the worker queue is bounded and its places are given back") {
    ServerHooks hooks;
    hooks.authorize = [](Request&) -> Status { return {}; };
    Dispatcher dispatcher(table(), hooks, 2);
    auto first = request_for("GET", "/closed");
    auto second = request_for("GET", "/closed");
    auto third = request_for("GET", "/closed");
    CHECK(dispatcher.route(first).blocking);
    CHECK(dispatcher.route(second).blocking);
    auto refused = dispatcher.route(third);
    REQUIRE(refused.response.has_value());
    CHECK(refused.response->status == 503);
    CHECK(refused.response->headers.get("Retry-After") == "1");
    dispatcher.invoke(first);
    CHECK(dispatcher.route(third).blocking);
  }

  TEST_CASE("a cacheable route: kept answers before the queue, fresh 200s offered to keep") {
    int runs = 0;
    std::optional<Response> kept;
    std::vector<std::string> offered;
    auto router = Router::create({
        Route{"GET", "/kept",
              [&](Request&) -> Result<Response> {
                ++runs;
                return Response::text(200, "fresh");
              },
              Permission::authenticated(), "kept"}
            .cached(),
        Route{"GET", "/kept/missing",
              [](Request&) -> Result<Response> { return fail(ErrorCode::not_found, "no x"); },
              Permission::authenticated(), "kept, failing"}
            .cached(),
        Route{"GET", "/plain",
              [](Request&) -> Result<Response> { return Response::text(200, "p"); },
              Permission::authenticated(), "not cacheable"},
    });
    REQUIRE(router.has_value());
    ServerHooks hooks;
    hooks.authorize = [](Request&) -> Status { return {}; };
    hooks.cached_answer = [&](Request& request) -> std::optional<Response> {
      CHECK(request.route != nullptr);
      return kept;
    };
    hooks.remember = [&](const Request& request, const Response& answer) {
      offered.push_back(request.target + "=" + answer.body);
    };
    Dispatcher dispatcher(std::move(*router), hooks, 1);
    const auto counted = [&] {
      return dispatcher.metrics().counter("sharectl_http_cached_answers_total", "").value();
    };

    CHECK(run(dispatcher, request_for("GET", "/kept")).body == "fresh"); // nothing kept yet
    CHECK(runs == 1);
    CHECK(offered == std::vector<std::string>{"/kept=fresh"});

    kept = Response::text(200, "kept");
    for (int i = 0; i < 3; ++i) { // answered by route(), holding no place of the 1-deep queue
      auto request = request_for("GET", "/kept");
      auto plan = dispatcher.route(request);
      REQUIRE(plan.response.has_value());
      CHECK(plan.response->body == "kept");
      CHECK_FALSE(plan.blocking);
    }
    CHECK(runs == 1);
    CHECK(counted() == 3);
    CHECK(run(dispatcher, request_for("HEAD", "/kept")).body == "kept"); // HEAD runs as GET

    auto refresh = request_for("GET", "/kept");
    refresh.headers.add("Cache-Control", "no-cache");
    CHECK(run(dispatcher, refresh).body == "fresh"); // answered afresh, and the answer offered
    auto no_store = request_for("GET", "/kept");
    no_store.headers.add("Cache-Control", "max-age=60, no-store");
    CHECK(run(dispatcher, no_store).body == "fresh"); // answered afresh, nothing offered
    auto pragma = request_for("GET", "/kept");
    pragma.headers.add("Pragma", "no-cache");
    CHECK(run(dispatcher, pragma).body == "fresh");
    CHECK(runs == 4);
    CHECK(offered == std::vector<std::string>{"/kept=fresh", "/kept=fresh", "/kept=fresh"});

    CHECK(run(dispatcher, request_for("GET", "/plain")).body == "p"); // never asks the cache
    kept.reset();
    CHECK(run(dispatcher, request_for("GET", "/kept/missing")).status == 404); // not offered
    CHECK(offered.size() == 3);
    CHECK(counted() == 4);
  }

  TEST_CASE("Cache-Control and Pragma decide whether kept answers are used") {
    const auto use = [](std::vector<std::pair<std::string, std::string>> fields) {
      Headers headers;
      for (auto& [name, value] : fields) {
        headers.add(name, value);
      }
      return Dispatcher::cache_use(headers);
    };
    using Use = Dispatcher::CacheUse;
    CHECK(use({}) == Use::use);
    CHECK(use({{"Cache-Control", "max-age=60"}}) == Use::use);
    CHECK(use({{"Cache-Control", "private, NO-CACHE"}}) == Use::refresh);
    CHECK(use({{"cache-control", " max-age=0 "}}) == Use::refresh);
    CHECK(use({{"Cache-Control", "no-cache"}, {"Cache-Control", "no-store"}}) == Use::bypass);
    CHECK(use({{"Cache-Control", "no-store, no-cache"}}) == Use::bypass);
    CHECK(use({{"Pragma", "no-cache"}}) == Use::refresh);
    CHECK(use({{"Pragma", "no-store"}}) == Use::use); // not a Pragma directive
    CHECK(use({{"Cache-Control", "no-cachex"}}) == Use::use);
  }

  TEST_CASE("generated request ids are UUID v4, and distinct across threads") {
    const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    std::vector<std::string> ids[2];
    std::thread other([&] {
      for (int i = 0; i < 5000; ++i) {
        ids[1].push_back(Dispatcher::request_id_for(""));
      }
    });
    for (int i = 0; i < 5000; ++i) {
      ids[0].push_back(Dispatcher::request_id_for(""));
    }
    other.join();
    std::set<std::string> seen;
    for (const auto& list : ids) {
      for (const auto& id : list) {
        REQUIRE_MESSAGE(std::regex_match(id, uuid_v4), id);
        seen.insert(id);
      }
    }
    CHECK(seen.size() == 10000);
  }

  TEST_CASE("request ids and response headers are checked") {
    CHECK(Dispatcher::request_id_for("abc") == "abc");
    CHECK(Dispatcher::request_id_for("a b").size() == 36);
    CHECK(Dispatcher::request_id_for("") != Dispatcher::request_id_for(""));
    CHECK(Dispatcher::sendable_header("Location", "/api/v1/spaces/a/b"));
    CHECK_FALSE(Dispatcher::sendable_header("Bad Name", "x"));
    CHECK_FALSE(Dispatcher::sendable_header("X-A", "b\r\nSet-Cookie: x"));
  }

} // TEST_SUITE
