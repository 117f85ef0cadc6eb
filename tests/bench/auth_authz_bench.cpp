// Benchmark of authorization evaluation: decisions per second for a caller with 20 bindings
// (cluster and space scoped, built-in and custom roles of 10 rules each) over a mix of
// resources, and for the admin-flag fast path. No thresholds: the figures are for reading.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "agent/authz/authorize.hpp"

using namespace sharectl;
using namespace sharectl::agent::authz;
using SteadyClock = std::chrono::steady_clock;

namespace {

double decisions_per_second(const Subject& who, const std::vector<EffectiveBinding>& bindings,
                            const RoleCatalog& catalog, const std::vector<Resource>& resources,
                            int rounds, int* allowed) {
  const auto actions = all_actions();
  const auto start = SteadyClock::now();
  long n = 0;
  for (int r = 0; r < rounds; ++r) {
    for (const Resource& res : resources) {
      const Action& a = actions[static_cast<std::size_t>(n) % actions.size()];
      *allowed += authorize(who, a, res, bindings, catalog).allowed ? 1 : 0;
      ++n;
    }
  }
  const double s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return static_cast<double>(n) / s;
}

} // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2000;
  RoleCatalog catalog = RoleCatalog::with_builtins();
  for (int i = 0; i < 50; ++i) {
    RoleDef role{"custom-" + std::to_string(i), "custom-" + std::to_string(i), {}, false};
    for (int j = 0; j < 10; ++j) {
      role.rules.push_back({"spaces/team" + std::to_string(j) + "/*", Level::modify, j});
    }
    role.rules.push_back({"shares/**", Level::view, 0});
    if (!catalog.add(std::move(role))) {
      return 1;
    }
  }
  std::vector<EffectiveBinding> bindings;
  for (int i = 0; i < 16; ++i) {
    bindings.push_back({"custom-" + std::to_string(i * 3), std::nullopt, "group g"});
  }
  bindings.push_back({"viewer", std::nullopt, "user"});
  for (int i = 0; i < 3; ++i) {
    bindings.push_back({"admin", "s-" + std::to_string(i), "user"});
  }
  std::vector<Resource> resources;
  for (int i = 0; i < 20; ++i) {
    const std::string s = std::to_string(i);
    resources.push_back({space_resource("team" + s, "p" + s), SpaceContext{"s-" + s, "u-o" + s}});
    resources.push_back({share_resource("share" + s), SpaceContext{"s-" + s, "u-o" + s}});
    resources.push_back({user_resource("user" + s), std::nullopt});
  }
  resources.push_back({audit_resource(), std::nullopt});

  int allowed = 0;
  const Subject user{"u-1", "someone", true, false, false};
  const double rate = decisions_per_second(user, bindings, catalog, resources, rounds, &allowed);
  const Subject admin{"u-2", "root", true, true, false};
  const double admin_rate =
      decisions_per_second(admin, bindings, catalog, resources, rounds, &allowed);
  std::printf("authorization: %zu bindings, %zu roles, %zu resources\n", bindings.size(),
              catalog.roles().size(), resources.size());
  std::printf("  20 bindings:      %12.0f decisions/s (%.2f us each)\n", rate, 1e6 / rate);
  std::printf("  admin flag:       %12.0f decisions/s (%.2f us each)\n", admin_rate,
              1e6 / admin_rate);
  std::printf("  (allowed %d)\n", allowed);
  return 0;
}
