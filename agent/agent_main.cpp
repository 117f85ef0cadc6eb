#include "agent/agent_main.hpp"

#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "agent/commands/commands.hpp"
#include "common/version.hpp"

namespace sharectl::agent {

int agent_main(int argc, char** argv) {
  CLI::App app{"sharectl-agent: publishes Samba shares on this storage host", "sharectl-agent"};
  app.set_version_flag("--version", fmt::format("sharectl-agent {}", k_version));
  app.require_subcommand(1, 1);

  std::string config_path(config::k_default_agent_config_path);
  commands::InitOptions init_options;
  std::string store_url;
  auto* init = app.add_subcommand("init", "Write the config, create the store schema, TLS "
                                          "material and the first admin (only what is missing)");
  init->add_option("--config", config_path, "agent config file")->capture_default_str();
  init->add_option("--store", store_url, "store URL written into a new config");
  init->add_option("--admin", init_options.admin, "username of the first admin")
      ->capture_default_str();
  init->add_flag("--password-stdin", init_options.password_stdin,
                 "read the admin password as one line from standard input");

  commands::RunOptions run_options;
  std::string listen;
  auto* run = app.add_subcommand("run", "Serve the API in the foreground (sd_notify READY=1)");
  run->add_option("--config", config_path, "agent config file")->capture_default_str();
  run->add_option("--listen", listen, "HOST:PORT to listen on instead of the config's listen");

  auto* check = app.add_subcommand("check-config", "Load and validate the config");
  check->add_option("--config", config_path, "agent config file")->capture_default_str();

  auto* migrate = app.add_subcommand("migrate", "Bring the store schema up to date");
  migrate->add_option("--config", config_path, "agent config file")->capture_default_str();

  auto* version = app.add_subcommand("version", "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : commands::k_exit_usage;
  }
  try {
    if (version->parsed()) {
      fmt::print("sharectl-agent {}\n", k_version);
      return 0;
    }
    if (init->parsed()) {
      init_options.config_path = config_path;
      if (!store_url.empty()) {
        init_options.store_url = store_url;
      }
      return commands::init(init_options, std::cin, std::cout, std::cerr);
    }
    if (run->parsed()) {
      run_options.config_path = config_path;
      if (!listen.empty()) {
        run_options.listen = listen;
      }
      return commands::run(run_options);
    }
    if (check->parsed()) {
      return commands::check_config(config_path, std::cout, std::cerr);
    }
    if (migrate->parsed()) {
      return commands::migrate(config_path, std::cout, std::cerr);
    }
    return commands::k_exit_usage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sharectl-agent: error: {}\n", e.what());
    return commands::k_exit_failure;
  }
}

} // namespace sharectl::agent
