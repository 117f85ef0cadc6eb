// Entry point of sharectl: parses the command line and runs the chosen command.
#pragma once

namespace sharectl::cli {

// Runs sharectl with these arguments; returns the exit code of SPEC.md. Unexpected exceptions
// are caught here and reported as "sharectl: error: …" with exit code 1.
int cli_main(int argc, char** argv);

} // namespace sharectl::cli
