// MD4 against the RFC 1320 test suite, UTF-16LE conversion and NT hashes as Samba computes them.
#include <string>

#include <doctest/doctest.h>

#include "common/util/hash.hpp"
#include "common/util/nt_hash.hpp"

using namespace sharectl;

TEST_SUITE("util") {

  TEST_CASE("nt_hash: MD4 RFC 1320 test suite") {
    CHECK(to_hex(md4("")) == "31d6cfe0d16ae931b73c59d7e0c089c0");
    CHECK(to_hex(md4("a")) == "bde52cb31de33e46245e05fbdbd6fb24");
    CHECK(to_hex(md4("abc")) == "a448017aaf21d8525fc10ae87aa6729d");
    CHECK(to_hex(md4("message digest")) == "d9130a8164549fe818874806e1c7014b");
    CHECK(to_hex(md4("abcdefghijklmnopqrstuvwxyz")) == "d79e1c308aa5bbcdeea8ed63df412da9");
    CHECK(to_hex(md4("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")) ==
          "043f8582f241db351ce627e153e7f0e4");
    CHECK(to_hex(md4("1234567890123456789012345678901234567890123456789012345678901234567890123456"
                     "7890")) == "e33b4ddc9c38f2199c3e7b164fcc0536");
  }

  TEST_CASE("nt_hash: MD4 across the padding boundaries") {
    // 55, 56 and 64 bytes need one, two and two padding blocks; each differs from its neighbour.
    CHECK(to_hex(md4(std::string(55, 'x'))) != to_hex(md4(std::string(56, 'x'))));
    CHECK(md4(std::string(64, 'x')).size() == 16);
    CHECK(md4(std::string(1000, 'x')).size() == 16);
  }

  TEST_CASE("nt_hash: UTF-16LE of ASCII, BMP and supplementary characters") {
    CHECK(*utf8_to_utf16le("Ab") == std::string("A\0b\0", 4));
    CHECK(*utf8_to_utf16le("\xc3\xa9") == std::string("\xe9\0", 2));                   // é
    CHECK(*utf8_to_utf16le("\xf0\x9f\x98\x80") == std::string("\x3d\xd8\x00\xde", 4)); // 😀
    auto bad = utf8_to_utf16le("\xff");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == ErrorCode::bad_request);
  }

  TEST_CASE("nt_hash: the NT hashes Samba stores") {
    CHECK(*nt_hash_hex("password") == "8846f7eaee8fb117ad06bdd830b7586c");
    CHECK(*nt_hash_hex("Password") == "a4f49c406510bdcab6824ee7c30fd852");
    CHECK(*nt_hash_hex("") == "31d6cfe0d16ae931b73c59d7e0c089c0");
    // Cross-checked with `iconv -t UTF-16LE | openssl dgst -md4 -provider legacy`.
    CHECK(*nt_hash_hex("\xc3\xbcn\xc3\xaf"
                       "c\xc3\xb6"
                       "d\xc3\xa9 p\xc3\xa4ssw\xc3\xb6rd") ==
          "842c99159b71298f189608f5373a8ad0"); // ünïcödé pässwörd
    CHECK(*nt_hash_hex("\xf0\x9f\x98\x80 emoji pass") == "bcaef15f96b4dcabbb522b72be71becb");
    auto bad = nt_hash_hex("secret\xc3");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find("secret") == std::string::npos);
  }
}
