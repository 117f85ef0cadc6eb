// sharectl: the command-line client. All logic lives in sharectl_cli.
#include "cli/cli_main.hpp"

int main(int argc, char** argv) {
  return sharectl::cli::cli_main(argc, argv);
}
