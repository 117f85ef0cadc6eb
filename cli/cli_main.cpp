#include "cli/cli_main.hpp"

#include <exception>
#include <iostream>

#include <unistd.h>

#include "cli/app.hpp"

namespace sharectl::cli {

int cli_main(int argc, char** argv) {
  try {
    std::ios::sync_with_stdio(true);
    Io io{std::cout,        std::cerr,       std::cin, process_environment(),
          ::isatty(0) == 1, ::isatty(2) == 1};
    const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    const int rc = run_cli(args, io);
    std::cout.flush();
    return rc;
  } catch (const std::exception& e) {
    std::cerr << "sharectl: error: " << e.what() << '\n';
    return static_cast<int>(ExitCode::failure);
  }
}

} // namespace sharectl::cli
