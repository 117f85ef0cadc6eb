#include <cstdint>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include "common/validate/size.hpp"
#include "tests/unit/common/validate/expect.hpp"

using namespace sharectl;
using namespace sharectl::validate;

namespace {
constexpr std::uint64_t k_kib = 1024;
constexpr std::uint64_t k_mib = k_kib * k_kib;
constexpr std::uint64_t k_gib = k_mib * k_kib;
constexpr std::uint64_t k_tib = k_gib * k_kib;
constexpr std::uint64_t k_max = std::numeric_limits<std::uint64_t>::max();
} // namespace

TEST_SUITE("validate") {

  TEST_CASE("parse_size reads every listed unit") {
    struct Case {
      const char* text;
      std::uint64_t bytes;
    };
    const Case cases[] = {
        {"1", 1},
        {"512", 512},
        {"5B", 5},
        {"5 B", 5},
        {"1K", k_kib},
        {"1KiB", k_kib},
        {"3M", 3 * k_mib},
        {"3MiB", 3 * k_mib},
        {"20G", 20 * k_gib},
        {"20GiB", 20 * k_gib},
        {"20 GiB", 20 * k_gib},
        {"2T", 2 * k_tib},
        {"2TiB", 2 * k_tib},
        {"1KB", 1000},
        {"1MB", 1000000},
        {"500 MB", 500000000},
        {"1GB", 1000000000},
        {"1TB", 1000000000000},
        {"10 TB", 10000000000000},
        {"18446744073709551615", k_max},
        {"18446744073709551615B", k_max},
        {"18014398509481983K", 18014398509481983 * k_kib},
        {"16777215T", 16777215 * k_tib},
        {"18446744TB", std::uint64_t{18446744} * 1000000000000},
    };
    for (const auto& c : cases) {
      CAPTURE(c.text);
      const auto parsed = parse_size(c.text);
      REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
      CHECK(*parsed == c.bytes);
    }
  }

  TEST_CASE("parse_size refuses empty text and surrounding whitespace") {
    CHECK_REFUSED(parse_size(""), "size \"\": must not be empty");
    CHECK_REFUSED(parse_size(" 5G"), "must not start or end with whitespace");
    CHECK_REFUSED(parse_size("5G "), "must not start or end with whitespace");
    CHECK_REFUSED(parse_size("5 "), "must not start or end with whitespace");
    CHECK_REFUSED(parse_size("5G\n"), "must not start or end with whitespace");
    CHECK_REFUSED(parse_size("\t5G"), "must not start or end with whitespace");
    CHECK_REFUSED(parse_size("5  G"),
                  "at most one space is allowed between the number and the unit");
    CHECK_REFUSED(parse_size("5 \tG"), "at most one space");
    CHECK_REFUSED(parse_size("5\tG"), "unknown unit \"\\tG\"");
  }

  TEST_CASE("parse_size refuses signs, fractions, exponents, hex and leading zeros") {
    CHECK_REFUSED(parse_size("-1G"), "negative sizes are not allowed");
    CHECK_REFUSED(parse_size("-0"), "negative sizes are not allowed");
    CHECK_REFUSED(parse_size("+5G"), "a sign is not allowed");
    CHECK_REFUSED(parse_size("1.5G"), "fractional values are not allowed");
    CHECK_REFUSED(parse_size("1.0G"), "fractional values are not allowed");
    CHECK_REFUSED(parse_size("1,5G"), "fractional values are not allowed");
    CHECK_REFUSED(parse_size("1."), "fractional values are not allowed");
    CHECK_REFUSED(parse_size(".5G"), "must start with a digit (found '.')");
    CHECK_REFUSED(parse_size("1e3"), "exponents are not allowed");
    CHECK_REFUSED(parse_size("1e400"), "exponents are not allowed");
    CHECK_REFUSED(parse_size("1E+3"), "exponents are not allowed");
    CHECK_REFUSED(parse_size("0x10"), "hexadecimal numbers are not allowed");
    CHECK_REFUSED(parse_size("0X1F"), "hexadecimal numbers are not allowed");
    CHECK_REFUSED(parse_size("0010"), "leading zeros are not allowed");
    CHECK_REFUSED(parse_size("00"), "leading zeros are not allowed");
    CHECK_REFUSED(parse_size("G"), "must start with a digit (found 'G')");
    CHECK_REFUSED(parse_size("GiB"), "must start with a digit");
    CHECK_REFUSED(parse_size("inf"), "must start with a digit");
    CHECK_REFUSED(parse_size("\xef\xbc\x95G"),
                  "must start with a digit (found non-ASCII byte 0xef)");
  }

  TEST_CASE("parse_size refuses zero") {
    CHECK_REFUSED(parse_size("0"), "must be greater than zero");
    CHECK_REFUSED(parse_size("0G"), "must be greater than zero");
    CHECK_REFUSED(parse_size("0 TB"), "must be greater than zero");
  }

  TEST_CASE("parse_size refuses values above 2^64-1 wherever they overflow") {
    const char* too_large = "too large (the largest size is 18446744073709551615 bytes)";
    CHECK_REFUSED(parse_size("18446744073709551616"), too_large);
    CHECK_REFUSED(parse_size("18446744073709551615K"), too_large);
    CHECK_REFUSED(parse_size("18014398509481984K"), too_large);
    CHECK_REFUSED(parse_size("17179869184G"), too_large);
    CHECK_REFUSED(parse_size("16777216T"), too_large);
    CHECK_REFUSED(parse_size("18446745TB"), too_large);
    CHECK_REFUSED(parse_size("99999999999999999999999999999999"), too_large);
    CHECK_REFUSED(parse_size(std::string(100000, '9')), too_large);
    CHECK_REFUSED(parse_size(std::string(100000, '9') + "G"), too_large);
  }

  TEST_CASE("parse_size refuses unknown, wrongly cased and repeated units") {
    const char* units =
        "(units are B, K, KiB, M, MiB, G, GiB, T, TiB, KB, MB, GB, TB, case-sensitive)";
    CHECK_REFUSED(parse_size("5X"), "unknown unit \"X\"");
    CHECK_REFUSED(parse_size("5X"), units);
    CHECK_REFUSED(parse_size("5 GiBs"), "unknown unit \"GiBs\"");
    CHECK_REFUSED(parse_size("16E"), "unknown unit \"E\"");
    CHECK_REFUSED(parse_size("1P"), "unknown unit \"P\"");
    CHECK_REFUSED(parse_size("1PiB"), "unknown unit \"PiB\"");
    CHECK_REFUSED(parse_size("5g"), "unknown unit \"g\"");
    CHECK_REFUSED(parse_size("5k"), "unknown unit \"k\"");
    CHECK_REFUSED(parse_size("5gib"), "unknown unit \"gib\"");
    CHECK_REFUSED(parse_size("5Gb"), "unknown unit \"Gb\"");
    CHECK_REFUSED(parse_size("5KIB"), "unknown unit \"KIB\"");
    CHECK_REFUSED(parse_size("5GiB5MiB"), "unknown unit \"GiB5MiB\"");
    CHECK_REFUSED(parse_size("5G G"), "unknown unit \"G G\"");
    CHECK_REFUSED(parse_size("5GG"), "unknown unit \"GG\"");
    CHECK_REFUSED(parse_size("5BB"), "unknown unit \"BB\"");
    CHECK_REFUSED(parse_size("5 e3"), "unknown unit \"e3\"");
  }

  TEST_CASE("parse_size refuses hostile text with it escaped") {
    CHECK_REFUSED(parse_size("5G\nrm"), "unknown unit \"G\\nrm\"");
    CHECK_REFUSED(parse_size("5\rG"), "unknown unit \"\\rG\"");
    CHECK_REFUSED(parse_size(std::string_view("5\0G", 3)), "unknown unit \"\\x00G\"");
    CHECK_REFUSED(parse_size("5G\\"), "unknown unit \"G\\\\\"");
    CHECK_REFUSED(parse_size("5G;reboot"), "unknown unit");
    CHECK_REFUSED(parse_size("5%"), "unknown unit \"%\"");
    CHECK_REFUSED(parse_size("5'"), "unknown unit");
    CHECK_REFUSED(parse_size("$(rm -rf /)"), "must start with a digit (found '$')");
    CHECK_REFUSED(parse_size("`reboot`"), "must start with a digit (found '`')");
    CHECK_REFUSED(parse_size("5[G]"), "unknown unit");
    CHECK_REFUSED(parse_size("5\xd0\x93"), "unknown unit \"\\xd0\\x93\""); // Cyrillic Г
  }

  TEST_CASE("format_size prints binary units with at most one decimal") {
    CHECK(format_size(0) == "0 B");
    CHECK(format_size(1) == "1 B");
    CHECK(format_size(512) == "512 B");
    CHECK(format_size(1023) == "1023 B");
    CHECK(format_size(1024) == "1 KiB");
    CHECK(format_size(1536) == "1.5 KiB");
    CHECK(format_size(20 * k_gib) == "20 GiB");
    CHECK(format_size(3 * k_gib / 2) == "1.5 GiB");
    CHECK(format_size(10695475) == "10.2 MiB");
    CHECK(format_size(k_mib - 1) == "1.0 MiB"); // rounds up into the next unit
    CHECK(format_size(k_gib + 1) == "1.0 GiB"); // not whole, so it keeps its decimal
    CHECK(format_size(2 * k_kib - 1) == "2.0 KiB");
    CHECK(format_size(1000) == "1000 B");
    CHECK(format_size(1000000000000) == "931.3 GiB");
    CHECK(format_size(k_tib) == "1 TiB");
    CHECK(format_size(1024 * k_tib) == "1024 TiB"); // TiB is the largest unit
    CHECK(format_size(k_max) == "16777216.0 TiB");
  }

  TEST_CASE("parse_size reads back what format_size prints for whole values") {
    for (const std::uint64_t bytes :
         {std::uint64_t{1}, std::uint64_t{512}, std::uint64_t{1023}, k_kib, 7 * k_kib, k_mib,
          20 * k_gib, k_tib, 1024 * k_tib, 16777215 * k_tib}) {
      const std::string printed = format_size(bytes);
      CAPTURE(printed);
      const auto parsed = parse_size(printed);
      REQUIRE_MESSAGE(parsed.has_value(), (parsed ? "" : parsed.error().message));
      CHECK(*parsed == bytes);
    }
  }

} // TEST_SUITE
