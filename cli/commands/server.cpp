// server list|show, server fs list: the storage hosts and their filesystems; server join-token
// create|list|revoke: the single-use tokens new hosts join with.
#include <fmt/core.h>

#include "cli/commands/helpers.hpp"
#include "common/config/duration.hpp"

namespace sharectl::cli {

namespace {

const View k_server_view{{{"NAME", "name"},
                          {"ADDRESS", "address"},
                          {"SMB_PORT", "smb_port"},
                          {"ROLES", "roles", ColumnKind::list},
                          {"STATUS", "status"},
                          {"LAST_HEARTBEAT", "last_heartbeat"},
                          {"LOAD", "load_average"}},
                         "name"};

const View k_fs_view{{{"SERVER", "server"},
                      {"PATH", "path"},
                      {"DRIVER", "driver"},
                      {"CAPACITY", "capacity_bytes", ColumnKind::size},
                      {"ALLOCATED", "allocated_bytes", ColumnKind::size},
                      {"USED", "used_bytes", ColumnKind::size},
                      {"FREE", "free_bytes", ColumnKind::size},
                      {"STATUS", "status"}},
                     "path"};

int list_servers(Invocation& invocation) {
  return list(invocation, "/api/v1/servers", k_server_view);
}

int show_server(Invocation& invocation) {
  return show(invocation, "/api/v1/servers/" + seg(invocation.value("SERVER")), k_server_view);
}

int fs_list(Invocation& invocation) {
  QueryParams query;
  if (invocation.has("SERVER")) {
    query.emplace_back("server", invocation.value("SERVER"));
  }
  return list(invocation, "/api/v1/filesystems", k_fs_view, query);
}

const View k_join_token_view{{{"ID", "id"},
                              {"ROLES", "roles", ColumnKind::list},
                              {"STATE", "state"},
                              {"EXPIRES", "expires_at"},
                              {"CREATED BY", "created_by"},
                              {"USED BY", "used_by"},
                              {"DESCRIPTION", "description"}},
                             "id"};

// The answer of a create: the token too, and -o name prints the token (for scripts).
const View k_new_join_token_view{{{"ID", "id"},
                                  {"TOKEN", "token"},
                                  {"ROLES", "roles", ColumnKind::list},
                                  {"EXPIRES", "expires_at"},
                                  {"DESCRIPTION", "description"}},
                                 "token"};

// server join-token create [--ttl DUR] [--roles samba,iscsi] [--description TEXT]
int join_token_create(Invocation& invocation) {
  auto& context = invocation.context();
  nlohmann::json body = nlohmann::json::object();
  if (invocation.has("--ttl")) {
    auto ttl = config::parse_duration(invocation.value("--ttl"));
    if (!ttl) {
      return context.fail(usage_error("--ttl: " + ttl.error().message).error());
    }
    body["ttl_seconds"] = ttl->count();
  }
  if (invocation.has("--roles")) {
    nlohmann::json roles = nlohmann::json::array();
    const std::string text = invocation.value("--roles");
    for (std::size_t begin = 0;;) {
      const auto comma = text.find(',', begin);
      roles.push_back(text.substr(begin, comma == std::string::npos ? comma : comma - begin));
      if (comma == std::string::npos) {
        break;
      }
      begin = comma + 1;
    }
    body["roles"] = roles;
  }
  if (invocation.has("--description")) {
    body["description"] = invocation.value("--description");
  }
  auto answer = call_json(invocation, "POST", "/api/v1/join-tokens", body);
  if (!answer) {
    return context.fail(answer.error());
  }
  const auto url = context.server_url();
  context.note(fmt::format("this token is shown only now; on the new host run:\n"
                           "  sharectl-agent init --join {} --token {}",
                           url ? *url : std::string("<agent url>"),
                           answer->value("token", std::string())));
  return print_result(invocation, *answer, k_new_join_token_view);
}

int join_token_list(Invocation& invocation) {
  return list(invocation, "/api/v1/join-tokens", k_join_token_view);
}

int join_token_revoke(Invocation& invocation) {
  const std::string id = invocation.value("ID");
  return change(invocation, "DELETE", "/api/v1/join-tokens/" + seg(id), nullptr, k_join_token_view,
                "revoked join token " + id);
}

} // namespace

void add_server_commands(CommandTable& table) {
  table.groups.push_back({{"server"}, "Storage hosts running sharectl-agent"});
  table.groups.push_back({{"server", "fs"}, "Filesystems of storage hosts"});
  table.commands.push_back({{"server", "list"}, "", "List storage hosts", {}, {}, list_servers});
  table.commands.push_back({{"server", "show"},
                            "SERVER",
                            "Show a storage host",
                            {{"SERVER", "the host's name", CompletionSource::server}},
                            {},
                            show_server});
  table.commands.push_back({{"server", "fs", "list"},
                            "[SERVER]",
                            "List the filesystems that hold spaces (of one host, or all)",
                            {{"SERVER", "only this host's", CompletionSource::server, false}},
                            {},
                            fs_list});
  table.groups.push_back(
      {{"server", "join-token"}, "Single-use tokens a new host joins the cluster with (admins)"});
  table.commands.push_back(
      {{"server", "join-token", "create"},
       "[--ttl DUR] [--roles samba,iscsi] [--description TEXT]",
       "Create a join token (shown only once)",
       {},
       {{"--ttl", "DUR", "how long it may be used (1m to 7d; default 1h)"},
        {"--roles", "ROLES", "the roles of the host that joins with it (default samba)",
         CompletionSource::none},
        {"--description", "TEXT", "what it is for"}},
       join_token_create});
  table.commands.push_back({{"server", "join-token", "list"},
                            "",
                            "List join tokens and their state",
                            {},
                            {},
                            join_token_list});
  table.commands.push_back({{"server", "join-token", "revoke"},
                            "ID",
                            "Revoke a join token",
                            {{"ID", "the token's id"}},
                            {},
                            join_token_revoke});
}

} // namespace sharectl::cli
