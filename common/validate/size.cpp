// Sizes; see size.hpp.
#include "common/validate/size.hpp"

#include <array>
#include <limits>

#include "common/validate/text.hpp"

namespace sharectl::validate {
namespace {

constexpr std::uint64_t k_kib = 1024;
constexpr std::uint64_t k_mib = k_kib * 1024;
constexpr std::uint64_t k_gib = k_mib * 1024;
constexpr std::uint64_t k_tib = k_gib * 1024;
constexpr std::uint64_t k_max = std::numeric_limits<std::uint64_t>::max();

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

// Every spelling parse_size accepts.
constexpr std::array k_units{
    Unit{"B", 1},
    Unit{"K", k_kib},
    Unit{"KiB", k_kib},
    Unit{"M", k_mib},
    Unit{"MiB", k_mib},
    Unit{"G", k_gib},
    Unit{"GiB", k_gib},
    Unit{"T", k_tib},
    Unit{"TiB", k_tib},
    Unit{"KB", 1000},
    Unit{"MB", 1000000},
    Unit{"GB", 1000000000},
    Unit{"TB", 1000000000000},
};

constexpr std::string_view k_unit_list = "B, K, KiB, M, MiB, G, GiB, T, TiB, KB, MB, GB, TB";

// The units format_size prints, smallest first.
constexpr std::array k_display_units{
    Unit{"B", 1}, Unit{"KiB", k_kib}, Unit{"MiB", k_mib}, Unit{"GiB", k_gib}, Unit{"TiB", k_tib},
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::unexpected<Error> size_error(std::string_view text, const std::string& rule) {
  return fail(ErrorCode::bad_request, "size " + quote_for_message(text) + ": " + rule);
}

std::unexpected<Error> too_large(std::string_view text) {
  return size_error(text, "too large (the largest size is " + std::to_string(k_max) + " bytes)");
}

} // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
  if (text.empty()) {
    return size_error(text, "must not be empty");
  }
  if (is_space(text.front()) || is_space(text.back())) {
    return size_error(text, "must not start or end with whitespace");
  }
  if (text.front() == '-') {
    return size_error(text, "negative sizes are not allowed");
  }
  if (text.front() == '+') {
    return size_error(text, "a sign is not allowed");
  }
  if (!is_digit(text.front())) {
    return size_error(text, "must start with a digit (found " + describe_byte(text.front()) + ")");
  }
  if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    return size_error(text, "hexadecimal numbers are not allowed");
  }
  std::size_t pos = 0;
  std::uint64_t number = 0;
  bool overflow = false;
  for (; pos < text.size() && is_digit(text[pos]); ++pos) {
    const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (number > (k_max - digit) / 10) {
      overflow = true;
    } else {
      number = number * 10 + digit;
    }
  }
  if (pos > 1 && text[0] == '0') {
    return size_error(text, "leading zeros are not allowed");
  }
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    return size_error(text, "fractional values are not allowed (use a smaller unit, e.g. 1536M "
                            "for 1.5G)");
  }
  if (pos + 1 < text.size() && (text[pos] == 'e' || text[pos] == 'E') &&
      (is_digit(text[pos + 1]) || text[pos + 1] == '+' || text[pos + 1] == '-')) {
    return size_error(text, "exponents are not allowed");
  }
  if (overflow) {
    return too_large(text);
  }
  if (pos < text.size() && text[pos] == ' ') {
    ++pos; // the one space allowed between number and unit; trailing spaces were refused above
    if (is_space(text[pos])) {
      return size_error(text, "at most one space is allowed between the number and the unit");
    }
  }
  std::uint64_t factor = 1;
  if (pos < text.size()) {
    const std::string_view unit_text = text.substr(pos);
    const Unit* found = nullptr;
    for (const auto& unit : k_units) {
      if (unit.name == unit_text) {
        found = &unit;
        break;
      }
    }
    if (found == nullptr) {
      return size_error(text, "unknown unit " + quote_for_message(unit_text) + " (units are " +
                                  std::string(k_unit_list) + ", case-sensitive)");
    }
    factor = found->factor;
  }
  if (number > k_max / factor) {
    return too_large(text);
  }
  if (number == 0) {
    return size_error(text, "must be greater than zero");
  }
  return number * factor;
}

std::string format_size(std::uint64_t bytes) {
  std::size_t index = 0;
  while (index + 1 < k_display_units.size() && bytes >= k_display_units[index + 1].factor) {
    ++index;
  }
  std::uint64_t factor = k_display_units[index].factor;
  std::uint64_t whole = bytes / factor;
  const std::uint64_t remainder = bytes % factor;
  if (remainder == 0) {
    return std::to_string(whole) + " " + std::string(k_display_units[index].name);
  }
  // remainder < factor <= 2^40, so remainder * 10 cannot overflow.
  std::uint64_t tenths = (remainder * 10 + factor / 2) / factor;
  if (tenths == 10) {
    ++whole;
    tenths = 0;
    if (whole == 1024 && index + 1 < k_display_units.size()) {
      ++index;
      whole = 1;
    }
  }
  return std::to_string(whole) + "." + std::to_string(tenths) + " " +
         std::string(k_display_units[index].name);
}

} // namespace sharectl::validate
