// Password policy, argon2id hashing and legacy verification (bcrypt, md5-crypt, bare MD5).
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "agent/auth/password.hpp"

using namespace sharectl;
using namespace sharectl::agent::auth;

namespace {

constexpr std::string_view k_pw = "correct horse battery";

// Fixtures made with libsodium and libxcrypt for k_pw.
constexpr std::string_view k_weak_argon2id = "$argon2id$v=19$m=8192,t=1,p=1$2+QuOAgVY8B37153h5Lc7Q$"
                                             "F28m7Op6VNA6JozzUYPpELV9rkvWZEd8uA9hMbFlXjE";
constexpr std::string_view k_argon2i = "$argon2i$v=19$m=19456,t=3,p=1$ZhgBNlrD3br5BaXJCW5vIg$e/"
                                       "U9nP+0P9wgifE4NRYBRA8xbjAbsA4dzHzfwzc1jc8";
constexpr std::string_view k_bcrypt_2b =
    "$2b$04$NLhkSVYrMz49Smx6ZHafDu7Wl7WqUZZo7oxEKUfP0Wz7o02dfLc.K";
constexpr std::string_view k_bcrypt_2y =
    "$2y$04$aAQDD2iNCXkT4eLGXsVNU.IyiBSfX9fLm4gp9Oi58TjthvIP5GK4u";
constexpr std::string_view k_bcrypt_2a =
    "$2a$04$abcdefghijklmnopqrstuuqREtd3VJD2QVZbuFskFSLk6eRIrQoOS";
constexpr std::string_view k_md5_crypt = "$1$2tS8vsC1$RPJG5kWaG671q1OVTur9W0";
constexpr std::string_view k_md5_hex = "88e4ddd2402d92d50e1879d6ecd9ffd4";

VerifyOutcome verify(std::string_view pw, std::string_view hash) {
  auto r = verify_password(pw, hash);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  return *r;
}

} // namespace

TEST_SUITE("auth") {

  TEST_CASE("password policy: 8 to 1024 code points of valid UTF-8 without NUL") {
    struct Case {
      std::string password;
      bool ok;
      std::string_view message_part;
    };
    const Case cases[] = {
        {"", false, "at least 8"},
        {"1234567", false, "at least 8"},
        {"12345678", true, ""},
        {std::string(1024, 'x'), true, ""},
        {std::string(1025, 'x'), false, "at most 1024"},
        {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", false, "at least 8"}, // 4 chars, 8 bytes
        {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", true, ""},
        {std::string(1024, 'a') + "\xe2\x82\xac", false, "at most 1024"},
        {std::string("abcd\0efgh", 9), false, "NUL"},
        {"abcdefg\xff", false, "UTF-8"},
        {"abcdefg\xc0\xaf", false, "UTF-8"}, // overlong '/'
        {"tab\there ok", true, ""},
    };
    for (const Case& c : cases) {
      CAPTURE(c.password.size());
      Status st = check_password_policy(c.password);
      CHECK(st.has_value() == c.ok);
      if (!st) {
        CHECK(st.error().code == ErrorCode::bad_request);
        CHECK(st.error().message.find(c.message_part) != std::string::npos);
        if (c.password.size() > 3) {
          CHECK(st.error().message.find(c.password) == std::string::npos);
        }
      }
    }
    // 1024 four-byte characters are 4096 bytes and still allowed: never truncated.
    std::string emoji;
    for (int i = 0; i < 1024; ++i) {
      emoji += "\xf0\x9f\x98\x80";
    }
    CHECK(check_password_policy(emoji).has_value());
  }

  TEST_CASE("password: argon2id hash with OWASP parameters, salted, verifies") {
    auto h1 = hash_password(k_pw);
    auto h2 = hash_password(k_pw);
    REQUIRE(h1);
    REQUIRE(h2);
    CHECK(h1->starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    CHECK(*h1 != *h2);
    CHECK(h1->find(k_pw) == std::string::npos);
    CHECK(hash_scheme(*h1) == "argon2id");
    CHECK(verify(k_pw, *h1) == VerifyOutcome{true, false});
    CHECK(verify("correct horse batterY", *h1) == VerifyOutcome{false, false});
    CHECK(verify("", *h1) == VerifyOutcome{false, false});
  }

  TEST_CASE("password: long passwords are hashed whole, never truncated") {
    const std::string a(1000, 'a');
    std::string b = a;
    b.back() = 'b';
    auto h = hash_password(a);
    REQUIRE(h);
    CHECK(verify(a, *h).ok);
    CHECK_FALSE(verify(b, *h).ok);
    CHECK_FALSE(verify(a.substr(0, 72), *h).ok);
  }

  TEST_CASE("password: hash_password refuses NUL and oversize input") {
    auto nul = hash_password(std::string_view("abc\0defgh", 9));
    REQUIRE_FALSE(nul);
    CHECK(nul.error().code == ErrorCode::bad_request);
    auto big = hash_password(std::string(4097, 'x'));
    REQUIRE_FALSE(big);
    CHECK(big.error().code == ErrorCode::bad_request);
  }

  TEST_CASE("password: legacy and weaker hashes verify and ask for a rehash") {
    struct Case {
      std::string_view hash;
      std::string_view scheme;
    };
    const Case cases[] = {
        {k_weak_argon2id, "argon2id"},
        {k_argon2i, "argon2i"},
        {k_bcrypt_2b, "bcrypt"},
        {k_bcrypt_2y, "bcrypt"},
        {k_bcrypt_2a, "bcrypt"},
        {k_md5_crypt, "md5-crypt"},
        {k_md5_hex, "md5"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.hash);
      CHECK(hash_scheme(c.hash) == c.scheme);
      CHECK(verify(k_pw, c.hash) == VerifyOutcome{true, true});
      CHECK(verify("correct horse batteryX", c.hash) == VerifyOutcome{false, false});
      CHECK(verify("", c.hash) == VerifyOutcome{false, false});
    }
  }

  TEST_CASE("password: published legacy vectors") {
    // crypt_blowfish's test vector and glibc's md5-crypt test vector.
    CHECK(verify("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW").ok);
    CHECK(verify("Hello world!", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1").ok);
    // Bare MD5: RFC 1321's "abc" vector, in either case.
    CHECK(verify("abc", "900150983cd24fb0d6963f7d28e17f72").ok);
    CHECK(verify("abc", "900150983CD24FB0D6963F7D28E17F72").ok);
    CHECK_FALSE(verify("abd", "900150983cd24fb0d6963f7d28e17f72").ok);
  }

  TEST_CASE("password: bcrypt is verified as the old system did (72-byte truncation)") {
    const std::string long_a(100, 'a');
    const std::string_view h = "$2b$04$abcdefghijklmnopqrstuuBzzIgyKkz7xMWYSzkIjUSnxEQFQ0WNe";
    CHECK(verify(long_a, h) == VerifyOutcome{true, true});
    CHECK(verify(std::string(72, 'a') + "zzz", h).ok); // what bcrypt always did
    CHECK_FALSE(verify(std::string(71, 'a'), h).ok);
  }

  TEST_CASE("password: a password with NUL never matches a crypt() hash") {
    CHECK_FALSE(verify(std::string("correct horse battery\0x", 23), k_bcrypt_2b).ok);
    CHECK_FALSE(verify(std::string("correct horse battery\0x", 23), k_md5_crypt).ok);
  }

  TEST_CASE("password: malformed or unknown stored hashes are internal errors without secrets") {
    const std::string_view bad[] = {
        "",
        "plaintext-password",
        "$argon2id$v=19$m=19456,t=2,p=1$garbage",
        "$2b$10$tooshort",
        "$6$rounds=5000$salt$hash",         // sha512-crypt: not a format we import
        "88e4ddd2402d92d50e1879d6ecd9ffd",  // 31 hex digits
        "88e4ddd2402d92d50e1879d6ecd9ffdg", // not hex
    };
    for (std::string_view h : bad) {
      CAPTURE(h);
      auto r = verify_password(k_pw, h);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == ErrorCode::internal);
      CHECK(r.error().message.find(k_pw) == std::string::npos);
      if (h.size() > 4) {
        CHECK(r.error().message.find(h) == std::string::npos);
      }
    }
  }

  TEST_CASE("password: the dummy hash is current argon2id, burning time never matches") {
    CHECK(dummy_hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    auto r = verify_password(k_pw, dummy_hash());
    REQUIRE(r);
    CHECK_FALSE(r->ok);
    burn_equal_time(k_pw);
    burn_equal_time("");
  }

} // TEST_SUITE("auth")
