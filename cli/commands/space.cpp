// space create|list|show|resize|delete: sized directories owned by a user. The table shows
// what a space uses (USED, USE%: measured by its host every 15 s); create ends with where to
// connect; delete names the shares that go with the space.
#include <chrono>
#include <ostream>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

const View k_space_view{{{"NAME", "name"},
                         {"OWNER", "owner"},
                         {"SIZE", "size_bytes", ColumnKind::size},
                         {"USED", "used_bytes", ColumnKind::size},
                         {"USE%", "used_bytes", ColumnKind::percent, "size_bytes"},
                         {"SERVER", "server"},
                         {"SHARE", "share"},
                         {"STATUS", "status"},
                         {"MESSAGE", "status_message"}},
                        "name"};

// The owner segment of a space path: --owner, else the caller's username (from whoami).
CliResult<std::string> owner_of(Invocation& invocation) {
  if (invocation.has("--owner")) {
    return invocation.value("--owner");
  }
  auto me = call_json(invocation, "GET", "/api/v1/whoami");
  if (!me) {
    return std::unexpected(me.error());
  }
  const nlohmann::json::json_pointer pointer("/user/username");
  if (!me->contains(pointer) || !me->at(pointer).is_string()) {
    return std::unexpected(CliError{ExitCode::failure, "whoami did not say your username"});
  }
  return me->at(pointer).get<std::string>();
}

std::string space_path(const std::string& owner, const std::string& name) {
  return "/api/v1/spaces/" + seg(owner) + "/" + seg(name);
}

// "Connect: \\host\share  (smb://host:port/share)" on stderr after a create, for people only:
// table output, not --quiet, and only when the space has a share (unc / url not empty).
void print_connect_line(Invocation& invocation, const nlohmann::json& space) {
  auto& context = invocation.context();
  const auto format = context.output_format();
  if (context.options().quiet || !format || *format != config::OutputFormat::table ||
      !space.is_object()) {
    return;
  }
  const auto text = [&](const char* key) {
    const auto it = space.find(key);
    return it != space.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string unc = text("unc");
  const std::string url = text("url");
  if (unc.empty() && url.empty()) {
    return;
  }
  std::string line = "Connect: " + (unc.empty() ? url : unc);
  if (!unc.empty() && !url.empty()) {
    line += "  (" + url + ")";
  }
  context.io().err << line << "\n";
}

int create(Invocation& invocation) {
  auto& context = invocation.context();
  if (invocation.has("--no-share") && invocation.has("--share-name")) {
    return context.fail(CliError{ExitCode::usage, "give --no-share or --share-name, not both"});
  }
  auto size = size_argument("--size", invocation.value("--size"));
  if (!size) {
    return context.fail(size.error());
  }
  const std::string name = invocation.value("NAME");
  nlohmann::json body{{"name", name}, {"size_bytes", *size}};
  if (invocation.has("--server")) {
    body["server"] = invocation.value("--server");
  }
  if (invocation.has("--owner")) {
    body["owner"] = invocation.value("--owner");
  }
  if (invocation.has("--no-share")) {
    body["share_name"] = nullptr;
  } else if (invocation.has("--share-name")) {
    body["share_name"] = invocation.value("--share-name");
  }
  auto answer = call_json(invocation, "POST", "/api/v1/spaces", body);
  if (!answer) {
    return context.fail(answer.error());
  }
  std::string owner = answer->is_object() ? answer->value("owner", "") : "";
  if (owner.empty()) {
    auto resolved = owner_of(invocation);
    if (!resolved) {
      return context.fail(resolved.error());
    }
    owner = *resolved;
  }
  const int done = wait_and_print(invocation, *answer, space_path(owner, name), k_space_view,
                                  fmt::format("space {}", name));
  if (done == 0) {
    print_connect_line(invocation, *answer);
  }
  return done;
}

int list_spaces(Invocation& invocation) {
  QueryParams query;
  if (invocation.has("--all")) {
    query.emplace_back("all", "true");
  }
  return list(invocation, "/api/v1/spaces", k_space_view, query);
}

int show_space(Invocation& invocation) {
  auto owner = owner_of(invocation);
  if (!owner) {
    return invocation.context().fail(owner.error());
  }
  const std::string path = space_path(*owner, invocation.value("NAME"));
  if (!invocation.has("--refresh")) {
    return show(invocation, path, k_space_view);
  }
  // The space's host measures it now instead of at its next heartbeat.
  auto answer = call_json(invocation, "POST", path + "/usage");
  if (!answer) {
    return invocation.context().fail(answer.error());
  }
  return print_result(invocation, *answer, k_space_view);
}

int resize(Invocation& invocation) {
  auto& context = invocation.context();
  auto size = size_argument("--size", invocation.value("--size"));
  if (!size) {
    return context.fail(size.error());
  }
  auto owner = owner_of(invocation);
  if (!owner) {
    return context.fail(owner.error());
  }
  const std::string path = space_path(*owner, invocation.value("NAME"));
  auto answer = call_json(invocation, "PATCH", path, {{"size_bytes", *size}});
  if (!answer) {
    return context.fail(answer.error());
  }
  return wait_and_print(invocation, *answer, path, k_space_view,
                        fmt::format("space {}", invocation.value("NAME")));
}

// The names of the shares of space owner/name among those the caller may see; fails with the
// call's error.
CliResult<std::vector<std::string>> shares_of(Invocation& invocation, const std::string& owner,
                                              const std::string& name) {
  auto listed = call_json(invocation, "GET", "/api/v1/shares");
  if (!listed) {
    return std::unexpected(listed.error());
  }
  std::vector<std::string> names;
  for (const auto& share : list_items(*listed)) {
    if (share.is_object() && share.value("space", "") == name &&
        share.value("owner", "") == owner && !share.value("name", "").empty()) {
      names.push_back(share.value("name", ""));
    }
  }
  return names;
}

// Follows a space being deleted until GET answers 404 (0), its status is "error" (10) or
// --timeout passes (9); at once with --no-wait or an answer without status.
int wait_gone(Invocation& invocation, const nlohmann::json& answer, const std::string& path,
              const std::string& what) {
  auto& context = invocation.context();
  const auto status_of = [](const nlohmann::json& object) {
    return object.is_object() ? object.value("status", "") : std::string();
  };
  if (!context.options().wait || status_of(answer).empty()) {
    return 0;
  }
  auto limit = context.timeout();
  if (!limit) {
    return context.fail(limit.error());
  }
  const auto started = std::chrono::steady_clock::now();
  auto pause = std::chrono::milliseconds(25);
  nlohmann::json object = answer;
  while (true) {
    if (status_of(object) == "error") {
      return context.fail(
          CliError{ExitCode::apply_failed, fmt::format("the host failed to delete {}: {}", what,
                                                       object.value("status_message", ""))});
    }
    if (std::chrono::steady_clock::now() + pause > started + *limit) {
      return context.fail(CliError{
          ExitCode::wait_timeout,
          fmt::format("timed out after {}s waiting for {} to be deleted", limit->count(), what)});
    }
    std::this_thread::sleep_for(pause);
    if (std::chrono::steady_clock::now() - started > std::chrono::seconds(1)) {
      pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    }
    auto next = call_json(invocation, "GET", path);
    if (!next) {
      if (next.error().exit == ExitCode::not_found) {
        return 0;
      }
      return context.fail(next.error());
    }
    object = std::move(*next);
  }
}

int remove(Invocation& invocation) {
  auto& context = invocation.context();
  if (!invocation.has("--yes") && !context.io().in_is_tty) {
    // No one to ask: refused (exit 2) before anything is looked up.
    return confirm(invocation, "", fmt::format("space {}", invocation.value("NAME")));
  }
  auto owner = owner_of(invocation);
  if (!owner) {
    return context.fail(owner.error());
  }
  const std::string name = invocation.value("NAME");
  const std::string path = space_path(*owner, name);
  auto shares = shares_of(invocation, *owner, name);
  if (!shares) {
    return context.fail(shares.error());
  }
  std::string what = fmt::format("space {}", name);
  if (!shares->empty()) {
    std::string names;
    for (const auto& share : *shares) {
      names += (names.empty() ? "" : ", ") + share;
    }
    what += fmt::format(" and its share{} {}", shares->size() == 1 ? "" : "s", names);
  }
  if (int asked = confirm(invocation, fmt::format("Delete {}? [y/N] ", what), what); asked != 0) {
    return asked;
  }
  auto answer = call_json(invocation, "DELETE", path, nullptr, {{"force", "true"}});
  if (!answer) {
    return context.fail(answer.error());
  }
  if (int waited = wait_gone(invocation, *answer, path, what); waited != 0) {
    return waited;
  }
  context.note(fmt::format("deleted {}", what));
  return 0;
}

} // namespace

void add_space_commands(CommandTable& table) {
  const ArgSpec name{"NAME", "the space's name", CompletionSource::space};
  const FlagSpec owner{"--owner", "USER", "the space's owner (default: you)",
                       CompletionSource::user};
  table.groups.push_back({{"space"}, "Spaces: sized directories you own"});
  table.commands.push_back(
      {{"space", "create"},
       "NAME --size SIZE [--server SERVER] [--no-share | --share-name SHARE] [--owner USER]",
       "Create a space and (unless --no-share) a share named like it",
       {{"NAME", "the new space's name"}},
       {{"--size", "SIZE", "size, e.g. 20G, 500MiB, 1TB", CompletionSource::none, true},
        {"--server", "SERVER", "the storage host to place it on (default: the agent's choice)",
         CompletionSource::server},
        {"--no-share", "", "do not publish a share"},
        {"--share-name", "SHARE", "publish the share under this name instead"},
        owner},
       create});
  table.commands.push_back({{"space", "list"},
                            "[--all]",
                            "List your spaces (--all: every owner's)",
                            {},
                            {{"--all", "", "every owner's spaces (needs view on the cluster)"}},
                            list_spaces});
  table.commands.push_back(
      {{"space", "show"},
       "NAME [--owner USER] [--refresh]",
       "Show a space (--refresh: its usage measured now)",
       {name},
       {owner, {"--refresh", "", "have the host measure the space's usage now"}},
       show_space});
  table.commands.push_back(
      {{"space", "resize"},
       "NAME --size SIZE [--owner USER]",
       "Change a space's size",
       {name},
       {{"--size", "SIZE", "the new size, e.g. 40G", CompletionSource::none, true}, owner},
       resize});
  table.commands.push_back({{"space", "delete"},
                            "NAME [--owner USER] [--yes]",
                            "Delete a space and its shares",
                            {name},
                            {owner, {"--yes", "", "do not ask for confirmation"}},
                            remove});
}

} // namespace sharectl::cli
