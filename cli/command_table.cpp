#include <algorithm>

#include "cli/command.hpp"

namespace sharectl::cli {

std::string_view completion_kind_name(CompletionSource source) {
  switch (source) {
  case CompletionSource::space:
    return "space";
  case CompletionSource::share:
    return "share";
  case CompletionSource::group:
    return "group";
  case CompletionSource::role:
    return "role";
  case CompletionSource::server:
    return "server";
  case CompletionSource::user:
    return "user";
  case CompletionSource::file:
    return "file";
  case CompletionSource::none:
  case CompletionSource::choices:
    break;
  }
  return "";
}

const CommandTable& command_table() {
  static const CommandTable k_table = [] {
    CommandTable table;
    add_account_commands(table);
    add_space_commands(table);
    add_share_commands(table);
    add_group_commands(table);
    add_invite_commands(table);
    add_role_commands(table);
    add_user_commands(table);
    add_server_commands(table);
    add_audit_commands(table);
    add_config_commands(table);
    add_meta_commands(table);
    return table;
  }();
  return k_table;
}

std::string command_name(const CommandSpec& spec) {
  std::string name;
  for (const auto& word : spec.path) {
    if (!name.empty()) {
      name += ' ';
    }
    name += word;
  }
  return name;
}

std::string group_help(const CommandTable& table, const std::vector<std::string>& path) {
  for (const auto& group : table.groups) {
    if (group.path == path) {
      return group.help;
    }
  }
  return "";
}

std::vector<std::string> child_words(const CommandTable& table,
                                     const std::vector<std::string>& prefix) {
  std::vector<std::string> words;
  for (const auto& spec : table.commands) {
    if (spec.hidden || spec.path.size() <= prefix.size() ||
        !std::equal(prefix.begin(), prefix.end(), spec.path.begin())) {
      continue;
    }
    const auto& word = spec.path[prefix.size()];
    if (std::find(words.begin(), words.end(), word) == words.end()) {
      words.push_back(word);
    }
  }
  return words;
}

const std::vector<FlagSpec>& global_flags() {
  static const std::vector<FlagSpec> k_flags = {
      {"--server", "URL", "agent base URL, e.g. https://storage1:7443 (env SHARECTL_SERVER)"},
      {"--profile", "NAME",
       "a named server + credentials entry of the config file (env "
       "SHARECTL_PROFILE; default: the config's current profile)"},
      {"--config", "PATH",
       "client config file (env SHARECTL_CONFIG; default "
       "$XDG_CONFIG_HOME/sharectl/config.yaml)",
       CompletionSource::file},
      {"--output",
       "FMT",
       "output format: table, json, yaml or name (-o; env SHARECTL_OUTPUT)",
       CompletionSource::choices,
       false,
       {"table", "json", "yaml", "name"}},
      {"--wait", "", "follow a change until the host has applied it (the default)"},
      {"--no-wait", "", "return once the agent has recorded the change"},
      {"--timeout", "DUR", "bound for --wait and for each request, e.g. 30s, 5m (default 60s)"},
      {"--ca-file", "PATH", "trust this CA for the agent's TLS certificate (env SHARECTL_CA_FILE)",
       CompletionSource::file},
      {"--quiet", "", "print nothing on success, only the exit code tells (-q)"},
      {"--verbose", "", "print requests and timings to stderr (-v)"},
      {"--version", "", "print the version and exit"},
      {"--help", "", "print help and exit (-h)"},
  };
  return k_flags;
}

} // namespace sharectl::cli
