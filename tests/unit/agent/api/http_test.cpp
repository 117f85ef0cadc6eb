#include <chrono>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/api/http.hpp"
#include "agent/api/metrics.hpp"

using namespace sharectl;
using namespace sharectl::agent::api;

TEST_SUITE("agent.api.http") {

  TEST_CASE("headers are looked up case-insensitively") {
    Headers headers;
    headers.add("Content-Type", "application/json");
    headers.add("X-Thing", "1");
    headers.add("x-thing", "2");
    CHECK(headers.get("content-type") == "application/json");
    CHECK(headers.get("CONTENT-TYPE") == "application/json");
    CHECK_FALSE(headers.get("Accept").has_value());
    CHECK(headers.get_all("X-THING") == std::vector<std::string_view>{"1", "2"});
    headers.set("X-Thing", "3");
    CHECK(headers.get_all("x-thing") == std::vector<std::string_view>{"3"});
    headers.erase("x-THING");
    CHECK_FALSE(headers.contains("X-Thing"));
    CHECK(headers.fields().size() == 1);
  }

  TEST_CASE("error responses carry the SPEC body, status and request id") {
    const auto response = error_response(Error{ErrorCode::forbidden, "no"}, "req-7");
    CHECK(response.status == 403);
    CHECK(response.headers.get("Content-Type") == "application/json");
    const auto body = nlohmann::json::parse(response.body);
    CHECK(body["error"]["code"] == "forbidden");
    CHECK(body["error"]["message"] == "no");
    CHECK(body["error"]["request_id"] == "req-7");
    CHECK(error_response(431, Error{ErrorCode::bad_request, "big"}, "x").status == 431);
    CHECK(error_response(Error{ErrorCode::payload_too_large, "big"}, "x").status == 413);
  }

  TEST_CASE("client request ids are echoed only when harmless") {
    CHECK(valid_request_id("abc-123_x.y:z"));
    CHECK(valid_request_id(std::string(64, 'a')));
    CHECK_FALSE(valid_request_id(""));
    CHECK_FALSE(valid_request_id(std::string(65, 'a')));
    CHECK_FALSE(valid_request_id("a b"));
    CHECK_FALSE(valid_request_id("a\r\nX-Evil: 1"));
    CHECK_FALSE(valid_request_id("<script>"));
  }

  TEST_CASE("request accessors") {
    Request request;
    request.path_params.emplace("owner", "bob");
    request.query_params = {{"limit", "5"}, {"limit", "6"}};
    CHECK(request.param("owner") == "bob");
    CHECK(request.param("nope").empty());
    CHECK(request.query_param("limit") == "5");
    CHECK_FALSE(request.query_param("since").has_value());
    CHECK(reason_phrase(404) == "Not Found");
    CHECK(reason_phrase(599) == "Unknown");
  }

  TEST_CASE("metrics render Prometheus text with route labels only") {
    Metrics metrics({{"GET", "/api/v1/spaces/{owner}/{name}"}, {"GET", "/healthz"}});
    metrics.observe(0, 200, std::chrono::milliseconds(3));
    metrics.observe(0, 404, std::chrono::milliseconds(30));
    metrics.observe(1, 200, std::chrono::microseconds(100));
    metrics.observe(metrics.unmatched_slot(), 400, std::chrono::microseconds(10));
    metrics.add_in_flight(1);
    metrics.counter("sharectl_logins_failed_total", "Failed logins.").inc(3);
    CHECK(metrics.requests(0, 2) == 1);
    CHECK(metrics.requests(0, 4) == 1);
    const auto text = metrics.render();
    CHECK(text.find("sharectl_http_requests_total{method=\"GET\",route=\"/api/v1/spaces/{owner}/"
                    "{name}\",code=\"2xx\"} 1\n") != std::string::npos);
    CHECK(text.find("route=\"unmatched\",code=\"4xx\"} 1\n") != std::string::npos);
    CHECK(text.find("sharectl_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                    "healthz\",le=\"0.0005\"} 1\n") != std::string::npos);
    CHECK(text.find("sharectl_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/"
                    "spaces/{owner}/{name}\"} 2\n") != std::string::npos);
    CHECK(text.find("le=\"+Inf\"} 2\n") != std::string::npos);
    CHECK(text.find("sharectl_http_requests_in_flight 1\n") != std::string::npos);
    CHECK(text.find("sharectl_logins_failed_total 3\n") != std::string::npos);
    CHECK(text.find("# TYPE sharectl_http_request_duration_seconds histogram") !=
          std::string::npos);
  }

} // TEST_SUITE
