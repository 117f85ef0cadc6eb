// Unpredictable values from OpenSSL's CSPRNG: raw bytes, bearer tokens and UUIDs (version 4).
// Never seeded by us and never a non-cryptographic generator.
#pragma once

#include <cstddef>
#include <string>

#include "common/util/error.hpp"

namespace sharectl {

// n bytes from RAND_bytes; internal when the CSPRNG cannot deliver (e.g. not seeded).
Result<std::string> random_bytes(std::size_t n);

// A token of `bytes` random bytes (default 256 bits) as unpadded base64url, safe in URLs,
// headers and file names; fails like random_bytes().
Result<std::string> random_token(std::size_t bytes = 32);

// A random RFC 9562 version-4 UUID in lowercase 8-4-4-4-12 form. Throws std::runtime_error when
// the CSPRNG fails: ids are minted deep inside store code where a failed CSPRNG is
// unrecoverable, so this is an exception rather than a Result.
std::string uuid_v4();

} // namespace sharectl
