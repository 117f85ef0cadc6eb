// Passwords: the policy new passwords must meet, hashing with argon2id (libsodium, OWASP
// parameters), verification of argon2id and of the legacy formats of imported user tables
// (bcrypt, md5-crypt, bare MD5) with a rehash signal, and a dummy verification that makes a
// login for an unknown user cost as much as one with a wrong password. See agent/auth/README.md.
// Nothing here ever puts a password or a hash into an error message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::agent::auth {

// Fewest and most characters (Unicode code points) of a password.
inline constexpr std::size_t k_password_min_chars = 8;
inline constexpr std::size_t k_password_max_chars = 1024;

// argon2id cost (OWASP 2023: m = 19 MiB, t = 2, p = 1; libsodium's parallelism is always 1).
inline constexpr std::uint64_t k_argon2_opslimit = 2;
inline constexpr std::size_t k_argon2_memlimit = 19 * 1024 * 1024;

// Checks a new password: valid UTF-8, no NUL, 8 to 1024 code points. Fails with bad_request
// saying which rule is broken (never quoting the password).
Status check_password_policy(std::string_view password);

// Hashes a password with argon2id at the parameters above; the result is a self-describing
// "$argon2id$v=19$m=19456,t=2,p=1$…" string. Does not apply the policy (the caller does).
// Fails with bad_request for a password containing NUL or longer than 4096 bytes, internal when
// libsodium cannot allocate the memory.
Result<std::string> hash_password(std::string_view password);

// The outcome of checking a password against a stored hash.
struct VerifyOutcome {
  bool ok = false;           // the password matches
  bool needs_rehash = false; // ok and the hash is legacy or weaker than today's argon2id
  friend bool operator==(const VerifyOutcome&, const VerifyOutcome&) = default;
};

// Checks a password against a stored hash: "$argon2id$…" (and "$argon2i$…"), bcrypt
// "$2b$"/"$2a$"/"$2y$", md5-crypt "$1$" and a bare 32-hex-digit unsalted MD5 of the password.
// A wrong password is {ok = false}, not an error. Fails with internal when the stored hash has
// an unknown or malformed format (the message names the format family only).
Result<VerifyOutcome> verify_password(std::string_view password, std::string_view stored_hash);

// The hash family of a stored hash, for logs and metrics: "argon2id", "argon2i", "bcrypt",
// "md5-crypt", "md5" or "unknown". Never fails.
std::string_view hash_scheme(std::string_view stored_hash);

// Spends as long as verify_password() against a current argon2id hash does, and discards the
// result: call it when the user does not exist (or has no local password) so a failed login
// takes the same time either way. Never fails.
void burn_equal_time(std::string_view password);

// The fixed argon2id hash (of an unknown random password) that burn_equal_time() verifies
// against; exposed so a test can check it carries today's parameters. Never fails.
std::string_view dummy_hash();

} // namespace sharectl::agent::auth
