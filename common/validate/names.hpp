// Names of users, groups, roles, spaces and shares (SPEC.md "Names"). All are ASCII-only: a
// byte >= 0x80 is refused, so look-alikes such as Cyrillic 'а' or fullwidth 'ｇ' never pass.
// Every check fails with bad_request and a message naming the kind of name and the rule.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::validate {

// The most characters a username may have.
inline constexpr std::size_t k_max_username_length = 32;
// The most characters a group or role name may have.
inline constexpr std::size_t k_max_group_name_length = 64;
// The most characters a space name may have.
inline constexpr std::size_t k_max_space_name_length = 64;
// The most characters a share name may have.
inline constexpr std::size_t k_max_share_name_length = 80;

// Checks a username: ^[a-z_][a-z0-9._-]{0,31}$. Fails with bad_request.
Status validate_username(std::string_view name);

// Checks a group name: ^[a-z_][a-z0-9._-]{0,63}$. Fails with bad_request.
Status validate_group_name(std::string_view name);

// Checks a role name, same rule as group names. Fails with bad_request.
Status validate_role_name(std::string_view name);

// Checks a space name: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$. Fails with bad_request.
Status validate_space_name(std::string_view name);

// Checks a share name: ^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$ and not `global`, `homes` or
// `printers` in any letter case. Fails with bad_request.
Status validate_share_name(std::string_view name);

// The share name in ASCII lower case: the key under which share names are unique. Never fails.
std::string fold_share_name(std::string_view name);

} // namespace sharectl::validate
