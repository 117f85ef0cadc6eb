// Role catalog, built-in roles, resource names and the action table.
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "agent/authz/resources.hpp"
#include "agent/authz/roles.hpp"

using namespace sharectl;
using namespace sharectl::agent::authz;

TEST_SUITE("authz") {

  TEST_CASE("roles: the built-in roles, resource by resource") {
    const RoleCatalog catalog = RoleCatalog::with_builtins();
    struct Case {
      std::string_view role;
      std::string_view resource;
      std::optional<Level> level;
    };
    const Case cases[] = {
        {"admin", "spaces/alice/proj", Level::admin},
        {"admin", "users/bob", Level::admin},
        {"admin", "audit", Level::admin},
        {"maintainer", "spaces/alice/proj", Level::modify},
        {"maintainer", "shares/proj", Level::modify},
        {"maintainer", "groups/eng", Level::modify},
        {"maintainer", "servers/s1/filesystems/f1", Level::modify},
        {"maintainer", "users/bob", Level::view},
        {"maintainer", "roles/viewer", Level::view},
        {"maintainer", "audit", Level::modify},
        {"viewer", "spaces/alice/proj", Level::view},
        {"viewer", "audit", Level::view},
        {"client", "spaces/alice/proj", Level::client},
        {"client", "shares/proj", Level::client},
        {"client", "users/bob", std::nullopt},
        {"client", "audit", std::nullopt},
        {"client", "servers/s1", std::nullopt},
    };
    for (const Case& c : cases) {
      CAPTURE(c.role);
      CAPTURE(c.resource);
      const RoleDef* role = catalog.find_by_name(c.role);
      REQUIRE(role != nullptr);
      CHECK(role->builtin);
      CHECK(role->level_for(c.resource) == c.level);
    }
    CHECK(catalog.roles().size() == 4);
    CHECK(catalog.find("viewer") == catalog.find_by_name("viewer"));
    CHECK(catalog.find("nope") == nullptr);
  }

  TEST_CASE("roles: add sorts by priority, refuses duplicates and bad globs") {
    RoleCatalog catalog;
    REQUIRE(catalog.add({"id-1", "ops", {{"a/**", Level::view, 1}, {"a/b", Level::admin, 9}}}));
    const RoleDef* ops = catalog.find("id-1");
    REQUIRE(ops != nullptr);
    CHECK(ops->rules.front().glob == "a/b");
    CHECK(ops->level_for("a/b") == Level::admin);
    CHECK(ops->level_for("a/c") == Level::view);
    CHECK_FALSE(ops->level_for("b"));

    auto dup_id = catalog.add({"id-1", "other", {}});
    REQUIRE_FALSE(dup_id);
    CHECK(dup_id.error().code == ErrorCode::conflict);
    auto dup_name = catalog.add({"id-2", "ops", {}});
    REQUIRE_FALSE(dup_name);
    CHECK(dup_name.error().code == ErrorCode::conflict);
    auto bad = catalog.add({"id-3", "bad", {{"spaces/[ab]", Level::view, 0}}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::bad_request);
    CHECK(bad.error().message.find("role bad") != std::string::npos);
  }

  TEST_CASE("roles: from_store groups rules by role and fills built-in rows") {
    model::Role custom;
    custom.id = "r-custom";
    custom.name = "alice-ops";
    model::Role viewer;
    viewer.id = "r-viewer";
    viewer.name = "viewer";
    viewer.builtin = true;
    model::Rule r1;
    r1.role_id = "r-custom";
    r1.resource_glob = "spaces/alice/*";
    r1.level = Level::modify;
    r1.priority = 1;
    model::Rule r2 = r1;
    r2.resource_glob = "spaces/**";
    r2.level = Level::view;
    r2.priority = 1;
    model::Rule orphan = r1;
    orphan.role_id = "r-gone";
    auto catalog = RoleCatalog::from_store({custom, viewer}, {r1, r2, orphan});
    REQUIRE(catalog);
    const RoleDef* c = catalog->find("r-custom");
    REQUIRE(c != nullptr);
    CHECK(c->rules.size() == 2);
    CHECK(c->level_for("spaces/alice/x") == Level::modify); // tie: first stored wins
    CHECK(c->level_for("spaces/bob/x") == Level::view);
    const RoleDef* v = catalog->find("r-viewer");
    REQUIRE(v != nullptr);
    CHECK(v->level_for("audit") == Level::view);

    model::Rule bad = r1;
    bad.resource_glob = "spaces/{a,b}";
    CHECK_FALSE(RoleCatalog::from_store({custom}, {bad}));
  }

  TEST_CASE("resources: the naming scheme") {
    CHECK(space_resource("alice", "proj") == "spaces/alice/proj");
    CHECK(share_resource("proj") == "shares/proj");
    CHECK(user_resource("bob") == "users/bob");
    CHECK(group_resource("eng") == "groups/eng");
    CHECK(role_resource("viewer") == "roles/viewer");
    CHECK(server_resource("storage1") == "servers/storage1");
    CHECK(filesystem_resource("storage1", "f-1") == "servers/storage1/filesystems/f-1");
    CHECK(iscsi_resource("iqn.2024-01.org.example:t1") == "iscsi/iqn.2024-01.org.example:t1");
    CHECK(notify_resource("ops-mail") == "notify/ops-mail");
    CHECK(audit_resource() == "audit");
  }

  TEST_CASE("resources: action names are unique, dotted and findable") {
    std::set<std::string_view> names;
    for (const Action& a : all_actions()) {
      CAPTURE(a.name);
      CHECK(names.insert(a.name).second);
      CHECK(a.name.find('.') != std::string_view::npos);
      CHECK_FALSE(a.description.empty());
      CHECK(find_action(a.name) == &a);
    }
    CHECK(find_action("spaces.create")->needed == Level::modify);
    CHECK(find_action("shares.use")->needed == Level::client);
    CHECK(find_action("shares.acl.write")->needed == Level::admin);
    CHECK(find_action("nope") == nullptr);
  }

} // TEST_SUITE("authz")
