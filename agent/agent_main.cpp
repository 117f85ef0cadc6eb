#include "agent/agent_main.hpp"

#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "common/version.hpp"

namespace sharectl::agent {

int agent_main(int argc, char** argv) {
  CLI::App app{"sharectl-agent: publishes Samba shares on this storage host", "sharectl-agent"};
  app.set_version_flag("--version", fmt::format("sharectl-agent {}", k_version));
  app.require_subcommand(0, 1);
  auto* version = app.add_subcommand("version", "Print the version and exit");
  try {
    app.parse(argc, argv);
    if (version->parsed() || app.get_subcommands().empty()) {
      fmt::print("sharectl-agent {}\n", k_version);
    }
    return 0;
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sharectl-agent: error: {}\n", e.what());
    return 1;
  }
}

} // namespace sharectl::agent
