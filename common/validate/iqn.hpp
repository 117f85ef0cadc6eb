// iSCSI qualified names (RFC 3720 section 3.2.6.3.1), for targets and allowed initiators.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::validate {

// The most bytes an iSCSI name may have (RFC 3720).
inline constexpr std::size_t k_max_iqn_bytes = 223;

// Checks an IQN: "iqn." yyyy "-" mm "." naming-authority [":" unique-name], month 01..12, the
// naming authority a reversed domain name ([a-z0-9-] labels separated by single dots, no label
// starting or ending with '-'), the unique name non-empty and only [a-z0-9.:-] (RFC 3720's
// character set; names are lower-case after RFC 3722 normalization), at most 223 bytes.
// Fails with bad_request naming the rule.
Status validate_iqn(std::string_view iqn);

} // namespace sharectl::validate
