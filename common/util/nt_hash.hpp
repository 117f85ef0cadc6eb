// The NT hash Samba's passdb keeps for a password (MD4 of the password in UTF-16LE), so that the
// store can carry it to every host that provisions the user's SMB account. MD4 is implemented
// here (RFC 1320): OpenSSL 3 only offers it in the legacy provider. MD4 is broken as a general
// hash; it is used for nothing but this Samba interoperability.
#pragma once

#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl {

// The 16-byte MD4 digest of data (RFC 1320). Cannot fail.
std::string md4(std::string_view data);

// The UTF-16LE encoding of UTF-8 text (surrogate pairs above U+FFFF); bad_request when text is
// not valid UTF-8.
Result<std::string> utf8_to_utf16le(std::string_view text);

// The NT hash of a UTF-8 password as 32 lowercase hex digits (what
// UserSecrets.nt_hash holds);
// bad_request when the password is not valid UTF-8. The message never holds the password.
Result<std::string> nt_hash_hex(std::string_view password);

} // namespace sharectl
