// App tokens and request credentials: minting a 256-bit bearer token (only its SHA-256 is
// stored), matching a presented token against the stored hash in constant time, and parsing the
// credential headers of a request (Authorization: Bearer | Basic, X-User-ID) into Credentials.
// Which malformation is a 400 and which a 401 is in agent/auth/README.md. No token, password or
// hash ever appears in an error message.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::agent::auth {

// Length of an app token: 32 random bytes as unpadded base64url.
inline constexpr std::size_t k_app_token_chars = 43;

// The longest bearer token accepted (app tokens are 43 characters; JWTs are longer).
inline constexpr std::size_t k_max_bearer_chars = 8192;

// A freshly minted app token: `token` goes to the client once, `sha256_hex` into the store.
struct NewToken {
  std::string token;      // 43 characters of base64url (256 bits from the CSPRNG)
  std::string sha256_hex; // 64 lowercase hex digits
};

// Mints an app token. Fails with internal only when the CSPRNG cannot deliver.
Result<NewToken> issue_token();

// The stored form of a token: its SHA-256 as lowercase hex. Never fails.
std::string token_hash(std::string_view token);

// Whether the presented token hashes to stored_sha256_hex; the comparison of the hashes takes
// the same time wherever they differ. False for a stored value of the wrong length. Never fails.
bool token_matches(std::string_view presented, std::string_view stored_sha256_hex);

// token_matches() for a presented token already hashed with token_hash() (the look-up hashed
// it): compares the two hex digests in constant time, case-insensitively. Never fails.
bool token_hash_matches(std::string_view presented_sha256_hex, std::string_view stored_sha256_hex);

// Whether a string has the shape of an app token (43 base64url characters). Never fails.
bool is_app_token_shape(std::string_view token);

// Whether a string is a UUID in 8-4-4-4-12 hex form (either case). Never fails.
bool is_uuid(std::string_view text);

// Which credentials a request carried.
enum class CredentialKind {
  none,   // no Authorization header
  bearer, // Authorization: Bearer <token>
  basic,  // Authorization: Basic base64(user:password)
};

// The credentials of one request, parsed but not yet checked against the store.
struct Credentials {
  CredentialKind kind = CredentialKind::none;
  std::string token;                  // bearer: the token as sent
  std::string username;               // basic: user name or e-mail, before the first ':'
  std::string password;               // basic: everything after the first ':'
  std::optional<std::string> user_id; // X-User-ID, lowercased; nullopt when absent
};

// What parse_credentials accepts.
struct CredentialOptions {
  bool allow_basic = false; // agent.yaml auth.basic
};

// Parses the Authorization and X-User-ID header values (nullopt = header absent). Fails with
// bad_request for a malformed request (control characters in a header, an X-User-ID that is not
// a UUID, Basic credentials that are not base64 of "user:password") and with unauthenticated
// for credentials that cannot identify anyone (empty header, unsupported scheme, Basic when it
// is disabled, a bearer token that is empty, too long or not token68).
Result<Credentials> parse_credentials(std::optional<std::string_view> authorization,
                                      std::optional<std::string_view> x_user_id,
                                      const CredentialOptions& options = {});

// Checks that credentials are an app login (Kadalu): a bearer token of app-token shape and an
// X-User-ID. Fails with unauthenticated saying what is missing.
Status require_app_credentials(const Credentials& credentials);

} // namespace sharectl::agent::auth
