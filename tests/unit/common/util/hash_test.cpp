// SHA-256 against FIPS 180-2 vectors, hex encoding and constant-time comparison.
#include <string>

#include <doctest/doctest.h>

#include "common/util/hash.hpp"

using namespace sharectl;

TEST_SUITE("util") {

  TEST_CASE("hash: SHA-256 known vectors") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_hex(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(sha256_hex(std::string_view("a\0b", 3)) != sha256_hex("a"));
  }

  TEST_CASE("hash: raw digest is 32 bytes and matches the hex form") {
    const std::string raw = sha256("abc");
    CHECK(raw.size() == 32);
    CHECK(static_cast<unsigned char>(raw[0]) == 0xba);
    CHECK(to_hex(raw) == sha256_hex("abc"));
  }

  TEST_CASE("hash: to_hex is lowercase, two digits per byte") {
    CHECK(to_hex("") == "");
    CHECK(to_hex(std::string("\x00\xff\x10\xab", 4)) == "00ff10ab");
    CHECK(to_hex("AZ") == "415a");
  }

  TEST_CASE("hash: constant_time_equal compares contents and lengths") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("secret-token", "secret-token"));
    CHECK_FALSE(constant_time_equal("secret-token", "secret-tokeN"));
    CHECK_FALSE(constant_time_equal("Secret-token", "secret-token"));
    CHECK_FALSE(constant_time_equal("secret", "secret-token"));
    CHECK_FALSE(constant_time_equal("", "x"));
    CHECK(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
    CHECK_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
    CHECK_FALSE(constant_time_equal(std::string_view("a\0", 2), "a"));
  }

} // TEST_SUITE("util")
