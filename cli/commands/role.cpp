// role list|show|create|delete, role rule add|remove, role bind|unbind: who may change what.
#include <fmt/core.h>

#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

const View k_role_view{
    {{"NAME", "name"}, {"BUILTIN", "builtin", ColumnKind::boolean}, {"DESCRIPTION", "description"}},
    "name"};

const View k_rule_view{{{"GLOB", "resource_glob"}, {"LEVEL", "level"}, {"PRIORITY", "priority"}},
                       "resource_glob"};

const View k_binding_view{{{"ROLE", "role"},
                           {"SUBJECT_TYPE", "subject_type"},
                           {"SUBJECT", "subject"},
                           {"SPACE", "space"}},
                          "id"};

std::string role_path(const std::string& name) {
  return "/api/v1/roles/" + seg(name);
}

int list_roles(Invocation& invocation) {
  return list(invocation, "/api/v1/roles", k_role_view);
}

int show_role(Invocation& invocation) {
  return show(invocation, role_path(invocation.value("ROLE")), k_role_view);
}

int create(Invocation& invocation) {
  return change(invocation, "POST", "/api/v1/roles", {{"name", invocation.value("ROLE")}},
                k_role_view);
}

int remove(Invocation& invocation) {
  return delete_and_wait(invocation, role_path(invocation.value("ROLE")),
                         fmt::format("role {}", invocation.value("ROLE")));
}

int rule_add(Invocation& invocation) {
  nlohmann::json body{{"resource_glob", invocation.value("GLOB")},
                      {"level", invocation.value("LEVEL")}};
  if (invocation.has("--priority")) {
    const std::string text = invocation.value("--priority");
    int priority = 0;
    try {
      std::size_t used = 0;
      priority = std::stoi(text, &used);
      if (used != text.size()) {
        throw std::invalid_argument(text);
      }
    } catch (const std::exception&) {
      return invocation.context().fail(
          CliError{ExitCode::usage, fmt::format("--priority: \"{}\" is not a number", text)});
    }
    body["priority"] = priority;
  }
  return change(invocation, "POST", role_path(invocation.value("ROLE")) + "/rules", body,
                k_rule_view);
}

int rule_remove(Invocation& invocation) {
  auto answer = call_json(invocation, "DELETE", role_path(invocation.value("ROLE")) + "/rules",
                          nullptr, {{"resource_glob", invocation.value("GLOB")}});
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  return 0;
}

// The binding's subject from --user/--group/--external-group (exactly one).
CliResult<nlohmann::json> binding(Invocation& invocation) {
  int given = 0;
  nlohmann::json body{{"role", invocation.value("ROLE")}};
  for (const auto& [flag, type] : {std::pair{"--user", "user"}, std::pair{"--group", "group"},
                                   std::pair{"--external-group", "external_group"}}) {
    if (invocation.has(flag)) {
      ++given;
      body["subject_type"] = type;
      body["subject"] = invocation.value(flag);
    }
  }
  if (given != 1) {
    return usage_error("give exactly one of --user, --group and --external-group");
  }
  if (invocation.has("--space")) {
    body["space"] = invocation.value("--space");
  }
  return body;
}

int bind(Invocation& invocation) {
  auto body = binding(invocation);
  if (!body) {
    return invocation.context().fail(body.error());
  }
  return change(invocation, "POST", "/api/v1/bindings", *body, k_binding_view);
}

int unbind(Invocation& invocation) {
  auto body = binding(invocation);
  if (!body) {
    return invocation.context().fail(body.error());
  }
  QueryParams query;
  for (const auto& [key, value] : body->items()) {
    query.emplace_back(key, value.get<std::string>());
  }
  auto answer = call_json(invocation, "DELETE", "/api/v1/bindings", nullptr, query);
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  return 0;
}

} // namespace

void add_role_commands(CommandTable& table) {
  const ArgSpec role{"ROLE", "the role's name", CompletionSource::role};
  const std::vector<FlagSpec> subject{
      {"--user", "USER", "bind a user", CompletionSource::user},
      {"--group", "GROUP", "bind a group", CompletionSource::group},
      {"--external-group", "NAME", "bind an external (LDAP, OIDC) group by name"},
      {"--space", "OWNER/NAME", "only on this space (default: the whole cluster)",
       CompletionSource::space}};
  table.groups.push_back({{"role"}, "Roles: prioritized rules of who may do what, and bindings"});
  table.groups.push_back({{"role", "rule"}, "The rules of a role"});
  table.commands.push_back({{"role", "list"}, "", "List roles", {}, {}, list_roles});
  table.commands.push_back(
      {{"role", "show"}, "ROLE", "Show a role and its rules", {role}, {}, show_role});
  table.commands.push_back(
      {{"role", "create"}, "ROLE", "Create a role", {{"ROLE", "the new role's name"}}, {}, create});
  table.commands.push_back({{"role", "delete"},
                            "ROLE [--yes]",
                            "Delete a role and its bindings",
                            {role},
                            {{"--yes", "", "do not ask for confirmation"}},
                            remove});
  table.commands.push_back(
      {{"role", "rule", "add"},
       "ROLE GLOB LEVEL [--priority N]",
       "Add a rule: LEVEL (view, client, modify, admin) on resources matching GLOB",
       {role,
        {"GLOB", "resource glob, e.g. spaces/*"},
        {"LEVEL",
         "view, client, modify or admin",
         CompletionSource::choices,
         true,
         false,
         {"view", "client", "modify", "admin"}}},
       {{"--priority", "N", "higher wins (default 0)"}},
       rule_add});
  table.commands.push_back({{"role", "rule", "remove"},
                            "ROLE GLOB",
                            "Remove a role's rule for GLOB",
                            {role, {"GLOB", "the rule's resource glob"}},
                            {},
                            rule_remove});
  table.commands.push_back(
      {{"role", "bind"},
       "ROLE (--user U | --group G | --external-group NAME) [--space OWNER/NAME]",
       "Give a user or group a role, on the cluster or one space",
       {role},
       subject,
       bind});
  table.commands.push_back(
      {{"role", "unbind"},
       "ROLE (--user U | --group G | --external-group NAME) [--space OWNER/NAME]",
       "Take a role binding away",
       {role},
       subject,
       unbind});
}

} // namespace sharectl::cli
