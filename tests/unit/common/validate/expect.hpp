// Shared assertions for the validator tests: a refusal is bad_request, its message names the
// rule (substring) and never carries a raw control or non-ASCII byte.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "common/util/error.hpp"

namespace sharectl::validate::test {

// Whether every byte of `message` is printable ASCII.
inline bool printable_ascii(std::string_view message) {
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) {
      return false;
    }
  }
  return true;
}

// Hostile inputs: every name rule refuses them all; paths, globs and comments test each one.
inline std::vector<std::string> hostile_inputs() {
  return {
      "a\nb",
      "a\rb",
      std::string("a\0b", 3),
      "a\\",
      "a[b",
      "a]b",
      "a%b",
      "a;b",
      "a'b",
      "a\"b",
      "$(rm -rf /)",
      "`reboot`",
      "../etc",
      "a b",
      "a\tb",
      "a\x7f",
      std::string("\xd0\xb0") + "dmin",      // "admin" with a Cyrillic a
      std::string("\xef\xbd\x87") + "lobal", // "global" with a fullwidth g
  };
}

} // namespace sharectl::validate::test

// Checks that `expr` (a Result or Status) failed with bad_request and a message containing
// `needle` and only printable ASCII.
#define CHECK_REFUSED(expr, needle)                                                                \
  do {                                                                                             \
    const auto refused_result_ = (expr);                                                           \
    REQUIRE_FALSE(refused_result_.has_value());                                                    \
    const std::string& refused_message_ = refused_result_.error().message;                         \
    INFO("message: ", refused_message_);                                                           \
    CHECK(refused_result_.error().code == ::sharectl::ErrorCode::bad_request);                     \
    CHECK(refused_message_.find(needle) != std::string::npos);                                     \
    CHECK(::sharectl::validate::test::printable_ascii(refused_message_));                          \
  } while (false)

// Checks that `expr` (a Result or Status) succeeded, showing the message if not.
#define CHECK_ACCEPTED(expr)                                                                       \
  do {                                                                                             \
    const auto accepted_result_ = (expr);                                                          \
    CHECK_MESSAGE(accepted_result_.has_value(),                                                    \
                  (accepted_result_ ? std::string() : accepted_result_.error().message));          \
  } while (false)
