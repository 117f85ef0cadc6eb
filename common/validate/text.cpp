// Free text and message helpers; see text.hpp.
#include "common/validate/text.hpp"

#include <cstdint>
#include <optional>

namespace sharectl::validate {
namespace {

constexpr char k_hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char byte) {
  out += "\\x";
  out += k_hex_digits[byte >> 4U];
  out += k_hex_digits[byte & 0xfU];
}

// A byte as it appears inside quotes in a message, without the quotes.
void append_escaped(std::string& out, unsigned char byte, char quote) {
  switch (byte) {
  case '\n':
    out += "\\n";
    return;
  case '\r':
    out += "\\r";
    return;
  case '\t':
    out += "\\t";
    return;
  case '\\':
    out += "\\\\";
    return;
  default:
    break;
  }
  if (byte == static_cast<unsigned char>(quote)) {
    out += '\\';
    out += quote;
  } else if (byte >= 0x20 && byte < 0x7f) {
    out += static_cast<char>(byte);
  } else {
    append_hex_byte(out, byte);
  }
}

struct Decoded {
  char32_t code_point;
  std::size_t length;
};

// The UTF-8 sequence that starts at text[pos]; nullopt if it is malformed.
std::optional<Decoded> decode_utf8(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) {
    return Decoded{lead, 1};
  }
  std::size_t length = 0;
  char32_t code_point = 0;
  char32_t minimum = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    code_point = lead & 0x1fU;
    minimum = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    code_point = lead & 0x0fU;
    minimum = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    code_point = lead & 0x07U;
    minimum = 0x10000;
  } else {
    return std::nullopt; // continuation byte, overlong 0xc0/0xc1 or 0xf5..0xff
  }
  if (text.size() - pos < length) {
    return std::nullopt;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xc0U) != 0x80U) {
      return std::nullopt;
    }
    code_point = (code_point << 6U) | (next & 0x3fU);
  }
  if (code_point < minimum || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return std::nullopt;
  }
  return Decoded{code_point, length};
}

std::string comment_error(std::string_view text, std::string_view rule) {
  return "comment " + quote_for_message(text) + ": " + std::string(rule);
}

std::string at_position(std::size_t pos) {
  return " at position " + std::to_string(pos + 1);
}

} // namespace

std::string quote_for_message(std::string_view text) {
  std::string out = "\"";
  const std::size_t shown = text.size() > k_max_quoted_bytes ? k_max_quoted_bytes : text.size();
  for (std::size_t i = 0; i < shown; ++i) {
    append_escaped(out, static_cast<unsigned char>(text[i]), '"');
  }
  if (shown < text.size()) {
    out += "...";
  }
  out += '"';
  return out;
}

std::string describe_byte(char byte) {
  const auto value = static_cast<unsigned char>(byte);
  if (value >= 0x80) {
    std::string out = "non-ASCII byte 0x";
    out += k_hex_digits[value >> 4U];
    out += k_hex_digits[value & 0xfU];
    return out;
  }
  std::string out = "'";
  append_escaped(out, value, '\'');
  out += '\'';
  return out;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const auto decoded = decode_utf8(text, pos);
    if (!decoded) {
      return false;
    }
    pos += decoded->length;
  }
  return true;
}

Status validate_comment(std::string_view text) {
  if (text.size() > k_max_comment_bytes) {
    return fail(ErrorCode::bad_request,
                comment_error(text, "at most " + std::to_string(k_max_comment_bytes) +
                                        " bytes are allowed (got " + std::to_string(text.size()) +
                                        ")"));
  }
  for (std::size_t pos = 0; pos < text.size();) {
    const auto decoded = decode_utf8(text, pos);
    if (!decoded) {
      return fail(ErrorCode::bad_request,
                  comment_error(text, "must be valid UTF-8 (found invalid " +
                                          describe_byte(text[pos]) + at_position(pos) + ")"));
    }
    const char32_t c = decoded->code_point;
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
      const std::string found = c < 0x80 ? describe_byte(text[pos])
                                         : "control character U+00" +
                                               std::string(1, k_hex_digits[c >> 4U]) +
                                               std::string(1, k_hex_digits[c & 0xfU]);
      return fail(ErrorCode::bad_request,
                  comment_error(text, "control characters are not allowed (found " + found +
                                          at_position(pos) + ")"));
    }
    if (c == '%') {
      return fail(ErrorCode::bad_request,
                  comment_error(text, "'%' is not allowed (Samba substitution; found" +
                                          at_position(pos) + ")"));
    }
    if (c == '\\') {
      return fail(ErrorCode::bad_request,
                  comment_error(text, "'\\' is not allowed (smb.conf line continuation; found" +
                                          at_position(pos) + ")"));
    }
    pos += decoded->length;
  }
  if (!text.empty() && (text.front() == ';' || text.front() == '#')) {
    return fail(ErrorCode::bad_request,
                comment_error(text, "must not start with ';' or '#' (smb.conf comment markers)"));
  }
  if (!text.empty() && (text.front() == ' ' || text.back() == ' ')) {
    return fail(ErrorCode::bad_request,
                comment_error(text, "must not start or end with a space (smb.conf trims it)"));
  }
  return {};
}

} // namespace sharectl::validate
