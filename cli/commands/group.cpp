// group create|list|show|delete|add-member|remove-member: named sets of users.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

const View k_group_view{{{"NAME", "name"},
                         {"ORIGIN", "origin"},
                         {"MEMBERS", "members", ColumnKind::list},
                         {"DESCRIPTION", "description"}},
                        "name"};

std::string group_path(const std::string& name) {
  return "/api/v1/groups/" + seg(name);
}

int create(Invocation& invocation) {
  return change(invocation, "POST", "/api/v1/groups", {{"name", invocation.value("NAME")}},
                k_group_view);
}

int list_groups(Invocation& invocation) {
  return list(invocation, "/api/v1/groups", k_group_view);
}

int show_group(Invocation& invocation) {
  return show(invocation, group_path(invocation.value("NAME")), k_group_view);
}

// group delete: asks, remembers the group's grants, deletes the group, then (--wait) follows each
// of those shares until its host no longer serves the group's members. A share the caller may not
// read answers 404, which counts as done: the wait covers the caller's own shares.
int remove(Invocation& invocation) {
  auto& context = invocation.context();
  const std::string name = invocation.value("NAME");
  const std::string what = fmt::format("group {}", name);
  if (int asked = confirm(invocation, fmt::format("Delete {}? [y/N] ", what), what); asked != 0) {
    return asked;
  }
  auto grants = call_json(invocation, "GET", group_path(name) + "/grants");
  if (!grants) {
    return context.fail(grants.error());
  }
  if (auto answer = call_json(invocation, "DELETE", group_path(name)); !answer) {
    return context.fail(answer.error());
  }
  const auto revision = change_revision(invocation);
  for (const auto& grant : list_items(*grants)) {
    const std::string share = grant.value("share", std::string());
    if (share.empty()) {
      continue;
    }
    if (int waited = wait_applied(invocation, revision, "/api/v1/shares/" + seg(share),
                                  fmt::format("the removal of {} from share {}", what, share));
        waited != 0) {
      return waited;
    }
  }
  context.note(fmt::format("deleted {}", what));
  return 0;
}

// group add-member|remove-member NAME USER...: one PATCH with every user (all or nothing), then
// (--wait) until the hosts of the group's shares serve the change; prints the group.
int members(Invocation& invocation, bool add) {
  auto& context = invocation.context();
  const std::string name = invocation.value("NAME");
  const auto& users = invocation.values("USER");
  auto answer = call_json(invocation, "PATCH", group_path(name) + "/members",
                          {{add ? "add" : "remove", users}});
  if (!answer) {
    return context.fail(answer.error());
  }
  if (int waited = wait_applied(invocation, change_revision(invocation),
                                group_path(name) + "/grants", fmt::format("group {}", name));
      waited != 0) {
    return waited;
  }
  context.note(fmt::format("{} {} {} group {}", add ? "added" : "removed", fmt::join(users, ", "),
                           add ? "to" : "from", name));
  return print_result(invocation, *answer, k_group_view);
}

int add_member(Invocation& invocation) {
  return members(invocation, true);
}

int remove_member(Invocation& invocation) {
  return members(invocation, false);
}

} // namespace

void add_group_commands(CommandTable& table) {
  const ArgSpec name{"NAME", "the group's name", CompletionSource::group};
  const ArgSpec users{"USER", "users", CompletionSource::user, true, true};
  table.groups.push_back({{"group"}, "Groups of users, for grants and role bindings"});
  table.commands.push_back({{"group", "create"},
                            "NAME",
                            "Create a group",
                            {{"NAME", "the new group's name"}},
                            {},
                            create});
  table.commands.push_back({{"group", "list"}, "", "List groups", {}, {}, list_groups});
  table.commands.push_back(
      {{"group", "show"}, "NAME", "Show a group and its members", {name}, {}, show_group});
  table.commands.push_back({{"group", "delete"},
                            "NAME [--yes]",
                            "Delete a group (its grants go with it)",
                            {name},
                            {{"--yes", "", "do not ask for confirmation"}},
                            remove});
  table.commands.push_back({{"group", "add-member"},
                            "NAME USER...",
                            "Add users to a group",
                            {name, users},
                            {},
                            add_member});
  table.commands.push_back({{"group", "remove-member"},
                            "NAME USER...",
                            "Remove users from a group",
                            {name, users},
                            {},
                            remove_member});
}

} // namespace sharectl::cli
