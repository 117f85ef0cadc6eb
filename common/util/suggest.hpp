// "Did you mean …?" suggestions for misspelt configuration keys and request fields: the closest
// accepted name by edit distance, when it is close enough to be a plausible typo.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sharectl {

// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
// substitutions and swaps of two adjacent characters each cost 1), compared case-insensitively
// for ASCII letters. Never fails.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is a plausible typo of it (distance at most 2, and
// less than half the candidate's length); the first such candidate on ties; nullopt when none
// is close. Never fails.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string> candidates);

} // namespace sharectl
