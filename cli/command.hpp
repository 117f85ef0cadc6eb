// The command table: every command of SPEC.md "sharectl (the client)" declared once, with its
// synopsis, help, positional arguments, flags and what completes each of them. The CLI11
// parser, the shell completions, the man page check and `--help` are all derived from it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sharectl::cli {

class Invocation;

// Where the shell completion of an argument or flag value comes from.
enum class CompletionSource { none, space, share, group, role, server, user, file, choices };

// The name `sharectl __complete KIND` and the completion scripts use for a source ("space",
// "file", …; "" for none and choices). Never fails.
std::string_view completion_kind_name(CompletionSource source);

// One positional argument, e.g. NAME or USER....
struct ArgSpec {
  std::string name; // upper-case placeholder, e.g. "NAME"
  std::string help; // one line
  CompletionSource complete = CompletionSource::none;
  bool required = true;                  // optional arguments are written [NAME]
  bool variadic = false;                 // takes the rest of the arguments (USER...)
  std::vector<std::string> choices = {}; // allowed values (also completed), empty: any
};

// One option of a command: a boolean switch when value_name is empty.
struct FlagSpec {
  std::string name;       // long name with dashes, e.g. "--size"
  std::string value_name; // e.g. "SIZE"; "" for a switch
  std::string help;       // one line
  CompletionSource complete = CompletionSource::none;
  bool required = false;
  std::vector<std::string> choices = {}; // allowed values (also completed), empty: any
};

// The function that runs a command; returns the process exit code (SPEC.md "Exit codes").
using Handler = int (*)(Invocation& invocation);

// One command: a noun with a verb (path {"space", "create"}), a noun with a sub-noun and verb
// ({"role", "rule", "add"}), or a lone word ({"version"}).
struct CommandSpec {
  std::vector<std::string> path;
  std::string synopsis; // arguments and flags as SPEC.md writes them, after the path
  std::string help;     // one line, starts with a capital, no final period
  std::vector<ArgSpec> args = {};
  std::vector<FlagSpec> flags = {};
  Handler handler = nullptr;
  bool hidden = false; // left out of help, completions and the man page (__complete)
};

// A group word of the tree (a noun such as "space", or "role rule") with its one-line help.
struct GroupSpec {
  std::vector<std::string> path;
  std::string help;
};

// The whole table: the groups and the commands under them, in SPEC.md order.
struct CommandTable {
  std::vector<GroupSpec> groups;
  std::vector<CommandSpec> commands;
};

// The one command table of sharectl. Never fails.
const CommandTable& command_table();

// "space create", the command's words joined by spaces. Never fails.
std::string command_name(const CommandSpec& spec);

// The help line of the group with this path; "" when there is none. Never fails.
std::string group_help(const CommandTable& table, const std::vector<std::string>& path);

// The words that may follow `prefix` in the tree (visible ones only), in table order, without
// duplicates: nouns for an empty prefix, verbs after a noun. Never fails.
std::vector<std::string> child_words(const CommandTable& table,
                                     const std::vector<std::string>& prefix);

// The global options of SPEC.md "Global options" as flags (for help, completion and the man
// page); --wait and --no-wait are two entries. Never fails.
const std::vector<FlagSpec>& global_flags();

// Each noun file under cli/commands/ appends its groups and commands here.
void add_account_commands(CommandTable& table);
void add_space_commands(CommandTable& table);
void add_share_commands(CommandTable& table);
void add_group_commands(CommandTable& table);
void add_invite_commands(CommandTable& table);
void add_role_commands(CommandTable& table);
void add_user_commands(CommandTable& table);
void add_server_commands(CommandTable& table);
void add_audit_commands(CommandTable& table);
void add_config_commands(CommandTable& table);
void add_meta_commands(CommandTable& table);

} // namespace sharectl::cli
