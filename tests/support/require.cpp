#include "tests/support/require.hpp"

#include <cstdlib>
#include <iostream>

#include <unistd.h>

namespace sharectl::test {

bool running_under_ci() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr) {
    return false;
  }
  const std::string_view value = ci;
  return value == "true" || value == "1" || value == "TRUE" || value == "True";
}

bool prerequisite(bool met, std::string_view what_is_missing) {
  if (met) {
    return true;
  }
  const auto* current = doctest::getContextOptions()->currentTest;
  const char* test_name = current != nullptr ? current->m_name : "";
  if (running_under_ci()) {
    const std::string message = "prerequisite missing under CI=" + std::string(std::getenv("CI")) +
                                ": " + std::string(what_is_missing) +
                                " (scripts/test installs every test dependency)";
    FAIL_CHECK(message);
    return false;
  }
  std::cerr << k_skip_marker << ": " << test_name << ": " << what_is_missing << '\n';
  const std::string message = std::string(k_skip_marker) + ": " + std::string(what_is_missing) +
                              " - test skipped (under CI=true it would fail)";
  MESSAGE(message);
  return false;
}

bool programs_available(std::initializer_list<std::string_view> programs) {
  std::string missing;
  for (const std::string_view program : programs) {
    if (!find_program(program)) {
      missing += missing.empty() ? "" : ", ";
      missing += program;
    }
  }
  return prerequisite(missing.empty(), "program(s) not installed: " + missing);
}

bool running_as_root() {
  return prerequisite(::geteuid() == 0, "this test must run as root");
}

} // namespace sharectl::test
