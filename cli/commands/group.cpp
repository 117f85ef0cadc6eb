// group create|list|show|delete|add-member|remove-member: named sets of users.
#include <fmt/core.h>

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

int remove(Invocation& invocation) {
  return delete_and_wait(invocation, group_path(invocation.value("NAME")),
                         fmt::format("group {}", invocation.value("NAME")));
}

// PUT or DELETE /groups/NAME/members/USER for each USER; stops at the first failure.
int members(Invocation& invocation, std::string_view method) {
  for (const auto& user : invocation.values("USER")) {
    auto answer = call_json(invocation, method,
                            group_path(invocation.value("NAME")) + "/members/" + seg(user));
    if (!answer) {
      return invocation.context().fail(answer.error());
    }
  }
  return 0;
}

int add_member(Invocation& invocation) {
  return members(invocation, "PUT");
}

int remove_member(Invocation& invocation) {
  return members(invocation, "DELETE");
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
