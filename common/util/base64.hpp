// Base64 in its two RFC 4648 alphabets: base64url without padding (tokens, JWT segments) and
// standard base64 with padding (HTTP Basic credentials). Decoders are strict: they refuse
// anything a conforming encoder would not have produced.
#pragma once

#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl {

// Encodes bytes as base64url (RFC 4648 §5, "-" and "_") without "=" padding; cannot fail.
std::string base64url_encode(std::string_view bytes);

// Decodes unpadded base64url; bad_request on padding, a character outside the alphabet, an
// impossible length (4n+1) or non-zero unused trailing bits (a non-canonical encoding).
Result<std::string> base64url_decode(std::string_view text);

// Encodes bytes as standard base64 (RFC 4648 §4, "+" and "/") with "=" padding; cannot fail.
std::string base64_encode(std::string_view bytes);

// Decodes padded standard base64; bad_request on a length that is not a multiple of 4, misplaced
// or missing padding, whitespace or other characters outside the alphabet, or non-zero unused
// trailing bits.
Result<std::string> base64_decode(std::string_view text);

} // namespace sharectl
