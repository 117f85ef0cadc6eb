// MD4 (RFC 1320) and the NT hash; see nt_hash.hpp.
#include "common/util/nt_hash.hpp"

#include <array>
#include <cstdint>

#include "common/util/hash.hpp"
#include "common/validate/text.hpp"

namespace sharectl {
namespace {

std::uint32_t rotl(std::uint32_t x, int s) {
  return (x << s) | (x >> (32 - s));
}

// One 64-byte block into the state (RFC 1320 §3.4).
void md4_block(std::array<std::uint32_t, 4>& state, const unsigned char* block) {
  std::array<std::uint32_t, 16> x{};
  for (std::size_t i = 0; i < 16; ++i) {
    x[i] = static_cast<std::uint32_t>(block[i * 4]) |
           (static_cast<std::uint32_t>(block[i * 4 + 1]) << 8) |
           (static_cast<std::uint32_t>(block[i * 4 + 2]) << 16) |
           (static_cast<std::uint32_t>(block[i * 4 + 3]) << 24);
  }
  auto f = [](std::uint32_t a, std::uint32_t b, std::uint32_t c) { return (a & b) | (~a & c); };
  auto g = [](std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    return (a & b) | (a & c) | (b & c);
  };
  auto h = [](std::uint32_t a, std::uint32_t b, std::uint32_t c) { return a ^ b ^ c; };
  std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  constexpr std::array<int, 4> s1{3, 7, 11, 19};
  for (int i = 0; i < 16; ++i) {
    const std::uint32_t t = rotl(a + f(b, c, d) + x[static_cast<std::size_t>(i)], s1[i % 4]);
    a = d, d = c, c = b, b = t;
  }
  constexpr std::array<int, 4> s2{3, 5, 9, 13};
  for (int i = 0; i < 16; ++i) {
    const auto k = static_cast<std::size_t>((i % 4) * 4 + i / 4);
    const std::uint32_t t = rotl(a + g(b, c, d) + x[k] + 0x5a827999u, s2[i % 4]);
    a = d, d = c, c = b, b = t;
  }
  constexpr std::array<int, 4> s3{3, 9, 11, 15};
  constexpr std::array<std::size_t, 16> order{0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
  for (int i = 0; i < 16; ++i) {
    const std::uint32_t t =
        rotl(a + h(b, c, d) + x[order[static_cast<std::size_t>(i)]] + 0x6ed9eba1u, s3[i % 4]);
    a = d, d = c, c = b, b = t;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

} // namespace

std::string md4(std::string_view data) {
  std::array<std::uint32_t, 4> state{0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
  std::size_t offset = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  for (; offset + 64 <= data.size(); offset += 64) {
    md4_block(state, bytes + offset);
  }
  // Padding: 0x80, zeros to 56 mod 64, then the bit length (little endian, 64 bits).
  std::array<unsigned char, 128> tail{};
  const std::size_t rest = data.size() - offset;
  for (std::size_t i = 0; i < rest; ++i) {
    tail[i] = bytes[offset + i];
  }
  tail[rest] = 0x80;
  const std::size_t tail_size = rest < 56 ? 64 : 128;
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  for (std::size_t i = 0; i < 8; ++i) {
    tail[tail_size - 8 + i] = static_cast<unsigned char>(bits >> (8 * i));
  }
  md4_block(state, tail.data());
  if (tail_size == 128) {
    md4_block(state, tail.data() + 64);
  }
  std::string out(16, '\0');
  for (std::size_t i = 0; i < 16; ++i) {
    out[i] = static_cast<char>(state[i / 4] >> (8 * (i % 4)));
  }
  return out;
}

Result<std::string> utf8_to_utf16le(std::string_view text) {
  if (!validate::is_valid_utf8(text)) {
    return fail(ErrorCode::bad_request, "the text is not valid UTF-8");
  }
  std::string out;
  out.reserve(text.size() * 2);
  auto unit = [&out](std::uint32_t u) {
    out += static_cast<char>(u & 0xff);
    out += static_cast<char>((u >> 8) & 0xff);
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    std::uint32_t cp = length == 1   ? c
                       : length == 2 ? (c & 0x1fu)
                       : length == 3 ? (c & 0x0fu)
                                     : (c & 0x07u);
    for (std::size_t k = 1; k < length; ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3fu);
    }
    i += length;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xd800u + (cp >> 10));
      unit(0xdc00u + (cp & 0x3ffu));
    } else {
      unit(cp);
    }
  }
  return out;
}

Result<std::string> nt_hash_hex(std::string_view password) {
  auto utf16 = utf8_to_utf16le(password);
  if (!utf16) {
    return fail(ErrorCode::bad_request, "a password must be valid UTF-8");
  }
  return to_hex(md4(*utf16));
}

} // namespace sharectl
