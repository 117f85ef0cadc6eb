#include <mutex>
#include <stdexcept>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/http/client.hpp"
#include "common/json/error_body.hpp"
#include "tests/integration/agent/api/http_fixture.hpp"

using namespace sharectl;
using namespace sharectl::agent::api;
using sharectl::http::HttpClient;
using sharectl::test::RawConnection;

namespace {

// A small application table exercising what handlers see.
std::vector<Route> echo_routes() {
  return {
      {"POST", "/api/v1/echo/{owner}/{name}",
       [](Request& request) -> Result<Response> {
         nlohmann::json out = {
             {"owner", request.param("owner")},
             {"name", request.param("name")},
             {"body", request.body},
             {"limit", request.query_param("limit").value_or("")},
             {"remote", request.remote_address},
             {"tls", request.tls},
             {"pattern", request.route->pattern},
             {"content_type", request.headers.get("content-type").value_or("")},
             {"request_id", request.request_id},
             {"auth", request.auth.has_value() ? std::any_cast<std::string>(request.auth) : ""}};
         return Response::json(201, out.dump());
       },
       Permission::of("echo.create", "echo/{owner}/{name}"), "Echo what the handler sees"},
      {"GET", "/api/v1/fail",
       [](Request&) -> Result<Response> {
         return fail(ErrorCode::conflict, "space \"x\" already exists");
       },
       Permission::anyone(), "Always fails with 409"},
      {"GET", "/api/v1/throw",
       [](Request&) -> Result<Response> { throw std::runtime_error("secret detail"); },
       Permission::anyone(), "Always throws"},
      {"GET", "/api/v1/private",
       [](Request&) -> Result<Response> { return Response::text(200, "x"); },
       Permission::authenticated(), "Needs a caller"},
  };
}

// An authorizer that knows one caller: X-User-ID "u1" with token "t1".
Status test_authorizer(Request& request) {
  const auto user = request.headers.get("X-User-ID");
  const auto token = request.headers.get("Authorization");
  if (!user || !token) {
    return fail(ErrorCode::unauthenticated, "missing credentials");
  }
  if (*user != "u1" || *token != "Bearer t1") {
    return fail(ErrorCode::unauthenticated, "invalid credentials");
  }
  if (request.route->permission.access == Access::action &&
      request.route->permission.action == "echo.create" && request.param("owner") != "u1") {
    return fail(ErrorCode::forbidden, "missing permission echo.create on echo/" +
                                          std::string(request.param("owner")) + "/" +
                                          std::string(request.param("name")));
  }
  request.auth = std::string("u1");
  return {};
}

std::unique_ptr<HttpServer> start_echo_server(ServerHooks hooks = {}) {
  if (!hooks.authorize) {
    hooks.authorize = test_authorizer;
  }
  auto server = HttpServer::start(test::test_server_config(), echo_routes(), std::move(hooks));
  REQUIRE_MESSAGE(server.has_value(), to_string(server.error()));
  return std::move(*server);
}

const http::HttpHeaders k_caller = {{"X-User-ID", "u1"}, {"Authorization", "Bearer t1"}};

json::ErrorBody error_of(const http::HttpResponse& response) {
  auto parsed = json::parse_error_body_with_id(response.body);
  REQUIRE_MESSAGE(parsed.has_value(), response.body);
  return *parsed;
}

} // namespace

TEST_SUITE("agent.api.server") {

  TEST_CASE("built-in routes answer") {
    std::atomic<bool> ready{false};
    ServerHooks hooks;
    hooks.readiness = [&ready]() -> Status {
      if (!ready) {
        return fail(ErrorCode::unavailable, "store not reachable");
      }
      return {};
    };
    auto server = start_echo_server(std::move(hooks));
    HttpClient client;
    const auto base = test::base_url(*server);

    auto health = client.request("GET", base + "/healthz");
    REQUIRE(health.has_value());
    CHECK(health->status == 200);
    CHECK(health->body == "ok");

    auto not_ready = client.request("GET", base + "/readyz");
    REQUIRE(not_ready.has_value());
    CHECK(not_ready->status == 503);
    CHECK(error_of(*not_ready).error == Error{ErrorCode::unavailable, "store not reachable"});
    ready = true;
    CHECK(client.request("GET", base + "/readyz")->status == 200);

    auto openapi = client.request("GET", base + "/api/v1/openapi.json");
    REQUIRE(openapi.has_value());
    CHECK(openapi->status == 200);
    CHECK(openapi->header("content-type") == "application/json");
    const auto doc = nlohmann::json::parse(openapi->body);
    CHECK(doc["paths"].contains("/api/v1/echo/{owner}/{name}"));
    CHECK(doc["paths"].contains("/metrics"));

    auto metrics = client.request("GET", base + "/metrics");
    REQUIRE(metrics.has_value());
    CHECK(metrics->status == 200);
    CHECK(metrics->header("Content-Type")->starts_with("text/plain; version=0.0.4"));
    CHECK(metrics->body.find(
              R"(sharectl_http_requests_total{method="GET",route="/healthz",code="2xx"} 1)") !=
          std::string::npos);
    CHECK(metrics->body.find(
              R"(sharectl_http_requests_total{method="GET",route="/readyz",code="5xx"} 1)") !=
          std::string::npos);
    CHECK(metrics->body.find("sharectl_http_connections_open 1") != std::string::npos);
    CHECK(server->routes().size() == echo_routes().size() + 4);
  }

  TEST_CASE("handlers get path params, query, body, headers, peer and the authorizer's result") {
    auto server = start_echo_server();
    HttpClient client;
    auto headers = k_caller;
    headers.emplace_back("Content-Type", "application/json");
    auto response =
        client.request("POST", test::base_url(*server) + "/api/v1/echo/u1/my%20space?limit=5",
                       headers, R"({"x":1})");
    REQUIRE(response.has_value());
    CHECK(response->status == 201);
    const auto out = nlohmann::json::parse(response->body);
    CHECK(out["owner"] == "u1");
    CHECK(out["name"] == "my space");
    CHECK(out["body"] == R"({"x":1})");
    CHECK(out["limit"] == "5");
    CHECK(out["remote"] == "127.0.0.1");
    CHECK(out["tls"] == false);
    CHECK(out["pattern"] == "/api/v1/echo/{owner}/{name}");
    CHECK(out["content_type"] == "application/json");
    CHECK(out["auth"] == "u1");
    CHECK(response->header("X-Request-Id") == out["request_id"].get<std::string>());
  }

  TEST_CASE("routing errors use the SPEC error body") {
    auto server = start_echo_server();
    HttpClient client;
    const auto base = test::base_url(*server);

    auto missing = client.request("GET", base + "/api/v1/nothing");
    REQUIRE(missing.has_value());
    CHECK(missing->status == 404);
    CHECK(error_of(*missing).error.code == ErrorCode::not_found);
    CHECK(error_of(*missing).request_id == *missing->header("X-Request-Id"));

    auto wrong_method = client.request("DELETE", base + "/healthz");
    REQUIRE(wrong_method.has_value());
    CHECK(wrong_method->status == 405);
    CHECK(wrong_method->header("Allow") == "GET, HEAD");
    CHECK(error_of(*wrong_method).error.code == ErrorCode::bad_request);

    for (const char* hostile :
         {"/api/v1/echo/..%2f/x", "/api/v1/echo/%00/x", "/api/v1/echo/%2e%2e/x",
          "/api/v1//echo/a/b", "/api/v1/echo/a/b?x=%zz"}) {
      CAPTURE(hostile);
      auto response = client.request("POST", base + hostile, k_caller, "{}");
      REQUIRE(response.has_value());
      CHECK(response->status == 400);
      CHECK(error_of(*response).error.code == ErrorCode::bad_request);
    }

    auto conflict = client.request("GET", base + "/api/v1/fail");
    REQUIRE(conflict.has_value());
    CHECK(conflict->status == 409);
    CHECK(error_of(*conflict).error == Error{ErrorCode::conflict, "space \"x\" already exists"});

    auto thrown = client.request("GET", base + "/api/v1/throw");
    REQUIRE(thrown.has_value());
    CHECK(thrown->status == 500);
    CHECK(error_of(*thrown).error.code == ErrorCode::internal);
    CHECK(thrown->body.find("secret detail") == std::string::npos);

    RawConnection raw(server->port());
    // curl squashes "/../"; a raw client does not.
    REQUIRE(raw.send("GET /api/v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto dots = raw.read_response();
    REQUIRE(dots.has_value());
    CHECK(dots->status == 400);
    REQUIRE(raw.send("GARBAGE\r\n\r\n"));
    auto garbage = raw.read_response();
    REQUIRE(garbage.has_value());
    CHECK(garbage->status == 400);
    CHECK(json::parse_error_body(garbage->body).value().code == ErrorCode::bad_request);
  }

  TEST_CASE("HEAD answers like GET without a body, an unknown method is 405 with Allow") {
    auto server = start_echo_server();
    HttpClient client;
    const auto base = test::base_url(*server);
    // Same status and headers as GET (Content-Length included), for success and refusal alike.
    for (const auto& [path, headers] :
         std::vector<std::pair<std::string, http::HttpHeaders>>{{"/healthz", {}},
                                                                {"/api/v1/openapi.json", {}},
                                                                {"/api/v1/private", k_caller},
                                                                {"/api/v1/private", {}},
                                                                {"/api/v1/fail", {}}}) {
      CAPTURE(path);
      auto get = client.request("GET", base + path, headers);
      auto head = client.request("HEAD", base + path, headers);
      REQUIRE(get.has_value());
      REQUIRE(head.has_value());
      CHECK(head->status == get->status);
      CHECK(head->body.empty());
      CHECK(head->header("Content-Type") == get->header("Content-Type"));
      CHECK(head->header("Content-Length") == std::to_string(get->body.size()));
    }
    // No body bytes on the wire: the next response on the connection follows the head at once.
    RawConnection raw(server->port());
    REQUIRE(raw.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /api/v1/fail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string wire;
    (void)raw.read_all(wire);
    const auto second = wire.find("HTTP/1.1 409");
    REQUIRE(second != std::string::npos);
    CHECK(wire.find("\r\n\r\n") + 4 == second);
    CHECK(wire.starts_with("HTTP/1.1 200"));

    // A known path with a method the table does not have: 405, and Allow lists HEAD with GET.
    for (const char* method : {"PUT", "DELETE", "PATCH", "OPTIONS"}) {
      CAPTURE(method);
      auto refused = client.request(method, base + "/api/v1/private", k_caller);
      REQUIRE(refused.has_value());
      CHECK(refused->status == 405);
      CHECK(refused->header("Allow") == "GET, HEAD");
      CHECK(error_of(*refused).error.code == ErrorCode::bad_request);
    }
    auto post_only = client.request("HEAD", base + "/api/v1/echo/u1/x", k_caller);
    REQUIRE(post_only.has_value());
    CHECK(post_only->status == 405);
    CHECK(post_only->header("Allow") == "POST");
  }

  TEST_CASE("routes are deny by default, the authorizer decides 401 versus 403") {
    auto open = HttpServer::start(test::test_server_config(), echo_routes());
    REQUIRE(open.has_value());
    HttpClient client;
    auto denied = client.request("GET", test::base_url(**open) + "/api/v1/private", k_caller);
    REQUIRE(denied.has_value());
    CHECK(denied->status == 401);
    CHECK(client.request("GET", test::base_url(**open) + "/healthz")->status == 200);

    auto server = start_echo_server();
    const auto base = test::base_url(*server);
    CHECK(client.request("GET", base + "/api/v1/private")->status == 401);
    CHECK(client.request("GET", base + "/api/v1/private", {{"X-User-ID", "u1"}})->status == 401);
    CHECK(client.request("GET", base + "/api/v1/private", k_caller)->status == 200);
    auto other = client.request("POST", base + "/api/v1/echo/u2/x", k_caller, "{}");
    REQUIRE(other.has_value());
    CHECK(other->status == 403);
    CHECK(error_of(*other).error.message == "missing permission echo.create on echo/u2/x");
  }

  TEST_CASE("request ids: a valid client id is echoed, anything else is replaced") {
    std::mutex mutex;
    std::vector<std::string> logged;
    ServerHooks hooks;
    hooks.access_log = [&](const AccessLogEntry& entry) {
      std::lock_guard lock(mutex);
      logged.push_back(std::string(entry.route) + " " + std::to_string(entry.status) + " " +
                       std::string(entry.request_id));
    };
    auto server = start_echo_server(std::move(hooks));
    HttpClient client;
    const auto base = test::base_url(*server);
    auto echoed = client.request("GET", base + "/healthz", {{"X-Request-Id", "cli-42"}});
    REQUIRE(echoed.has_value());
    CHECK(echoed->header("X-Request-Id") == "cli-42");
    auto replaced = client.request("GET", base + "/api/v1/fail", {{"X-Request-Id", "a<b>"}});
    REQUIRE(replaced.has_value());
    const auto id = std::string(*replaced->header("X-Request-Id"));
    CHECK(id != "a<b>");
    CHECK(id.size() == 36);
    CHECK(error_of(*replaced).request_id == id);
    auto generated = client.request("GET", base + "/healthz");
    CHECK(generated->header("X-Request-Id") != replaced->header("X-Request-Id"));
    server->stop();
    std::lock_guard lock(mutex);
    REQUIRE(logged.size() == 3);
    CHECK(logged[0] == "/healthz 200 cli-42");
    CHECK(logged[1] == "/api/v1/fail 409 " + id);
  }

  TEST_CASE("keep-alive: one connection serves many requests") {
    auto server = start_echo_server();
    HttpClient client;
    for (int i = 0; i < 5; ++i) {
      CHECK(client.request("GET", test::base_url(*server) + "/healthz")->status == 200);
    }
    CHECK(client.connections_opened() == 1);

    RawConnection raw(server->port());
    REQUIRE(raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/fail HTTP/1.1\r\nHost: "
                     "x\r\n\r\n"));
    CHECK(raw.read_response()->status == 200);
    CHECK(raw.read_response()->status == 409);
    REQUIRE(raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    auto last = raw.read_response();
    REQUIRE(last.has_value());
    CHECK(RawConnection::header("Connection", last->head) == "close");
    CHECK(raw.closed_within(std::chrono::seconds(5)));
  }

  TEST_CASE("bad configurations are refused at start") {
    auto config = test::test_server_config();
    config.address = "0.0.0.0";
    auto plain_public = HttpServer::start(config, {});
    REQUIRE_FALSE(plain_public.has_value());
    CHECK(plain_public.error().code == ErrorCode::bad_request);
    CHECK(plain_public.error().message.find("loopback") != std::string::npos);

    config.address = "::";
    CHECK_FALSE(HttpServer::start(config, {}).has_value());
    config.address = "storage1.example";
    CHECK(HttpServer::start(config, {}).error().code == ErrorCode::bad_request);

    config = test::test_server_config();
    config.address = "::1";
    auto v6 = HttpServer::start(config, {});
    // Allowed; only a host without IPv6 cannot bind it.
    CHECK((v6.has_value() || v6.error().code == ErrorCode::unavailable));

    config = test::test_server_config();
    config.tls = true;
    config.cert_file = "/nonexistent/agent.crt";
    config.key_file = "/nonexistent/agent.key";
    auto no_cert = HttpServer::start(config, {});
    REQUIRE_FALSE(no_cert.has_value());
    CHECK(no_cert.error().code == ErrorCode::bad_request);
    CHECK(no_cert.error().message.find("/nonexistent/agent.crt") != std::string::npos);

    config = test::test_server_config();
    config.worker_threads = 0;
    CHECK(HttpServer::start(config, {}).error().code == ErrorCode::bad_request);

    auto first = HttpServer::start(test::test_server_config(), {});
    REQUIRE(first.has_value());
    config = test::test_server_config();
    config.port = (*first)->port();
    auto taken = HttpServer::start(config, {});
    REQUIRE_FALSE(taken.has_value());
    CHECK(taken.error().code == ErrorCode::unavailable);

    auto duplicate = HttpServer::start(
        test::test_server_config(),
        {{"GET", "/healthz", [](Request&) -> Result<Response> { return Response::no_content(); },
          Permission::anyone(), "again"}});
    REQUIRE_FALSE(duplicate.has_value());
    CHECK(duplicate.error().code == ErrorCode::internal);
  }

} // TEST_SUITE
