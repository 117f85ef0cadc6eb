#include <string>

#include <doctest/doctest.h>

#include "agent/api/router.hpp"

using namespace sharectl;
using namespace sharectl::agent::api;

namespace {

Handler ok() {
  return [](Request&) -> Result<Response> { return Response::text(200, "ok"); };
}

Router make_router() {
  auto router = Router::create({
      {"GET", "/api/v1/spaces", ok(), Permission::authenticated(), "list spaces"},
      {"POST", "/api/v1/spaces", ok(), Permission::of("spaces.create"), "create a space"},
      {"GET", "/api/v1/spaces/{owner}/{name}", ok(),
       Permission::of("spaces.read", "spaces/{owner}/{name}"), "show a space"},
      {"DELETE", "/api/v1/spaces/{owner}/{name}", ok(),
       Permission::of("spaces.delete", "spaces/{owner}/{name}"), "delete a space"},
      {"GET", "/api/v1/shares/{name}", ok(), Permission::authenticated(), "show a share"},
      {"PUT", "/api/v1/users/{id}/password", ok(), Permission::authenticated(), "by id"},
      {"PUT", "/api/v1/users/me/password", ok(), Permission::authenticated(), "mine"},
      {"GET", "/", ok(), Permission::anyone(), "root"},
  });
  REQUIRE(router.has_value());
  return std::move(*router);
}

} // namespace

TEST_SUITE("agent.api.router") {

  TEST_CASE("exact and parameterised routes match with decoded params") {
    const auto router = make_router();
    auto match = router.find("GET", "/api/v1/spaces");
    REQUIRE(match.outcome == RouteMatch::Outcome::matched);
    CHECK(match.route->summary == "list spaces");
    CHECK(match.params.empty());

    match = router.find("GET", "/api/v1/spaces/bob/my%20data");
    REQUIRE(match.outcome == RouteMatch::Outcome::matched);
    CHECK(match.route->pattern == "/api/v1/spaces/{owner}/{name}");
    CHECK(match.params.at("owner") == "bob");
    CHECK(match.params.at("name") == "my data");

    match = router.find("GET", "/api/v1/shares/caf%C3%A9");
    REQUIRE(match.outcome == RouteMatch::Outcome::matched);
    CHECK(match.params.at("name") == "caf\xc3\xa9");

    CHECK(router.find("GET", "/").outcome == RouteMatch::Outcome::matched);
  }

  TEST_CASE("a literal segment wins over a parameter") {
    const auto router = make_router();
    auto match = router.find("PUT", "/api/v1/users/me/password");
    REQUIRE(match.outcome == RouteMatch::Outcome::matched);
    CHECK(match.route->summary == "mine");
    match = router.find("PUT", "/api/v1/users/1234/password");
    REQUIRE(match.outcome == RouteMatch::Outcome::matched);
    CHECK(match.route->summary == "by id");
    CHECK(match.params.at("id") == "1234");
  }

  TEST_CASE("unknown paths are not_found, wrong methods list what is allowed") {
    const auto router = make_router();
    CHECK(router.find("GET", "/api/v1/nothing").outcome == RouteMatch::Outcome::not_found);
    CHECK(router.find("GET", "/api/v1/spaces/bob").outcome == RouteMatch::Outcome::not_found);
    CHECK(router.find("GET", "/API/v1/spaces").outcome == RouteMatch::Outcome::not_found);
    auto match = router.find("PATCH", "/api/v1/spaces/bob/x");
    REQUIRE(match.outcome == RouteMatch::Outcome::method_not_allowed);
    CHECK(match.allow == "DELETE, GET, HEAD");
    match = router.find("DELETE", "/api/v1/spaces");
    REQUIRE(match.outcome == RouteMatch::Outcome::method_not_allowed);
    CHECK(match.allow == "GET, HEAD, POST");
  }

  TEST_CASE("HEAD matches the GET route of a path, without one it is not allowed") {
    const auto router = make_router();
    auto match = router.find("HEAD", "/api/v1/spaces/bob/x");
    REQUIRE(match.outcome == RouteMatch::Outcome::matched);
    CHECK(match.route->method == "GET");
    CHECK(match.params.at("owner") == "bob");
    CHECK(router.find("HEAD", "/api/v1/nothing").outcome == RouteMatch::Outcome::not_found);
    const auto post_only =
        Router::create({{"POST", "/api/v1/apps",
                         [](Request&) -> Result<Response> { return Response::no_content(); },
                         Permission::anyone(), "login"}});
    REQUIRE(post_only.has_value());
    match = post_only->find("HEAD", "/api/v1/apps");
    REQUIRE(match.outcome == RouteMatch::Outcome::method_not_allowed);
    CHECK(match.allow == "POST");
  }

  TEST_CASE("hostile paths are refused before any handler") {
    const auto router = make_router();
    const char* hostile[] = {
        "/api/v1/shares/..%2f",
        "/api/v1/shares/..%2F..%2Fetc",
        "/api/v1/shares/a%2fb",
        "/api/v1/shares/%00",
        "/api/v1/shares/a%00b",
        "/api/v1/shares/..",
        "/api/v1/shares/.",
        "/api/v1/shares/%2e%2e",
        "/api/v1/shares/%2E",
        "/api/v1//shares",
        "/api/v1/shares/",
        "/api/v1/shares/%",
        "/api/v1/shares/%4",
        "/api/v1/shares/%zz",
        "/api/v1/shares/a%0d%0aX: y",
        "/api/v1/shares/%7f",
        "api/v1/shares/x",
        "",
        "http://example.com/api/v1/shares/x",
    };
    for (const char* path : hostile) {
      CAPTURE(path);
      const auto match = router.find("GET", path);
      CHECK(match.outcome == RouteMatch::Outcome::bad_path);
      CHECK_FALSE(match.message.empty());
      CHECK(match.route == nullptr);
    }
  }

  TEST_CASE("very long paths are refused, paths up to the limit are looked at") {
    const auto router = make_router();
    const std::string long_name(k_max_path_bytes, 'a');
    CHECK(router.find("GET", "/api/v1/shares/" + long_name).outcome ==
          RouteMatch::Outcome::bad_path);
    const std::string fits(k_max_path_bytes - std::string("/api/v1/shares/").size(), 'a');
    const auto match = router.find("GET", "/api/v1/shares/" + fits);
    REQUIRE(match.outcome == RouteMatch::Outcome::matched);
    CHECK(match.params.at("name") == fits);
    std::string many;
    for (int i = 0; i < 1000; ++i) {
      many += "/x";
    }
    CHECK(router.find("GET", many).outcome == RouteMatch::Outcome::not_found);
  }

  TEST_CASE("bad route tables are refused at creation") {
    const auto bad = [](Route route) { return !Router::create({std::move(route)}).has_value(); };
    CHECK(bad({"GET", "api/v1/x", ok(), {}, ""}));
    CHECK(bad({"GET", "/api//x", ok(), {}, ""}));
    CHECK(bad({"GET", "/api/{}", ok(), {}, ""}));
    CHECK(bad({"GET", "/api/{Bad-Name}", ok(), {}, ""}));
    CHECK(bad({"GET", "/api/{a}/{a}", ok(), {}, ""}));
    CHECK(bad({"GET", "/api/x{a}", ok(), {}, ""}));
    CHECK(bad({"GET", "/api/..", ok(), {}, ""}));
    CHECK(bad({"get", "/api", ok(), {}, ""}));
    CHECK(bad({"GET", "/api", Handler{}, {}, ""}));
    // Only an authenticated, blocking GET may be answered from the answer cache.
    CHECK(bad(Route{"POST", "/api", ok(), Permission::authenticated(), ""}.cached()));
    CHECK(bad(Route{"GET", "/api", ok(), Permission::anyone(), ""}.cached()));
    CHECK(bad(Route{"GET", "/api", ok(), Permission::authenticated(), "", false}.cached()));
    CHECK_FALSE(bad(Route{"GET", "/api", ok(), Permission::authenticated(), ""}.cached()));
    const auto same_shape =
        Router::create({{"GET", "/a/{x}", ok(), {}, ""}, {"GET", "/a/{y}", ok(), {}, ""}});
    REQUIRE_FALSE(same_shape.has_value());
    CHECK(same_shape.error().code == ErrorCode::internal);
    CHECK(same_shape.error().message.find("/a/{y}") != std::string::npos);
    CHECK(Router::create({{"GET", "/a/{x}", ok(), {}, ""}, {"PUT", "/a/{y}", ok(), {}, ""}})
              .has_value());
  }

  TEST_CASE("permissions default to deny and render for the matrix") {
    CHECK(Route{}.permission.access == Access::deny);
    CHECK(Permission{}.to_string() == "deny");
    CHECK(Permission::anyone().to_string() == "anyone");
    CHECK(Permission::authenticated().to_string() == "authenticated");
    CHECK(Permission::of("spaces.create").to_string() == "spaces.create");
    CHECK(Permission::of("spaces.read", "spaces/{owner}/{name}").to_string() ==
          "spaces.read on spaces/{owner}/{name}");
  }

  TEST_CASE("param_names lists a pattern's parameters in order") {
    CHECK(Router::param_names("/api/v1/spaces/{owner}/{name}") ==
          std::vector<std::string>{"owner", "name"});
    CHECK(Router::param_names("/healthz").empty());
  }

  TEST_CASE("percent_decode and parse_query") {
    CHECK(percent_decode("a%20b+c").value() == "a b+c");
    CHECK(percent_decode("a%20b+c", true).value() == "a b c");
    CHECK_FALSE(percent_decode("%").has_value());
    CHECK_FALSE(percent_decode("%g0").has_value());
    CHECK_FALSE(percent_decode("x%00").has_value());
    CHECK(percent_decode("%e2%82%ac").value() == "\xe2\x82\xac");

    const auto query = parse_query("limit=5&since=1h&flag&name=a%26b&&empty=");
    REQUIRE(query.has_value());
    REQUIRE(query->size() == 5);
    CHECK((*query)[0] == std::pair<std::string, std::string>{"limit", "5"});
    CHECK((*query)[2] == std::pair<std::string, std::string>{"flag", ""});
    CHECK((*query)[3] == std::pair<std::string, std::string>{"name", "a&b"});
    CHECK((*query)[4] == std::pair<std::string, std::string>{"empty", ""});
    CHECK(parse_query("").value().empty());
    CHECK_FALSE(parse_query("a=%zz").has_value());
  }

} // TEST_SUITE
