// audit list: the append-only record of changes and denials.
#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

const View k_audit_view{{{"TIME", "time"},
                         {"ACTOR", "actor"},
                         {"SOURCE", "source_address"},
                         {"ACTION", "action"},
                         {"RESOURCE", "resource"},
                         {"OUTCOME", "outcome"},
                         {"DETAIL", "detail"}},
                        "id"};

int list_audit(Invocation& invocation) {
  QueryParams query;
  for (const auto& [flag, key] :
       {std::pair{"--since", "since"}, std::pair{"--actor", "actor"},
        std::pair{"--resource", "resource"}, std::pair{"--limit", "limit"}}) {
    if (invocation.has(flag)) {
      query.emplace_back(key, invocation.value(flag));
    }
  }
  if (invocation.has("--limit")) {
    const std::string limit = invocation.value("--limit");
    if (limit.empty() || limit.find_first_not_of("0123456789") != std::string::npos) {
      return invocation.context().fail(
          CliError{ExitCode::usage, "--limit: \"" + limit + "\" is not a positive number"});
    }
  }
  return list(invocation, "/api/v1/audit", k_audit_view, query);
}

} // namespace

void add_audit_commands(CommandTable& table) {
  table.groups.push_back({{"audit"}, "The audit log"});
  table.commands.push_back(
      {{"audit", "list"},
       "[--since DUR|TIME] [--actor USER] [--resource GLOB] [--limit N]",
       "List audit events, newest first",
       {},
       {{"--since", "DUR|TIME", "only events after this (e.g. 1h, 2026-01-31T12:00:00Z)"},
        {"--actor", "USER", "only this user's", CompletionSource::user},
        {"--resource", "GLOB", "only resources matching this glob"},
        {"--limit", "N", "at most N events"}},
       list_audit});
}

} // namespace sharectl::cli
