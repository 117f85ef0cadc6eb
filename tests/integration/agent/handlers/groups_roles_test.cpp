// The group, role and binding routes against a real HttpServer on 127.0.0.1:0 with a SQLite
// store (tests/integration/agent/handlers/harness.hpp): who may create and see groups, members
// and the share rows they bring, external groups' read-only membership, custom roles with
// prioritized glob rules that change what their holders may do, built-in roles that cannot
// change, bindings at cluster and space scope, and the audit trail.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/reconcile/register.hpp"
#include "tests/integration/agent/handlers/harness.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> names_of(const http::HttpResponse& answer) {
  std::vector<std::string> out;
  for (const auto& item : json::parse(answer.body)) {
    out.push_back(item["name"].get<std::string>());
  }
  return out;
}

// An agent whose host has a registered dir filesystem (so spaces and shares can be created).
config::AgentConfig host_config(const std::filesystem::path& root) {
  config::AgentConfig cfg;
  cfg.server.name = "testhost";
  cfg.filesystems = {{root, config::FilesystemDriver::dir}};
  return cfg;
}

// An agent where creating a group needs groups.create (groups.user_groups: false, as before user
// groups; group_members_test.cpp covers them).
config::AgentConfig without_user_groups() {
  config::AgentConfig cfg;
  cfg.groups.user_groups = false;
  return cfg;
}

} // namespace

TEST_CASE("groups: managers create, owners and members see, others get 404") {
  test::InProcessAgent agent(without_user_groups());
  agent.add_user("root", true);
  agent.add_user("mia", false, true); // manager
  agent.add_user("alice");
  agent.add_user("bob");
  const auto mia = agent.login("mia");
  const auto alice = agent.login("alice");

  const auto denied = agent.call("POST", "/api/v1/groups", R"({"name":"eng"})", alice);
  CHECK(denied.status == 403);
  CHECK(contains(denied.body, "groups/eng"));
  CHECK(agent.call("POST", "/api/v1/groups", R"({"name":"Eng"})", mia).status == 400);
  CHECK(agent.call("POST", "/api/v1/groups", R"({"name":"eng","extra":1})", mia).status == 400);

  const auto created =
      agent.call("POST", "/api/v1/groups", R"({"name":"eng","description":"Engineering"})", mia);
  REQUIRE_MESSAGE(created.status == 201, created.body);
  const auto group = json::parse(created.body);
  CHECK(group["owner"] == "mia");
  CHECK(group["origin"] == "local");
  CHECK(group["members"].empty());
  CHECK(agent.call("POST", "/api/v1/groups", R"({"name":"eng"})", mia).status == 409);

  CHECK(agent.call("GET", "/api/v1/groups/eng", {}, alice).status == 404);
  CHECK(names_of(agent.call("GET", "/api/v1/groups", {}, alice)).empty());
  CHECK(agent.call("PUT", "/api/v1/groups/eng/members/alice", {}, alice).status == 404);

  const auto added = agent.call("PUT", "/api/v1/groups/eng/members/alice", {}, mia);
  REQUIRE_MESSAGE(added.status == 200, added.body);
  CHECK(json::parse(added.body)["members"] == json::array({"alice"}));
  // Adding again changes nothing.
  CHECK(agent.call("PUT", "/api/v1/groups/eng/members/alice", {}, mia).status == 200);
  CHECK(agent.call("PUT", "/api/v1/groups/eng/members/nobody", {}, mia).status == 404);
  // A member sees the group but cannot change it.
  CHECK(agent.call("GET", "/api/v1/groups/eng", {}, alice).status == 200);
  CHECK(names_of(agent.call("GET", "/api/v1/groups", {}, alice)) ==
        std::vector<std::string>{"eng"});
  CHECK(agent.call("PUT", "/api/v1/groups/eng/members/bob", {}, alice).status == 403);

  CHECK(agent.call("DELETE", "/api/v1/groups/eng/members/bob", {}, mia).status == 404);
  CHECK(agent.call("DELETE", "/api/v1/groups/eng/members/alice", {}, mia).status == 200);
  CHECK(agent.call("GET", "/api/v1/groups/eng", {}, alice).status == 404);

  // If-Match guards delete.
  CHECK(agent.call("DELETE", "/api/v1/groups/eng", {}, {{"If-Match", "1"}, mia.front(), mia.back()})
            .status == 412);
  CHECK(agent.call("DELETE", "/api/v1/groups/eng", {}, mia).status == 204);
  CHECK(agent.call("GET", "/api/v1/groups/eng", {}, agent.login("root")).status == 404);

  const auto audit = agent.audit_text();
  CHECK(contains(audit, "allowed groups.create groups/eng"));
  CHECK(contains(audit, "allowed groups.update groups/eng add member alice"));
  CHECK(contains(audit, "allowed groups.update groups/eng remove member alice"));
  CHECK(contains(audit, "allowed groups.delete groups/eng"));
  CHECK(contains(audit, "denied groups.create groups/eng"));
}

TEST_CASE("groups: members of an external group are changed in the directory only") {
  test::InProcessAgent agent;
  agent.add_user("root", true);
  agent.add_user("alice");
  auto stored = agent.store().transact_result([](store::Tx& tx) {
    model::Group g;
    g.name = "ldap-staff";
    g.external_id = "0123456789abcdef";
    return tx.create(g);
  });
  REQUIRE_MESSAGE(stored.has_value(), test::error_text(stored));
  const auto root = agent.login("root");
  const auto shown = agent.call("GET", "/api/v1/groups/ldap-staff", {}, root);
  REQUIRE(shown.status == 200);
  CHECK(json::parse(shown.body)["origin"] == "external");
  const auto refused = agent.call("PUT", "/api/v1/groups/ldap-staff/members/alice", {}, root);
  CHECK(refused.status == 409);
  CHECK(contains(refused.body, "directory"));
}

TEST_CASE("group members get the group's share access, active, and lose it when removed") {
  test::TempDir fs;
  test::InProcessAgent agent(host_config(fs.path()));
  REQUIRE(agent::reconcile::register_host(agent.store(), agent.context().config).has_value());
  agent.add_user("root", true);
  agent.add_user("alice");
  agent.add_user("bob");
  const auto root = agent.login("root");
  const auto alice = agent.login("alice");
  const auto space =
      agent.call("POST", "/api/v1/spaces", R"({"name":"proj","size_bytes":1048576})", alice);
  REQUIRE_MESSAGE(space.status == 201, space.body);
  REQUIRE(agent.call("POST", "/api/v1/groups", R"({"name":"eng"})", root).status == 201);
  const auto granted =
      agent.call("PUT", "/api/v1/shares/proj/acl/group:eng", R"({"level":"read"})", alice);
  REQUIRE_MESSAGE(granted.status == 200, granted.body);

  auto bob_rows = [&] {
    auto share = agent.store().view_result([](store::Tx& tx) { return tx.find_share("proj"); });
    auto bob = agent.store().view_result([](store::Tx& tx) { return tx.find_user("bob"); });
    REQUIRE(share.has_value());
    REQUIRE(bob.has_value());
    auto access = agent.store().view_result(
        [&](store::Tx& tx) { return tx.effective_share_access(bob->id, share->id); });
    REQUIRE(access.has_value());
    return *access;
  };
  CHECK_FALSE(bob_rows());
  REQUIRE(agent.call("PUT", "/api/v1/groups/eng/members/bob", {}, root).status == 200);
  auto access = bob_rows();
  REQUIRE(access);
  CHECK(access->level == model::ShareLevel::read);
  CHECK(access->state == model::AclState::active); // invitations are off: served at once
  // share access explains it: effective level and where it comes from.
  REQUIRE(
      agent.call("PUT", "/api/v1/shares/proj/acl/user:bob", R"({"level":"write"})", alice).status ==
      200);
  const auto explained = agent.call("GET", "/api/v1/shares/proj/access", {}, alice);
  REQUIRE_MESSAGE(explained.status == 200, explained.body);
  const auto rows = json::parse(explained.body);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["user"] == "bob");
  CHECK(rows[0]["level"] == "write");
  CHECK(rows[0]["state"] == "active");
  CHECK(rows[0]["via"] == json::array({"direct write", "group eng read"}));
  // A grantee may see the share but not who else has it.
  CHECK(agent.call("GET", "/api/v1/shares/proj/access", {}, agent.login("bob")).status == 403);
  REQUIRE(agent.call("DELETE", "/api/v1/shares/proj/acl/user:bob", {}, alice).status == 200);
  REQUIRE(agent.call("DELETE", "/api/v1/groups/eng/members/bob", {}, root).status == 200);
  CHECK_FALSE(bob_rows());
  REQUIRE(agent.call("PUT", "/api/v1/groups/eng/members/bob", {}, root).status == 200);
  REQUIRE(agent.call("DELETE", "/api/v1/groups/eng", {}, root).status == 204);
  CHECK_FALSE(bob_rows());
}

TEST_CASE("custom roles: prioritized glob rules decide what their holders may do") {
  test::InProcessAgent agent(without_user_groups());
  agent.add_user("root", true);
  agent.add_user("carol");
  agent.add_user("vera");
  agent.bind("viewer", agent.add_user("viv"));
  const auto root = agent.login("root");
  const auto carol = agent.login("carol");

  CHECK(agent.call("POST", "/api/v1/roles", R"({"name":"team-lead"})", carol).status == 403);
  const auto created = agent.call("POST", "/api/v1/roles",
                                  R"({"name":"team-lead","description":"runs teams"})", root);
  REQUIRE_MESSAGE(created.status == 201, created.body);
  CHECK(json::parse(created.body)["builtin"] == false);
  CHECK(agent.call("POST", "/api/v1/roles", R"({"name":"team-lead"})", root).status == 409);

  // Bad rules are refused and change nothing.
  for (const char* bad : {R"({"resource_glob":"groups/[a]","level":"modify"})",
                          R"({"resource_glob":"groups/**","level":"owner"})",
                          R"({"resource_glob":"groups/**","level":"modify","priority":5000})"}) {
    CHECK(agent.call("POST", "/api/v1/roles/team-lead/rules", bad, root).status == 400);
  }
  REQUIRE(agent
              .call("POST", "/api/v1/roles/team-lead/rules",
                    R"({"resource_glob":"groups/**","level":"modify"})", root)
              .status == 201);
  REQUIRE(agent
              .call("POST", "/api/v1/roles/team-lead/rules",
                    R"({"resource_glob":"groups/secret-*","level":"view","priority":10})", root)
              .status == 201);
  const auto shown = json::parse(agent.call("GET", "/api/v1/roles/team-lead", {}, root).body);
  REQUIRE(shown["rules"].size() == 2);
  CHECK(shown["rules"][0]["resource_glob"] == "groups/secret-*"); // highest priority first

  CHECK(agent.call("POST", "/api/v1/groups", R"({"name":"team-a"})", carol).status == 403);
  const auto bound =
      agent.call("POST", "/api/v1/bindings",
                 R"({"role":"team-lead","subject_type":"user","subject":"carol"})", root);
  REQUIRE_MESSAGE(bound.status == 201, bound.body);
  CHECK(json::parse(bound.body)["space"].is_null());
  CHECK(agent
            .call("POST", "/api/v1/bindings",
                  R"({"role":"team-lead","subject_type":"user","subject":"carol"})", root)
            .status == 409);
  // The first matching rule by priority decides: secret-* gives only view.
  CHECK(agent.call("POST", "/api/v1/groups", R"({"name":"team-a"})", carol).status == 201);
  const auto secret = agent.call("POST", "/api/v1/groups", R"({"name":"secret-x"})", carol);
  CHECK(secret.status == 403);
  CHECK(contains(secret.body, "team-lead"));

  // Roles are visible to viewers, not to plain users; bindings likewise.
  CHECK(names_of(agent.call("GET", "/api/v1/roles", {}, agent.login("vera"))).empty());
  const auto seen = names_of(agent.call("GET", "/api/v1/roles", {}, agent.login("viv")));
  CHECK(std::ranges::find(seen, "team-lead") != seen.end());

  // Unbinding takes the power away again.
  CHECK(agent
            .call("DELETE", "/api/v1/bindings?role=team-lead&subject_type=user&subject=carol", {},
                  root)
            .status == 204);
  CHECK(agent
            .call("DELETE", "/api/v1/bindings?role=team-lead&subject_type=user&subject=carol", {},
                  root)
            .status == 404);
  CHECK(agent.call("POST", "/api/v1/groups", R"({"name":"team-b"})", carol).status == 403);

  CHECK(
      agent.call("DELETE", "/api/v1/roles/team-lead/rules?resource_glob=groups/secret-*", {}, root)
          .status == 204);
  CHECK(
      agent.call("DELETE", "/api/v1/roles/team-lead/rules?resource_glob=groups/secret-*", {}, root)
          .status == 404);
  CHECK(agent.call("DELETE", "/api/v1/roles/team-lead", {}, root).status == 204);
  CHECK(agent.call("GET", "/api/v1/roles/team-lead", {}, root).status == 404);

  const auto audit = agent.audit_text();
  CHECK(contains(audit, "allowed roles.create roles/team-lead"));
  CHECK(contains(audit, "allowed roles.update roles/team-lead rule groups/** modify priority 0"));
  CHECK(contains(audit, "allowed roles.bind roles/team-lead bind user carol"));
  CHECK(contains(audit, "allowed roles.bind roles/team-lead unbind user carol"));
  CHECK(contains(audit, "allowed roles.delete roles/team-lead"));
}

TEST_CASE("built-in roles cannot change, a space owner binds roles on that space only") {
  test::TempDir fs;
  test::InProcessAgent agent(host_config(fs.path()));
  REQUIRE(agent::reconcile::register_host(agent.store(), agent.context().config).has_value());
  agent.add_user("root", true);
  agent.add_user("alice");
  agent.add_user("bob");
  const auto root = agent.login("root");
  const auto alice = agent.login("alice");
  const auto bob = agent.login("bob");
  agent.bind("viewer", agent.add_user("viv")); // creates the built-in viewer row

  const auto changed = agent.call("POST", "/api/v1/roles/viewer/rules",
                                  R"({"resource_glob":"**","level":"admin"})", root);
  CHECK(changed.status == 409);
  CHECK(contains(changed.body, "built-in"));
  CHECK(agent.call("DELETE", "/api/v1/roles/viewer", {}, root).status == 409);
  const auto viewer = json::parse(agent.call("GET", "/api/v1/roles/viewer", {}, root).body);
  CHECK(viewer["builtin"] == true);
  CHECK(viewer["rules"].size() == 1); // the compiled-in "** view"

  REQUIRE(agent.call("POST", "/api/v1/spaces", R"({"name":"proj","size_bytes":1048576})", alice)
              .status == 201);
  CHECK(agent.call("GET", "/api/v1/spaces/alice/proj", {}, bob).status == 404);
  const auto scoped = agent.call(
      "POST", "/api/v1/bindings",
      R"({"role":"viewer","subject_type":"user","subject":"bob","space":"alice/proj"})", alice);
  REQUIRE_MESSAGE(scoped.status == 201, scoped.body);
  CHECK(json::parse(scoped.body)["space"] == "alice/proj");
  CHECK(agent.call("GET", "/api/v1/spaces/alice/proj", {}, bob).status == 200);
  // bob may view the space but not hand out roles on it, nor at cluster scope.
  CHECK(agent
            .call("POST", "/api/v1/bindings",
                  R"({"role":"viewer","subject_type":"user","subject":"bob","space":"alice/proj"})",
                  bob)
            .status == 403);
  CHECK(agent
            .call("POST", "/api/v1/bindings",
                  R"({"role":"viewer","subject_type":"user","subject":"alice"})", alice)
            .status == 403);
  CHECK(agent
            .call("POST", "/api/v1/bindings",
                  R"({"role":"viewer","subject_type":"robot","subject":"bob"})", root)
            .status == 400);
  CHECK(agent
            .call("POST", "/api/v1/bindings",
                  R"({"role":"viewer","subject_type":"external_group","subject":"Domain Users"})",
                  root)
            .status == 201);
}

TEST_CASE("invitations: grants wait for the user's accept, decline removes them") {
  test::TempDir fs;
  auto cfg = host_config(fs.path());
  cfg.shares.invitations = true;
  test::InProcessAgent agent(cfg);
  REQUIRE(agent::reconcile::register_host(agent.store(), agent.context().config).has_value());
  agent.add_user("root", true);
  agent.add_user("alice");
  agent.add_user("bob");
  agent.add_user("carol");
  const auto root = agent.login("root");
  const auto alice = agent.login("alice");
  const auto bob = agent.login("bob");
  const auto carol = agent.login("carol");
  REQUIRE(agent.call("POST", "/api/v1/spaces", R"({"name":"proj","size_bytes":1048576})", alice)
              .status == 201);
  REQUIRE(
      agent.call("PUT", "/api/v1/shares/proj/acl/user:bob", R"({"level":"write"})", alice).status ==
      200);
  REQUIRE(agent.call("POST", "/api/v1/groups", R"({"name":"eng"})", root).status == 201);
  REQUIRE(agent.call("PUT", "/api/v1/groups/eng/members/carol", {}, root).status == 200);
  REQUIRE(
      agent.call("PUT", "/api/v1/shares/proj/acl/group:eng", R"({"level":"read"})", alice).status ==
      200);

  auto state_of = [&](const std::string& name) -> std::optional<model::AclState> {
    auto access =
        agent.store().view_result([&](store::Tx& tx) -> Result<std::optional<model::UserAccess>> {
          auto share = tx.find_share("proj");
          auto user = tx.find_user(name);
          if (!share || !user) {
            return std::unexpected(!share ? share.error() : user.error());
          }
          return tx.effective_share_access(user->id, share->id);
        });
    REQUIRE(access.has_value());
    return *access ? std::optional((*access)->state) : std::nullopt;
  };
  CHECK(state_of("bob") == model::AclState::pending);
  CHECK(state_of("carol") == model::AclState::pending);

  const auto listed = json::parse(agent.call("GET", "/api/v1/invitations", {}, bob).body);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["share"] == "proj");
  CHECK(listed[0]["level"] == "write");
  CHECK(listed[0]["from"] == "alice");
  CHECK(json::parse(agent.call("GET", "/api/v1/invitations", {}, carol).body)[0]["group"] == "eng");
  CHECK(json::parse(agent.call("GET", "/api/v1/invitations", {}, alice).body).empty());
  CHECK(agent.call("POST", "/api/v1/invitations/proj/accept", {}, alice).status == 404);
  CHECK(agent.call("POST", "/api/v1/invitations/nosuch/accept", {}, bob).status == 404);

  const auto accepted = agent.call("POST", "/api/v1/invitations/proj/accept", {}, bob);
  REQUIRE_MESSAGE(accepted.status == 200, accepted.body);
  CHECK(json::parse(accepted.body)["state"] == "active");
  CHECK(state_of("bob") == model::AclState::active);
  CHECK(json::parse(agent.call("GET", "/api/v1/invitations", {}, bob).body).empty());
  CHECK(agent.call("POST", "/api/v1/invitations/proj/accept", {}, bob).status == 404);

  REQUIRE(agent.call("POST", "/api/v1/invitations/proj/decline", {}, carol).status == 200);
  CHECK_FALSE(state_of("carol"));
  const auto still = json::parse(agent.call("GET", "/api/v1/groups/eng", {}, carol).body);
  CHECK(still["members"] == json::array({"carol"})); // declining keeps the membership
  const auto audit = agent.audit_text();
  CHECK(contains(audit, "allowed invitations.accept shares/proj"));
  CHECK(contains(audit, "allowed invitations.decline shares/proj"));
}

TEST_CASE("invitations: a share's own setting overrides the agent's default, for new grants") {
  test::TempDir fs;
  test::InProcessAgent agent(host_config(fs.path())); // shares.invitations: false
  REQUIRE(agent::reconcile::register_host(agent.store(), agent.context().config).has_value());
  agent.add_user("alice");
  agent.add_user("bob");
  agent.add_user("carol");
  const auto alice = agent.login("alice");
  REQUIRE(agent.call("POST", "/api/v1/spaces", R"({"name":"proj","size_bytes":1048576})", alice)
              .status == 201);
  REQUIRE(
      agent.call("PUT", "/api/v1/shares/proj/acl/user:bob", R"({"level":"read"})", alice).status ==
      200);
  const auto patched = agent.call("PATCH", "/api/v1/shares/proj", R"({"invitations":true})", alice);
  REQUIRE_MESSAGE(patched.status == 200, patched.body);
  CHECK(json::parse(patched.body)["invitations"] == true);
  REQUIRE(agent.call("PUT", "/api/v1/shares/proj/acl/user:carol", R"({"level":"read"})", alice)
              .status == 200);
  CHECK(agent.call("PATCH", "/api/v1/shares/proj", R"({"invitations":"yes"})", alice).status ==
        400);

  auto state_of = [&](const std::string& name) {
    auto access =
        agent.store().view_result([&](store::Tx& tx) -> Result<std::optional<model::UserAccess>> {
          auto share = tx.find_share("proj");
          auto user = tx.find_user(name);
          if (!share || !user) {
            return std::unexpected(!share ? share.error() : user.error());
          }
          return tx.effective_share_access(user->id, share->id);
        });
    REQUIRE(access.has_value());
    REQUIRE(access->has_value());
    return (*access)->state;
  };
  CHECK(state_of("bob") == model::AclState::active);    // granted before: unchanged
  CHECK(state_of("carol") == model::AclState::pending); // granted after: an invitation
  CHECK(
      json::parse(agent.call("GET", "/api/v1/invitations", {}, agent.login("carol")).body).size() ==
      1);
}
