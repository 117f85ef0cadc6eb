// Escalation prevention: glob containment and intersection, a role holding a rule under
// priorities, and who holds what a group, a binding or a role's rules would give.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/authz/escalation.hpp"

using namespace sharectl;
using namespace sharectl::agent::authz;

namespace {

Subject user(std::string name, bool admin = false, bool manager = false, bool active = true) {
  return Subject{"u-" + name, name, active, admin, manager};
}

EffectiveBinding cluster(std::string role) {
  return EffectiveBinding{std::move(role), std::nullopt, "user"};
}

EffectiveBinding on_space(std::string role, std::string space_id) {
  return EffectiveBinding{std::move(role), std::move(space_id), "user"};
}

RoleDef custom(std::string name, std::vector<RuleDef> rules) {
  return RoleDef{name, name, std::move(rules), false};
}

RoleCatalog catalog_with(std::vector<RoleDef> extra) {
  RoleCatalog catalog = RoleCatalog::with_builtins();
  for (auto& role : extra) {
    REQUIRE(catalog.add(std::move(role)));
  }
  return catalog;
}

std::vector<RuleDef> rules_of(const RoleCatalog& catalog, std::string_view name) {
  const RoleDef* role = catalog.find_by_name(name);
  REQUIRE(role != nullptr);
  return role->rules;
}

const Scope k_cluster{};
const Scope k_proj{SpaceContext{"s-proj", "u-alice"}};

} // namespace

TEST_CASE("glob containment is proved only from the globs' shapes") {
  CHECK(glob_contains("**", "users/**"));
  CHECK(glob_contains("spaces/**", "spaces/alice/*"));
  CHECK(glob_contains("spaces/**", "spaces/**"));
  CHECK(glob_contains("spaces/*", "spaces/proj"));
  CHECK(glob_contains("groups/team-**", "groups/team-a"));
  CHECK_FALSE(glob_contains("spaces/*", "spaces/**"));
  CHECK_FALSE(glob_contains("spaces/alice/*", "spaces/**"));
  CHECK_FALSE(glob_contains("users/**", "**"));
  CHECK_FALSE(glob_contains("spaces/*/x", "spaces/a*/x")); // true, but not provable: refused
  CHECK_FALSE(glob_contains("groups/**", "users/bob"));
}

TEST_CASE("globs intersect unless their literal prefixes part") {
  CHECK(globs_may_intersect("**", "users/bob"));
  CHECK(globs_may_intersect("users/**", "users/b*"));
  CHECK(globs_may_intersect("users/*", "users/bob"));
  CHECK_FALSE(globs_may_intersect("users/**", "groups/**"));
  CHECK_FALSE(globs_may_intersect("users/bob", "users/kim"));
  CHECK_FALSE(globs_may_intersect("users/*", "users/a/b"));
}

TEST_CASE("a role holds a rule only where its deciding rules give as much") {
  const RoleCatalog catalog = RoleCatalog::with_builtins();
  const RoleDef& admin = *catalog.find_by_name("admin");
  const RoleDef& maintainer = *catalog.find_by_name("maintainer");
  for (const auto& rule : rules_of(catalog, "maintainer")) {
    CHECK(role_holds(admin, rule));
  }
  // The maintainer's users/** view (priority 10) decides users before its ** modify.
  CHECK_FALSE(role_holds(maintainer, RuleDef{"**", Level::modify, 0}));
  CHECK_FALSE(role_holds(maintainer, RuleDef{"users/kim", Level::modify, 0}));
  CHECK(role_holds(maintainer, RuleDef{"users/kim", Level::view, 0}));
  CHECK(role_holds(maintainer, RuleDef{"spaces/**", Level::modify, 0}));
  CHECK_FALSE(role_holds(maintainer, RuleDef{"spaces/**", Level::admin, 0}));
  // Within a role whose users/** and roles/** view come first, its ** modify decides no user
  // and no role: the maintainer holds it there.
  const std::vector<RuleDef> first{{"users/**", Level::view, 10}, {"roles/**", Level::view, 10}};
  CHECK(role_holds(maintainer, RuleDef{"**", Level::modify, 0}, first));
  CHECK(role_holds(maintainer, RuleDef{"users/x", Level::admin, 0}, first)); // decides nothing
  CHECK_FALSE(role_holds(maintainer, RuleDef{"**", Level::admin, 0}, first));
  // Nothing matches: nothing held.
  CHECK_FALSE(role_holds(*catalog.find_by_name("client"), RuleDef{"users/**", Level::view, 0}));
}

TEST_CASE("only callers who hold all of a role may give it") {
  const RoleCatalog catalog =
      catalog_with({custom("binder", {{"roles/**", Level::admin, 0}}),
                    custom("team-admin", {{"groups/team-**", Level::admin, 0}})});
  const auto admin_rules = rules_of(catalog, "admin");
  const auto maintainer_rules = rules_of(catalog, "maintainer");
  const auto viewer_rules = rules_of(catalog, "viewer");

  SUBCASE("the admin flag holds everything, a disabled admin nothing") {
    CHECK_FALSE(first_rule_not_held(user("root", true), admin_rules, k_cluster, {}, catalog));
    CHECK(first_rule_not_held(user("root", true, false, false), viewer_rules, k_cluster, {},
                              catalog));
  }
  SUBCASE("a maintainer cannot give admin but can give the maintainer and viewer roles it holds") {
    const std::vector<EffectiveBinding> held{cluster("maintainer")};
    const auto missing = first_rule_not_held(user("mo"), admin_rules, k_cluster, held, catalog);
    REQUIRE(missing);
    CHECK(describe_rule(*missing) == "rule ** admin");
    CHECK_FALSE(first_rule_not_held(user("mo"), maintainer_rules, k_cluster, held, catalog));
    CHECK_FALSE(first_rule_not_held(user("mo"), viewer_rules, k_cluster, held, catalog));
  }
  SUBCASE("the manager flag holds groups at modify, not users (admin users are excepted)") {
    CHECK_FALSE(first_rule_not_held(user("max", false, true), {{"groups/**", Level::modify, 0}},
                                    k_cluster, {}, catalog));
    CHECK(first_rule_not_held(user("max", false, true), {{"users/**", Level::modify, 0}}, k_cluster,
                              {}, catalog));
    CHECK(first_rule_not_held(user("max", false, true), admin_rules, k_cluster, {}, catalog));
  }
  SUBCASE("a custom role allowed to bind roles does not hold what it would bind") {
    const std::vector<EffectiveBinding> held{cluster("binder")};
    CHECK(first_rule_not_held(user("bo"), admin_rules, k_cluster, held, catalog));
    CHECK(first_rule_not_held(user("bo"), viewer_rules, k_cluster, held, catalog));
    CHECK_FALSE(
        first_rule_not_held(user("bo"), {{"roles/x", Level::view, 0}}, k_cluster, held, catalog));
  }
  SUBCASE("a space's owner and a space's admin hold all a role gives on that space only") {
    CHECK_FALSE(first_rule_not_held(user("alice"), admin_rules, k_proj, {}, catalog));
    CHECK(first_rule_not_held(user("alice"), admin_rules, k_cluster, {}, catalog));
    const std::vector<EffectiveBinding> held{on_space("admin", "s-proj")};
    CHECK_FALSE(first_rule_not_held(user("sam"), admin_rules, k_proj, held, catalog));
    CHECK(first_rule_not_held(user("sam"), admin_rules, k_cluster, held, catalog));
    const Scope other{SpaceContext{"s-other", "u-alice"}};
    CHECK(first_rule_not_held(user("sam"), admin_rules, other, held, catalog));
  }
  SUBCASE("cluster bindings count at a space scope") {
    const std::vector<EffectiveBinding> held{cluster("maintainer")};
    CHECK_FALSE(first_rule_not_held(user("mo"), viewer_rules, k_proj, held, catalog));
  }
  SUBCASE("rules are held one by one, by any source") {
    const std::vector<EffectiveBinding> held{cluster("team-admin"), cluster("viewer")};
    CHECK_FALSE(first_rule_not_held(
        user("tina"), {{"groups/team-a", Level::admin, 5}, {"spaces/**", Level::view, 0}},
        k_cluster, held, catalog));
    const auto missing = first_rule_not_held(
        user("tina"), {{"groups/team-a", Level::admin, 5}, {"groups/ops", Level::modify, 0}},
        k_cluster, held, catalog);
    REQUIRE(missing);
    CHECK(missing->glob == "groups/ops");
  }
  SUBCASE("unknown roles hold nothing") {
    CHECK(
        first_rule_not_held(user("gone"), viewer_rules, k_cluster, {cluster("deleted")}, catalog));
  }
}
