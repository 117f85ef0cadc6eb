#include "cli/completion/generate.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/core.h>

namespace sharectl::cli {

namespace {

// The tables every script embeds, keyed by the command path joined with spaces.
struct Tables {
  std::map<std::string, std::string> children;    // path -> child words
  std::map<std::string, std::string> flags;       // command path -> its flags
  std::map<std::string, std::string> flag_source; // "path --flag" or "--flag" -> source
  std::map<std::string, std::string> arg_source;  // "path N" or "path *" -> source
  std::set<std::string> value_flags;              // every flag taking a value (any command)
  std::string global_flags;
};

std::string join(const std::vector<std::string>& words, std::string_view separator = " ") {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) {
      out += separator;
    }
    out += word;
  }
  return out;
}

// "@space" for a dynamic source, "@file" for files, the choices joined, or "".
std::string source_of(CompletionSource source, const std::vector<std::string>& choices) {
  if (source == CompletionSource::choices) {
    return join(choices);
  }
  const auto kind = completion_kind_name(source);
  return kind.empty() ? std::string() : "@" + std::string(kind);
}

// A table key: "sharectl" and the command words (bash refuses an empty associative key).
std::string key_of(const std::vector<std::string>& words) {
  return words.empty() ? std::string("sharectl") : "sharectl " + join(words);
}

Tables build(const CommandTable& table) {
  Tables tables;
  std::vector<std::string> globals;
  for (const auto& flag : global_flags()) {
    globals.push_back(flag.name);
    if (!flag.value_name.empty()) {
      tables.value_flags.insert(flag.name);
      if (const auto source = source_of(flag.complete, flag.choices); !source.empty()) {
        tables.flag_source[flag.name] = source;
      }
    }
  }
  globals.insert(globals.end(), {"-o", "-q", "-v", "-h"});
  tables.value_flags.insert("-o");
  tables.flag_source["-o"] = tables.flag_source["--output"];
  tables.global_flags = join(globals);
  for (const auto& spec : table.commands) {
    if (spec.hidden) {
      continue;
    }
    std::vector<std::string> prefix;
    for (std::size_t depth = 0; depth < spec.path.size(); ++depth) {
      tables.children[key_of(prefix)] = join(child_words(table, prefix));
      prefix.push_back(spec.path[depth]);
    }
    const auto path = key_of(spec.path);
    std::vector<std::string> flags;
    for (const auto& flag : spec.flags) {
      flags.push_back(flag.name);
      if (!flag.value_name.empty()) {
        tables.value_flags.insert(flag.name);
        if (const auto source = source_of(flag.complete, flag.choices); !source.empty()) {
          tables.flag_source[path + " " + flag.name] = source;
        }
      }
    }
    // The command's own flags, then the global ones it does not redefine (space create has its
    // own --server): each flag is offered once.
    for (const auto& global : globals) {
      if (std::find(flags.begin(), flags.end(), global) == flags.end()) {
        flags.push_back(global);
      }
    }
    tables.flags[path] = join(flags);
    for (std::size_t i = 0; i < spec.args.size(); ++i) {
      const auto source = source_of(spec.args[i].complete, spec.args[i].choices);
      if (!source.empty()) {
        tables.arg_source[path + " " + std::to_string(i)] = source;
        if (spec.args[i].variadic) {
          tables.arg_source[path + " *"] = source;
        }
      }
    }
  }
  return tables;
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Entries of an associative array, one "[key]=value" (bash) or "key value" (zsh) a line.
std::string entries(const std::map<std::string, std::string>& map, bool zsh) {
  std::string out;
  for (const auto& [key, value] : map) {
    out += zsh ? fmt::format("  {} {}\n", quoted(key), quoted(value))
               : fmt::format("  [{}]={}\n", quoted(key), quoted(value));
  }
  return out;
}

std::string data_block(const Tables& tables, bool zsh) {
  const char* declare = zsh ? "typeset -gA" : "declare -gA";
  std::string out;
  for (const auto& [name, map] :
       {std::pair{"children", &tables.children}, std::pair{"flags", &tables.flags},
        std::pair{"flagsrc", &tables.flag_source}, std::pair{"argsrc", &tables.arg_source}}) {
    out += fmt::format("{} _sharectl_{}\n_sharectl_{}=(\n{})\n", declare, name, name,
                       entries(*map, zsh));
  }
  std::vector<std::string> value_flags(tables.value_flags.begin(), tables.value_flags.end());
  out += fmt::format("_sharectl_valueflags={}\n", quoted(" " + join(value_flags) + " "));
  out += fmt::format("_sharectl_globalflags={}\n", quoted(tables.global_flags));
  return out;
}

constexpr std::string_view k_header =
    "# {} completion for sharectl. Generated by `sharectl completion {}` from the command\n"
    "# table; do not edit (completions/ holds a checked copy).\n";

constexpr std::string_view k_bash_body = R"SH(
# Splits the words before the cursor into the command path, the number of positional
# arguments after it, and whether the previous word is a flag waiting for its value.
_sharectl_scan() {
  _sharectl_path=sharectl _sharectl_npos=0 _sharectl_leaf=0 _sharectl_expect=""
  local i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if [[ -n $_sharectl_expect ]]; then _sharectl_expect=""; continue; fi
    if [[ $w == -* ]]; then
      [[ $w != *=* && $_sharectl_valueflags == *" $w "* ]] && _sharectl_expect="$w"
      continue
    fi
    if [[ $_sharectl_leaf == 0 && " ${_sharectl_children[$_sharectl_path]} " == *" $w "* ]]; then
      _sharectl_path="$_sharectl_path $w"
      [[ -z ${_sharectl_children[$_sharectl_path]+x} ]] && _sharectl_leaf=1
    else
      ((_sharectl_npos++))
    fi
  done
}

_sharectl_source() {
  case "$1" in
    "") COMPREPLY=() ;;
    @file) COMPREPLY=($(compgen -f -- "$2")) ;;
    @*) COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" --timeout 2s __complete "${1#@}" 2>/dev/null)" -- "$2")) ;;
    *) COMPREPLY=($(compgen -W "$1" -- "$2")) ;;
  esac
}

_sharectl() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  _sharectl_scan
  if [[ -n $_sharectl_expect ]]; then
    local key="$_sharectl_path $_sharectl_expect"
    _sharectl_source "${_sharectl_flagsrc[$key]-${_sharectl_flagsrc[$_sharectl_expect]-}}" "$cur"
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${_sharectl_flags[$_sharectl_path]-$_sharectl_globalflags}" -- "$cur"))
  elif [[ $_sharectl_leaf == 0 ]]; then
    COMPREPLY=($(compgen -W "${_sharectl_children[$_sharectl_path]-}" -- "$cur"))
  else
    local key="$_sharectl_path $_sharectl_npos" any="$_sharectl_path *"
    _sharectl_source "${_sharectl_argsrc[$key]-${_sharectl_argsrc[$any]-}}" "$cur"
  fi
}

complete -F _sharectl sharectl
)SH";

constexpr std::string_view k_zsh_body = R"SH(
_sharectl_names() {
  local -a names
  names=(${(f)"$("${words[1]}" --timeout 2s __complete "$1" 2>/dev/null)"})
  compadd -a names
}

_sharectl_source() {
  case "$1" in
    "") return 1 ;;
    @file) _files ;;
    @*) _sharectl_names "${1#@}" ;;
    *) compadd -- ${=1} ;;
  esac
}

_sharectl() {
  local cmd=sharectl npos=0 leaf=0 expect="" i w
  for ((i = 2; i < CURRENT; i++)); do
    w="${words[i]}"
    if [[ -n $expect ]]; then expect=""; continue; fi
    if [[ $w == -* ]]; then
      [[ $w != *=* && $_sharectl_valueflags == *" $w "* ]] && expect="$w"
      continue
    fi
    if [[ $leaf == 0 && " ${_sharectl_children[$cmd]} " == *" $w "* ]]; then
      cmd="$cmd $w"
      (( ${+_sharectl_children[$cmd]} )) || leaf=1
    else
      ((npos++))
    fi
  done
  local cur="${words[CURRENT]}"
  if [[ -n $expect ]]; then
    local src="${_sharectl_flagsrc[$cmd $expect]-${_sharectl_flagsrc[$expect]-}}"
    _sharectl_source "$src"
  elif [[ $cur == -* ]]; then
    compadd -- ${=_sharectl_flags[$cmd]-$_sharectl_globalflags}
  elif [[ $leaf == 0 ]]; then
    compadd -- ${=_sharectl_children[$cmd]}
  else
    local src="${_sharectl_argsrc[$cmd $npos]-${_sharectl_argsrc[$cmd *]-}}"
    _sharectl_source "$src"
  fi
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _sharectl "$@"
else
  compdef _sharectl sharectl
fi
)SH";

std::string fish_script(const CommandTable& table, const Tables& tables) {
  std::string out = fmt::format(k_header, "fish", "fish");
  std::vector<std::string> value_flags(tables.value_flags.begin(), tables.value_flags.end());
  out += fmt::format(R"SH(
# Prints the command path and the count of positional arguments after it, one a line.
function __sharectl_state
    set -l value_flags {}
    set -l path sharectl
    set -l npos 0
    set -l leaf 0
    set -l expect 0
    for w in (commandline -opc)[2..-1]
        if test $expect = 1
            set expect 0
            continue
        end
        if string match -q -- '-*' $w
            if not string match -q -- '*=*' $w; and contains -- $w $value_flags
                set expect 1
            end
            continue
        end
        if test $leaf = 0; and contains -- $w (__sharectl_children "$path")
            set path "$path $w"
            if test -z "$(__sharectl_children "$path")"
                set leaf 1
            end
        else
            set npos (math $npos + 1)
        end
    end
    echo $path
    echo $npos
end

# True when the words so far name exactly this command path (and, with a second argument, when
# the next positional argument has that index; "N+" for N or later).
function __sharectl_at
    set -l state (__sharectl_state)
    test "$state[1]" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; and return 0
    if string match -q -- '*+' $argv[2]
        test $state[2] -ge (string trim -r -c + -- $argv[2])
        return
    end
    test "$state[2]" = "$argv[2]"
end

function __sharectl_names
    set -l cmd (commandline -opc)[1]
    $cmd --timeout 2s __complete $argv[1] 2>/dev/null
end

function __sharectl_children
    switch "$argv[1]"
)SH",
                     join(value_flags));
  for (const auto& [path, words] : tables.children) {
    out += fmt::format("        case {}\n            string split ' ' -- {}\n", quoted(path),
                       quoted(words));
  }
  out += "    end\nend\n\ncomplete -c sharectl -f\n";
  auto source_args = [](const std::string& source) -> std::string {
    if (source.empty()) {
      return "";
    }
    if (source == "@file") {
      return " -F";
    }
    if (source.front() == '@') {
      return fmt::format(" -xa '(__sharectl_names {})'", source.substr(1));
    }
    return fmt::format(" -xa {}", quoted(source));
  };
  for (const auto& flag : global_flags()) {
    const std::string name = flag.name.substr(2);
    std::string line = fmt::format("complete -c sharectl -l {}", name);
    if (name == "output") {
      line += " -s o";
    } else if (name == "quiet") {
      line += " -s q";
    } else if (name == "verbose") {
      line += " -s v";
    } else if (name == "help") {
      line += " -s h";
    }
    if (!flag.value_name.empty()) {
      const auto source = source_of(flag.complete, flag.choices);
      line += source.empty() ? " -r" : source_args(source);
    }
    out += line + fmt::format(" -d {}\n", quoted(flag.help));
  }
  std::set<std::string> seen;
  for (const auto& spec : table.commands) {
    if (spec.hidden) {
      continue;
    }
    std::vector<std::string> prefix;
    for (const auto& word : spec.path) {
      const auto parent = key_of(prefix);
      prefix.push_back(word);
      const auto key = join(prefix);
      if (!seen.insert(key).second) {
        continue;
      }
      const bool leaf = prefix == spec.path;
      const auto help = leaf ? spec.help : group_help(table, prefix);
      out += fmt::format("complete -c sharectl -n '__sharectl_at \"{}\"' -a {} -d {}\n", parent,
                         word, quoted(help));
    }
    const auto path = key_of(spec.path);
    for (const auto& flag : spec.flags) {
      std::string line = fmt::format("complete -c sharectl -n '__sharectl_at \"{}\"' -l {}", path,
                                     flag.name.substr(2));
      if (!flag.value_name.empty()) {
        const auto source = source_of(flag.complete, flag.choices);
        line += source.empty() ? " -r" : source_args(source);
      }
      out += line + fmt::format(" -d {}\n", quoted(flag.help));
    }
    for (std::size_t i = 0; i < spec.args.size(); ++i) {
      const auto source = source_of(spec.args[i].complete, spec.args[i].choices);
      if (source.empty()) {
        continue;
      }
      const std::string index = std::to_string(i) + (spec.args[i].variadic ? "+" : "");
      out += fmt::format("complete -c sharectl -n '__sharectl_at \"{}\" {}'{}\n", path, index,
                         source_args(source));
    }
  }
  return out;
}

} // namespace

Result<std::string> completion_script(const CommandTable& table, std::string_view shell) {
  const Tables tables = build(table);
  if (shell == "bash") {
    return fmt::format(k_header, "bash", "bash") + "\n" + data_block(tables, false) +
           std::string(k_bash_body);
  }
  if (shell == "zsh") {
    return "#compdef sharectl\n" + fmt::format(k_header, "zsh", "zsh") + "\n" +
           data_block(tables, true) + std::string(k_zsh_body);
  }
  if (shell == "fish") {
    return fish_script(table, tables);
  }
  return fail(ErrorCode::bad_request,
              fmt::format("no completion for shell \"{}\"; use bash, zsh or fish", shell));
}

} // namespace sharectl::cli
