// Hashing and comparison of secrets over OpenSSL: SHA-256 (token hashes, content digests), hex
// encoding, and a comparison whose running time does not depend on where the inputs differ.
#pragma once

#include <string>
#include <string_view>

namespace sharectl {

// The 32-byte SHA-256 digest of data; throws std::runtime_error only if OpenSSL itself fails.
std::string sha256(std::string_view data);

// The SHA-256 digest of data as 64 lowercase hex digits; throws like sha256().
std::string sha256_hex(std::string_view data);

// Bytes as lowercase hex, two digits per byte; cannot fail.
std::string to_hex(std::string_view bytes);

// True when a and b are equal; for equal lengths the time taken does not depend on the
// contents (CRYPTO_memcmp). Lengths are compared first and are not secret. Cannot fail.
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace sharectl
