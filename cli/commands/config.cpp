// config view|use-profile: the client's own config file.
#include <fmt/core.h>

#include "cli/commands/helpers.hpp"

namespace sharectl::cli {

namespace {

nlohmann::json config_json(const config::ClientConfig& file) {
  nlohmann::json profiles = nlohmann::json::object();
  for (const auto& [name, profile] : file.profiles) {
    nlohmann::json entry = nlohmann::json::object();
    if (!profile.server.empty()) {
      entry["server"] = profile.server;
    }
    if (profile.ca_file) {
      entry["ca_file"] = profile.ca_file->string();
    }
    if (profile.fingerprint) {
      entry["fingerprint"] = *profile.fingerprint;
    }
    if (profile.output) {
      entry["output"] = std::string(config::to_string(*profile.output));
    }
    profiles[name] = entry;
  }
  return {{"current_profile", file.current_profile}, {"profiles", profiles}};
}

int view(Invocation& invocation) {
  auto& context = invocation.context();
  auto file = context.config();
  if (!file) {
    return context.fail(file.error());
  }
  auto format = context.output_format();
  if (!format) {
    return context.fail(format.error());
  }
  if (context.options().quiet) {
    return 0;
  }
  switch (*format) {
  case config::OutputFormat::table:
    context.io().out << config::render_client_config(**file);
    return 0;
  case config::OutputFormat::name:
    for (const auto& [name, profile] : (*file)->profiles) {
      context.io().out << name << '\n';
    }
    return 0;
  default:
    return print_result(invocation, config_json(**file), View{});
  }
}

int use_profile(Invocation& invocation) {
  auto& context = invocation.context();
  const std::string name = invocation.value("NAME");
  if (auto valid = config::validate_profile_name(name); !valid) {
    return context.fail(CliError{ExitCode::usage, valid.error().message});
  }
  auto file = context.config();
  auto path = context.config_path();
  if (!file || !path) {
    return context.fail(!file ? file.error() : path.error());
  }
  if (!(*file)->profiles.contains(name)) {
    return context.fail(
        CliError{ExitCode::not_found,
                 fmt::format("no profile \"{}\" in {}; create it with `sharectl --profile {} login "
                             "--server URL`",
                             name, path->string(), name)});
  }
  (*file)->current_profile = name;
  if (auto saved = config::save_client_config(*path, **file); !saved) {
    return context.fail(CliError{ExitCode::failure, saved.error().message});
  }
  context.note(fmt::format("Now using profile \"{}\"", name));
  return 0;
}

} // namespace

void add_config_commands(CommandTable& table) {
  table.groups.push_back({{"config"}, "The client's config file and profiles"});
  table.commands.push_back({{"config", "view"},
                            "",
                            "Print the client config (profiles, current profile)",
                            {},
                            {},
                            view});
  table.commands.push_back({{"config", "use-profile"},
                            "NAME",
                            "Make NAME the current profile",
                            {{"NAME", "a profile of the config file"}},
                            {},
                            use_profile});
}

} // namespace sharectl::cli
