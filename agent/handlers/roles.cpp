#include "agent/handlers/roles.hpp"

#include <algorithm>
#include <charconv>
#include <functional>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/authz/roles.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/escalation.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/json/strict.hpp"
#include "common/validate/glob.hpp"
#include "common/validate/names.hpp"
#include "common/validate/text.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

Result<model::Role> find_role(store::Tx& tx, const std::string& name) {
  auto role = tx.find_role(name);
  if (!role && role.error().code == ErrorCode::not_found) {
    return fail(ErrorCode::not_found, "no role " + name);
  }
  return role;
}

// The role as API JSON: SPEC object fields, name, description, builtin, and the rules in force
// (a built-in role without stored rules shows its compiled-in ones), highest priority first.
Result<nlohmann::json> role_object(store::Tx& tx, const model::Role& role) {
  auto rules = tx.list<model::Rule>(store::ListQuery{role.id, 0});
  if (!rules) {
    return std::unexpected(rules.error());
  }
  nlohmann::json list = nlohmann::json::array();
  auto catalog = authz::RoleCatalog::from_store({role}, *rules);
  if (!catalog) {
    return std::unexpected(catalog.error());
  }
  if (const auto* def = catalog->find(role.id); def != nullptr) {
    for (const auto& rule : def->rules) {
      list.push_back({{"resource_glob", rule.glob},
                      {"level", model::to_string(rule.level)},
                      {"priority", rule.priority}});
    }
  }
  return nlohmann::json{{"id", role.id},
                        {"revision", role.revision},
                        {"created_at", rfc3339(role.created_at)},
                        {"updated_at", rfc3339(role.updated_at)},
                        {"name", role.name},
                        {"description", role.description},
                        {"builtin", role.builtin},
                        {"rules", std::move(list)}};
}

authz::Resource role_target(const std::string& name) {
  authz::Resource target;
  target.path = authz::role_resource(name);
  return target;
}

// The route's {name}, validated.
Result<std::string> role_name_of(const Request& request) {
  std::string name(request.param("name"));
  if (auto ok = validate::validate_role_name(name); !ok) {
    return std::unexpected(ok.error());
  }
  return name;
}

// GET /api/v1/roles
Result<Response> list_roles(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto roles = context.store.view_result(
      [&](store::Tx& tx) -> Result<std::vector<std::pair<std::string, nlohmann::json>>> {
        auto all = tx.list<model::Role>();
        if (!all) {
          return std::unexpected(all.error());
        }
        std::vector<std::pair<std::string, nlohmann::json>> out;
        for (const auto& role : *all) {
          auto object = role_object(tx, role);
          if (!object) {
            return std::unexpected(object.error());
          }
          out.emplace_back(role.name, std::move(*object));
        }
        return out;
      });
  if (!roles) {
    return std::unexpected(roles.error());
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [name, object] : *roles) {
    auto decision = decide(context, caller, "roles.read", role_target(name));
    if (!decision) {
      return std::unexpected(decision.error());
    }
    if (decision->allowed) {
      out.push_back(std::move(object));
    }
  }
  return Response::json(200, out.dump());
}

// GET /api/v1/roles/{name}
Result<Response> show_role(AgentContext& context, Request& request) {
  auto name = role_name_of(request);
  if (!name) {
    return std::unexpected(name.error());
  }
  if (auto ok = authorize_resource(context, request, caller_of(request), "roles.read",
                                   role_target(*name));
      !ok) {
    return std::unexpected(ok.error());
  }
  auto object = context.store.view_result([&](store::Tx& tx) -> Result<nlohmann::json> {
    auto role = find_role(tx, *name);
    if (!role) {
      return std::unexpected(role.error());
    }
    return role_object(tx, *role);
  });
  if (!object) {
    return std::unexpected(object.error());
  }
  return Response::json(200, object->dump());
}

// POST /api/v1/roles: {name, description?}; a custom role without rules (gives nothing yet).
Result<Response> create_role(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto body = read_named_body(request, validate::validate_role_name);
  if (!body) {
    return std::unexpected(body.error());
  }
  const std::string* name = &body->name;
  const auto target = role_target(*name);
  if (auto ok = authorize_resource(context, request, caller, "roles.create", target); !ok) {
    return std::unexpected(ok.error());
  }
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<nlohmann::json> {
    model::Role role;
    role.name = *name;
    role.description = body->description;
    auto stored = tx.create(role);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (auto audit = tx.create(audit_event(request, &caller.user, "roles.create", target.path,
                                           AuditOutcome::allowed, ""));
        !audit) {
      return std::unexpected(audit.error());
    }
    return role_object(tx, *stored);
  });
  if (!created) {
    return std::unexpected(created.error());
  }
  return Response::json(201, created->dump());
}

// The custom role named `name`: not_found when there is none, conflict for a built-in role
// (those cannot be changed or deleted).
Result<model::Role> custom_role(store::Tx& tx, const std::string& name) {
  auto role = find_role(tx, name);
  if (role && role->builtin) {
    return fail(ErrorCode::conflict,
                fmt::format("{} is a built-in role and cannot be changed; create a custom role",
                            role->name));
  }
  return role;
}

// DELETE /api/v1/roles/{name}: the role, its rules and its bindings.
Result<Response> delete_role(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto name = role_name_of(request);
  auto expected = if_match(request);
  if (!name || !expected) {
    return std::unexpected(!name ? name.error() : expected.error());
  }
  const auto target = role_target(*name);
  if (auto ok = authorize_resource(context, request, caller, "roles.delete", target); !ok) {
    return std::unexpected(ok.error());
  }
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    auto role = custom_role(tx, *name);
    if (!role) {
      return std::unexpected(role.error());
    }
    auto removed = tx.remove<model::Role>(role->id, *expected);
    if (!removed) {
      if (*expected && removed.error().code == ErrorCode::conflict) {
        return fail(ErrorCode::precondition_failed, removed.error().message);
      }
      return removed;
    }
    return first_error(tx.create(audit_event(request, &caller.user, "roles.delete", target.path,
                                             AuditOutcome::allowed, "")));
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return Response::no_content();
}

// Whether the caller holds, cluster-wide, every rule role `name` has once `change` is made to
// its stored rule rows (no escalation: a role is changed only by those who hold all of it
// afterwards). Forbidden and audited otherwise; not_found for an unknown or built-in role.
Status check_rules_held(AgentContext& context, const Request& request, const Caller& caller,
                        const std::string& name, const std::string& resource,
                        const std::function<void(std::vector<model::Rule>&)>& change) {
  auto wanted =
      context.store.view_result([&](store::Tx& tx) -> Result<std::vector<authz::RuleDef>> {
        auto role = custom_role(tx, name);
        if (!role) {
          return std::unexpected(role.error());
        }
        auto rows = tx.list<model::Rule>(store::ListQuery{role->id, 0});
        if (!rows) {
          return std::unexpected(rows.error());
        }
        change(*rows);
        for (auto& row : *rows) {
          row.role_id = role->id; // the rows a change adds
        }
        return rules_in_force(*role, *rows);
      });
  if (!wanted) {
    return std::unexpected(wanted.error());
  }
  return check_no_escalation(context, request, caller, "roles.update", resource,
                             "change role " + name,
                             {Giving{std::move(*wanted), {}, "role " + name}});
}

// POST /api/v1/roles/{name}/rules: {resource_glob, level, priority?}; a rule with the same glob
// is replaced.
Result<Response> add_rule(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto name = role_name_of(request);
  auto body = json::parse_strict(request.body);
  if (!name || !body) {
    return std::unexpected(!name ? name.error() : body.error());
  }
  json::ObjectReader reader(*body);
  auto glob = reader.required_string("resource_glob");
  auto level_text = reader.required_string("level");
  auto priority = reader.optional_int64("priority");
  for (const Status& st :
       {first_error(glob), first_error(level_text), first_error(priority), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (auto ok = validate::validate_glob(*glob); !ok) {
    return fail(ErrorCode::bad_request, "resource_glob: " + ok.error().message);
  }
  auto level = model::parse_enum<model::RoleLevel>(*level_text);
  if (!level) {
    return fail(ErrorCode::bad_request, "level: give view, client, modify or admin");
  }
  const std::int64_t prio = priority->value_or(0);
  if (prio < -1000 || prio > 1000) {
    return fail(ErrorCode::bad_request, "priority: give a whole number from -1000 to 1000");
  }
  const auto target = role_target(*name);
  if (auto ok = authorize_resource(context, request, caller, "roles.update", target); !ok) {
    return std::unexpected(ok.error());
  }
  const auto add_row = [&](std::vector<model::Rule>& rows) {
    std::erase_if(rows, [&](const model::Rule& r) { return r.resource_glob == *glob; });
    model::Rule rule;
    rule.resource_glob = *glob;
    rule.level = *level;
    rule.priority = static_cast<int>(prio);
    rows.push_back(rule);
  };
  if (auto ok = check_rules_held(context, request, caller, *name, target.path, add_row); !ok) {
    return std::unexpected(ok.error());
  }
  auto added = context.store.transact_result([&](store::Tx& tx) -> Result<nlohmann::json> {
    auto role = custom_role(tx, *name);
    if (!role) {
      return std::unexpected(role.error());
    }
    auto rules = tx.list<model::Rule>(store::ListQuery{role->id, 0});
    if (!rules) {
      return std::unexpected(rules.error());
    }
    for (const auto& rule : *rules) {
      if (rule.resource_glob == *glob) {
        if (auto removed = tx.remove<model::Rule>(rule.id); !removed) {
          return std::unexpected(removed.error());
        }
      }
    }
    model::Rule rule;
    rule.role_id = role->id;
    rule.resource_glob = *glob;
    rule.level = *level;
    rule.priority = static_cast<int>(prio);
    if (auto stored = tx.create(rule); !stored) {
      return std::unexpected(stored.error());
    }
    if (auto audit = tx.create(audit_event(
            request, &caller.user, "roles.update", target.path, AuditOutcome::allowed,
            fmt::format("rule {} {} priority {}", *glob, model::to_string(*level), prio)));
        !audit) {
      return std::unexpected(audit.error());
    }
    return nlohmann::json{
        {"resource_glob", *glob}, {"level", model::to_string(*level)}, {"priority", prio}};
  });
  if (!added) {
    return std::unexpected(added.error());
  }
  return Response::json(201, added->dump());
}

// DELETE /api/v1/roles/{name}/rules?resource_glob=G
Result<Response> remove_rule(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto name = role_name_of(request);
  if (!name) {
    return std::unexpected(name.error());
  }
  std::string glob;
  for (const auto& [key, value] : request.query_params) {
    if (key != "resource_glob") {
      return fail(ErrorCode::bad_request,
                  "unknown query parameter " + key + "; give resource_glob");
    }
    glob = value;
  }
  if (auto ok = validate::validate_glob(glob); !ok) {
    return fail(ErrorCode::bad_request, "resource_glob: " + ok.error().message);
  }
  const auto target = role_target(*name);
  if (auto ok = authorize_resource(context, request, caller, "roles.update", target); !ok) {
    return std::unexpected(ok.error());
  }
  const auto remove_row = [&](std::vector<model::Rule>& rows) {
    std::erase_if(rows, [&](const model::Rule& r) { return r.resource_glob == glob; });
  };
  if (auto ok = check_rules_held(context, request, caller, *name, target.path, remove_row); !ok) {
    return std::unexpected(ok.error());
  }
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    auto role = custom_role(tx, *name);
    if (!role) {
      return std::unexpected(role.error());
    }
    auto rules = tx.list<model::Rule>(store::ListQuery{role->id, 0});
    if (!rules) {
      return std::unexpected(rules.error());
    }
    const auto it = std::ranges::find_if(
        *rules, [&](const model::Rule& rule) { return rule.resource_glob == glob; });
    if (it == rules->end()) {
      return fail(ErrorCode::not_found, fmt::format("role {} has no rule {}", *name, glob));
    }
    if (auto removed = tx.remove<model::Rule>(it->id); !removed) {
      return removed;
    }
    return first_error(tx.create(audit_event(request, &caller.user, "roles.update", target.path,
                                             AuditOutcome::allowed, "remove rule " + glob)));
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return Response::no_content();
}

} // namespace

std::vector<api::Route> role_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"GET", "/api/v1/roles", bind(list_roles), Permission::authenticated(),
                 "List the roles the caller may view, with their rules"}
          .cached()
          .answers(200, api::Schema::list_of(schemas::role())),
      api::Route{"POST", "/api/v1/roles", bind(create_role),
                 Permission::in_handler("roles.create", "roles/{name}"),
                 "Create a custom role (no rules yet)"}
          .takes(schemas::role_create())
          .answers(201, schemas::role()),
      api::Route{"GET", "/api/v1/roles/{name}", bind(show_role),
                 Permission::in_handler("roles.read", "roles/{name}"), "Show a role and its rules"}
          .cached()
          .answers(200, schemas::role()),
      api::Route{"DELETE", "/api/v1/roles/{name}", bind(delete_role),
                 Permission::in_handler("roles.delete", "roles/{name}"),
                 "Delete a custom role with its rules and bindings"}
          .answers(204),
      api::Route{"POST", "/api/v1/roles/{name}/rules", bind(add_rule),
                 Permission::in_handler("roles.update", "roles/{name}"),
                 "Add (or replace) a rule of a custom role"}
          .takes(schemas::rule_add())
          .answers(201, schemas::rule()),
      api::Route{"DELETE", "/api/v1/roles/{name}/rules", bind(remove_rule),
                 Permission::in_handler("roles.update", "roles/{name}"),
                 "Remove the rule with ?resource_glob= from a custom role"}
          .answers(204),
  };
}

} // namespace sharectl::agent::handlers
