// Free text and message helpers: the share-comment rule (the only user text that reaches
// smb.conf verbatim) and the escaping every validator uses to show hostile input in its
// messages without writing raw control bytes to a terminal or a log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::validate {

// The most bytes a share comment may have.
inline constexpr std::size_t k_max_comment_bytes = 256;

// The most input bytes quote_for_message shows before it cuts the text short with "...".
inline constexpr std::size_t k_max_quoted_bytes = 64;

// `text` in double quotes for an error message: printable ASCII as is ('"' and '\' escaped),
// \n \r \t as such and every other byte (controls, NUL, >= 0x80) as \xHH; longer text is cut
// after k_max_quoted_bytes input bytes and ends with "...". Never fails.
std::string quote_for_message(std::string_view text);

// One byte for an error message: "';'", "'\n'", "'\x00'", "'\''" or, for a byte >= 0x80,
// "non-ASCII byte 0xd0". Never fails.
std::string describe_byte(char byte);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates, code points above
// U+10FFFF or truncated sequences). Never fails.
bool is_valid_utf8(std::string_view text);

// Checks a share comment: at most 256 bytes of valid UTF-8 (non-ASCII letters allowed), no
// control characters (C0 incl. tab/NUL, DEL, C1), no '%' (Samba substitution) or '\' anywhere,
// no ';' or '#' first (smb.conf comment markers), no leading or trailing space (smb.conf trims
// it). The empty comment is accepted. Fails with bad_request naming the rule broken.
Status validate_comment(std::string_view text);

} // namespace sharectl::validate
