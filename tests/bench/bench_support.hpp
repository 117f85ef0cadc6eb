// What the benchmark programs share: failing loudly (die/must throw, so fixtures' destructors
// still unmount and stop what they started), medians and the time since a point. Header-only:
// each *_bench.cpp is its own program.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "common/util/error.hpp"

namespace sharectl::bench {

using Clock = std::chrono::steady_clock;

// Throws std::runtime_error(message); main() catches it, prints it and exits 1.
[[noreturn]] inline void die(const std::string& message) {
  throw std::runtime_error(message);
}

// The value, or die() with "what: message".
template <typename T>
T must(Result<T> value, std::string_view what) {
  if (!value) {
    die(fmt::format("{}: {}", what, value.error().message));
  }
  return std::move(*value);
}

inline void must(const Status& status, std::string_view what) {
  if (!status) {
    die(fmt::format("{}: {}", what, status.error().message));
  }
}

// The median (mean of the middle two for an even count); 0 for none.
inline double median(std::vector<double> values) {
  if (values.empty()) {
    return 0;
  }
  std::ranges::sort(values);
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The value at fraction p (0..1) of the sorted values (nearest rank); 0 for none.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) {
    return 0;
  }
  std::ranges::sort(values);
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

// main() of a benchmark: runs run(argc, argv) and turns a die() into "name: message", exit 1.
template <typename Run>
int guarded_main(const char* name, Run run, int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) { // die(): fixtures were stopped on the way out
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

// Milliseconds since start.
inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

} // namespace sharectl::bench
