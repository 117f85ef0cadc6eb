// The authorization evaluator, table-driven: callers × actions × resources, plus the rules
// behind it (priorities, ties, max across bindings, scopes, ownership, flags, reasons).
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "agent/authz/authorize.hpp"

using namespace sharectl;
using namespace sharectl::agent::authz;

namespace {

// A caller of the matrix: who, and the bindings the store would return for them.
struct Caller {
  std::string name;
  Subject subject;
  std::vector<EffectiveBinding> bindings;
};

Subject user(std::string name, bool admin = false, bool manager = false, bool active = true) {
  return Subject{"u-" + name, name, active, admin, manager};
}

EffectiveBinding cluster(std::string role) {
  return EffectiveBinding{std::move(role), std::nullopt, "user"};
}

EffectiveBinding on_space(std::string role, std::string space_id, std::string via = "user") {
  return EffectiveBinding{std::move(role), std::move(space_id), std::move(via)};
}

const Resource k_proj{"spaces/alice/proj", SpaceContext{"s-proj", "u-alice"}, false};
const Resource k_other{"spaces/alice/other", SpaceContext{"s-other", "u-alice"}, false};
const Resource k_new_bob{"spaces/bob/new", SpaceContext{std::nullopt, "u-bob"}, false};
const Resource k_new_kim{"spaces/kim/mine", SpaceContext{std::nullopt, "u-kim"}, false};
const Resource k_share{"shares/proj", SpaceContext{"s-proj", "u-alice"}, false};
const Resource k_user_kim{"users/kim", std::nullopt, false};
const Resource k_user_frank{"users/frank", std::nullopt, true};
const Resource k_group{"groups/eng", std::nullopt, false};
const Resource k_role{"roles/viewer", std::nullopt, false};
const Resource k_server{"servers/storage1", std::nullopt, false};
const Resource k_audit{"audit", std::nullopt, false};

std::vector<Caller> callers() {
  return {
      {"anon-like (no bindings)", user("kim"), {}},
      {"owner", user("alice"), {}},
      {"viewer", user("bob"), {cluster("viewer")}},
      {"client", user("dave"), {cluster("client")}},
      {"maintainer", user("carol"), {cluster("maintainer")}},
      {"admin role", user("erin"), {cluster("admin")}},
      {"admin flag", user("frank", true), {}},
      {"manager flag", user("gina", false, true), {}},
      {"space admin", user("hank"), {on_space("admin", "s-proj")}},
      {"space client via group", user("ivy"), {on_space("client", "s-proj", "group g-eng")}},
      {"disabled admin", user("judy", true, false, false), {cluster("admin")}},
  };
}

const Caller& caller(const std::vector<Caller>& all, std::string_view name) {
  for (const Caller& c : all) {
    if (c.name == name) {
      return c;
    }
  }
  FAIL("no caller " << name);
  return all.front();
}

} // namespace

TEST_SUITE("authz") {

  TEST_CASE("authorize: the caller × action × resource matrix") {
    const RoleCatalog catalog = RoleCatalog::with_builtins();
    const auto all = callers();
    struct Case {
      std::string_view caller;
      std::string_view action;
      const Resource* resource;
      bool allowed;
    };
    const Case cases[] = {
        // Deny by default: a user with no bindings sees nothing of others…
        {"anon-like (no bindings)", "spaces.read", &k_proj, false},
        {"anon-like (no bindings)", "shares.read", &k_share, false},
        {"anon-like (no bindings)", "users.read", &k_user_kim, true}, // own user
        {"anon-like (no bindings)", "users.update", &k_user_kim, false},
        {"anon-like (no bindings)", "audit.read", &k_audit, false},
        {"anon-like (no bindings)", "servers.read", &k_server, false},
        // …but owns what they create (self-service spaces).
        {"anon-like (no bindings)", "spaces.create", &k_new_kim, true},
        {"anon-like (no bindings)", "spaces.create", &k_new_bob, false},
        // The owner is admin of their spaces and their shares.
        {"owner", "spaces.delete", &k_proj, true},
        {"owner", "shares.acl.write", &k_share, true},
        {"owner", "shares.create", &k_share, true},
        {"owner", "users.read", &k_user_kim, false},
        {"owner", "audit.read", &k_audit, false},
        // viewer: view on everything, nothing more.
        {"viewer", "spaces.read", &k_proj, true},
        {"viewer", "shares.read", &k_share, true},
        {"viewer", "shares.use", &k_share, false},
        {"viewer", "spaces.create", &k_new_bob, true}, // bob owns spaces/bob/*
        {"viewer", "spaces.update", &k_proj, false},
        {"viewer", "users.read", &k_user_kim, true},
        {"viewer", "roles.read", &k_role, true},
        {"viewer", "audit.read", &k_audit, true},
        {"viewer", "servers.manage", &k_server, false},
        // client: use spaces and shares; nothing else.
        {"client", "shares.use", &k_share, true},
        {"client", "spaces.use", &k_proj, true},
        {"client", "spaces.read", &k_proj, true},
        {"client", "shares.update", &k_share, false},
        {"client", "users.read", &k_user_kim, false},
        {"client", "audit.read", &k_audit, false},
        {"client", "servers.read", &k_server, false},
        // maintainer: modify on everything except users and roles (view there).
        {"maintainer", "spaces.create", &k_new_bob, true},
        {"maintainer", "spaces.delete", &k_proj, true},
        {"maintainer", "shares.update", &k_share, true},
        {"maintainer", "shares.acl.write", &k_share, false},
        {"maintainer", "groups.update", &k_group, true},
        {"maintainer", "users.read", &k_user_kim, true},
        {"maintainer", "users.create", &k_user_kim, false},
        {"maintainer", "users.delete", &k_user_kim, false},
        {"maintainer", "roles.read", &k_role, true},
        {"maintainer", "roles.bind", &k_role, false},
        {"maintainer", "audit.read", &k_audit, true},
        {"maintainer", "servers.read", &k_server, true},
        {"maintainer", "servers.manage", &k_server, false},
        // admin role and admin flag: everything.
        {"admin role", "roles.bind", &k_role, true},
        {"admin role", "users.flags", &k_user_frank, true},
        {"admin role", "servers.manage", &k_server, true},
        {"admin flag", "users.delete", &k_user_kim, true},
        {"admin flag", "shares.acl.write", &k_share, true},
        {"admin flag", "audit.read", &k_audit, true},
        // manager flag: users and groups, but not admins, flags or roles.
        {"manager flag", "users.create", &k_user_kim, true},
        {"manager flag", "users.delete", &k_user_kim, true},
        {"manager flag", "users.update", &k_user_frank, false},
        {"manager flag", "users.flags", &k_user_kim, false},
        {"manager flag", "groups.create", &k_group, true},
        {"manager flag", "roles.bind", &k_role, false},
        {"manager flag", "spaces.read", &k_proj, false},
        // A space-scoped binding reaches that space and its shares, nothing else.
        {"space admin", "spaces.delete", &k_proj, true},
        {"space admin", "shares.acl.write", &k_share, true},
        {"space admin", "spaces.read", &k_other, false},
        {"space admin", "users.read", &k_user_kim, false},
        {"space admin", "audit.read", &k_audit, false},
        {"space admin", "spaces.create", &k_new_bob, false},
        {"space client via group", "shares.use", &k_share, true},
        {"space client via group", "shares.update", &k_share, false},
        {"space client via group", "spaces.use", &k_other, false},
        // A disabled user holds nothing, flags and roles included.
        {"disabled admin", "spaces.read", &k_proj, false},
        {"disabled admin", "users.read", &k_user_kim, false},
    };
    for (const Case& c : cases) {
      const Caller& who = caller(all, c.caller);
      CAPTURE(c.caller);
      CAPTURE(c.action);
      CAPTURE(c.resource->path);
      const Decision d = authorize(who.subject, c.action, *c.resource, who.bindings, catalog);
      CAPTURE(d.reason);
      CHECK(d.allowed == c.allowed);
      CHECK_FALSE(d.reason.empty());
    }
  }

  TEST_CASE("authorize: every action is denied by default and allowed by the admin flag") {
    const RoleCatalog catalog = RoleCatalog::with_builtins();
    const Resource resources[] = {k_proj, k_share, k_user_kim, k_group, k_role, k_server, k_audit};
    for (const Action& action : all_actions()) {
      for (const Resource& r : resources) {
        CAPTURE(action.name);
        CAPTURE(r.path);
        Subject stranger = user("zed");
        CHECK_FALSE(authorize(stranger, action, r, {}, catalog).allowed);
        CHECK(authorize(user("root", true), action, r, {}, catalog).allowed);
      }
    }
  }

  TEST_CASE("authorize: reasons say which role and which level were missing") {
    const RoleCatalog catalog = RoleCatalog::with_builtins();
    const Decision viewer =
        authorize(user("bob"), "spaces.create", k_proj, {cluster("viewer")}, catalog);
    CHECK_FALSE(viewer.allowed);
    CHECK(viewer.reason ==
          "viewer role cannot create spaces: needs modify on spaces/alice/proj, viewer gives view");

    const Decision nobody = authorize(user("kim"), "spaces.read", k_proj, {}, catalog);
    CHECK(nobody.reason == "cannot view spaces: no role grants view on spaces/alice/proj");

    const Decision self = authorize(user("kim"), "users.delete", k_user_kim, {}, catalog);
    CHECK(self.reason == "cannot delete users: needs modify on users/kim, own user gives view");

    const Decision ok =
        authorize(user("hank"), "shares.read", k_share, {on_space("admin", "s-proj")}, catalog);
    CHECK(ok.allowed);
    CHECK(ok.reason == "allowed by role admin (space s-proj, via user)");
    CHECK(ok.grant.level == Level::admin);
    CHECK(ok.grant.role_name == "admin");

    const Decision unknown = authorize(user("frank", true), "spaces.explode", k_proj, {}, catalog);
    CHECK_FALSE(unknown.allowed);
    CHECK(unknown.reason.find("unknown action") != std::string::npos);

    const Decision disabled =
        authorize(user("judy", true, false, false), "spaces.read", k_proj, {}, catalog);
    CHECK(disabled.reason == "user judy is disabled");
  }

  TEST_CASE("authorize: within a role the highest priority wins, ties go to the first listed") {
    RoleCatalog catalog;
    REQUIRE(catalog.add({"r1",
                         "alice-editor",
                         {{"**", Level::view, 0},
                          {"spaces/alice/*", Level::modify, 10},
                          {"spaces/alice/secret", Level::view, 20}},
                         false}));
    REQUIRE(catalog.add({"r2",
                         "tie",
                         {{"spaces/*/proj", Level::client, 5}, {"spaces/alice/*", Level::admin, 5}},
                         false}));
    const std::vector<EffectiveBinding> editor = {cluster("r1")};
    const Resource secret{"spaces/alice/secret", SpaceContext{"s-secret", "u-alice"}, false};
    const Resource bobs{"spaces/bob/x", SpaceContext{"s-x", "u-bob"}, false};
    CHECK(effective_grant(user("leo"), k_proj, editor, catalog).level == Level::modify);
    CHECK(effective_grant(user("leo"), secret, editor, catalog).level == Level::view);
    CHECK(effective_grant(user("leo"), bobs, editor, catalog).level == Level::view);
    // Both tie rules match spaces/alice/proj at priority 5: the first listed (client) decides.
    CHECK(effective_grant(user("leo"), k_proj, {cluster("r2")}, catalog).level == Level::client);
    CHECK(effective_grant(user("leo"), k_other, {cluster("r2")}, catalog).level == Level::admin);
    // A role whose rules match nothing grants nothing.
    CHECK_FALSE(effective_grant(user("leo"), k_audit, {cluster("r2")}, catalog).level);
  }

  TEST_CASE("authorize: across bindings the highest level wins") {
    const RoleCatalog catalog = RoleCatalog::with_builtins();
    const std::vector<EffectiveBinding> many = {cluster("viewer"), on_space("client", "s-proj"),
                                                on_space("admin", "s-other"),
                                                cluster("no-such-role")};
    const Subject mia = user("mia");
    CHECK(effective_grant(mia, k_proj, many, catalog).level == Level::client);
    CHECK(effective_grant(mia, k_user_kim, many, catalog).level == Level::view);
    CHECK(effective_grant(mia, k_share, many, catalog).level == Level::client);
    CHECK(effective_grant(mia, k_other, many, catalog).level == Level::admin);
    CHECK(effective_grant(mia, k_audit, many, catalog).level == Level::view);
    // Ownership and roles combine the same way: owner admin beats a cluster viewer binding.
    CHECK(effective_grant(user("alice"), k_proj, {cluster("viewer")}, catalog).level ==
          Level::admin);
    CHECK(effective_grant(user("alice"), k_proj, {cluster("viewer")}, catalog).source ==
          "owner of the space");
  }

  TEST_CASE("authorize: a space binding never applies to a resource outside that space") {
    const RoleCatalog catalog = RoleCatalog::with_builtins();
    const std::vector<EffectiveBinding> b = {on_space("admin", "s-proj")};
    // A new space has no id yet: space bindings cannot reach it.
    const Resource fresh{"spaces/alice/proj2", SpaceContext{std::nullopt, "u-alice"}, false};
    CHECK_FALSE(effective_grant(user("hank"), fresh, b, catalog).level);
    // A resource claiming the path of the space but no space context is not covered either.
    const Resource bare{"spaces/alice/proj", std::nullopt, false};
    CHECK_FALSE(effective_grant(user("hank"), bare, b, catalog).level);
  }

  TEST_CASE("authorize: subject_of and effective_binding map stored objects") {
    model::User u;
    u.id = "u-1";
    u.username = "nina";
    u.is_manager = true;
    u.is_active = false;
    const Subject s = subject_of(u);
    CHECK(s.user_id == "u-1");
    CHECK(s.username == "nina");
    CHECK(s.is_manager);
    CHECK_FALSE(s.is_admin);
    CHECK_FALSE(s.is_active);

    model::Binding b;
    b.role_id = "r-9";
    b.subject_kind = model::SubjectKind::external_group;
    b.subject = "CN=Storage Admins";
    b.space_id = "s-1";
    const EffectiveBinding e = effective_binding(b);
    CHECK(e.role_id == "r-9");
    CHECK(e.space_id == std::optional<model::Id>("s-1"));
    CHECK(e.via == "external group CN=Storage Admins");
    b.subject_kind = model::SubjectKind::group;
    b.subject = "g-1";
    CHECK(effective_binding(b).via == "group g-1");
  }

} // TEST_SUITE("authz")
