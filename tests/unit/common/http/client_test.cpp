#include <filesystem>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "common/http/client.hpp"
#include "common/http/tls_files.hpp"
#include "common/util/atomic_file.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sharectl;
using namespace sharectl::http;

TEST_SUITE("http.client") {

  TEST_CASE("fingerprints are normalized from what people paste") {
    const std::string canonical(64, 'a');
    CHECK(normalize_fingerprint(canonical).value() == canonical);
    CHECK(normalize_fingerprint(display_fingerprint(canonical)).value() == canonical);
    CHECK(display_fingerprint(canonical).size() == 95);
    CHECK(display_fingerprint(canonical).substr(0, 6) == "AA:AA:");
    CHECK(normalize_fingerprint("sha256:" + std::string(64, 'F')).value() == std::string(64, 'f'));
    CHECK(normalize_fingerprint("SHA256 Fingerprint=" + display_fingerprint(canonical)).value() ==
          canonical);
    CHECK(normalize_fingerprint("  " + canonical + "\n").value() == canonical);
    CHECK(normalize_fingerprint(std::string(62, 'a')).error().code == ErrorCode::bad_request);
    CHECK_FALSE(normalize_fingerprint(std::string(63, 'a') + "g").has_value());
    CHECK_FALSE(normalize_fingerprint("").has_value());
    CHECK(display_fingerprint("short") == "short");
  }

  TEST_CASE("a self-signed certificate is written with a private key and a stable fingerprint") {
    test::TempDir dir;
    const auto cert = dir.path() / "agent.crt";
    const auto key = dir.path() / "agent.key";
    REQUIRE(write_self_signed_certificate(cert, key, "storage1", {"storage1", "127.0.0.1", "::1"})
                .has_value());
    struct stat info {};
    REQUIRE(::stat(key.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    const auto fingerprint = certificate_fingerprint_file(cert);
    REQUIRE(fingerprint.has_value());
    CHECK(fingerprint->size() == 64);
    CHECK(normalize_fingerprint(*fingerprint).value() == *fingerprint);
    const auto pem = read_file(cert, 1 << 20);
    REQUIRE(pem.has_value());
    CHECK(pem->starts_with("-----BEGIN CERTIFICATE-----"));
    CHECK(certificate_fingerprint_pem(*pem).value() == *fingerprint);

    REQUIRE(write_self_signed_certificate(cert, key, "storage1", {}).has_value());
    CHECK(certificate_fingerprint_file(cert).value() != *fingerprint);
  }

  TEST_CASE("certificate fingerprints fail clearly on missing or non-certificate files") {
    test::TempDir dir;
    CHECK(certificate_fingerprint_file(dir.path() / "none.crt").error().code ==
          ErrorCode::not_found);
    REQUIRE(write_file_atomic(dir.path() / "junk.crt", "not a certificate").has_value());
    const auto junk = certificate_fingerprint_file(dir.path() / "junk.crt");
    REQUIRE_FALSE(junk.has_value());
    CHECK(junk.error().code == ErrorCode::bad_request);
    CHECK(junk.error().message.find("junk.crt") != std::string::npos);
  }

  TEST_CASE("transport failures are unavailable, bad input is bad_request") {
    HttpClient client;
    const auto port = test::free_tcp_port();
    const auto refused =
        client.request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == ErrorCode::unavailable);
    CHECK(refused.error().message.find("127.0.0.1") != std::string::npos);

    const auto dns =
        client.request("GET", "http://no-such-host.invalid/", {}, {}, std::chrono::seconds(5));
    REQUIRE_FALSE(dns.has_value());
    CHECK(dns.error().code == ErrorCode::unavailable);

    CHECK(client.request("GET", "ftp://127.0.0.1/").error().code == ErrorCode::bad_request);
    CHECK(client.request("get", "http://127.0.0.1/").error().code == ErrorCode::bad_request);
    CHECK(client.request("GET", "http://127.0.0.1/", {{"X-A", "b\r\nX-Evil: 1"}}).error().code ==
          ErrorCode::bad_request);
    CHECK(fetch_server_fingerprint("http://127.0.0.1/").error().code == ErrorCode::bad_request);
    CHECK(
        fetch_server_fingerprint("https://127.0.0.1:" + std::to_string(port) + "/").error().code ==
        ErrorCode::unavailable);

    ClientOptions options;
    options.pinned_fingerprint = "nonsense";
    HttpClient pinned(options);
    CHECK(pinned.request("GET", "https://127.0.0.1:1/").error().code == ErrorCode::bad_request);
  }

} // TEST_SUITE
