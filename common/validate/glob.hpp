// Resource globs in role rules, notification hooks and audit filters ("spaces/alice/*", "**").
// Wildcards: '*' matches any run of characters except '/', '**' any run including '/', '?' one
// character except '/'. Everything else is literal; there are no classes, braces or escapes.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::validate {

// The most characters a glob may have.
inline constexpr std::size_t k_max_glob_length = 256;

// Checks a glob: 1 to 256 characters, only ASCII letters, digits, '.', '_', '-', ':', '/', '*'
// and '?', and no run of three or more '*'. Fails with bad_request naming the rule (with a
// hint for '[', ']', '{', '}', '!' and '\', which other glob dialects give a meaning).
Status validate_glob(std::string_view glob);

// Whether `text` matches `glob` as a whole, case-sensitively, in O(len(glob) * len(text)) time
// and O(len(text)) memory, so no pattern can make it backtrack exponentially. The glob should
// have passed validate_glob; any other character in it matches itself. Never fails.
bool glob_match(std::string_view glob, std::string_view text);

} // namespace sharectl::validate
