// Sizes as people write them ("20G", "500 MB") and as tables show them ("20 GiB"). SPEC.md:
// units B, K/KiB, M/MiB, G/GiB, T/TiB (powers of 1024) and KB/MB/GB/TB (powers of 1000); no
// negative, fractional or overflowing values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/util/error.hpp"

namespace sharectl::validate {

// Parses a size in bytes: a whole decimal number without sign or leading zeros, then an
// optional single space and an optional unit spelt exactly B, K, KiB, M, MiB, G, GiB, T, TiB,
// KB, MB, GB or TB (case-sensitive). Fails with bad_request on empty text, surrounding
// whitespace, signs, fractions, exponents, hex, unknown units, zero or a value above 2^64-1.
Result<std::uint64_t> parse_size(std::string_view text);

// A size for tables in binary units up to TiB: "512 B", "20 GiB", or one decimal rounded to
// nearest when not whole ("1.5 GiB", "10.2 MiB"). Whole results parse back with parse_size.
// Never fails.
std::string format_size(std::uint64_t bytes);

} // namespace sharectl::validate
