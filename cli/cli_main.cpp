#include "cli/cli_main.hpp"

#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "common/util/error.hpp"
#include "common/version.hpp"

namespace sharectl::cli {

int cli_main(int argc, char** argv) {
  CLI::App app{"sharectl: self-service Samba storage", "sharectl"};
  app.set_version_flag("--version", fmt::format("sharectl {}", k_version));
  app.require_subcommand(1);
  app.add_subcommand("version", "Print the version and exit")->callback([] {
    fmt::print("sharectl {}\n", k_version);
  });
  try {
    app.parse(argc, argv);
    return static_cast<int>(ExitCode::success);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(ExitCode::usage);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sharectl: error: {}\n", e.what());
    return static_cast<int>(ExitCode::failure);
  }
}

} // namespace sharectl::cli
