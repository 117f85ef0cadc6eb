// Entry point of sharectl-agent: parses the command line and runs the chosen command.
#pragma once

namespace sharectl::agent {

// Runs sharectl-agent with these arguments; returns the process exit code. Unexpected
// exceptions are caught here and reported as "sharectl-agent: error: …" with exit code 1.
int agent_main(int argc, char** argv);

} // namespace sharectl::agent
