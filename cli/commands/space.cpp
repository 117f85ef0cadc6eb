// space create|list|show|resize|delete: sized directories owned by a user.
#include <fmt/core.h>

#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

const View k_space_view{{{"NAME", "name"},
                         {"OWNER", "owner"},
                         {"SIZE", "size_bytes", ColumnKind::size},
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
  return wait_and_print(invocation, *answer, space_path(owner, name), k_space_view,
                        fmt::format("space {}", name));
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
  return show(invocation, space_path(*owner, invocation.value("NAME")), k_space_view);
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

int remove(Invocation& invocation) {
  auto owner = owner_of(invocation);
  if (!owner) {
    return invocation.context().fail(owner.error());
  }
  return delete_and_wait(invocation, space_path(*owner, invocation.value("NAME")),
                         fmt::format("space {}", invocation.value("NAME")));
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
      {{"space", "show"}, "NAME [--owner USER]", "Show a space", {name}, {owner}, show_space});
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
