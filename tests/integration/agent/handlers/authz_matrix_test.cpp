// The route × caller authorization matrix, generated from the agent's route table (agent_routes
// plus the transport's built-ins, as the running server reports it) and the authorization
// rules, not hand-listed. For every route that is not open to anyone and every caller:
//
// * anonymous, a wrong X-User-ID for the token, an app expired by idle time and one expired by
//   its absolute maximum (the agent runs on a FakeClock), a deleted app, a disabled user: 401
//   (a malformed X-User-ID: 400);
// * known callers (cluster admin flag, manager flag, plain user, cluster client / viewer /
//   maintainer roles, a custom role (share-ops: modify on shares, view on spaces), the admin of
//   another space, the owner of the target space): the status the route's Permission predicts
//   when evaluated with authz::authorize on the caller's bindings —
//   Access::action: 403 (with authorize()'s reason) exactly when denied; Access::in_handler on
//   spaces and shares (decided in the space's context): on an object route 404 when the caller
//   may not read the object, else 403 when the action is denied, else neither (other contexts:
//   a refusal is a proper 403 body); Access::authenticated: never 401/403.
//
// Every (route, caller) pair gets fresh targets (a space of olga with its share, a plain user
// with a read grant on it), created through the store, so destructive routes do not influence
// one another. Request bodies are generated from the route's request schema, and every 2xx JSON
// answer is checked against the route's response schema in the served OpenAPI document
// (tests/integration/agent/api/schema_check.hpp).
#include <map>
#include <memory>
#include <set>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "agent/auth/tokens.hpp"
#include "agent/authz/authorize.hpp"
#include "tests/integration/agent/api/schema_check.hpp"
#include "tests/integration/agent/handlers/harness.hpp"
#include "tests/support/require.hpp"

namespace {

using namespace sharectl;
using nlohmann::json;
namespace api = sharectl::agent::api;
namespace auth = sharectl::agent::auth;
namespace authz = sharectl::agent::authz;
using std::chrono::days;
using std::chrono::seconds;

constexpr const char* k_password = test::InProcessAgent::k_password;
constexpr std::uint64_t k_gib = 1024ULL * 1024 * 1024;

// The objects one (route, caller) pair acts on: olga's space and share p<tag>, user t<tag>.
struct Targets {
  std::string tag;
  model::Space space;
  std::string user; // a plain user's name
};

// The value a path parameter or body field gets for these targets.
std::string sample_value(std::string_view name, std::string_view pattern, const Targets& t) {
  if (name == "owner") {
    return "olga";
  }
  if (name == "name") {
    return pattern.starts_with("/api/v1/users") ? t.user : "p" + t.tag;
  }
  if (name == "subject") {
    return "user:" + t.user;
  }
  if (name == "space") {
    return "olga/p" + t.tag;
  }
  if (name.ends_with("id")) {
    return "00000000-0000-4000-8000-000000000000";
  }
  return "zz-" + std::string(name);
}

// A template ("spaces/{owner}/{name}") with each {param} replaced by values(param).
template <typename Values>
std::string expand(std::string_view pattern, Values values) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      out += values(pattern.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

// A request body satisfying the route's request schema: its required fields (all fields when
// none is required), each a sample of its name or type. A create names a new object c<tag>.
json sample_body(const api::Route& route, const Targets& t) {
  const auto schema = json::parse(route.request_body->json);
  std::vector<std::string> fields;
  if (schema.contains("required")) {
    fields = schema["required"].get<std::vector<std::string>>();
  } else {
    for (const auto& [name, _] : schema["properties"].items()) {
      fields.push_back(name);
    }
  }
  json body = json::object();
  for (const auto& field : fields) {
    const auto& property = schema["properties"][field];
    if (field == "name") {
      body[field] = "c" + t.tag;
    } else if (field == "old_password") {
      body[field] = k_password;
    } else if (field.ends_with("password")) {
      body[field] = "a new password 2";
    } else if (property.contains("enum")) {
      body[field] = property["enum"][0];
    } else if (property.value("type", "") == "integer") {
      body[field] = k_gib;
    } else if (property.value("type", "") == "boolean") {
      body[field] = true;
    } else {
      body[field] = sample_value(field, route.pattern, t);
    }
  }
  return body;
}

// The agent on a FakeClock (idle expiry 7 days, absolute maximum 30 days) and its callers.
class Matrix {
public:
  explicit Matrix(bool user_groups = true) : m_agent(config(user_groups), &m_clock) {}

  static config::AgentConfig config(bool user_groups) {
    config::AgentConfig cfg;
    cfg.apps.idle_expiry = days{7};
    cfg.apps.max_lifetime = days{30};
    cfg.groups.user_groups = user_groups;
    return cfg;
  }

  test::InProcessAgent& agent() { return m_agent; }
  void advance(std::chrono::seconds by) { m_clock.advance(by); }

  // Runs `fn` in a store transaction; the test fails on an error.
  template <typename T, typename Fn>
  T in_store(Fn fn) {
    auto result =
        m_agent.store().transact_result([&](store::Tx& tx) -> Result<T> { return fn(tx); });
    REQUIRE_MESSAGE(result.has_value(), test::error_text(result));
    return *result;
  }

  // A user with k_password.
  model::User add_user(const std::string& name, bool admin = false, bool manager = false) {
    auto user = m_agent.add_user(name, admin, manager);
    m_users[name] = user;
    return user;
  }

  // Binds the role `role` to `user`, at cluster scope or on `space`.
  void bind(const std::string& role, const model::User& user,
            std::optional<model::Id> space = std::nullopt) {
    const auto binding = m_agent.bind(role, user, std::move(space));
    m_bindings[user.username].push_back(authz::effective_binding(binding));
  }

  // A space of `owner` with a share of the same name, on the seeded filesystem.
  model::Space add_space(const model::User& owner, const std::string& name) {
    return in_store<model::Space>([&](store::Tx& tx) -> Result<model::Space> {
      model::Space space;
      space.owner_id = owner.id;
      space.name = name;
      space.size_bytes = k_gib;
      space.filesystem_id = filesystem_id(tx);
      space.status = model::ObjectStatus::ready;
      auto stored = tx.create(space);
      if (!stored) {
        return stored;
      }
      model::Share share;
      share.name = name;
      share.space_id = stored->id;
      share.status = model::ObjectStatus::ready;
      if (auto created = tx.create(share); !created) {
        return std::unexpected(created.error());
      }
      return stored;
    });
  }

  // An app of `user` created now, as a login would; the credential headers.
  http::HttpHeaders app_for(const model::User& user, model::Id* app_id = nullptr) {
    auto token = auth::issue_token();
    REQUIRE(token.has_value());
    auto app = in_store<model::App>([&](store::Tx& tx) {
      model::App a;
      a.user_id = user.id;
      a.name = "matrix";
      a.token_sha256 = token->sha256_hex;
      a.last_used_at = m_clock.now();
      a.expires_at = m_clock.now() + days{7};
      return tx.create(a);
    });
    if (app_id != nullptr) {
      *app_id = app.id;
    }
    return {{"X-User-ID", user.id}, {"Authorization", "Bearer " + token->token}};
  }

  // The status (and reason) authz::authorize gives `user` for `action` on `resource`.
  authz::Decision decide(const std::string& user, const std::string& action,
                         const authz::Resource& resource) {
    auto catalog = m_agent.store().view_result([](store::Tx& tx) -> Result<authz::RoleCatalog> {
      auto roles = tx.list<model::Role>();
      auto rules = tx.list<model::Rule>();
      if (!roles || !rules) {
        return std::unexpected(!roles ? roles.error() : rules.error());
      }
      return authz::RoleCatalog::from_store(*roles, *rules);
    });
    REQUIRE(catalog.has_value());
    return authz::authorize(authz::subject_of(m_users.at(user)), action, resource, m_bindings[user],
                            *catalog);
  }

  const model::User& user(const std::string& name) const { return m_users.at(name); }

private:
  // The id of the one filesystem (an up samba host with room), created on first use.
  model::Id filesystem_id(store::Tx& tx) {
    if (m_filesystem.empty()) {
      model::Server server;
      server.name = "matrix-host";
      server.address = "127.0.0.1";
      server.status = model::ServerStatus::up;
      server.last_heartbeat = m_clock.now();
      auto host = tx.create(server);
      REQUIRE(host.has_value());
      model::FileSystem fs;
      fs.server_id = host->id;
      fs.path = "/nonexistent/sharectl-matrix";
      fs.capacity_bytes = 1024 * k_gib;
      fs.free_bytes = 1024 * k_gib;
      fs.status = model::ObjectStatus::ready;
      auto created = tx.create(fs);
      REQUIRE(created.has_value());
      m_filesystem = created->id;
    }
    return m_filesystem;
  }

  auth::FakeClock m_clock; // before m_agent, which keeps a reference to it
  test::InProcessAgent m_agent;
  std::map<std::string, model::User> m_users;
  std::map<std::string, std::vector<authz::EffectiveBinding>> m_bindings;
  model::Id m_filesystem;
};

// The kind of object a route path is about ("spaces", "shares", "users" …).
std::string kind_of(std::string_view pattern) {
  pattern.remove_prefix(std::string_view("/api/v1/").size());
  return std::string(pattern.substr(0, pattern.find('/')));
}

} // namespace

TEST_CASE("authz matrix: every protected route × every kind of caller, predicted by the rules") {
  Matrix m;
  auto& agent = m.agent();
  const auto olga = m.add_user("olga");
  for (const char* name :
       {"alice", "carl", "vera", "matt", "sam", "cora", "dave", "del", "ida", "abe"}) {
    m.add_user(name);
  }
  m.add_user("root", true);
  m.add_user("mary", false, true);
  m.bind("client", m.user("carl"));
  m.bind("viewer", m.user("vera"));
  m.bind("maintainer", m.user("matt"));
  const auto other_space = m.add_space(olga, "other");
  m.bind("admin", m.user("sam"), other_space.id); // admin of olga's *other* space only
  // A custom role: manage shares (not their ACLs), view spaces, and nothing else.
  m.in_store<model::Role>([](store::Tx& tx) -> Result<model::Role> {
    model::Role role;
    role.name = "share-ops";
    auto stored = tx.create(role);
    if (!stored) {
      return stored;
    }
    for (const auto& [glob, level] : {std::pair{"shares/**", model::RoleLevel::modify},
                                      std::pair{"spaces/**", model::RoleLevel::view}}) {
      model::Rule rule;
      rule.role_id = stored->id;
      rule.resource_glob = glob;
      rule.level = level;
      if (auto created = tx.create(rule); !created) {
        return std::unexpected(created.error());
      }
    }
    return stored;
  });
  m.bind("share-ops", m.user("cora"));

  // Expired apps: abe's app is used every 6 days and passes its 30-day maximum; ida's app is
  // made on day 18 and never used (idle for 12 days at the end).
  const auto abe_app = m.app_for(m.user("abe"));
  http::HttpHeaders ida_app;
  for (int day = 6; day <= 30; day += 6) {
    m.advance(days{6});
    REQUIRE(agent.call("GET", "/api/v1/whoami", {}, abe_app).status == 200);
    if (day == 18) {
      ida_app = m.app_for(m.user("ida"));
    }
  }
  m.advance(seconds{1});
  // A deleted app (logged out through the API) and a disabled user's app.
  model::Id del_id;
  const auto del_app = m.app_for(m.user("del"), &del_id);
  REQUIRE(agent.call("DELETE", "/api/v1/apps/" + del_id, {}, del_app).status == 204);
  const auto dave_app = m.app_for(m.user("dave"));
  m.in_store<model::User>([&](store::Tx& tx) -> Result<model::User> {
    auto dave = tx.find_user("dave");
    if (!dave) {
      return dave;
    }
    dave->is_active = false;
    return tx.update(*dave);
  });
  const auto alice_app = m.app_for(m.user("alice"));

  const auto openapi = agent.call("GET", "/api/v1/openapi.json");
  REQUIRE(openapi.status == 200);
  const auto document = json::parse(openapi.body);

  const std::vector<std::pair<std::string, http::HttpHeaders>> unknown = {
      {"anonymous", {}},
      {"wrong X-User-ID", {alice_app[1], {"X-User-ID", m.user("root").id}}},
      {"expired app (absolute maximum)", abe_app},
      {"expired app (idle)", ida_app},
      {"deleted app", del_app},
      {"disabled user", dave_app},
  };
  const std::vector<std::string> known = {"root", "mary", "alice", "carl", "vera",
                                          "matt", "sam",  "cora",  "olga"};

  std::size_t pairs = 0;
  std::set<std::string> outcomes; // "caller served|refused", to show it is not degenerate
  int tag = 0;
  for (const api::Route& route : agent.routes()) {
    if (route.permission.access == api::Access::anyone) {
      continue;
    }
    const std::string kind = kind_of(route.pattern);
    // A POST creates, except where it acts on an existing space (measuring its usage now).
    const bool create = route.method == "POST" && !route.pattern.ends_with("/usage");
    for (const auto& caller : known) {
      Targets t{std::to_string(++tag), {}, {}};
      t.space = m.add_space(olga, "p" + t.tag);
      t.user = "t" + t.tag;
      const auto target_user = m.add_user(t.user);
      m.in_store<model::AclEntry>([&](store::Tx& tx) -> Result<model::AclEntry> {
        auto share = tx.find_share("p" + t.tag); // so that revoking has a grant to revoke
        if (!share) {
          return std::unexpected(share.error());
        }
        return tx.grant_user(share->id, target_user.id, model::ShareLevel::read,
                             model::AclState::active);
      });
      const auto path = expand(
          route.pattern, [&](std::string_view p) { return sample_value(p, route.pattern, t); });
      const std::string body = route.request_body ? sample_body(route, t).dump() : "";
      CAPTURE(route.method);
      CAPTURE(path);
      CAPTURE(body);
      CAPTURE(route.permission.to_string());
      CAPTURE(caller);

      if (caller == known.front()) { // the unknown callers once per route
        for (const auto& [who, headers] : unknown) {
          CAPTURE(who);
          const auto answer = agent.call(route.method, path, body, headers);
          CHECK(answer.status == 401);
          if (who.starts_with("expired")) {
            CHECK(answer.body.find("expired") != std::string::npos);
          }
        }
        CHECK(agent
                  .call(route.method, path, body,
                        {{"X-User-ID", "not-a-uuid"}, {"Authorization", "Bearer x"}})
                  .status == 400);
      }

      const auto answer = agent.call(route.method, path, body, m.app_for(m.user(caller)));
      CAPTURE(answer.body);
      ++pairs;
      if (answer.status / 100 == 2) {
        outcomes.insert(caller + " served");
      }
      CHECK(answer.status != 401);
      const auto& permission = route.permission;
      if (permission.access == api::Access::deny) {
        CHECK(answer.status == 403);
        continue;
      }
      bool expect_ok = true;
      const bool in_space = kind == "spaces" || kind == "shares";
      if (permission.access == api::Access::in_handler && !in_space) {
        // Decided in a context this matrix does not model (e.g. a group's owner): a refusal
        // must at least be a proper 403 or 404.
        if (answer.status == 403) {
          CHECK(json::parse(answer.body)["error"]["code"] == "forbidden");
        }
        expect_ok = false;
      } else if (permission.access == api::Access::action ||
                 permission.access == api::Access::in_handler) {
        // The resource and space context the handler decides on: path parameters, or for a
        // create the body's fields (owner defaults to the caller).
        const json sample = body.empty() ? json::object() : json::parse(body);
        const auto resource = expand(permission.resource, [&](std::string_view p) {
          if (create && sample.contains(p)) {
            return sample[std::string(p)].get<std::string>();
          }
          return create && p == "owner" ? caller : sample_value(p, route.pattern, t);
        });
        std::optional<authz::SpaceContext> space;
        if (permission.access == api::Access::in_handler) {
          space = create && kind == "spaces" ? authz::SpaceContext{std::nullopt, m.user(caller).id}
                                             : authz::SpaceContext{t.space.id, olga.id};
        }
        const auto object =
            expand(kind == "spaces" ? "spaces/{owner}/{name}" : "shares/{name}",
                   [&](std::string_view p) { return sample_value(p, route.pattern, t); });
        const auto readable =
            create || permission.access != api::Access::in_handler ||
            m.decide(caller, kind + ".read", authz::Resource{object, space, false}).allowed;
        const auto decision =
            m.decide(caller, permission.action, authz::Resource{resource, space, false});
        CAPTURE(decision.reason);
        if (!readable) {
          CHECK(answer.status == 404);
          outcomes.insert(caller + " refused");
          expect_ok = false;
        } else if (!decision.allowed) {
          REQUIRE(answer.status == 403);
          const auto error = json::parse(answer.body)["error"];
          CHECK(error["code"] == "forbidden");
          CHECK(error["message"] == decision.reason);
          outcomes.insert(caller + " refused");
          expect_ok = false;
        }
      }
      if (expect_ok) {
        CHECK(answer.status != 403);
        if (permission.access != api::Access::authenticated) {
          CHECK(answer.status != 404); // the target exists (an authenticated route's may not)
        }
        if (answer.status / 100 == 2 && route.response_body) {
          const auto problem = test::schema_problem(document, *route.response_body, answer.body);
          CHECK_MESSAGE(problem.empty(), problem);
        }
      }
    }
  }
  CHECK(pairs >= 20 * known.size());
  // Each kind of caller was served somewhere and, by prediction, refused somewhere (the admin
  // never).
  for (const auto& caller : known) {
    CAPTURE(caller);
    CHECK(outcomes.contains(caller + " refused") == (caller != "root"));
    CHECK(outcomes.contains(caller + " served"));
  }
  // The custom role does exactly what its rules say: cora changes a share of olga's, and may
  // not grant on it (shares.acl.write needs admin) nor delete the space (view only).
  m.add_space(olga, "cora-check");
  const auto cora = m.app_for(m.user("cora"));
  CHECK(agent.call("PATCH", "/api/v1/shares/cora-check", R"({"comment":"by cora"})", cora).status ==
        200);
  CHECK(agent.call("PUT", "/api/v1/shares/cora-check/acl/user:alice", R"({"level":"read"})", cora)
            .status == 403);
  CHECK(agent.call("GET", "/api/v1/spaces/olga/cora-check", {}, cora).status == 200);
  CHECK(agent.call("DELETE", "/api/v1/spaces/olga/cora-check", {}, cora).status == 403);
}

TEST_CASE("authz matrix: groups.user_groups decides who creates groups, user groups carry no "
          "roles") {
  for (const bool user_groups : {true, false}) {
    CAPTURE(user_groups);
    Matrix m(user_groups);
    auto& agent = m.agent();
    m.add_user("root", true);
    m.add_user("mary", false, true);
    for (const char* name : {"alice", "carl", "vera", "matt", "cora"}) {
      m.add_user(name);
    }
    m.bind("client", m.user("carl"));
    m.bind("viewer", m.user("vera"));
    m.bind("maintainer", m.user("matt"));
    m.bind("admin", m.user("root")); // the admin role's row, for the bindings below
    m.in_store<model::Role>([](store::Tx& tx) -> Result<model::Role> {
      model::Role role;
      role.name = "group-ops";
      auto stored = tx.create(role);
      if (!stored) {
        return stored;
      }
      model::Rule rule;
      rule.role_id = stored->id;
      rule.resource_glob = "groups/g-*";
      rule.level = model::RoleLevel::modify;
      if (auto created = tx.create(rule); !created) {
        return std::unexpected(created.error());
      }
      return stored;
    });
    m.bind("group-ops", m.user("cora"));
    const auto root = m.app_for(m.user("root"));

    for (const std::string caller : {"root", "mary", "alice", "carl", "vera", "matt", "cora"}) {
      CAPTURE(caller);
      const std::string group = "g-" + caller;
      // Without user groups the rules decide; with them any user may.
      const auto rules = m.decide(caller, "groups.create",
                                  authz::Resource{"groups/" + group, std::nullopt, false});
      const auto created = agent.call("POST", "/api/v1/groups", json{{"name", group}}.dump(),
                                      m.app_for(m.user(caller)));
      if (user_groups || rules.allowed) {
        REQUIRE_MESSAGE(created.status == 201, created.body);
        CHECK(json::parse(created.body)["owner"] == caller);
      } else {
        CHECK(created.status == 403);
        CHECK(json::parse(created.body)["error"]["message"] == rules.reason);
        continue;
      }
      // A group whose owner could not have made it without user groups is a user group: no role
      // binds to it at cluster scope, whoever asks.
      const auto bound = agent.call(
          "POST", "/api/v1/bindings",
          json{{"role", "viewer"}, {"subject_type", "group"}, {"subject", group}}.dump(), root);
      if (rules.allowed) {
        CHECK_MESSAGE(bound.status == 201, bound.body);
      } else {
        CHECK(bound.status == 409);
        CHECK(json::parse(bound.body)["error"]["message"] ==
              "group " + group + " is a user group (owned by " + caller +
                  "); user groups carry share grants only, never roles");
      }
    }
  }
}
