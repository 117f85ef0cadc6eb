// Abuse of the transport: oversized headers and bodies, slow and idle clients, too many
// connections, blocking handlers, a full worker queue, and a graceful stop with work in flight.
// No timing thresholds: bounds below are generous deadlines for "eventually", not measurements.
#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include <doctest/doctest.h>

#include "common/http/client.hpp"
#include "common/json/error_body.hpp"
#include "tests/integration/agent/api/http_fixture.hpp"

using namespace sharectl;
using namespace sharectl::agent::api;
using namespace std::chrono_literals;
using sharectl::http::HttpClient;
using sharectl::test::RawConnection;

namespace {

// A handler that blocks (like a slow store call) until the test opens the gate.
struct Gate {
  std::promise<void> opened;
  std::shared_future<void> wait_for{opened.get_future().share()};
  std::atomic<int> entered{0};
  std::atomic<int> left{0};
  std::atomic<bool> was_open{false};

  void open() {
    if (!was_open.exchange(true)) {
      opened.set_value();
    }
  }
  Route route(std::string pattern) {
    return {"GET", std::move(pattern),
            [this](Request&) -> Result<Response> {
              ++entered;
              wait_for.wait_for(20s);
              ++left;
              return Response::text(200, "slow done");
            },
            Permission::anyone(), "Blocks until the test opens the gate"};
  }
  // Waits until n handlers have entered.
  bool await_entered(int n) {
    for (int i = 0; i < 2000 && entered.load() < n; ++i) {
      std::this_thread::sleep_for(5ms);
    }
    return entered.load() >= n;
  }
};

Route echo_body_route() {
  return {"POST", "/echo",
          [](Request& request) -> Result<Response> {
            return Response::text(200, std::to_string(request.body.size()));
          },
          Permission::anyone(), "Answers the body size"};
}

std::unique_ptr<HttpServer> start(ServerConfig config, std::vector<Route> routes) {
  auto server = HttpServer::start(std::move(config), std::move(routes));
  REQUIRE_MESSAGE(server.has_value(), to_string(server.error()));
  return std::move(*server);
}

std::string get(std::string_view path, std::string_view extra = {}) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra) + "\r\n";
}

} // namespace

TEST_SUITE("agent.api.limits") {

  TEST_CASE("headers over 16 KiB are refused with 431") {
    auto server = start(test::test_server_config(), {});
    RawConnection raw(server->port());
    REQUIRE(raw.send(get("/healthz", "X-Big: " + std::string(20 * 1024, 'a') + "\r\n")));
    auto response = raw.read_response();
    REQUIRE(response.has_value());
    CHECK(response->status == 431);
    CHECK(json::parse_error_body(response->body).value().code == ErrorCode::bad_request);
    CHECK(raw.closed_within(5s));

    HttpClient client;
    auto via_curl = client.request("GET", test::base_url(*server) + "/healthz",
                                   {{"X-Big", std::string(17 * 1024, 'b')}});
    REQUIRE(via_curl.has_value());
    CHECK(via_curl->status == 431);
    auto fits = client.request("GET", test::base_url(*server) + "/healthz",
                               {{"X-Big", std::string(15 * 1024, 'b')}});
    REQUIRE(fits.has_value());
    CHECK(fits->status == 200);
  }

  TEST_CASE("bodies over 1 MiB are refused with 413 and the SPEC error body") {
    auto server = start(test::test_server_config(), {echo_body_route()});
    HttpClient client;
    const auto url = test::base_url(*server) + "/echo";
    auto big = client.request("POST", url, {}, std::string(2 * 1024 * 1024, 'x'));
    REQUIRE(big.has_value());
    CHECK(big->status == 413);
    const auto body = json::parse_error_body_with_id(big->body);
    REQUIRE(body.has_value());
    CHECK(body->error.code == ErrorCode::payload_too_large);
    CHECK(body->request_id == big->header("X-Request-Id"));

    auto limit = client.request("POST", url, {}, std::string(1024 * 1024, 'x'));
    REQUIRE(limit.has_value());
    CHECK(limit->status == 200);
    CHECK(limit->body == "1048576");

    // A raw client that sends the whole 2 MiB without waiting still reads the 413.
    RawConnection raw(server->port());
    std::thread sender([&raw] {
      raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n" +
               std::string(2 * 1024 * 1024, 'y'));
    });
    auto response = raw.read_response();
    sender.join();
    REQUIRE(response.has_value());
    CHECK(response->status == 413);

    // Chunked bodies are counted as they arrive.
    RawConnection chunked(server->port());
    std::thread chunk_sender([&chunked] {
      std::string chunk = "100000\r\n" + std::string(0x100000, 'z') + "\r\n";
      chunked.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk +
                   chunk + "0\r\n\r\n");
    });
    auto chunked_response = chunked.read_response();
    chunk_sender.join();
    REQUIRE(chunked_response.has_value());
    CHECK(chunked_response->status == 413);
  }

  TEST_CASE("a slowloris client is closed after the read timeout") {
    auto config = test::test_server_config();
    config.read_timeout = 500ms;
    auto server = start(config, {});
    RawConnection raw(server->port());
    // Trickle a header byte every 100 ms: the timeout covers the whole request, not each byte.
    std::atomic<bool> stop{false};
    std::thread trickle([&] {
      raw.send("GET /healthz HTTP/1.1\r\n");
      for (int i = 0; i < 100 && !stop; ++i) {
        if (!raw.send("X")) {
          return;
        }
        std::this_thread::sleep_for(100ms);
      }
    });
    const bool closed = raw.closed_within(8s);
    stop = true;
    trickle.join();
    CHECK(closed);

    RawConnection silent(server->port());
    CHECK(silent.closed_within(8s));
    HttpClient client;
    CHECK(client.request("GET", test::base_url(*server) + "/healthz")->status == 200);
  }

  TEST_CASE("an idle keep-alive connection is closed after the idle timeout") {
    auto config = test::test_server_config();
    config.idle_timeout = 300ms;
    auto server = start(config, {});
    RawConnection raw(server->port());
    REQUIRE(raw.send(get("/healthz")));
    CHECK(raw.read_response()->status == 200);
    CHECK(raw.closed_within(8s));
  }

  TEST_CASE("connections over the cap are closed at once, and room frees up again") {
    auto config = test::test_server_config();
    config.max_connections = 4;
    auto server = start(config, {});
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 4; ++i) {
      held.push_back(std::make_unique<RawConnection>(server->port()));
      REQUIRE(held.back()->send(get("/healthz")));
      REQUIRE(held.back()->read_response()->status == 200);
    }
    RawConnection excess(server->port());
    excess.send(get("/healthz"));
    CHECK(excess.closed_within(5s));
    CHECK(server->metrics().render().find("sharectl_http_connections_refused_total 1") !=
          std::string::npos);
    // The held connections still work.
    REQUIRE(held[0]->send(get("/healthz")));
    CHECK(held[0]->read_response()->status == 200);

    held.pop_back();
    bool served = false;
    for (int attempt = 0; attempt < 100 && !served; ++attempt) {
      RawConnection again(server->port());
      again.send(get("/healthz"));
      auto response = again.read_response(2s);
      served = response && response->status == 200;
      if (!served) {
        std::this_thread::sleep_for(50ms);
      }
    }
    CHECK(served);
  }

  TEST_CASE("500 idle keep-alive connections do not keep a new client waiting") {
    auto server = start(test::test_server_config(), {});
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 500; ++i) {
      idle.push_back(std::make_unique<RawConnection>(server->port()));
      REQUIRE(idle.back()->send(get("/healthz")));
    }
    for (auto& connection : idle) {
      REQUIRE(connection->read_response().has_value());
    }
    HttpClient client;
    auto response = client.request("GET", test::base_url(*server) + "/healthz");
    REQUIRE(response.has_value());
    CHECK(response->status == 200);
    CHECK(server->metrics().render().find("sharectl_http_connections_open 501") !=
          std::string::npos);
  }

  TEST_CASE("a blocked handler does not stall other connections") {
    Gate gate;
    auto config = test::test_server_config();
    config.worker_threads = 2;
    auto server = start(config, {gate.route("/slow"), gate.route("/slow2")});
    const auto base = test::base_url(*server);
    auto slow = std::async(std::launch::async, [&] {
      HttpClient client;
      return client.request("GET", base + "/slow");
    });
    REQUIRE(gate.await_entered(1));

    HttpClient other;
    // Non-blocking built-ins run on the I/O threads; blocking routes on the other worker.
    auto health = other.request("GET", base + "/healthz");
    REQUIRE(health.has_value());
    CHECK(health->status == 200);
    CHECK(other.request("GET", base + "/readyz")->status == 200);
    CHECK(other.request("GET", base + "/metrics")->status == 200);
    CHECK(gate.left.load() == 0); // the slow request was still running all along
    CHECK(server->metrics().render().find("sharectl_http_requests_in_flight 1") !=
          std::string::npos);

    gate.open();
    auto slow_response = slow.get();
    REQUIRE(slow_response.has_value());
    CHECK(slow_response->status == 200);
    CHECK(slow_response->body == "slow done");
  }

  TEST_CASE("a full worker queue answers 503 with Retry-After instead of queueing forever") {
    Gate gate;
    auto config = test::test_server_config();
    config.worker_threads = 1;
    config.max_queued_handlers = 1;
    auto server = start(config, {gate.route("/slow")});
    const auto base = test::base_url(*server);
    auto slow = std::async(std::launch::async, [&] {
      HttpClient client;
      return client.request("GET", base + "/slow");
    });
    REQUIRE(gate.await_entered(1));
    HttpClient client;
    auto refused = client.request("GET", base + "/slow");
    REQUIRE(refused.has_value());
    CHECK(refused->status == 503);
    CHECK(refused->header("Retry-After") == "1");
    CHECK(json::parse_error_body(refused->body).value().code == ErrorCode::unavailable);
    CHECK(client.request("GET", base + "/healthz")->status == 200);
    gate.open();
    CHECK(slow.get()->status == 200);
  }

  TEST_CASE("stop() lets in-flight requests finish, closes idle ones and stops accepting") {
    Gate gate;
    auto server = start(test::test_server_config(), {gate.route("/slow")});
    const auto port = server->port();
    RawConnection idle(port);
    REQUIRE(idle.send(get("/healthz")));
    REQUIRE(idle.read_response()->status == 200);

    RawConnection busy(port);
    REQUIRE(busy.send(get("/slow")));
    REQUIRE(gate.await_entered(1));

    auto stopping = std::async(std::launch::async, [&] { server->stop(); });
    CHECK(idle.closed_within(5s));
    CHECK(stopping.wait_for(200ms) == std::future_status::timeout); // waits for /slow
    gate.open();
    auto response = busy.read_response();
    REQUIRE(response.has_value());
    CHECK(response->status == 200);
    CHECK(RawConnection::header("Connection", response->head) == "close");
    stopping.get();
    CHECK_THROWS(RawConnection{port}); // nothing listens any more
    server->stop();                    // idempotent
  }

  TEST_CASE("stop() gives up on requests still running after the grace period") {
    Gate gate;
    auto config = test::test_server_config();
    config.stop_grace = 200ms;
    auto server = start(config, {gate.route("/slow")});
    RawConnection busy(server->port());
    REQUIRE(busy.send(get("/slow")));
    REQUIRE(gate.await_entered(1));
    auto stopping = std::async(std::launch::async, [&] { server->stop(); });
    std::this_thread::sleep_for(400ms);
    gate.open(); // the handler returns; its connection is already gone
    stopping.get();
    CHECK(busy.closed_within(5s));
  }

} // TEST_SUITE
