// share create|update|list|show|delete|grant|revoke|access: Samba shares of spaces and who may
// use them.
#include <tuple>

#include <fmt/core.h>

#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

// share show and the answers of create/update: everything, one line each.
const View k_share_view{{{"NAME", "name"},
                         {"OWNER", "owner"},
                         {"SPACE", "space"},
                         {"SERVER", "server"},
                         {"PATH", "subdir"},
                         {"READ_ONLY", "read_only", ColumnKind::boolean},
                         {"BROWSEABLE", "browseable", ColumnKind::boolean},
                         {"COMMENT", "comment"},
                         {"RELATION", "relation"},
                         {"LEVEL", "level"},
                         {"ACCESS", "state"},
                         {"VIA", "via", ColumnKind::list},
                         {"UNC", "unc"},
                         {"URL", "url"},
                         {"STATUS", "status"},
                         {"MESSAGE", "status_message"}},
                        "name"};

// share list: yours and those shared with you, with where to connect.
const View k_share_list_view{{{"NAME", "name"},
                              {"OWNER", "owner"},
                              {"RELATION", "relation"},
                              {"LEVEL", "level"},
                              {"ACCESS", "state"},
                              {"STATUS", "status"},
                              {"URL", "url"}},
                             "name"};

const View k_access_view{{{"USER", "user"},
                          {"LEVEL", "level"},
                          {"GROUP", "group"},
                          {"STATE", "state"},
                          {"VIA", "via", ColumnKind::list}},
                         "user"};

// share access: one row per user, the effective level and why.
const View k_effective_view{
    {{"USER", "user"}, {"LEVEL", "level"}, {"STATE", "state"}, {"VIA", "via", ColumnKind::list}},
    "user"};

std::string share_path(const std::string& name) {
  return "/api/v1/shares/" + seg(name);
}

// "user:U" or "group:G" from --user/--group; exactly one must be given.
CliResult<std::string> subject(Invocation& invocation) {
  const bool user = invocation.has("--user");
  const bool group = invocation.has("--group");
  if (user == group) {
    return usage_error("give exactly one of --user USER and --group GROUP");
  }
  return user ? "user:" + invocation.value("--user") : "group:" + invocation.value("--group");
}

int create(Invocation& invocation) {
  const std::string name = invocation.value("NAME");
  nlohmann::json body{{"name", name},
                      {"space", invocation.value("--space")},
                      {"read_only", invocation.has("--read-only")},
                      {"browseable", !invocation.has("--hidden")}};
  if (invocation.has("--path")) {
    body["subdir"] = invocation.value("--path");
  }
  if (invocation.has("--comment")) {
    body["comment"] = invocation.value("--comment");
  }
  if (invocation.has("--invitations")) {
    body["invitations"] = invocation.value("--invitations") == "on";
  }
  auto answer = call_json(invocation, "POST", "/api/v1/shares", body);
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  return wait_and_print(invocation, *answer, share_path(name), k_share_view,
                        fmt::format("share {}", name));
}

// share update: PATCH only what was given; on|off switches, so that each can also be undone.
int update(Invocation& invocation) {
  const std::string name = invocation.value("NAME");
  nlohmann::json body = nlohmann::json::object();
  if (invocation.has("--comment")) {
    body["comment"] = invocation.value("--comment");
  }
  for (const auto& [flag, field, on_means] :
       {std::tuple{"--read-only", "read_only", true}, std::tuple{"--hidden", "browseable", false},
        std::tuple{"--invitations", "invitations", true}}) {
    if (invocation.has(flag)) {
      body[field] = (invocation.value(flag) == "on") == on_means;
    }
  }
  if (body.empty()) {
    return invocation.context().fail(
        usage_error("give at least one of --comment, --read-only, --hidden, --invitations")
            .error());
  }
  auto answer = call_json(invocation, "PATCH", share_path(name), body);
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  return wait_and_print(invocation, *answer, share_path(name), k_share_view,
                        fmt::format("share {}", name));
}

int list_shares(Invocation& invocation) {
  return list(invocation, "/api/v1/shares", k_share_list_view);
}

int show_share(Invocation& invocation) {
  return show(invocation, share_path(invocation.value("NAME")), k_share_view);
}

// share delete: the share's host stops serving it at its next pass; --wait follows that host
// (its servers/{name} observed_revision) until it has.
int remove(Invocation& invocation) {
  const std::string name = invocation.value("NAME");
  const std::string what = fmt::format("share {}", name);
  auto& context = invocation.context();
  if (auto ok = confirm(invocation, fmt::format("Delete {}? [y/N] ", what), what); ok != 0) {
    return ok;
  }
  auto share = call_json(invocation, "GET", share_path(name)); // its server, to wait on
  if (!share) {
    return context.fail(share.error());
  }
  auto answer = call_json(invocation, "DELETE", share_path(name));
  if (!answer) {
    return context.fail(answer.error());
  }
  const std::string server = share->value("server", std::string());
  if (!server.empty()) {
    if (int waited = wait_applied(invocation, change_revision(invocation),
                                  "/api/v1/servers/" + seg(server), what, WaitFor::all);
        waited != 0) {
      return waited;
    }
  }
  context.note(fmt::format("deleted {}", what));
  return 0;
}

// share grant|revoke: the change, then (--wait) until the share's host serves it.
int change_access(Invocation& invocation, bool grant) {
  auto who = subject(invocation);
  if (!who) {
    return invocation.context().fail(who.error());
  }
  const std::string name = invocation.value("NAME");
  const std::string path = share_path(name) + "/acl/" + seg(*who);
  auto answer = grant ? call_json(invocation, "PUT", path, {{"level", invocation.value("--level")}})
                      : call_json(invocation, "DELETE", path);
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  const std::string what =
      grant ? fmt::format("the grant of {} {} on {}", *who, invocation.value("--level"), name)
            : fmt::format("the revoke of {} on {}", *who, name);
  if (int waited = wait_applied(invocation, change_revision(invocation), share_path(name), what);
      waited != 0) {
    return waited;
  }
  invocation.context().note(
      grant ? fmt::format("granted {} {} on {}", *who, invocation.value("--level"), name)
            : fmt::format("revoked {} on {}", *who, name));
  return answer->is_null() ? 0 : print_result(invocation, *answer, k_access_view);
}

int grant(Invocation& invocation) {
  return change_access(invocation, true);
}

int revoke(Invocation& invocation) {
  return change_access(invocation, false);
}

int access(Invocation& invocation) {
  return list(invocation, share_path(invocation.value("NAME")) + "/access", k_effective_view);
}

} // namespace

void add_share_commands(CommandTable& table) {
  const ArgSpec name{"NAME", "the share's name", CompletionSource::share};
  const FlagSpec user{"--user", "USER", "a user", CompletionSource::user};
  const FlagSpec group{"--group", "GROUP", "a group", CompletionSource::group};
  const std::vector<std::string> on_off{"on", "off"};
  const FlagSpec invitations{"--invitations",
                             "SWITCH",
                             "new grants wait for the grantee to accept (default: the agent's "
                             "shares.invitations)",
                             CompletionSource::choices,
                             false,
                             on_off};
  table.groups.push_back({{"share"}, "Shares: spaces published over SMB, and who may use them"});
  table.commands.push_back(
      {{"share", "create"},
       "NAME --space SPACE [--path SUBDIR] [--read-only] [--comment TEXT] [--hidden] "
       "[--invitations on|off]",
       "Publish a space (or a directory of it) as a share",
       {{"NAME", "the new share's name"}},
       {{"--space", "SPACE", "the space (NAME or OWNER/NAME)", CompletionSource::space, true},
        {"--path", "SUBDIR", "a directory inside the space to share"},
        {"--read-only", "", "nobody may write through this share"},
        {"--comment", "TEXT", "a comment clients show"},
        {"--hidden", "", "not browseable (clients must know the name)"},
        invitations},
       create});
  table.commands.push_back(
      {{"share", "update"},
       "NAME [--comment TEXT] [--read-only on|off] [--hidden on|off] [--invitations on|off]",
       "Change a share's comment, read-only, hidden or invitations setting",
       {name},
       {{"--comment", "TEXT", "a comment clients show"},
        {"--read-only", "SWITCH", "whether nobody may write through this share",
         CompletionSource::choices, false, on_off},
        {"--hidden", "SWITCH", "whether clients must know the name (not browseable)",
         CompletionSource::choices, false, on_off},
        invitations},
       update});
  table.commands.push_back(
      {{"share", "list"}, "", "List the shares you can see", {}, {}, list_shares});
  table.commands.push_back({{"share", "show"}, "NAME", "Show a share", {name}, {}, show_share});
  table.commands.push_back({{"share", "delete"},
                            "NAME [--yes]",
                            "Delete a share (the space and its data stay)",
                            {name},
                            {{"--yes", "", "do not ask for confirmation"}},
                            remove});
  table.commands.push_back(
      {{"share", "grant"},
       "NAME (--user USER | --group GROUP) --level read|write",
       "Give a user or group access to a share",
       {name},
       {user,
        group,
        {"--level", "LEVEL", "read or write", CompletionSource::choices, true, {"read", "write"}}},
       grant});
  table.commands.push_back({{"share", "revoke"},
                            "NAME (--user USER | --group GROUP)",
                            "Take a user's or group's access away",
                            {name},
                            {user, group},
                            revoke});
  table.commands.push_back({{"share", "access"},
                            "NAME",
                            "Show every user's effective level on a share, and why",
                            {name},
                            {},
                            access});
}

} // namespace sharectl::cli
