// user list|show|disable|enable|delete|set-allowance: accounts, for admins.
#include <fmt/core.h>

#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

std::string user_path(const std::string& name) {
  return "/api/v1/users/" + seg(name);
}

int list_users(Invocation& invocation) {
  return list(invocation, "/api/v1/users", user_view());
}

int show_user(Invocation& invocation) {
  return show(invocation, user_path(invocation.value("USER")), user_view());
}

int disable(Invocation& invocation) {
  return change(invocation, "PATCH", user_path(invocation.value("USER")), {{"is_active", false}},
                user_view());
}

int enable(Invocation& invocation) {
  return change(invocation, "PATCH", user_path(invocation.value("USER")), {{"is_active", true}},
                user_view());
}

int remove(Invocation& invocation) {
  return delete_and_wait(invocation, user_path(invocation.value("USER")),
                         fmt::format("user {}", invocation.value("USER")));
}

int set_allowance(Invocation& invocation) {
  nlohmann::json allowance = nullptr;
  if (invocation.value("SIZE") != "unlimited") {
    auto size = size_argument("SIZE", invocation.value("SIZE"));
    if (!size) {
      return invocation.context().fail(size.error());
    }
    allowance = *size;
  }
  return change(invocation, "PATCH", user_path(invocation.value("USER")),
                {{"allowance_bytes", allowance}}, user_view());
}

} // namespace

void add_user_commands(CommandTable& table) {
  const ArgSpec user{"USER", "the username", CompletionSource::user};
  table.groups.push_back({{"user"}, "User accounts (for admins)"});
  table.commands.push_back({{"user", "list"}, "", "List users", {}, {}, list_users});
  table.commands.push_back({{"user", "show"}, "USER", "Show a user", {user}, {}, show_user});
  table.commands.push_back(
      {{"user", "disable"}, "USER", "Disable a user (ends their apps)", {user}, {}, disable});
  table.commands.push_back(
      {{"user", "enable"}, "USER", "Enable a disabled user", {user}, {}, enable});
  table.commands.push_back({{"user", "delete"},
                            "USER [--yes]",
                            "Delete a user",
                            {user},
                            {{"--yes", "", "do not ask for confirmation"}},
                            remove});
  table.commands.push_back({{"user", "set-allowance"},
                            "USER SIZE",
                            "Set the most space a user may own in total (SIZE or \"unlimited\")",
                            {user, {"SIZE", "e.g. 100G, or unlimited for the agent's default"}},
                            {},
                            set_allowance});
}

} // namespace sharectl::cli
