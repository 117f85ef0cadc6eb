#include "cli/app.hpp"

#include <algorithm>
#include <map>
#include <ostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/credentials/credentials.hpp"
#include "common/util/suggest.hpp"
#include "common/version.hpp"

namespace sharectl::cli {

namespace {

// Global options that take a value (for skipping their values while diagnosing).
bool global_takes_value(const std::string& arg) {
  for (const auto& flag : global_flags()) {
    if (!flag.value_name.empty() &&
        (arg == flag.name || (flag.name == "--output" && arg == "-o"))) {
      return true;
    }
  }
  return false;
}

// Whether arg is a global option (long or short form).
bool global_known(const std::string& arg) {
  for (const auto& flag : global_flags()) {
    if (arg == flag.name) {
      return true;
    }
  }
  return arg == "-o" || arg == "-q" || arg == "-v" || arg == "-h";
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) {
      out += ' ';
    }
    out += word;
  }
  return out;
}

std::string prog(const std::vector<std::string>& path) {
  return path.empty() ? "sharectl" : "sharectl " + joined(path);
}

const CommandSpec* find_command(const CommandTable& table, const std::vector<std::string>& path) {
  for (const auto& spec : table.commands) {
    if (spec.path == path) {
      return &spec;
    }
  }
  return nullptr;
}

// The words of the command line up to the command: skips options (and global options' values).
std::vector<std::string> command_words(const CommandTable& table,
                                       const std::vector<std::string>& args) {
  std::vector<std::string> path;
  bool after_unknown_flag = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--") {
      break;
    }
    if (!arg.empty() && arg.front() == '-') {
      if (global_takes_value(arg)) {
        ++i;
      }
      after_unknown_flag = arg.find('=') == std::string::npos && !global_known(arg);
      continue;
    }
    if (find_command(table, path) != nullptr) {
      break;
    }
    const auto children = child_words(table, path);
    const bool known = std::find(children.begin(), children.end(), arg) != children.end();
    if (after_unknown_flag && !known) {
      after_unknown_flag = false; // most likely the value of a misspelt flag
      continue;
    }
    after_unknown_flag = false;
    path.push_back(arg);
  }
  return path;
}

// The leading words of `words` that name groups or a command.
std::vector<std::string> known_prefix(const CommandTable& table,
                                      const std::vector<std::string>& words) {
  std::vector<std::string> prefix;
  for (const auto& word : words) {
    const auto children = child_words(table, prefix);
    if (std::find(children.begin(), children.end(), word) == children.end()) {
      break;
    }
    prefix.push_back(word);
  }
  return prefix;
}

// The first option of args that neither the command `path` nor the global options know.
std::optional<std::string> unknown_flag(const CommandTable& table,
                                        const std::vector<std::string>& path,
                                        const std::vector<std::string>& args) {
  const CommandSpec* spec = find_command(table, path);
  auto lookup = [&](const std::string& name) -> const FlagSpec* {
    if (spec != nullptr) {
      for (const auto& flag : spec->flags) {
        if (flag.name == name) {
          return &flag;
        }
      }
    }
    for (const auto& flag : global_flags()) {
      if (flag.name == name) {
        return &flag;
      }
    }
    return nullptr;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--") {
      break;
    }
    if (arg.size() < 2 || arg.front() != '-') {
      continue;
    }
    if (arg == "-o" || arg.rfind("-o", 0) == 0) {
      i += arg == "-o" ? 1 : 0;
      continue;
    }
    if (arg == "-q" || arg == "-v" || arg == "-h") {
      continue;
    }
    const std::string name = arg.substr(0, arg.find('='));
    const FlagSpec* flag = lookup(name);
    if (flag == nullptr) {
      return arg;
    }
    if (!flag->value_name.empty() && arg.find('=') == std::string::npos) {
      ++i;
    }
  }
  return std::nullopt;
}

struct Built {
  std::map<const CLI::App*, const CommandSpec*> leaves;
};

CLI::App* child(CLI::App* parent, const std::string& name, const std::string& help, bool hidden) {
  for (auto* existing : parent->get_subcommands({})) {
    if (existing->get_name() == name) {
      return existing;
    }
  }
  auto* sub = parent->add_subcommand(name, help);
  if (hidden) {
    sub->group("");
  }
  return sub;
}

void add_command(CLI::App& root, const CommandTable& table, const CommandSpec& spec, Built& built) {
  CLI::App* node = &root;
  std::vector<std::string> prefix;
  for (std::size_t i = 0; i < spec.path.size(); ++i) {
    prefix.push_back(spec.path[i]);
    const bool leaf = i + 1 == spec.path.size();
    node = child(node, spec.path[i], leaf ? spec.help : group_help(table, prefix), spec.hidden);
    if (!leaf) {
      node->require_subcommand(1);
    }
  }
  node->footer("Usage: " + prog(spec.path) + (spec.synopsis.empty() ? "" : " " + spec.synopsis));
  for (const auto& arg : spec.args) {
    auto* option = node->add_option(arg.name, arg.help);
    // A variadic argument takes one or more values (CLI11's expected(-1) caps it at one).
    option->expected(arg.variadic ? CLI::detail::expected_max_vector_size : 1);
    option->type_name("");
    if (arg.required) {
      option->required();
    }
    if (!arg.choices.empty()) {
      option->check(CLI::IsMember(arg.choices));
    }
  }
  for (const auto& flag : spec.flags) {
    if (flag.value_name.empty()) {
      node->add_flag(flag.name)->description(flag.help);
      continue;
    }
    auto* option = node->add_option(flag.name, flag.help);
    option->type_name(flag.value_name);
    option->expected(1);
    if (flag.required) {
      option->required();
    }
    if (!flag.choices.empty()) {
      option->check(CLI::IsMember(flag.choices));
    }
  }
  built.leaves[node] = &spec;
}

// The selected command's app: the deepest parsed subcommand.
const CLI::App* selected(const CLI::App& root) {
  const CLI::App* node = &root;
  while (true) {
    const auto subs = node->get_subcommands();
    if (subs.empty()) {
      return node;
    }
    node = subs.front();
  }
}

std::vector<std::string> app_path(const CLI::App* node) {
  std::vector<std::string> path;
  for (; node != nullptr && node->get_parent() != nullptr; node = node->get_parent()) {
    path.insert(path.begin(), node->get_name());
  }
  return path;
}

int usage(Io& io, const std::string& message, const std::vector<std::string>& path) {
  io.err << "sharectl: error: " << message << '\n'
         << "Run '" << prog(path) << " --help' for usage.\n";
  return static_cast<int>(ExitCode::usage);
}

} // namespace

std::optional<std::string> diagnose_command_words(const CommandTable& table,
                                                  const std::vector<std::string>& args) {
  const auto words = command_words(table, args);
  std::vector<std::string> prefix;
  for (const auto& word : words) {
    const auto children = child_words(table, prefix);
    const bool hidden_match =
        std::any_of(table.commands.begin(), table.commands.end(), [&](const CommandSpec& spec) {
          return spec.hidden && prefix.empty() && spec.path.front() == word;
        });
    if (std::find(children.begin(), children.end(), word) == children.end() && !hidden_match) {
      std::string message = fmt::format("unknown command \"{}\" for \"{}\"", word, prog(prefix));
      if (auto match = closest_match(word, children)) {
        message += fmt::format("; did you mean \"{}\"?", *match);
      }
      return message;
    }
    prefix.push_back(word);
    if (find_command(table, prefix) != nullptr) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string diagnose_flag(const CommandTable& table, const std::vector<std::string>& path,
                          const std::string& flag) {
  std::vector<std::string> candidates{"--help"};
  if (const auto* spec = find_command(table, path)) {
    for (const auto& spec_flag : spec->flags) {
      candidates.push_back(spec_flag.name);
    }
  }
  for (const auto& global : global_flags()) {
    candidates.push_back(global.name);
  }
  const std::string bare = flag.substr(0, flag.find('='));
  std::string message = fmt::format("unknown flag \"{}\" for \"{}\"", bare, prog(path));
  if (auto match = closest_match(bare, candidates)) {
    message += fmt::format("; did you mean \"{}\"?", *match);
  }
  return message;
}

int run_cli(const std::vector<std::string>& args, Io& io, std::unique_ptr<CredentialStore> store) {
  const CommandTable& table = command_table();
  CLI::App app{"sharectl: self-service Samba storage", "sharectl"};
  app.fallthrough();
  app.require_subcommand(1);
  app.footer("Run 'sharectl COMMAND --help' for a command's usage; see sharectl(1).");

  std::string server, profile, config_file, output, ca_file, timeout;
  auto* server_opt =
      app.add_option("--server", server, "Agent base URL (env SHARECTL_SERVER)")->type_name("URL");
  auto* profile_opt =
      app.add_option("--profile", profile, "Profile in the config file (env SHARECTL_PROFILE)")
          ->type_name("NAME");
  auto* config_opt =
      app.add_option("--config", config_file, "Client config file (env SHARECTL_CONFIG)")
          ->type_name("PATH");
  auto* output_opt = app.add_option("-o,--output", output,
                                    "Output: table, json, yaml or name (env SHARECTL_OUTPUT)")
                         ->type_name("FMT");
  app.add_flag("--wait")->description("Follow a change until the host applied it (default)");
  app.add_flag("--no-wait")->description("Return once the agent has recorded the change");
  auto* timeout_opt =
      app.add_option("--timeout", timeout, "Bound for --wait and each request (default 60s)")
          ->type_name("DUR");
  auto* ca_opt = app.add_option("--ca-file", ca_file, "Trust this CA (env SHARECTL_CA_FILE)")
                     ->type_name("PATH");
  auto* quiet_opt = app.add_flag("-q,--quiet")->description("Print nothing on success");
  auto* verbose_opt =
      app.add_flag("-v,--verbose")->description("Print requests and timings to stderr");
  app.set_version_flag("--version", fmt::format("sharectl {}", k_version));

  Built built;
  for (const auto& spec : table.commands) {
    add_command(app, table, spec, built);
  }

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    io.out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    io.out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    io.out << fmt::format("sharectl {}\n", k_version);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (auto words = diagnose_command_words(table, args)) {
      return usage(io, *words, known_prefix(table, command_words(table, args)));
    }
    {
      const auto path = command_words(table, args);
      if (auto flag = unknown_flag(table, path, args)) {
        return usage(io, diagnose_flag(table, path, *flag), path);
      }
    }
    const CLI::App* at = selected(app);
    const auto path = app_path(at);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      for (const auto& extra : at->remaining()) {
        if (!extra.empty() && extra.front() == '-') {
          return usage(io, diagnose_flag(table, path, extra), path);
        }
      }
    }
    if (find_command(table, path) == nullptr) {
      const auto children = child_words(table, path);
      std::string list;
      for (const auto& word : children) {
        list += (list.empty() ? "" : ", ") + word;
      }
      return usage(io, fmt::format("\"{}\" needs a command: {}", prog(path), list), path);
    }
    return usage(io, e.what(), path);
  }

  GlobalOptions options;
  auto set = [](CLI::Option* option, const std::string& value) {
    return option->count() > 0 ? std::optional<std::string>(value) : std::nullopt;
  };
  options.server = set(server_opt, server);
  options.profile = set(profile_opt, profile);
  options.config = set(config_opt, config_file);
  options.output = set(output_opt, output);
  options.ca_file = set(ca_opt, ca_file);
  options.timeout = set(timeout_opt, timeout);
  // --wait and --no-wait: the last one given wins.
  for (const auto& arg : args) {
    if (arg == "--") {
      break;
    }
    if (arg == "--wait" || arg == "--no-wait") {
      options.wait = arg == "--wait";
    }
  }
  options.quiet = quiet_opt->count() > 0;
  options.verbose = verbose_opt->count() > 0;
  apply_environment(options, io.env);

  Context context(io, options);
  if (store) {
    context.set_credential_store(std::move(store));
  }
  if (options.output) {
    if (auto format = context.output_format(); !format) {
      return context.fail(format.error());
    }
  }
  if (options.timeout) {
    if (auto limit = context.timeout(); !limit) {
      return context.fail(limit.error());
    }
  }

  const CLI::App* leaf = selected(app);
  const auto found = built.leaves.find(leaf);
  if (found == built.leaves.end()) {
    return usage(io, "a command is required", app_path(leaf));
  }
  const CommandSpec& spec = *found->second;
  Invocation invocation(spec, context);
  for (const auto& arg : spec.args) {
    const auto* option = leaf->get_option(arg.name);
    for (const auto& value : option->results()) {
      invocation.add_value(arg.name, value);
    }
  }
  for (const auto& flag : spec.flags) {
    const auto* option = leaf->get_option(flag.name);
    if (option->count() == 0) {
      continue;
    }
    if (flag.value_name.empty()) {
      invocation.set_flag(flag.name);
    } else {
      for (const auto& value : option->results()) {
        invocation.add_value(flag.name, value);
      }
    }
  }
  try {
    return spec.handler(invocation);
  } catch (const std::exception& e) {
    return context.fail(CliError{ExitCode::failure, e.what()});
  }
}

} // namespace sharectl::cli
