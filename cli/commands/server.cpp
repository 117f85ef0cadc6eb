// server list|show, server fs list: the storage hosts and their filesystems.
#include "cli/commands/helpers.hpp"

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
}

} // namespace sharectl::cli
