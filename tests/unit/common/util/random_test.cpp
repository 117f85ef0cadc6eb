// CSPRNG bytes, tokens and UUIDs: sizes, alphabets, version bits and uniqueness.
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "common/util/base64.hpp"
#include "common/util/random.hpp"

using namespace sharectl;

namespace {

bool is_base64url_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

} // namespace

TEST_SUITE("util") {

  TEST_CASE("random: random_bytes returns exactly n bytes") {
    for (std::size_t n : {0U, 1U, 16U, 32U, 1000U, 100000U}) {
      auto r = random_bytes(n);
      REQUIRE(r.has_value());
      CHECK(r->size() == n);
    }
    // 1000 bytes are not all the same value (a stuck generator).
    const auto bytes = *random_bytes(1000);
    CHECK(std::set<char>(bytes.begin(), bytes.end()).size() > 100);
  }

  TEST_CASE("random: tokens are unpadded base64url of the requested entropy") {
    auto token = random_token();
    REQUIRE(token.has_value());
    CHECK(token->size() == 43); // 32 bytes
    for (const char c : *token) {
      CHECK(is_base64url_char(c));
    }
    auto decoded = base64url_decode(*token);
    REQUIRE(decoded.has_value());
    CHECK(decoded->size() == 32);
    CHECK(random_token(16)->size() == 22);
    CHECK(random_token(0)->empty());
  }

  TEST_CASE("random: 1000 tokens are distinct") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
      seen.insert(*random_token());
    }
    CHECK(seen.size() == 1000);
  }

  TEST_CASE("random: uuid_v4 has the RFC 9562 layout, version 4 and variant 10") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
      const std::string id = uuid_v4();
      CAPTURE(id);
      REQUIRE(id.size() == 36);
      bool layout = true;
      for (std::size_t j = 0; j < id.size(); ++j) {
        const bool dash = j == 8 || j == 13 || j == 18 || j == 23;
        layout = layout && (dash ? id[j] == '-' : is_lower_hex(id[j]));
      }
      CHECK(layout);
      CHECK(id[14] == '4');
      CHECK(std::string("89ab").find(id[19]) != std::string::npos);
      seen.insert(id);
    }
    CHECK(seen.size() == 1000);
  }

} // TEST_SUITE("util")
