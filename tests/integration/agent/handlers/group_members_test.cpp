// The member changes of several users at once (PATCH /api/v1/groups/{name}/members), the
// grants route (GET /api/v1/groups/{name}/grants) and the X-Sharectl-Revision of member changes
// and group deletes, against the in-process agent with a registered dir filesystem
// (storage_fixture.hpp): all or nothing, 404 naming the unknown users or non-members, one audit
// event per user, the group's shares marked pending at the answered revision.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/agent/handlers/storage_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Stores the built-in roles' rows (as `sharectl-agent init` does; their rules are compiled in).
void seed_builtin_roles(store::Store& store) {
  auto seeded = store.transact([](store::Tx& tx) -> Status {
    for (const char* name : {"admin", "maintainer", "viewer", "client"}) {
      model::Role role;
      role.name = name;
      role.builtin = true;
      if (auto created = tx.create(role); !created) {
        return std::unexpected(created.error());
      }
    }
    return {};
  });
  REQUIRE_MESSAGE(seeded.has_value(), test::error_text(seeded));
}

// An agent where alice owns the space and share "proj", granted (write) to the group "eng" that
// the admin root made, and users u1, u2, u3.
struct WithGroup {
  test::StorageAgent agent;
  http::HttpHeaders root = agent.user("root", std::nullopt, true);
  http::HttpHeaders alice = agent.user("alice");

  WithGroup() {
    for (const char* name : {"u1", "u2", "u3"}) {
      agent.add_user(name);
    }
    REQUIRE(agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "proj"}, {"size_bytes", k_mib}})
                .status == 201);
    REQUIRE(agent.as(root, "POST", "/api/v1/groups", json{{"name", "eng"}}).status == 201);
    REQUIRE(agent.as(alice, "PUT", "/api/v1/shares/proj/acl/group:eng", json{{"level", "write"}})
                .status == 200);
  }

  json members() {
    const auto shown = agent.as(root, "GET", "/api/v1/groups/eng");
    REQUIRE_MESSAGE(shown.status == 200, shown.body);
    return json::parse(shown.body)["members"];
  }

  model::Share share() {
    auto found = agent.store().view_result([](store::Tx& tx) { return tx.find_share("proj"); });
    REQUIRE_MESSAGE(found.has_value(), test::error_text(found));
    return *found;
  }

  // The revision header of an answer, 0 when absent.
  static model::Revision revision_of(const http::HttpResponse& answer) {
    const auto header = answer.header("X-Sharectl-Revision");
    return header ? std::stoll(std::string(*header)) : 0;
  }
};

} // namespace

TEST_CASE("group PATCH members: several users at once, all or nothing") {
  WithGroup w;
  auto& agent = w.agent;
  const std::string path = "/api/v1/groups/eng/members";

  // An unknown user fails the whole call and names every unknown one; nobody is added.
  auto refused = agent.as(w.root, "PATCH", path, json{{"add", {"u1", "bob2", "u2", "carl3"}}});
  CHECK(refused.status == 404);
  CHECK(test::message_of(refused) == "no users bob2, carl3");
  refused = agent.as(w.root, "PATCH", path, json{{"add", {"u1", "bob2"}}});
  CHECK(refused.status == 404);
  CHECK(test::message_of(refused) == "no user bob2");
  CHECK(w.members().empty());
  CHECK_FALSE(contains(agent.audit_text(), "add member"));

  // Both in one call, a duplicate ignored; the share is pending at the answered revision.
  const auto before = w.share().revision;
  const auto added = agent.as(w.root, "PATCH", path, json{{"add", {"u2", "u1", "u2"}}});
  REQUIRE_MESSAGE(added.status == 200, added.body);
  CHECK(json::parse(added.body)["members"] == json::array({"u1", "u2"}));
  const auto revision = WithGroup::revision_of(added);
  CHECK(revision > before);
  CHECK(w.share().revision == revision);
  CHECK(w.share().status == model::ObjectStatus::pending);
  const auto audit = agent.audit_text();
  CHECK(contains(audit, "allowed groups.update groups/eng add member u1"));
  CHECK(contains(audit, "allowed groups.update groups/eng add member u2"));
  const auto access = json::parse(agent.as(w.alice, "GET", "/api/v1/shares/proj/access").body);
  REQUIRE(access.size() == 2);
  CHECK(access[0]["level"] == "write");
  CHECK(access[0]["state"] == "active");

  // Adding members again is a no-op for them: no new revision, no header, no audit.
  const auto again = agent.as(w.root, "PATCH", path, json{{"add", {"u1", "u2"}}});
  REQUIRE(again.status == 200);
  CHECK_FALSE(again.header("X-Sharectl-Revision").has_value());
  CHECK(w.share().revision == revision);
  // Partly new: only u3 is added.
  const auto more = agent.as(w.root, "PATCH", path, json{{"add", {"u1", "u3"}}});
  REQUIRE(more.status == 200);
  CHECK(json::parse(more.body)["members"] == json::array({"u1", "u2", "u3"}));

  // Removing a non-member fails the whole call, naming them.
  const auto not_member = agent.as(w.root, "PATCH", path, json{{"remove", {"u1", "alice"}}});
  CHECK(not_member.status == 404);
  CHECK(test::message_of(not_member) == "alice is not a member of group eng");
  CHECK(w.members().size() == 3);
  const auto removed = agent.as(w.root, "PATCH", path, json{{"remove", {"u1", "u3"}}});
  REQUIRE_MESSAGE(removed.status == 200, removed.body);
  CHECK(json::parse(removed.body)["members"] == json::array({"u2"}));
  CHECK(WithGroup::revision_of(removed) > revision);
  CHECK(w.share().revision == WithGroup::revision_of(removed));
  CHECK(contains(agent.audit_text(), "allowed groups.update groups/eng remove member u3"));

  // Bad bodies change nothing.
  for (const json& bad : {json::object(), json{{"add", {"u1"}}, {"remove", {"u2"}}},
                          json{{"add", json::array()}}, json{{"add", "u1"}}, json{{"add", {"U1"}}},
                          json{{"add", {"u1"}}, {"extra", 1}}, json{{"remove", {1}}}}) {
    CAPTURE(bad.dump());
    CHECK(agent.as(w.root, "PATCH", path, bad).status == 400);
  }
  json many = json::array();
  for (int i = 0; i <= 1000; ++i) {
    many.push_back("x" + std::to_string(i));
  }
  const auto too_many = agent.as(w.root, "PATCH", path, json{{"add", many}});
  CHECK(too_many.status == 400);
  CHECK(contains(test::message_of(too_many), "1 to 1000"));
  CHECK(w.members() == json::array({"u2"}));

  // Who may: a member sees the group but may not change it; others do not see it at all.
  const auto u2 = agent.login("u2");
  CHECK(agent.as(u2, "PATCH", path, json{{"add", {"u1"}}}).status == 403);
  CHECK(agent.as(agent.login("u1"), "PATCH", path, json{{"add", {"u1"}}}).status == 404);
  CHECK(agent.as(w.root, "PATCH", "/api/v1/groups/nosuch/members", json{{"add", {"u1"}}}).status ==
        404);
  CHECK(w.members() == json::array({"u2"}));
}

TEST_CASE("group PATCH members: external groups 409, invitations apply to each new member") {
  test::TempDir fs;
  auto cfg = test::StorageAgent::host_config(fs.path());
  cfg.shares.invitations = true;
  test::InProcessAgent agent(cfg);
  REQUIRE(agent::reconcile::register_host(agent.store(), agent.context().config).has_value());
  agent.add_user("root", true);
  agent.add_user("alice");
  agent.add_user("u1");
  agent.add_user("u2");
  const auto root = agent.login("root");
  const auto alice = agent.login("alice");
  REQUIRE(agent.call("POST", "/api/v1/spaces", R"({"name":"proj","size_bytes":1048576})", alice)
              .status == 201);
  REQUIRE(agent.call("POST", "/api/v1/groups", R"({"name":"eng"})", root).status == 201);
  REQUIRE(
      agent.call("PUT", "/api/v1/shares/proj/acl/group:eng", R"({"level":"read"})", alice).status ==
      200);
  const auto added =
      agent.call("PATCH", "/api/v1/groups/eng/members", R"({"add":["u1","u2"]})", root);
  REQUIRE_MESSAGE(added.status == 200, added.body);
  for (const char* name : {"u1", "u2"}) {
    const auto invitations =
        json::parse(agent.call("GET", "/api/v1/invitations", {}, agent.login(name)).body);
    REQUIRE(invitations.size() == 1);
    CHECK(invitations[0]["group"] == "eng");
  }

  auto stored = agent.store().transact_result([](store::Tx& tx) {
    model::Group g;
    g.name = "ldap-staff";
    g.external_id = "0123456789abcdef";
    return tx.create(g);
  });
  REQUIRE(stored.has_value());
  const auto refused =
      agent.call("PATCH", "/api/v1/groups/ldap-staff/members", R"({"add":["u1"]})", root);
  CHECK(refused.status == 409);
  CHECK(contains(refused.body, "directory"));
}

TEST_CASE("group grants route and X-Sharectl-Revision of single-member changes and deletes") {
  WithGroup w;
  auto& agent = w.agent;
  REQUIRE(
      agent.as(w.alice, "POST", "/api/v1/spaces", json{{"name", "other"}, {"size_bytes", k_mib}})
          .status == 201);
  REQUIRE(agent.as(w.alice, "PUT", "/api/v1/shares/other/acl/group:eng", json{{"level", "read"}})
              .status == 200);

  const auto grants = agent.as(w.root, "GET", "/api/v1/groups/eng/grants");
  REQUIRE_MESSAGE(grants.status == 200, grants.body);
  const auto items = json::parse(grants.body);
  REQUIRE(items.size() == 2);
  CHECK(items[0]["share"] == "other");
  CHECK(items[0]["name"] == "other");
  CHECK(items[0]["level"] == "read");
  CHECK(items[1]["share"] == "proj");
  CHECK(items[1]["level"] == "write");
  CHECK(items[1]["status"] == "pending");
  CHECK(items[1]["revision"] == w.share().revision);
  CHECK(items[1]["observed_revision"] == w.share().observed_revision);
  CHECK(items[1]["status_message"] == "");

  // One member: PUT and DELETE answer the revision the shares were marked pending at.
  const auto put = agent.as(w.root, "PUT", "/api/v1/groups/eng/members/u1");
  REQUIRE(put.status == 200);
  const auto put_revision = WithGroup::revision_of(put);
  CHECK(put_revision > 0);
  CHECK(w.share().revision == put_revision);
  CHECK_FALSE(agent.as(w.root, "PUT", "/api/v1/groups/eng/members/u1")
                  .header("X-Sharectl-Revision")
                  .has_value());
  // A member sees the grants; a stranger gets 404 as for the group.
  const auto u1 = agent.login("u1");
  CHECK(agent.as(u1, "GET", "/api/v1/groups/eng/grants").status == 200);
  CHECK(agent.as(agent.login("u2"), "GET", "/api/v1/groups/eng/grants").status == 404);
  CHECK(agent.as(w.root, "GET", "/api/v1/groups/nosuch/grants").status == 404);

  const auto deleted = agent.as(w.root, "DELETE", "/api/v1/groups/eng/members/u1");
  REQUIRE(deleted.status == 200);
  CHECK(WithGroup::revision_of(deleted) > put_revision);
  CHECK(w.share().revision == WithGroup::revision_of(deleted));

  // Deleting the group: the shares its members had rows on are pending at the answered revision.
  REQUIRE(agent.as(w.root, "PUT", "/api/v1/groups/eng/members/u2").status == 200);
  const auto gone = agent.as(w.root, "DELETE", "/api/v1/groups/eng");
  REQUIRE(gone.status == 204);
  const auto gone_revision = WithGroup::revision_of(gone);
  CHECK(gone_revision > 0);
  CHECK(w.share().revision == gone_revision);
  CHECK(agent.as(w.root, "GET", "/api/v1/groups/eng/grants").status == 404);
}

TEST_CASE("user groups: any user creates and owns one, others cannot change it") {
  test::StorageAgent agent; // groups.user_groups: true (the default)
  const auto alice = agent.user("alice");
  const auto bob = agent.user("bob");
  agent.add_user("carol");

  const auto created = agent.as(alice, "POST", "/api/v1/groups", json{{"name", "team"}});
  REQUIRE_MESSAGE(created.status == 201, created.body);
  CHECK(json::parse(created.body)["owner"] == "alice");
  REQUIRE(agent.as(alice, "PATCH", "/api/v1/groups/team/members", json{{"add", {"carol", "bob"}}})
              .status == 200);
  REQUIRE(agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "x"}, {"size_bytes", k_mib}})
              .status == 201);
  REQUIRE(
      agent.as(alice, "PUT", "/api/v1/shares/x/acl/group:team", json{{"level", "write"}}).status ==
      200);

  // bob is a member: he sees the group and cannot change it (403, audited); as a non-member: 404.
  CHECK(agent.as(bob, "GET", "/api/v1/groups/team").status == 200);
  CHECK(agent.as(bob, "PUT", "/api/v1/groups/team/members/bob").status == 403);
  CHECK(agent.as(bob, "PATCH", "/api/v1/groups/team/members", json{{"remove", {"carol"}}}).status ==
        403);
  CHECK(agent.as(bob, "DELETE", "/api/v1/groups/team").status == 403);
  REQUIRE(agent.as(alice, "DELETE", "/api/v1/groups/team/members/bob").status == 200);
  CHECK(agent.as(bob, "PUT", "/api/v1/groups/team/members/bob").status == 404);
  CHECK(agent.as(bob, "DELETE", "/api/v1/groups/team").status == 404);
  CHECK(contains(agent.audit_text(), "denied groups.update groups/team"));
  // bob's own group is his; alice has no say in it.
  REQUIRE(agent.as(bob, "POST", "/api/v1/groups", json{{"name", "bobs"}}).status == 201);
  CHECK(agent.as(alice, "PUT", "/api/v1/groups/bobs/members/alice").status == 404);

  CHECK(agent.as(alice, "DELETE", "/api/v1/groups/team").status == 204);
}

TEST_CASE("user groups off: plain users cannot create groups, as before") {
  test::TempDir fs;
  auto cfg = test::StorageAgent::host_config(fs.path());
  cfg.groups.user_groups = false;
  test::InProcessAgent agent(cfg);
  agent.add_user("alice");
  agent.add_user("mia", false, true);
  const auto denied =
      agent.call("POST", "/api/v1/groups", R"({"name":"team"})", agent.login("alice"));
  CHECK(denied.status == 403);
  CHECK(contains(denied.body, "groups/team"));
  CHECK(agent.call("POST", "/api/v1/groups", R"({"name":"team"})", agent.login("mia")).status ==
        201);
}

TEST_CASE("user groups carry share grants only: role bindings to them are 409") {
  test::StorageAgent agent;
  const auto root = agent.user("root", std::nullopt, true);
  const auto alice = agent.user("alice");
  const auto bob = agent.user("bob");
  agent.add_user("mia", false, true); // manager
  const auto mia = agent.login("mia");
  REQUIRE(agent.as(alice, "POST", "/api/v1/spaces", json{{"name", "x"}, {"size_bytes", k_mib}})
              .status == 201);
  REQUIRE(agent.as(alice, "POST", "/api/v1/groups", json{{"name", "team"}}).status == 201);
  REQUIRE(agent.as(bob, "POST", "/api/v1/groups", json{{"name", "bobs"}}).status == 201);
  REQUIRE(agent.as(mia, "POST", "/api/v1/groups", json{{"name", "staff"}}).status == 201);
  seed_builtin_roles(agent.store());

  const auto bind = [&](const http::HttpHeaders& who, const std::string& role,
                        const std::string& group, const std::string& space = {}) {
    json body{{"role", role}, {"subject_type", "group"}, {"subject", group}};
    if (!space.empty()) {
      body["space"] = space;
    }
    return agent.as(who, "POST", "/api/v1/bindings", body);
  };
  // Cluster scope: never to a user group, even by an admin.
  const auto refused = bind(root, "admin", "team");
  CHECK(refused.status == 409);
  CHECK(test::message_of(refused) ==
        "group team is a user group (owned by alice); user groups carry share grants only, never "
        "roles");
  CHECK(bind(root, "viewer", "bobs").status == 409);
  // A manager's group is not a user group: bound as before.
  CHECK(bind(root, "viewer", "staff").status == 201);

  // Space scope: to the space owner's own group, not to another user's.
  const auto own = bind(alice, "maintainer", "team", "alice/x");
  CHECK_MESSAGE(own.status == 201, own.body);
  const auto other = bind(alice, "maintainer", "bobs", "alice/x");
  CHECK(other.status == 409);
  CHECK(test::message_of(other) ==
        "group bobs is a user group (owned by bob); on space alice/x a role may be bound only to "
        "groups alice owns or to directory groups");
  CHECK(bind(root, "viewer", "bobs", "alice/x").status == 409);
  CHECK(bind(alice, "viewer", "staff", "alice/x").status == 201);
  // bob may not bind on alice's space at all (403 before anything else).
  CHECK(bind(bob, "viewer", "bobs", "alice/x").status == 403);
  const auto audit = agent.audit_text();
  CHECK(contains(audit, "denied roles.bind roles/admin group team is a user group"));
  CHECK(contains(audit, "allowed roles.bind roles/maintainer bind group team on space alice/x"));
}
