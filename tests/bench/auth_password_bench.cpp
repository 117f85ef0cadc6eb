// Benchmark of password hashing and verification, side by side: argon2id at the OWASP
// parameters the agent uses (hash and verify), burn_equal_time (the unknown-user path), and the
// legacy formats it still verifies (bcrypt cost 10, md5-crypt, bare MD5). Prints the median
// and p90 of N runs of each. No thresholds: the figures are for reading (and for sizing the
// login pool: one core verifies about 1000 / median_ms argon2id logins a second).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "agent/auth/password.hpp"

using namespace sharectl;
using namespace sharectl::agent::auth;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* k_password = "correct horse battery";
constexpr const char* k_bcrypt10 = "$2b$10$dnXf97VD6UBkMUTFanqAKOAQ2xxaZQvGoEmt9ytObD3G02HS1nMN2";
constexpr const char* k_md5_crypt = "$1$2tS8vsC1$RPJG5kWaG671q1OVTur9W0";
constexpr const char* k_md5_hex = "88e4ddd2402d92d50e1879d6ecd9ffd4";

struct Figures {
  double median_ms = 0;
  double p90_ms = 0;
};

Figures measure(int runs, const std::function<void()>& fn) {
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(runs));
  fn(); // warm-up
  for (int i = 0; i < runs; ++i) {
    const auto start = SteadyClock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 9 / 10]};
}

void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "auth_password_bench: %s failed\n", what);
    std::exit(1);
  }
}

} // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(3, std::atoi(argv[1])) : 21;
  auto stored = hash_password(k_password);
  must(stored.has_value(), "hash_password");

  struct Row {
    const char* name;
    Figures figures;
  };
  std::vector<Row> rows;
  rows.push_back({"argon2id hash (m=19MiB,t=2,p=1)", measure(runs, [] {
                    auto h = hash_password(k_password);
                    must(h.has_value(), "hash_password");
                  })});
  rows.push_back({"argon2id verify", measure(runs, [&] {
                    auto v = verify_password(k_password, *stored);
                    must(v && v->ok, "argon2id verify");
                  })});
  rows.push_back(
      {"burn_equal_time (unknown user)", measure(runs, [] { burn_equal_time(k_password); })});
  rows.push_back({"bcrypt cost 10 verify (legacy)", measure(runs, [] {
                    auto v = verify_password(k_password, k_bcrypt10);
                    must(v && v->ok, "bcrypt verify");
                  })});
  rows.push_back({"md5-crypt verify (legacy)", measure(runs, [] {
                    auto v = verify_password(k_password, k_md5_crypt);
                    must(v && v->ok, "md5-crypt verify");
                  })});
  rows.push_back({"bare MD5 verify (legacy)", measure(runs, [] {
                    auto v = verify_password(k_password, k_md5_hex);
                    must(v && v->ok, "md5 verify");
                  })});

  std::printf("password hashing, %d runs each (median / p90, milliseconds)\n", runs);
  for (const Row& r : rows) {
    std::printf("  %-34s %9.3f  %9.3f\n", r.name, r.figures.median_ms, r.figures.p90_ms);
  }
  std::printf("  argon2id verifications per second per core: %.0f\n",
              1000.0 / rows[1].figures.median_ms);
  return 0;
}
