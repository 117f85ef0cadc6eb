// The command line: builds the CLI11 parser from the command table and the global options,
// parses, reports usage errors (exit 2, with "did you mean" suggestions) and runs the handler.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/context.hpp"
#include "cli/credentials/credentials.hpp"

namespace sharectl::cli {

// Runs sharectl with `args` (without argv[0]) on these streams and returns the exit code.
// `store`, when given, replaces the credential store (tests). Never throws for expected
// failures; they are printed as "sharectl: error: …".
int run_cli(const std::vector<std::string>& args, Io& io,
            std::unique_ptr<CredentialStore> store = nullptr);

// The usage error for a command line whose command words are wrong, e.g. `unknown command
// "creat" for "sharectl space"; did you mean "create"?`; nullopt when the words are all known.
// Never fails.
std::optional<std::string> diagnose_command_words(const CommandTable& table,
                                                  const std::vector<std::string>& args);

// The usage error for an unknown flag of the command `path`, with a suggestion among its flags
// and the global ones. Never fails.
std::string diagnose_flag(const CommandTable& table, const std::vector<std::string>& path,
                          const std::string& flag);

} // namespace sharectl::cli
