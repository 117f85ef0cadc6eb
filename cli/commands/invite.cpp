// invite list|accept|decline: grants on other people's shares waiting for your answer.
#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

const View k_invite_view{{{"SHARE", "share"},
                          {"LEVEL", "level"},
                          {"FROM", "from"},
                          {"GROUP", "group"},
                          {"CREATED", "created_at"}},
                         "share"};

int list_invites(Invocation& invocation) {
  return list(invocation, "/api/v1/invitations", k_invite_view);
}

// invite accept: then (--wait) until the share's host serves the accepted grant.
int accept(Invocation& invocation) {
  const std::string share = invocation.value("SHARE");
  auto answer = call_json(invocation, "POST", "/api/v1/invitations/" + seg(share) + "/accept");
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  if (int waited = wait_applied(invocation, change_revision(invocation),
                                "/api/v1/shares/" + seg(share), "the invitation to " + share);
      waited != 0) {
    return waited;
  }
  invocation.context().note("invitation accepted");
  return print_result(invocation, *answer, k_invite_view);
}

int decline(Invocation& invocation) {
  return change(invocation, "POST",
                "/api/v1/invitations/" + seg(invocation.value("SHARE")) + "/decline", nullptr,
                k_invite_view, "invitation declined");
}

} // namespace

void add_invite_commands(CommandTable& table) {
  const ArgSpec share{"SHARE", "the share you were invited to", CompletionSource::share};
  table.groups.push_back({{"invite"}, "Invitations to other people's shares"});
  table.commands.push_back(
      {{"invite", "list"}, "", "List your pending invitations", {}, {}, list_invites});
  table.commands.push_back(
      {{"invite", "accept"}, "SHARE", "Accept an invitation", {share}, {}, accept});
  table.commands.push_back(
      {{"invite", "decline"}, "SHARE", "Decline an invitation", {share}, {}, decline});
}

} // namespace sharectl::cli
