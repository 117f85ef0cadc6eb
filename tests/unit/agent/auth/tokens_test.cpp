// App tokens (minting, hashing, constant-time matching) and credential header parsing.
#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "agent/auth/tokens.hpp"
#include "common/util/base64.hpp"
#include "common/util/hash.hpp"

using namespace sharectl;
using namespace sharectl::agent::auth;

namespace {

constexpr std::string_view k_uuid = "4a654c67-49ad-46d0-9168-0df0e6d0c1dd";
constexpr std::string_view k_token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; // 43 chars

std::optional<std::string_view> none() {
  return std::nullopt;
}

} // namespace

TEST_SUITE("auth") {

  TEST_CASE("tokens: 256-bit base64url tokens, stored as SHA-256 hex, all distinct") {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
      auto t = issue_token();
      REQUIRE(t);
      CHECK(t->token.size() == k_app_token_chars);
      CHECK(is_app_token_shape(t->token));
      auto raw = base64url_decode(t->token);
      REQUIRE(raw);
      CHECK(raw->size() == 32);
      CHECK(t->sha256_hex == sha256_hex(t->token));
      CHECK(t->sha256_hex == token_hash(t->token));
      CHECK(t->sha256_hex.size() == 64);
      CHECK(seen.insert(t->token).second);
    }
  }

  TEST_CASE("tokens: token_matches compares hashes") {
    auto t = issue_token();
    REQUIRE(t);
    CHECK(token_matches(t->token, t->sha256_hex));
    std::string upper = t->sha256_hex;
    for (char& c : upper) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    CHECK(token_matches(t->token, upper));
    std::string other = t->token;
    other[0] = other[0] == 'A' ? 'B' : 'A';
    CHECK_FALSE(token_matches(other, t->sha256_hex));
    CHECK_FALSE(token_matches(t->token, t->sha256_hex.substr(0, 63)));
    CHECK_FALSE(token_matches(t->token, ""));
    CHECK_FALSE(token_matches("", t->sha256_hex));
    CHECK(token_hash_matches(token_hash(t->token), t->sha256_hex));
    CHECK(token_hash_matches(token_hash(t->token), upper));
    CHECK_FALSE(token_hash_matches(token_hash(other), t->sha256_hex));
    CHECK_FALSE(token_hash_matches(token_hash(t->token).substr(0, 63), t->sha256_hex));
    CHECK_FALSE(token_hash_matches("", ""));
  }

  TEST_CASE("tokens: shapes of tokens and UUIDs") {
    CHECK(is_app_token_shape(k_token));
    CHECK_FALSE(is_app_token_shape(std::string(42, 'A')));
    CHECK_FALSE(is_app_token_shape(std::string(44, 'A')));
    CHECK_FALSE(is_app_token_shape(std::string(42, 'A') + "+"));
    CHECK(is_uuid(k_uuid));
    CHECK(is_uuid("4A654C67-49AD-46D0-9168-0DF0E6D0C1DD"));
    CHECK_FALSE(is_uuid("4a654c6749ad46d091680df0e6d0c1dd"));
    CHECK_FALSE(is_uuid("4a654c67-49ad-46d0-9168-0df0e6d0c1d"));
    CHECK_FALSE(is_uuid("4a654c67-49ad-46d0-9168-0df0e6d0c1dg"));
    CHECK_FALSE(is_uuid("4a654c67_49ad-46d0-9168-0df0e6d0c1dd"));
  }

  TEST_CASE("credentials: well-formed headers") {
    auto none_at_all = parse_credentials(none(), none());
    REQUIRE(none_at_all);
    CHECK(none_at_all->kind == CredentialKind::none);
    CHECK_FALSE(none_at_all->user_id);

    const std::string bearer = "Bearer " + std::string(k_token);
    auto b = parse_credentials(bearer, k_uuid);
    REQUIRE(b);
    CHECK(b->kind == CredentialKind::bearer);
    CHECK(b->token == k_token);
    CHECK(b->user_id == std::string(k_uuid));
    CHECK(require_app_credentials(*b).has_value());

    auto lower = parse_credentials("bearer   " + std::string(k_token) + " ",
                                   std::string_view("4A654C67-49AD-46D0-9168-0DF0E6D0C1DD"));
    REQUIRE(lower);
    CHECK(lower->token == k_token);
    CHECK(lower->user_id == std::string(k_uuid)); // lowercased

    auto jwt = parse_credentials("Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl", none());
    REQUIRE(jwt);
    CHECK(jwt->kind == CredentialKind::bearer);
    CHECK_FALSE(require_app_credentials(*jwt)); // no X-User-ID, not an app token

    const std::string basic = "Basic " + base64_encode("alice@example.com:pa:ss word");
    auto ba = parse_credentials(basic, none(), {.allow_basic = true});
    REQUIRE(ba);
    CHECK(ba->kind == CredentialKind::basic);
    CHECK(ba->username == "alice@example.com");
    CHECK(ba->password == "pa:ss word");
    CHECK_FALSE(require_app_credentials(*ba));
  }

  TEST_CASE("credentials: malformed headers, table-driven") {
    struct Case {
      std::optional<std::string> authorization;
      std::optional<std::string> user_id;
      bool allow_basic;
      ErrorCode code;
      std::string_view message_part;
    };
    const std::string good = "Bearer " + std::string(k_token);
    const Case cases[] = {
        {good, "not-a-uuid", false, ErrorCode::bad_request, "UUID"},
        {good, "", false, ErrorCode::bad_request, "UUID"},
        {good, std::string(k_uuid) + "\r\nX: y", false, ErrorCode::bad_request, "control"},
        {"Bearer abc\r\nX-Injected: 1", std::string(k_uuid), false, ErrorCode::bad_request,
         "control"},
        {"", std::string(k_uuid), false, ErrorCode::unauthenticated, "empty"},
        {"Bearer", std::string(k_uuid), false, ErrorCode::unauthenticated, "no token"},
        {"Bearer    ", std::string(k_uuid), false, ErrorCode::unauthenticated, "no token"},
        {"Bearer a b", std::string(k_uuid), false, ErrorCode::unauthenticated, "invalid"},
        {"Bearer ab=c", std::string(k_uuid), false, ErrorCode::unauthenticated, "invalid"},
        {"Bearer " + std::string(9000, 'a'), std::string(k_uuid), false, ErrorCode::unauthenticated,
         "invalid"},
        {"Token abc", std::string(k_uuid), false, ErrorCode::unauthenticated, "unsupported"},
        {"Digest username=x", std::nullopt, true, ErrorCode::unauthenticated, "Basic"},
        {"Basic " + base64_encode("a:b"), std::nullopt, false, ErrorCode::unauthenticated,
         "disabled"},
        {"Basic", std::nullopt, true, ErrorCode::bad_request, "base64"},
        {"Basic !!!!", std::nullopt, true, ErrorCode::bad_request, "base64"},
        {"Basic " + base64_encode("no-colon"), std::nullopt, true, ErrorCode::bad_request,
         "user:password"},
        {"Basic " + base64_encode(":secret-only"), std::nullopt, true, ErrorCode::bad_request,
         "user:password"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.authorization.value_or("<absent>"));
      CAPTURE(c.user_id.value_or("<absent>"));
      std::optional<std::string_view> auth;
      std::optional<std::string_view> uid;
      if (c.authorization) {
        auth = *c.authorization;
      }
      if (c.user_id) {
        uid = *c.user_id;
      }
      auto r = parse_credentials(auth, uid, {.allow_basic = c.allow_basic});
      REQUIRE_FALSE(r);
      CHECK(r.error().code == c.code);
      CHECK(r.error().message.find(c.message_part) != std::string::npos);
      CHECK(r.error().message.find("secret") == std::string::npos);
    }
  }

  TEST_CASE("credentials: require_app_credentials says what is missing") {
    Credentials c;
    auto missing = require_app_credentials(c);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::unauthenticated);
    c.kind = CredentialKind::bearer;
    c.token = std::string(k_token);
    auto no_user = require_app_credentials(c);
    REQUIRE_FALSE(no_user);
    CHECK(no_user.error().message.find("X-User-ID") != std::string::npos);
    c.user_id = std::string(k_uuid);
    c.token = "short";
    auto bad_token = require_app_credentials(c);
    REQUIRE_FALSE(bad_token);
    CHECK(bad_token.error().message.find("short") == std::string::npos);
  }

} // TEST_SUITE("auth")
