// The binding routes of roles.hpp: GET,POST,DELETE /api/v1/bindings. A user group
// (group_view.hpp user_group_owner) is never bound to a role at cluster scope, and on a space
// only when the space's owner owns it (409 otherwise): its owner may add anyone to it, so it
// must carry share grants only, or no more than its owner could give on their own space.
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/authz/resources.hpp"
#include "agent/handlers/authenticate.hpp"
#include "agent/handlers/escalation.hpp"
#include "agent/handlers/group_view.hpp"
#include "agent/handlers/render.hpp"
#include "agent/handlers/request.hpp"
#include "agent/handlers/roles.hpp"
#include "agent/handlers/schemas.hpp"
#include "agent/handlers/space_authz.hpp"
#include "common/json/strict.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::handlers {

namespace {

using api::Request;
using api::Response;
using model::AuditOutcome;

// The most characters of an external group name (an LDAP/AD group's name or an OIDC claim).
constexpr std::size_t k_max_external_group = 256;

// What a binding request names, resolved against the store.
struct BindingSpec {
  model::Role role;
  model::SubjectKind kind = model::SubjectKind::user;
  std::string subject_name;          // username, group name or external group name
  std::string subject;               // the stored subject: user id, group id or the external name
  std::optional<model::Group> group; // the group, for subject_type group
  std::optional<model::Space> space;
  std::string space_name; // "owner/name" when scoped
};

// An external group name is only ever compared, never rendered: 1 to 256 characters, no
// control characters.
Status validate_external_group(std::string_view name) {
  if (name.empty() || name.size() > k_max_external_group) {
    return fail(ErrorCode::bad_request, "subject: an external group name has 1 to 256 characters");
  }
  for (const unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return fail(ErrorCode::bad_request,
                  "subject: an external group name cannot hold control characters");
    }
  }
  return {};
}

// Resolves role, subject and space (all by name) in `tx`; not_found names what is missing.
Result<BindingSpec> resolve(store::Tx& tx, const std::string& role, const std::string& type,
                            const std::string& subject, const std::optional<std::string>& space) {
  BindingSpec spec;
  auto found = tx.find_role(role);
  if (!found) {
    return found.error().code == ErrorCode::not_found
               ? fail(ErrorCode::not_found, "no role " + role)
               : std::unexpected(found.error());
  }
  spec.role = std::move(*found);
  spec.subject_name = subject;
  if (type == "user") {
    auto user = tx.find_user(subject);
    if (!user) {
      return user.error().code == ErrorCode::not_found
                 ? fail(ErrorCode::not_found, "no user " + subject)
                 : std::unexpected(user.error());
    }
    spec.kind = model::SubjectKind::user;
    spec.subject = user->id;
  } else if (type == "group") {
    auto group = tx.find_group(subject);
    if (!group) {
      return group.error().code == ErrorCode::not_found
                 ? fail(ErrorCode::not_found, "no group " + subject)
                 : std::unexpected(group.error());
    }
    spec.kind = model::SubjectKind::group;
    spec.subject = group->id;
    spec.group = std::move(*group);
  } else {
    spec.kind = model::SubjectKind::external_group;
    spec.subject = subject;
  }
  if (space) {
    const auto slash = space->find('/');
    const std::string owner = slash == std::string::npos ? "" : space->substr(0, slash);
    const std::string name = slash == std::string::npos ? *space : space->substr(slash + 1);
    auto user = tx.find_user(owner);
    auto found_space = user ? tx.find_space(user->id, name) : std::unexpected(user.error());
    if (!found_space) {
      return found_space.error().code == ErrorCode::not_found
                 ? fail(ErrorCode::not_found, "no space " + *space)
                 : std::unexpected(found_space.error());
    }
    spec.space = std::move(*found_space);
    spec.space_name = *space;
  }
  return spec;
}

// Checks the request's role/subject_type/subject/space values.
Status validate_request(const std::string& role, const std::string& type,
                        const std::string& subject, const std::optional<std::string>& space) {
  if (auto ok = validate::validate_role_name(role); !ok) {
    return fail(ErrorCode::bad_request, "role: " + ok.error().message);
  }
  Status ok;
  if (type == "user") {
    ok = validate::validate_username(subject);
  } else if (type == "group") {
    ok = validate::validate_group_name(subject);
  } else if (type == "external_group") {
    ok = validate_external_group(subject);
  } else {
    return fail(ErrorCode::bad_request, "subject_type: give user, group or external_group");
  }
  if (!ok) {
    return fail(ErrorCode::bad_request, "subject: " + ok.error().message);
  }
  if (space) {
    const auto slash = space->find('/');
    if (slash == std::string::npos) {
      return fail(ErrorCode::bad_request, "space: give OWNER/NAME");
    }
    if (auto v = validate::validate_username(space->substr(0, slash)); !v) {
      return fail(ErrorCode::bad_request, "space: " + v.error().message);
    }
    if (auto v = validate::validate_space_name(space->substr(slash + 1)); !v) {
      return fail(ErrorCode::bad_request, "space: " + v.error().message);
    }
  }
  return {};
}

// Whether the group of `spec` may carry its role: not a user group, or (on a space) one the
// space's owner owns. A conflict saying why otherwise, audited as a denial of roles.bind.
Status check_group_subject(AgentContext& context, const Request& request, const Caller& caller,
                           const BindingSpec& spec, const std::string& resource) {
  if (!spec.group) {
    return {};
  }
  auto owner = user_group_owner(context, *spec.group);
  if (!owner) {
    return std::unexpected(owner.error());
  }
  if (!*owner || (spec.space && spec.group->owner_id == spec.space->owner_id)) {
    return {};
  }
  std::string reason =
      fmt::format("group {} is a user group (owned by {}); ", spec.group->name, **owner);
  if (spec.space) {
    const std::string space_owner = spec.space_name.substr(0, spec.space_name.find('/'));
    reason += fmt::format("on space {} a role may be bound only to groups {} owns or to "
                          "directory groups",
                          spec.space_name, space_owner);
  } else {
    reason += "user groups carry share grants only, never roles";
  }
  audit_outside(context, audit_event(request, &caller.user, "roles.bind", resource,
                                     AuditOutcome::denied, reason));
  return fail(ErrorCode::conflict, reason);
}

// Whether the caller holds all that the role of `spec` gives at the binding's scope (no
// escalation: a binding gives no more than its maker has); forbidden and audited otherwise.
Status check_role_held(AgentContext& context, const Request& request, const Caller& caller,
                       const BindingSpec& spec, const std::string& resource) {
  auto rows = context.store.view_result([&](store::Tx& tx) {
    return tx.list<model::Rule>(store::ListQuery{spec.role.id, 0});
  });
  if (!rows) {
    return std::unexpected(rows.error());
  }
  auto rules = rules_in_force(spec.role, *rows);
  if (!rules) {
    return std::unexpected(rules.error());
  }
  Giving giving{std::move(*rules), {}, "role " + spec.role.name};
  if (spec.space) {
    giving.scope.space = authz::SpaceContext{spec.space->id, spec.space->owner_id};
    giving.source += " on space " + spec.space_name;
  } else {
    giving.source += " (cluster-wide)";
  }
  return check_no_escalation(context, request, caller, "roles.bind", resource,
                             "bind role " + spec.role.name, {giving});
}

// roles/<role>, in the space's context when the binding is scoped to one.
authz::Resource target_of(const BindingSpec& spec) {
  authz::Resource target;
  target.path = authz::role_resource(spec.role.name);
  if (spec.space) {
    target.space = authz::SpaceContext{spec.space->id, spec.space->owner_id};
  }
  return target;
}

std::string type_name(model::SubjectKind kind) {
  return std::string(model::to_string(kind));
}

std::string binding_json(const model::Binding& binding, const BindingSpec& spec) {
  nlohmann::json out{{"id", binding.id},
                     {"revision", binding.revision},
                     {"created_at", rfc3339(binding.created_at)},
                     {"updated_at", rfc3339(binding.updated_at)},
                     {"role", spec.role.name},
                     {"subject_type", type_name(spec.kind)},
                     {"subject", spec.subject_name}};
  out["space"] = spec.space ? nlohmann::json(spec.space_name) : nlohmann::json(nullptr);
  return out.dump();
}

// The names of a stored binding (role, subject, space) for display; ids stand in for anything
// gone meanwhile.
Result<BindingSpec> describe(store::Tx& tx, const model::Binding& binding) {
  BindingSpec spec;
  spec.kind = binding.subject_kind;
  spec.subject = binding.subject;
  spec.subject_name = binding.subject;
  auto role = tx.get<model::Role>(binding.role_id);
  if (!role) {
    return std::unexpected(role.error());
  }
  spec.role = std::move(*role);
  if (binding.subject_kind == model::SubjectKind::user) {
    if (auto user = tx.get<model::User>(binding.subject)) {
      spec.subject_name = user->username;
    }
  } else if (binding.subject_kind == model::SubjectKind::group) {
    if (auto group = tx.get<model::Group>(binding.subject)) {
      spec.subject_name = group->name;
    }
  }
  if (binding.space_id) {
    auto space = tx.get<model::Space>(*binding.space_id);
    if (!space) {
      return std::unexpected(space.error());
    }
    auto owner = tx.get<model::User>(space->owner_id);
    spec.space_name = (owner ? owner->username : space->owner_id) + "/" + space->name;
    spec.space = std::move(*space);
  }
  return spec;
}

// GET /api/v1/bindings: the bindings of roles the caller may view.
Result<Response> list_bindings(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  using Described = std::pair<model::Binding, BindingSpec>;
  auto all = context.store.view_result([&](store::Tx& tx) -> Result<std::vector<Described>> {
    auto bindings = tx.list<model::Binding>();
    if (!bindings) {
      return std::unexpected(bindings.error());
    }
    std::vector<Described> out;
    for (auto& binding : *bindings) {
      auto spec = describe(tx, binding);
      if (!spec) {
        return std::unexpected(spec.error());
      }
      out.emplace_back(std::move(binding), std::move(*spec));
    }
    return out;
  });
  if (!all) {
    return std::unexpected(all.error());
  }
  std::string out = "[";
  for (const auto& [binding, spec] : *all) {
    auto decision = decide(context, caller, "roles.read", target_of(spec));
    if (!decision) {
      return std::unexpected(decision.error());
    }
    if (!decision->allowed) {
      continue;
    }
    if (out.size() > 1) {
      out += ',';
    }
    out += binding_json(binding, spec);
  }
  out += ']';
  return Response::json(200, out);
}

// The binding of `spec` among the stored ones; nullopt when there is none.
Result<std::optional<model::Binding>> find_binding(store::Tx& tx, const BindingSpec& spec) {
  auto bindings = tx.list<model::Binding>();
  if (!bindings) {
    return std::unexpected(bindings.error());
  }
  const std::optional<model::Id> space_id =
      spec.space ? std::optional<model::Id>(spec.space->id) : std::nullopt;
  for (auto& binding : *bindings) {
    if (binding.role_id == spec.role.id && binding.subject_kind == spec.kind &&
        binding.subject == spec.subject && binding.space_id == space_id) {
      return std::optional<model::Binding>(std::move(binding));
    }
  }
  return std::optional<model::Binding>();
}

// POST /api/v1/bindings: {role, subject_type, subject, space?}. Binding twice is 409.
Result<Response> create_binding(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  auto body = json::parse_strict(request.body);
  if (!body) {
    return std::unexpected(body.error());
  }
  json::ObjectReader reader(*body);
  auto role = reader.required_string("role");
  auto type = reader.required_string("subject_type");
  auto subject = reader.required_string("subject");
  auto space = reader.optional_string("space");
  for (const Status& st : {first_error(role), first_error(type), first_error(subject),
                           first_error(space), reader.finish()}) {
    if (!st) {
      return std::unexpected(st.error());
    }
  }
  if (auto ok = validate_request(*role, *type, *subject, *space); !ok) {
    return std::unexpected(ok.error());
  }
  auto spec = context.store.view_result(
      [&](store::Tx& tx) { return resolve(tx, *role, *type, *subject, *space); });
  if (!spec) {
    return std::unexpected(spec.error());
  }
  const auto target = target_of(*spec);
  if (auto ok = authorize_resource(context, request, caller, "roles.bind", target); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_group_subject(context, request, caller, *spec, target.path); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_role_held(context, request, caller, *spec, target.path); !ok) {
    return std::unexpected(ok.error());
  }
  auto created = context.store.transact_result([&](store::Tx& tx) -> Result<std::string> {
    model::Binding binding;
    binding.role_id = spec->role.id;
    binding.subject_kind = spec->kind;
    binding.subject = spec->subject;
    if (spec->space) {
      binding.space_id = spec->space->id;
    }
    auto stored = tx.create(binding);
    if (!stored) {
      return stored.error().code == ErrorCode::conflict
                 ? fail(ErrorCode::conflict, "that binding exists already")
                 : std::unexpected(stored.error());
    }
    if (auto audit = tx.create(audit_event(
            request, &caller.user, "roles.bind", target.path, AuditOutcome::allowed,
            fmt::format("bind {} {}{}", *type, *subject,
                        spec->space ? " on space " + spec->space_name : std::string())));
        !audit) {
      return std::unexpected(audit.error());
    }
    return binding_json(*stored, *spec);
  });
  if (!created) {
    return std::unexpected(created.error());
  }
  return Response::json(201, *created);
}

// DELETE /api/v1/bindings?role=R&subject_type=T&subject=S[&space=OWNER/NAME]
Result<Response> delete_binding(AgentContext& context, Request& request) {
  const Caller& caller = caller_of(request);
  std::string role, type, subject;
  std::optional<std::string> space;
  for (const auto& [key, value] : request.query_params) {
    if (key == "role") {
      role = value;
    } else if (key == "subject_type") {
      type = value;
    } else if (key == "subject") {
      subject = value;
    } else if (key == "space") {
      space = value;
    } else {
      return fail(ErrorCode::bad_request, "unknown query parameter " + key +
                                              "; give role, subject_type, subject and space");
    }
  }
  if (auto ok = validate_request(role, type, subject, space); !ok) {
    return std::unexpected(ok.error());
  }
  auto spec = context.store.view_result(
      [&](store::Tx& tx) { return resolve(tx, role, type, subject, space); });
  if (!spec) {
    return std::unexpected(spec.error());
  }
  const auto target = target_of(*spec);
  if (auto ok = authorize_resource(context, request, caller, "roles.bind", target); !ok) {
    return std::unexpected(ok.error());
  }
  auto done = context.store.transact([&](store::Tx& tx) -> Status {
    auto found = find_binding(tx, *spec);
    if (!found) {
      return std::unexpected(found.error());
    }
    if (!*found) {
      return fail(ErrorCode::not_found,
                  fmt::format("{} {} has no binding of role {}{}", type, subject, role,
                              space ? " on space " + *space : std::string()));
    }
    if (auto removed = tx.remove<model::Binding>((*found)->id); !removed) {
      return removed;
    }
    return first_error(tx.create(
        audit_event(request, &caller.user, "roles.bind", target.path, AuditOutcome::allowed,
                    fmt::format("unbind {} {}{}", type, subject,
                                space ? " on space " + *space : std::string()))));
  });
  if (!done) {
    return std::unexpected(done.error());
  }
  return Response::no_content();
}

} // namespace

std::vector<api::Route> binding_routes(AgentContext& context) {
  using api::Permission;
  const auto bind = [&context](HandlerFn fn) { return bind_handler(context, fn); };
  return {
      api::Route{"GET", "/api/v1/bindings", bind(list_bindings), Permission::authenticated(),
                 "List the role bindings the caller may view"}
          .cached()
          .answers(200, api::Schema::list_of(schemas::binding())),
      api::Route{"POST", "/api/v1/bindings", bind(create_binding),
                 Permission::in_handler("roles.bind", "roles/{role}"),
                 "Bind a role to a user, group or external group (cluster or one space)"}
          .takes(schemas::binding_create())
          .answers(201, schemas::binding()),
      api::Route{"DELETE", "/api/v1/bindings", bind(delete_binding),
                 Permission::in_handler("roles.bind", "roles/{role}"),
                 "Remove the binding named by ?role=&subject_type=&subject=[&space=]"}
          .answers(204),
  };
}

} // namespace sharectl::agent::handlers
