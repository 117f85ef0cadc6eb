// Durations as configuration files and flags write them: "30s", "15m", "12h", "7d".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::config {

// The longest duration accepted (100 years of 365 days): far beyond any sensible setting, and
// small enough that adding it to a clock's now() cannot overflow.
inline constexpr std::chrono::seconds k_max_duration{100LL * 365 * 24 * 3600};

// Parses a positive whole number immediately followed by one unit: s, m, h or d ("30s",
// "15m", "12h", "7d"). Only positive values are accepted; a setting where zero means "off"
// must spell that separately. Fails with bad_request on an empty text, a missing or unknown
// unit, spaces, signs, fractions, leading zeros, zero, or a value above k_max_duration.
Result<std::chrono::seconds> parse_duration(std::string_view text);

// A positive duration in the largest unit that represents it exactly ("7d", "36h", "90s");
// parse_duration reads it back. Zero and negative values give "0s" and "-Ns" (which
// parse_duration refuses). Never fails.
std::string format_duration(std::chrono::seconds duration);

} // namespace sharectl::config
