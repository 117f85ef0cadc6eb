#include "common/config/duration.hpp"

#include <cstdint>

#include "common/validate/text.hpp"

namespace sharectl::config {
namespace {

constexpr std::string_view k_examples = "e.g. \"30s\", \"15m\", \"12h\" or \"7d\"";

Error invalid(std::string_view text, std::string_view why) {
  return Error{ErrorCode::bad_request, "invalid duration " + validate::quote_for_message(text) +
                                           ": " + std::string(why) + "; " +
                                           std::string(k_examples)};
}

} // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) {
    return std::unexpected(invalid(text, "it is empty"));
  }
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0) {
    if (text.front() == '-') {
      return std::unexpected(invalid(text, "it must be positive"));
    }
    return std::unexpected(invalid(text, "it must start with a whole number"));
  }
  const std::string_view unit = text.substr(digits);
  if (unit.empty()) {
    return std::unexpected(invalid(text, "a unit (s, m, h or d) is missing"));
  }
  std::int64_t unit_seconds = 0;
  if (unit == "s") {
    unit_seconds = 1;
  } else if (unit == "m") {
    unit_seconds = 60;
  } else if (unit == "h") {
    unit_seconds = 3600;
  } else if (unit == "d") {
    unit_seconds = 86400;
  } else if (unit.front() == ' ' || unit.front() == '\t') {
    return std::unexpected(invalid(text, "no space is allowed before the unit"));
  } else if (unit.front() == '.' || unit.front() == ',') {
    return std::unexpected(invalid(text, "fractions are not accepted"));
  } else {
    return std::unexpected(invalid(text, "the unit must be s, m, h or d"));
  }
  if (text.front() == '0') {
    return std::unexpected(
        invalid(text, digits == 1 ? "it must be positive" : "leading zeros are not accepted"));
  }
  const std::int64_t limit = k_max_duration.count();
  std::int64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > limit) {
      // Stops before the multiplication can overflow, however many digits follow.
      return std::unexpected(invalid(text, "it is longer than 100 years"));
    }
  }
  if (value > limit / unit_seconds) {
    return std::unexpected(invalid(text, "it is longer than 100 years"));
  }
  return std::chrono::seconds(value * unit_seconds);
}

std::string format_duration(std::chrono::seconds duration) {
  const std::int64_t value = duration.count();
  if (value > 0) {
    if (value % 86400 == 0) {
      return std::to_string(value / 86400) + "d";
    }
    if (value % 3600 == 0) {
      return std::to_string(value / 3600) + "h";
    }
    if (value % 60 == 0) {
      return std::to_string(value / 60) + "m";
    }
  }
  return std::to_string(value) + "s";
}

} // namespace sharectl::config
