#include "agent/handlers/users.hpp"

#include <charconv>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/authorize.hpp"
#include "agent/authz/resources.hpp"
#include "agent/authz/roles.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/schemas.hpp"
#include "common/json/strict.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// The caller's authorization inputs, read once and evaluated for many users (listing) or with
// the target's admin flag (changes to an admin need more than the manager flag).
class Evaluator {
public:
  // Reads the caller's cluster bindings and the role catalog. Fails like the store.
  static Result<Evaluator> load(AgentContext& context, const Caller& caller) {
    struct Inputs {
      std::vector<model::Binding> bindings;
      std::vector<model::Role> roles;
      std::vector<model::Rule> rules;
    };
    auto inputs = context.store.view_result([&](store::Tx& tx) -> Result<Inputs> {
      auto bindings = tx.applicable_bindings(caller.user.id, {}, std::nullopt);
      auto roles = tx.list<model::Role>();
      auto rules = tx.list<model::Rule>();
      if (!bindings || !roles || !rules) {
        return std::unexpected(!bindings ? bindings.error()
                               : !roles  ? roles.error()
                                         : rules.error());
      }
      return Inputs{std::move(*bindings), std::move(*roles), std::move(*rules)};
    });
    if (!inputs) {
      return std::unexpected(inputs.error());
    }
    auto catalog = authz::RoleCatalog::from_store(inputs->roles, inputs->rules);
    if (!catalog) {
      return std::unexpected(catalog.error());
    }
    Evaluator out{authz::subject_of(caller.user), {}, std::move(*catalog)};
    for (const auto& binding : inputs->bindings) {
      out.m_bindings.push_back(authz::effective_binding(binding));
    }
    return out;
  }

  // The decision for `action` on the user `target`.
  authz::Decision decide(std::string_view action, const model::User& target) const {
    const authz::Resource resource{authz::user_resource(target.username), std::nullopt,
                                   target.is_admin};
    return authz::authorize(m_subject, action, resource, m_bindings, m_catalog);
  }

private:
  Evaluator(authz::Subject subject, std::vector<authz::EffectiveBinding> bindings,
            authz::RoleCatalog catalog)
      : m_subject(std::move(subject)), m_bindings(std::move(bindings)),
        m_catalog(std::move(catalog)) {}

  authz::Subject m_subject;
  std::vector<authz::EffectiveBinding> m_bindings;
  authz::RoleCatalog m_catalog;
};

// The target user of a /users/{name} request; not_found (never a hint beyond the name).
Result<model::User> target_user(AgentContext& context, const Request& request) {
  const std::string name(request.param("name"));
  if (auto ok = validate::validate_username(name); !ok) {
    return std::unexpected(ok.error());
  }
  auto user = context.store.view_result([&](store::Tx& tx) { return tx.find_user(name); });
  if (!user && user.error().code == ErrorCode::not_found) {
    return fail(ErrorCode::not_found, fmt::format("no user {}", name));
  }
  return user;
}

// Checks `action` on `target` with its admin flag; audits and returns forbidden on a denial.
Status check(AgentContext& context, const Request& request, const Caller& caller,
             std::string_view action, const model::User& target) {
  auto evaluator = Evaluator::load(context, caller);
  if (!evaluator) {
    return std::unexpected(evaluator.error());
  }
  const auto decision = evaluator->decide(action, target);
  if (!decision.allowed) {
    audit_outside(context, audit_event(request, &caller.user, std::string(action),
                                       authz::user_resource(target.username), AuditOutcome::denied,
                                       decision.reason));
    return fail(ErrorCode::forbidden, decision.reason);
  }
  return {};
}

// Refuses (409) a change that would leave no active user with the admin flag: `target` is about
// to be disabled or deleted. Read inside the change's transaction, so two admins disabling each
// other at once cannot both succeed. Fails like the store.
Status keep_an_active_admin(store::Tx& tx, const model::User& target, std::string_view change) {
  if (!target.is_admin || !target.is_active) {
    return {};
  }
  auto users = tx.list<model::User>();
  if (!users) {
    return std::unexpected(users.error());
  }
  for (const auto& user : *users) {
    if (user.id != target.id && user.is_admin && user.is_active) {
      return {};
    }
  }
  return fail(ErrorCode::conflict,
              fmt::format("cannot {} {}: they are the last active admin; make another user an "
                          "admin first",
                          change, target.username));
}

// GET /api/v1/users: the users the caller may read.
Result<Response> list_users(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto evaluator = Evaluator::load(context, caller);
  if (!evaluator) {
    return std::unexpected(evaluator.error());
  }
  auto users = context.store.view_result([](store::Tx& tx) { return tx.list<model::User>(); });
  if (!users) {
    return std::unexpected(users.error());
  }
  std::string out = "[";
  for (const auto& user : *users) {
    if (!evaluator->decide("users.read", user).allowed) {
      continue;
    }
    if (out.size() > 1) {
      out += ',';
    }
    out += user_json(user);
  }
  out += ']';
  return Response::json(200, out);
}

// GET /api/v1/users/{name}
Result<Response> show_user(AgentContext& context, Request& request) {
  auto target = target_user(context, request);
  if (!target) {
    return std::unexpected(target.error());
  }
  return Response::json(200, user_json(*target));
}

// PATCH /api/v1/users/{name}: {is_active?, allowance_bytes? (null: the default)}.
Result<Response> patch_user(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto is_active = reader.optional_bool("is_active");
  const nlohmann::json* allowance_value = reader.optional_value("allowance_bytes");
  for (const Status& st : {first_error(is_active), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  std::optional<std::optional<std::uint64_t>> allowance;
  if (allowance_value != nullptr) {
    if (allowance_value->is_null()) {
      allowance = std::optional<std::uint64_t>{};
    } else if (allowance_value->is_number_unsigned()) {
      allowance = allowance_value->get<std::uint64_t>();
    } else if (allowance_value->is_number_integer() && allowance_value->get<std::int64_t>() >= 0) {
      allowance = static_cast<std::uint64_t>(allowance_value->get<std::int64_t>());
    } else {
      return fail(ErrorCode::bad_request,
                  "allowance_bytes: give a non-negative whole number of bytes, or null");
    }
  }
  if (!*is_active && !allowance) {
    return fail(ErrorCode::bad_request, "give is_active and/or allowance_bytes");
  }
  auto expected = if_match(request);
  if (!expected) {
    return std::unexpected(expected.error());
  }
  auto target = target_user(context, request);
  if (!target) {
    return std::unexpected(target.error());
  }
  if (auto allowed = check(context, request, caller, "users.update", *target); !allowed) {
    return std::unexpected(allowed.error());
  }
  if (*is_active && !**is_active && target->id == caller.user.id) {
    return fail(ErrorCode::conflict, "you cannot disable yourself");
  }
  const std::string resource = authz::user_resource(target->username);
  std::vector<model::Id> ended;
  auto updated = context.store.transact_result([&](store::Tx& tx) -> Result<model::User> {
    ended.clear();
    auto current = current_at<model::User>(tx, target->id, *expected, "user " + target->username);
    if (!current) {
      return std::unexpected(current.error());
    }
    if (*is_active && !**is_active) {
      if (auto kept = keep_an_active_admin(tx, *current, "disable"); !kept) {
        return std::unexpected(kept.error());
      }
    }
    std::vector<std::string> changes;
    if (*is_active && **is_active != current->is_active) {
      current->is_active = **is_active;
      changes.push_back(**is_active ? "enabled" : "disabled");
    }
    if (allowance && *allowance != current->allowance_bytes) {
      current->allowance_bytes = *allowance;
      changes.push_back(*allowance ? fmt::format("allowance {} bytes", **allowance)
                                   : std::string("allowance default"));
    }
    if (changes.empty()) {
      return current;
    }
    auto stored = tx.update(*current);
    if (!stored) {
      return std::unexpected(stored.error());
    }
    if (!stored->is_active) {
      auto apps = tx.list<model::App>(store::ListQuery{stored->id, 0});
      if (!apps) {
        return std::unexpected(apps.error());
      }
      for (const auto& app : *apps) {
        if (auto removed = tx.remove<model::App>(app.id); !removed) {
          return std::unexpected(removed.error());
        }
        ended.push_back(app.id);
      }
      changes.push_back(fmt::format("ended {} apps", ended.size()));
    }
    std::string detail;
    for (const auto& change : changes) {
      detail += (detail.empty() ? "" : ", ") + change;
    }
    auto audit = tx.create(audit_event(request, &caller.user, "users.update", resource,
                                       AuditOutcome::allowed, detail));
    if (!audit) {
      return std::unexpected(audit.error());
    }
    return stored;
  });
  if (!updated) {
    return std::unexpected(updated.error());
  }
  for (const auto& id : ended) {
    context.last_used.forget(id);
  }
  return Response::json(200, user_json(*updated));
}

// DELETE /api/v1/users/{name}: the user and their apps (409 while they still own things).
Result<Response> delete_user(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto expected = if_match(request);
  if (!expected) {
    return std::unexpected(expected.error());
  }
  auto target = target_user(context, request);
  if (!target) {
    return std::unexpected(target.error());
  }
  if (auto allowed = check(context, request, caller, "users.delete", *target); !allowed) {
    return std::unexpected(allowed.error());
  }
  if (target->id == caller.user.id) {
    return fail(ErrorCode::conflict, "you cannot delete yourself");
  }
  std::vector<model::Id> ended;
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    ended.clear();
    auto current = tx.get<model::User>(target->id);
    if (!current) {
      return std::unexpected(current.error());
    }
    if (auto kept = keep_an_active_admin(tx, *current, "delete"); !kept) {
      return kept;
    }
    auto apps = tx.list<model::App>(store::ListQuery{target->id, 0});
    if (!apps) {
      return std::unexpected(apps.error());
    }
    for (const auto& app : *apps) {
      if (auto removed = tx.remove<model::App>(app.id); !removed) {
        return removed;
      }
      ended.push_back(app.id);
    }
    auto removed = tx.remove<model::User>(target->id, *expected);
    if (!removed) {
      if (*expected && removed.error().code == ErrorCode::conflict) {
        return fail(ErrorCode::precondition_failed,
                    fmt::format("user {} is not at revision {}", target->username, **expected));
      }
      return removed;
    }
    return first_error(tx.create(
        audit_event(request, &caller.user, "users.delete", authz::user_resource(target->username),
                    AuditOutcome::allowed, fmt::format("deleted; ended {} apps", ended.size()))));
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  for (const auto& id : ended) {
    context.last_used.forget(id);
  }
  return Response::no_content();
}

} // namespace

std::vector<api::Route> user_routes(AgentContext& context) {
  using api::Permission;
  auto bind = [&context](Result<Response> (*fn)(AgentContext&, Request&)) {
    return [&context, fn](Request& request) { return fn(context, request); };
  };
  return {
      api::Route{"GET", "/api/v1/users", bind(list_users), Permission::authenticated(),
                 "List the users the caller may see"}
          .cached()
          .answers(200, api::Schema::list_of(schemas::user())),
      api::Route{"GET", "/api/v1/users/{name}", bind(show_user),
                 Permission::of("users.read", "users/{name}"), "Show a user"}
          .cached()
          .answers(200, schemas::user()),
      api::Route{"PATCH", "/api/v1/users/{name}", bind(patch_user),
                 Permission::of("users.update", "users/{name}"),
                 "Enable or disable a user (disabling ends their apps) or set their allowance"}
          .takes(schemas::user_patch())
          .answers(200, schemas::user()),
      api::Route{"DELETE", "/api/v1/users/{name}", bind(delete_user),
                 Permission::of("users.delete", "users/{name}"), "Delete a user and their apps"}
          .answers(204),
  };
}

} // namespace sharectl::agent::handlers
