// version, completion bash|zsh|fish, and the hidden __complete KIND the completion scripts call.
#include <fmt/core.h>

#include "cli/commands/helpers.hpp"
#include "cli/completion/generate.hpp"
#include "common/version.hpp"

namespace sharectl::cli {

namespace {

int version(Invocation& invocation) {
  auto& context = invocation.context();
  auto format = context.output_format();
  if (!format) {
    return context.fail(format.error());
  }
  const nlohmann::json value{{"version", std::string(k_version)}};
  if (*format == config::OutputFormat::json || *format == config::OutputFormat::yaml) {
    return print_result(invocation, value, View{});
  }
  if (!context.options().quiet) {
    context.io().out << (*format == config::OutputFormat::name
                             ? std::string(k_version) + "\n"
                             : fmt::format("sharectl {}\n", k_version));
  }
  return 0;
}

int completion(Invocation& invocation) {
  const auto script = completion_script(command_table(), invocation.value("SHELL"));
  if (!script) {
    return invocation.context().fail(CliError{ExitCode::usage, script.error().message});
  }
  invocation.context().io().out << *script;
  return 0;
}

// Prints the names of KIND (one a line) for the shells; prints nothing at all on failure.
int complete(Invocation& invocation) {
  const std::string kind = invocation.value("KIND");
  std::string path;
  std::string field = "name";
  if (kind == "space") {
    path = "/api/v1/spaces";
  } else if (kind == "share") {
    path = "/api/v1/shares";
  } else if (kind == "group") {
    path = "/api/v1/groups";
  } else if (kind == "role") {
    path = "/api/v1/roles";
  } else if (kind == "server") {
    path = "/api/v1/servers";
  } else if (kind == "user") {
    path = "/api/v1/users";
    field = "username";
  } else {
    return static_cast<int>(ExitCode::usage);
  }
  auto api = invocation.context().api();
  if (!api) {
    return static_cast<int>(api.error().exit);
  }
  auto answer = (*api)->call("GET", path);
  if (!answer) {
    return static_cast<int>(exit_code(answer.error().code));
  }
  const auto parsed = nlohmann::json::parse(*answer, nullptr, false);
  invocation.context().io().out << render_names(list_items(parsed), field);
  return 0;
}

} // namespace

void add_meta_commands(CommandTable& table) {
  table.commands.push_back({{"completion"},
                            "bash|zsh|fish",
                            "Print the shell completion script",
                            {{"SHELL",
                              "bash, zsh or fish",
                              CompletionSource::choices,
                              true,
                              false,
                              {"bash", "zsh", "fish"}}},
                            {},
                            completion});
  table.commands.push_back({{"version"}, "", "Print the version", {}, {}, version});
  table.commands.push_back({{"__complete"},
                            "KIND",
                            "Print names for shell completion (space, share, group, role, "
                            "server, user); nothing on failure",
                            {{"KIND", "what to list"}},
                            {},
                            complete,
                            true});
}

} // namespace sharectl::cli
