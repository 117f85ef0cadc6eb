#include "common/util/random.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "common/util/base64.hpp"
#include "common/util/hash.hpp"

namespace sharectl {
namespace {

// The last OpenSSL error in words, clearing this thread's error queue.
std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown error";
  }
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

} // namespace

Result<std::string> random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    const std::size_t chunk = std::min<std::size_t>(n - done, INT_MAX);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done), static_cast<int>(chunk)) !=
        1) {
      return fail(ErrorCode::internal, "RAND_bytes failed: " + openssl_error());
    }
    done += chunk;
  }
  return out;
}

Result<std::string> random_token(std::size_t bytes) {
  auto raw = random_bytes(bytes); // (GCC 12's std::expected has no transform())
  if (!raw) {
    return std::unexpected(raw.error());
  }
  return base64url_encode(*raw);
}

std::string uuid_v4() {
  auto bytes = random_bytes(16);
  if (!bytes) {
    throw std::runtime_error(bytes.error().message);
  }
  std::string& b = *bytes;
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0f) | 0x40); // version 4
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3f) | 0x80); // variant 10xx
  const std::string hex = to_hex(b);
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20, 12);
}

} // namespace sharectl
