// The server over TLS with a self-signed certificate made in a temp dir, talked to with the
// libcurl client in its three modes: default verification, a CA file, and a pinned fingerprint.
#include <doctest/doctest.h>

#include "common/http/client.hpp"
#include "common/http/tls_files.hpp"
#include "tests/integration/agent/api/http_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::agent::api;
using sharectl::http::ClientOptions;
using sharectl::http::HttpClient;

namespace {

struct TlsServer {
  test::TempDir dir;
  std::filesystem::path cert = dir.path() / "agent.crt";
  std::filesystem::path key = dir.path() / "agent.key";
  std::string fingerprint;
  std::unique_ptr<HttpServer> server;

  TlsServer() {
    REQUIRE(http::write_self_signed_certificate(cert, key, "localhost", {"localhost", "127.0.0.1"})
                .has_value());
    fingerprint = http::certificate_fingerprint_file(cert).value();
    auto config = test::test_server_config();
    config.tls = true;
    config.cert_file = cert;
    config.key_file = key;
    auto started = HttpServer::start(
        config, {{"GET", "/api/v1/whoami",
                  [](Request& request) -> Result<Response> {
                    return Response::text(200, request.tls ? "tls" : "plain");
                  },
                  Permission::anyone(), "Says whether the request came over TLS"}});
    REQUIRE_MESSAGE(started.has_value(), to_string(started.error()));
    server = std::move(*started);
  }
  std::string url(std::string_view path) const {
    return test::base_url(*server, true) + std::string(path);
  }
};

} // namespace

TEST_SUITE("agent.api.tls") {

  TEST_CASE("the right pinned fingerprint is accepted, a wrong one refused") {
    TlsServer tls;
    ClientOptions pinned;
    pinned.pinned_fingerprint = http::display_fingerprint(tls.fingerprint);
    HttpClient client(pinned);
    auto response = client.request("GET", tls.url("/api/v1/whoami"));
    REQUIRE_MESSAGE(response.has_value(), to_string(response.error()));
    CHECK(response->status == 200);
    CHECK(response->body == "tls");
    CHECK(client.request("GET", tls.url("/healthz"))->status == 200);
    CHECK(client.connections_opened() == 1);

    ClientOptions wrong;
    wrong.pinned_fingerprint = std::string(64, '0');
    HttpClient impostor(wrong);
    auto refused = impostor.request("GET", tls.url("/healthz"));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::unavailable);
    CHECK(refused.error().message.find("does not match the pinned") != std::string::npos);
    CHECK(refused.error().message.find(http::display_fingerprint(tls.fingerprint)) !=
          std::string::npos);
  }

  TEST_CASE("fetch_server_fingerprint reports the certificate the server presents") {
    TlsServer tls;
    auto fetched = http::fetch_server_fingerprint(tls.url("/"));
    REQUIRE_MESSAGE(fetched.has_value(), to_string(fetched.error()));
    CHECK(*fetched == tls.fingerprint);
  }

  TEST_CASE("default verification refuses a self-signed certificate, its CA file accepts it") {
    TlsServer tls;
    HttpClient strict;
    auto refused = strict.request("GET", tls.url("/healthz"));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::unavailable);

    ClientOptions with_ca;
    with_ca.ca_file = tls.cert;
    HttpClient trusted(with_ca);
    auto response = trusted.request("GET", tls.url("/healthz"));
    REQUIRE_MESSAGE(response.has_value(), to_string(response.error()));
    CHECK(response->status == 200);
  }

  TEST_CASE("plain HTTP to the TLS port gets no answer, the port keeps serving") {
    TlsServer tls;
    HttpClient plain;
    auto response =
        plain.request("GET", "http://127.0.0.1:" + std::to_string(tls.server->port()) + "/healthz",
                      {}, {}, std::chrono::seconds(5));
    CHECK_FALSE((response.has_value() && response->status == 200));
    ClientOptions pinned;
    pinned.pinned_fingerprint = tls.fingerprint;
    HttpClient client(pinned);
    CHECK(client.request("GET", tls.url("/healthz"))->status == 200);
  }

  TEST_CASE("TLS key and certificate that do not belong together are refused at start") {
    test::TempDir dir;
    REQUIRE(http::write_self_signed_certificate(dir.path() / "a.crt", dir.path() / "a.key", "a", {})
                .has_value());
    REQUIRE(http::write_self_signed_certificate(dir.path() / "b.crt", dir.path() / "b.key", "b", {})
                .has_value());
    auto config = test::test_server_config();
    config.tls = true;
    config.address = "0.0.0.0"; // TLS may listen on any address
    config.cert_file = dir.path() / "a.crt";
    config.key_file = dir.path() / "b.key";
    auto mismatched = HttpServer::start(config, {});
    REQUIRE_FALSE(mismatched.has_value());
    CHECK(mismatched.error().code == ErrorCode::bad_request);
    config.key_file = dir.path() / "a.key";
    auto good = HttpServer::start(config, {});
    CHECK_MESSAGE(good.has_value(), "TLS on 0.0.0.0 is allowed");
  }

} // TEST_SUITE
