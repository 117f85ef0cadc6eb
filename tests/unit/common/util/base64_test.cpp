// base64url (unpadded) and standard base64 (padded) against RFC 4648 §10 and strict decoding.
#include <string>

#include <doctest/doctest.h>

#include "common/util/base64.hpp"

using namespace sharectl;

namespace {

struct Vector {
  const char* plain;
  const char* standard;
  const char* url;
};

// RFC 4648 §10, with the url form being the same text without padding.
constexpr Vector k_rfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

} // namespace

TEST_SUITE("util") {

  TEST_CASE("base64: RFC 4648 test vectors in both alphabets") {
    for (const auto& v : k_rfc4648) {
      CAPTURE(v.plain);
      CHECK(base64_encode(v.plain) == v.standard);
      CHECK(base64url_encode(v.plain) == v.url);
      auto std_decoded = base64_decode(v.standard);
      REQUIRE(std_decoded.has_value());
      CHECK(*std_decoded == v.plain);
      auto url_decoded = base64url_decode(v.url);
      REQUIRE(url_decoded.has_value());
      CHECK(*url_decoded == v.plain);
    }
  }

  TEST_CASE("base64: the two alphabets differ only in 62 and 63") {
    const std::string bytes("\xfb\xff\xbf", 3);
    CHECK(base64_encode(bytes) == "+/+/");
    CHECK(base64url_encode(bytes) == "-_-_");
    CHECK(base64_encode(std::string("\xfb\xff", 2)) == "+/8=");
    CHECK(base64url_encode(std::string("\xfb\xff", 2)) == "-_8");
    CHECK(*base64url_decode("-_8") == std::string("\xfb\xff", 2));
    CHECK(*base64_decode("+/8=") == std::string("\xfb\xff", 2));
    // Each decoder refuses the other alphabet's characters.
    CHECK_FALSE(base64url_decode("+/8").has_value());
    CHECK_FALSE(base64_decode("-_8=").has_value());
  }

  TEST_CASE("base64: every byte value and length round-trips") {
    std::string all;
    for (int i = 0; i < 256; ++i) {
      all += static_cast<char>(i);
    }
    for (std::size_t len = 0; len <= all.size(); len += (len < 70 ? 1 : 37)) {
      const std::string bytes = all.substr(all.size() - len);
      CAPTURE(len);
      CHECK(*base64_decode(base64_encode(bytes)) == bytes);
      CHECK(*base64url_decode(base64url_encode(bytes)) == bytes);
      CHECK(base64_encode(bytes).size() % 4 == 0);
      CHECK(base64url_encode(bytes).find('=') == std::string::npos);
    }
  }

  TEST_CASE("base64url: decoding refuses padding, bad characters, lengths and trailing bits") {
    for (const char* bad : {"Zg==", "Zm8=", "Z", "Zm9vY", "Zm9v!", "Zm 9v", "Zm9v\n", "Zm+v",
                            "Zm/v", "Zh", "Zm9", "Zm9vYh"}) {
      CAPTURE(bad);
      auto r = base64url_decode(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == ErrorCode::bad_request);
      CHECK(r.error().message.find("base64url") != std::string::npos);
    }
    CHECK_FALSE(base64url_decode(std::string_view("Zm\0v", 4)).has_value());
    // Canonical forms of the same prefixes are accepted.
    CHECK(*base64url_decode("Zg") == "f");
    CHECK(*base64url_decode("Zm8") == "fo");
  }

  TEST_CASE("base64: decoding refuses bad length, misplaced padding and non-canonical bits") {
    for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "====", "=Zg=", "Zg=a",
                            "Z=g=", "Zg==Zg==", "Zh==", "Zm9=", "Zm9vYh==", "Zm9v YmFy", "Zm9v\r\n",
                            "Zm-v", "Zm_v", "Zm9v*mFy"}) {
      CAPTURE(bad);
      auto r = base64_decode(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == ErrorCode::bad_request);
    }
    CHECK(*base64_decode("") == "");
    // An HTTP Basic credential.
    CHECK(*base64_decode("QWxhZGRpbjpvcGVuIHNlc2FtZQ==") == "Aladdin:open sesame");
    CHECK(base64_encode("Aladdin:open sesame") == "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  }

} // TEST_SUITE("util")
