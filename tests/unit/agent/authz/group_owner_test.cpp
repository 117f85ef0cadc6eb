// The group-owner rule of the authorization evaluator: the creator of a local group is admin on
// groups/<name> (members, delete) and on nothing else; a plain user cannot create groups; a
// custom role's prioritized rules decide which group names its holders may create.
#include <doctest/doctest.h>

#include "agent/authz/authorize.hpp"

using namespace sharectl;
using namespace sharectl::agent::authz;

namespace {

Subject user(std::string name) {
  return Subject{"u-" + name, std::move(name), true, false, false};
}

Resource group(std::string name, std::optional<model::Id> owner) {
  Resource r;
  r.path = "groups/" + name;
  r.owner_id = std::move(owner);
  return r;
}

} // namespace

TEST_CASE("the owner of a group administers it, and only it") {
  const RoleCatalog catalog = RoleCatalog::with_builtins();
  const Subject mia = user("mia");
  const Subject bob = user("bob");
  CHECK(authorize(mia, "groups.update", group("eng", "u-mia"), {}, catalog).allowed);
  CHECK(authorize(mia, "groups.delete", group("eng", "u-mia"), {}, catalog).allowed);
  const auto other = authorize(mia, "groups.update", group("ops", "u-bob"), {}, catalog);
  CHECK_FALSE(other.allowed);
  CHECK(other.reason.find("groups/ops") != std::string::npos);
  CHECK_FALSE(authorize(bob, "groups.create", group("new", std::nullopt), {}, catalog).allowed);
  // An external group has no owner: nobody gets admin through ownership.
  CHECK_FALSE(authorize(mia, "groups.update", group("ldap", std::nullopt), {}, catalog).allowed);
  const auto decision = authorize(mia, "groups.delete", group("eng", "u-mia"), {}, catalog);
  CHECK(decision.reason.find("owner of the group") != std::string::npos);
}

TEST_CASE("a custom role's first matching rule by priority decides which groups it may create") {
  RoleCatalog catalog = RoleCatalog::with_builtins();
  RoleDef lead{"r-lead",
               "team-lead",
               {{"groups/**", Level::modify, 0}, {"groups/secret-*", Level::view, 10}},
               false};
  REQUIRE(catalog.add(lead).has_value());
  const Subject carol = user("carol");
  const std::vector<EffectiveBinding> bound{{"r-lead", std::nullopt, "user"}};
  CHECK(authorize(carol, "groups.create", group("team-a", std::nullopt), bound, catalog).allowed);
  CHECK(authorize(carol, "groups.create", group("x/team-a", std::nullopt), bound, catalog)
            .allowed); // ** crosses segments
  const auto secret =
      authorize(carol, "groups.create", group("secret-x", std::nullopt), bound, catalog);
  CHECK_FALSE(secret.allowed);
  CHECK(secret.reason.find("team-lead role cannot") != std::string::npos);
  CHECK(authorize(carol, "groups.read", group("secret-x", std::nullopt), bound, catalog).allowed);
  CHECK_FALSE(
      authorize(carol, "shares.create", Resource{"shares/x", std::nullopt, false}, bound, catalog)
          .allowed); // deny by default outside the rules
}
