#include "common/util/base64.hpp"

#include <array>
#include <cstdint>

namespace sharectl {
namespace {

constexpr std::string_view k_standard_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view k_url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::int8_t k_invalid = -1;

// Maps each byte to its 6-bit value in the alphabet, or k_invalid.
constexpr std::array<std::int8_t, 256> make_decode_table(std::string_view alphabet) {
  std::array<std::int8_t, 256> table{};
  table.fill(k_invalid);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr auto k_standard_table = make_decode_table(k_standard_alphabet);
constexpr auto k_url_table = make_decode_table(k_url_alphabet);

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                            std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += alphabet[(v >> 18) & 0x3f];
    out += alphabet[(v >> 12) & 0x3f];
    out += alphabet[(v >> 6) & 0x3f];
    out += alphabet[v & 0x3f];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    out += alphabet[(v >> 18) & 0x3f];
    out += alphabet[(v >> 12) & 0x3f];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8);
    out += alphabet[(v >> 18) & 0x3f];
    out += alphabet[(v >> 12) & 0x3f];
    out += alphabet[(v >> 6) & 0x3f];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

// Decodes unpadded text (padding already stripped and checked by the caller).
Result<std::string> decode_unpadded(std::string_view text,
                                    const std::array<std::int8_t, 256>& table,
                                    std::string_view what) {
  if (text.size() % 4 == 1) {
    return fail(ErrorCode::bad_request, "invalid " + std::string(what) + ": impossible length " +
                                            std::to_string(text.size()));
  }
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::int8_t v = table[static_cast<unsigned char>(text[i])];
    if (v == k_invalid) {
      return fail(ErrorCode::bad_request, "invalid " + std::string(what) +
                                              ": unexpected character at offset " +
                                              std::to_string(i));
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
      acc &= (1U << bits) - 1;
    }
  }
  // 2 or 4 bits are left over after a partial group; a canonical encoder leaves them zero.
  if (acc != 0) {
    return fail(ErrorCode::bad_request,
                "invalid " + std::string(what) + ": non-zero trailing bits (non-canonical)");
  }
  return out;
}

} // namespace

std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, k_url_alphabet, false);
}

Result<std::string> base64url_decode(std::string_view text) {
  return decode_unpadded(text, k_url_table, "base64url");
}

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, k_standard_alphabet, true);
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return fail(ErrorCode::bad_request, "invalid base64: length " + std::to_string(text.size()) +
                                            " is not a multiple of 4");
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    padding = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  }
  return decode_unpadded(text.substr(0, text.size() - padding), k_standard_table, "base64");
}

} // namespace sharectl
