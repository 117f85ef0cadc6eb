// The skip policy for tests that need something from the machine (a server binary, root).
// When it is missing: under CI (environment variable CI is "true" or "1") the test FAILS with a
// message naming what is missing, because CI must run everything; elsewhere the test is skipped
// LOUDLY — a doctest MESSAGE plus a "SHARECTL-TEST-SKIPPED: <test>: <reason>" line on stderr
// (ctest can map it to "skipped" with SKIP_REGULAR_EXPRESSION) — and returns early. It never
// passes silently. Also SHARECTL_CHECK_OK / SHARECTL_REQUIRE_OK for Status/Result values, which
// print the Error's message on failure.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "common/util/error.hpp"
#include "tests/support/child_process.hpp"

namespace sharectl::test {

// Marker printed on stderr for every skipped test.
inline constexpr std::string_view k_skip_marker = "SHARECTL-TEST-SKIPPED";

// True when the environment variable CI is "true" or "1" (missing prerequisites then fail).
bool running_under_ci();

// Applies the skip policy to one condition: returns true when met; otherwise fails the current
// test (under CI) or reports it skipped (elsewhere) and returns false — the caller then returns.
bool prerequisite(bool met, std::string_view what_is_missing);

// prerequisite() for programs: true when every one is found by find_program.
bool programs_available(std::initializer_list<std::string_view> programs);

// prerequisite() for running as root (fixtures that create Unix users or chown need it).
bool running_as_root();

// The message of a failed Status/Result, or "" on success (for the macros below).
template <typename T>
std::string error_text(const std::expected<T, Error>& value) {
  return value ? std::string() : to_string(value.error());
}

} // namespace sharectl::test

// Ends the current test early (skip, or fail under CI) unless every program is installed.
#define SHARECTL_REQUIRE_PROGRAMS(...)                                                             \
  do {                                                                                             \
    if (!::sharectl::test::programs_available({__VA_ARGS__})) {                                    \
      return;                                                                                      \
    }                                                                                              \
  } while (false)

// Ends the current test early (skip, or fail under CI) unless we run as root.
#define SHARECTL_REQUIRE_ROOT()                                                                    \
  do {                                                                                             \
    if (!::sharectl::test::running_as_root()) {                                                    \
      return;                                                                                      \
    }                                                                                              \
  } while (false)

// CHECKs that a Status/Result holds a value, printing the Error's code and message if not.
#define SHARECTL_CHECK_OK(expr)                                                                    \
  do {                                                                                             \
    const auto& sharectl_check_value = (expr);                                                     \
    CHECK_MESSAGE(sharectl_check_value.has_value(),                                                \
                  ::sharectl::test::error_text(sharectl_check_value));                             \
  } while (false)

// REQUIREs that a Status/Result holds a value (ends the test otherwise), printing the Error.
#define SHARECTL_REQUIRE_OK(expr)                                                                  \
  do {                                                                                             \
    const auto& sharectl_require_value = (expr);                                                   \
    REQUIRE_MESSAGE(sharectl_require_value.has_value(),                                            \
                    ::sharectl::test::error_text(sharectl_require_value));                         \
  } while (false)
