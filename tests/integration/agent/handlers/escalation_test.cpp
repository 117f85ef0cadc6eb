// Escalation paths through the API (agent/authz/README.md §Escalation): each caller that may
// reach a route which gives rights — adding members to a group with role bindings, binding a
// role, adding or removing a role's rules — gets 403 when the change would give what they do
// not hold at that scope, and 2xx when they hold it all. Callers: an admin (flag), a
// maintainer, a manager (flag), "bo" holding a custom role that binds roles (roles/** admin),
// the owner of a space, and the admin of that space (a space-scoped binding). Every refusal
// changes nothing and leaves a denied audit event naming the rule not held.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/agent/handlers/storage_fixture.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
using test::k_mib;

struct Case {
  std::string caller;
  std::string method;
  std::string path;
  json body;
  int status;
  bool escalation = true; // a 403 comes from the escalation check (not from authorization)
};

} // namespace

TEST_CASE("escalation: groups, bindings and role rules give no more than the caller holds") {
  test::StorageAgent agent;
  std::map<std::string, http::HttpHeaders> as;
  as["root"] = agent.user("root", std::nullopt, true);
  as["olga"] = agent.user("olga");
  for (const char* name : {"mo", "bo", "sam", "t"}) {
    as[name] = agent.user(name);
  }
  agent.add_user("max", false, true);
  as["max"] = agent.login("max");
  const auto root_does = [&](const std::string& method, const std::string& path, const json& body) {
    const auto answer = agent.as(as["root"], method, path, body);
    REQUIRE_MESSAGE(answer.status / 100 == 2, (method + " " + path + ": " + answer.body));
  };
  root_does("POST", "/api/v1/roles", json{{"name", "binder"}});
  root_does("POST", "/api/v1/roles/binder/rules",
            json{{"resource_glob", "roles/**"}, {"level", "admin"}});
  root_does("POST", "/api/v1/roles", json{{"name", "limited"}});
  root_does("POST", "/api/v1/roles/limited/rules",
            json{{"resource_glob", "users/**"}, {"level", "view"}, {"priority", 10}});
  root_does("POST", "/api/v1/roles/limited/rules",
            json{{"resource_glob", "**"}, {"level", "modify"}});
  const auto olga_space =
      agent.as(as["olga"], "POST", "/api/v1/spaces", json{{"name", "proj"}, {"size_bytes", k_mib}});
  REQUIRE_MESSAGE(olga_space.status == 201, olga_space.body);
  const std::string space_id = json::parse(olga_space.body)["id"];
  agent.bind("maintainer", agent.stored_user("mo"));
  auto binder = agent.store().view_result([](store::Tx& tx) { return tx.find_role("binder"); });
  REQUIRE(binder.has_value());
  agent.store().transact([&](store::Tx& tx) -> Status {
    model::Binding b;
    b.role_id = binder->id;
    b.subject = agent.stored_user("bo").id;
    auto made = tx.create(b);
    return made ? Status{} : Status(std::unexpected(made.error()));
  });
  agent.bind("admin", agent.stored_user("sam"), space_id);
  for (const char* group : {"ops", "proj-ops", "plain"}) {
    root_does("POST", "/api/v1/groups", json{{"name", group}});
  }
  root_does("POST", "/api/v1/bindings",
            json{{"role", "admin"}, {"subject_type", "group"}, {"subject", "ops"}});
  root_does("POST", "/api/v1/bindings",
            json{{"role", "maintainer"},
                 {"subject_type", "group"},
                 {"subject", "proj-ops"},
                 {"space", "olga/proj"}});

  const auto bind = [](const std::string& role, const std::string& user,
                       std::optional<std::string> space = std::nullopt) {
    json body{{"role", role}, {"subject_type", "user"}, {"subject", user}};
    if (space) {
      body["space"] = *space;
    }
    return body;
  };
  const std::vector<Case> cases{
      // Group membership: only who holds what the group carries adds to it.
      {"mo", "PUT", "/api/v1/groups/ops/members/mo", nullptr, 403},
      {"mo", "PATCH", "/api/v1/groups/ops/members", json{{"add", {"mo"}}}, 403},
      {"max", "PUT", "/api/v1/groups/ops/members/max", nullptr, 403},
      {"max", "PUT", "/api/v1/groups/proj-ops/members/max", nullptr, 403},
      {"mo", "PUT", "/api/v1/groups/proj-ops/members/t", nullptr, 200}, // holds maintainer
      {"mo", "PUT", "/api/v1/groups/plain/members/mo", nullptr, 200},
      {"max", "PUT", "/api/v1/groups/plain/members/max", nullptr, 200},
      {"mo", "DELETE", "/api/v1/groups/proj-ops/members/t", nullptr, 200},
      {"root", "PUT", "/api/v1/groups/ops/members/t", nullptr, 200},
      // Bindings: only a role one holds, at the scope one holds it.
      {"bo", "POST", "/api/v1/bindings", bind("admin", "bo"), 403},
      {"bo", "POST", "/api/v1/bindings", bind("maintainer", "t"), 403},
      {"bo", "POST", "/api/v1/bindings", bind("binder", "t"), 201},
      {"sam", "POST", "/api/v1/bindings", bind("admin", "t", "olga/proj"), 201},
      {"sam", "POST", "/api/v1/bindings", bind("admin", "t"), 403, false}, // no roles.bind here
      {"olga", "POST", "/api/v1/bindings", bind("maintainer", "mo", "olga/proj"), 201},
      {"root", "POST", "/api/v1/bindings", bind("admin", "max"), 201},
      // Role rules: only a role one holds in full afterwards, widening or lifting a restriction.
      {"bo", "POST", "/api/v1/roles/binder/rules",
       json{{"resource_glob", "**"}, {"level", "admin"}}, 403},
      {"bo", "DELETE", "/api/v1/roles/limited/rules?resource_glob=users/**", nullptr, 403},
      {"bo", "POST", "/api/v1/roles/binder/rules",
       json{{"resource_glob", "roles/x*"}, {"level", "view"}, {"priority", 5}}, 201},
  };
  for (const auto& c : cases) {
    CAPTURE(c.caller);
    CAPTURE(c.method);
    CAPTURE(c.path);
    const auto answer = agent.as(as[c.caller], c.method, c.path, c.body);
    CHECK_MESSAGE(answer.status == c.status, answer.body);
    if (c.status == 403 && c.escalation) {
      CHECK_MESSAGE(test::message_of(answer).find("which you do not hold") != std::string::npos,
                    answer.body);
    }
  }
  // Refused member changes changed nothing; each refusal is in the audit log.
  const auto ops = json::parse(agent.as(as["root"], "GET", "/api/v1/groups/ops").body);
  CHECK(ops["members"] == json::array({"t"}));
  const std::string audit = agent.audit_text();
  CHECK(audit.find("denied groups.update groups/ops cannot add members to group ops: it would "
                   "give rule ** admin through role admin (cluster-wide), which you do not "
                   "hold") != std::string::npos);
  CHECK(audit.find("denied roles.bind roles/admin") != std::string::npos);
  CHECK(audit.find("denied roles.update roles/limited") != std::string::npos);
}
