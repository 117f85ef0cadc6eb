// Unix identities of sharectl users; see identity.hpp.
#include "agent/host/samba/identity.hpp"

#include <charconv>
#include <fstream>
#include <vector>

#include <fmt/core.h>

#include "agent/host/command.hpp"
#include "agent/host/samba/accounts.hpp"

namespace sharectl::agent::host {

namespace {

// Names a sharectl user never takes, whether or not this host has them (another host may).
constexpr std::string_view k_reserved[] = {
    "adm",      "avahi",    "backup",     "bin",      "daemon", "dnsmasq", "ftp",
    "games",    "gnats",    "guest",      "halt",     "irc",    "list",    "lp",
    "mail",     "man",      "messagebus", "mysql",    "news",   "nobody",  "nogroup",
    "ntp",      "operator", "postfix",    "postgres", "proxy",  "root",    "samba",
    "sharectl", "shutdown", "sshd",       "sync",     "sys",    "uucp",    "www-data"};

constexpr int k_getent_not_found = 2; // getent's exit code for a missing key

Result<ProcessResult> getent(ProcessRunner& runner, std::string_view database,
                             std::string_view name) {
  const Command command = host_command("getent", {std::string(database), std::string(name)});
  auto result = runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  if (result->exit_code != 0 && result->exit_code != k_getent_not_found) {
    return fail(ErrorCode::internal, fmt::format("getent {} {} exited {}: {}", database, name,
                                                 result->exit_code, result->err));
  }
  return result;
}

} // namespace

Result<std::optional<UnixAccount>> find_unix_account(ProcessRunner& runner, std::string_view name) {
  auto result = getent(runner, "passwd", name);
  if (!result) {
    return std::unexpected(result.error());
  }
  if (result->exit_code != 0) {
    return std::optional<UnixAccount>();
  }
  // name:x:uid:gid:gecos:home:shell
  std::vector<std::string_view> fields;
  std::string_view line = std::string_view(result->out).substr(0, result->out.find('\n'));
  while (true) {
    const auto colon = line.find(':');
    fields.push_back(line.substr(0, colon));
    if (colon == std::string_view::npos) {
      break;
    }
    line.remove_prefix(colon + 1);
  }
  UnixAccount account;
  const std::string_view uid = fields.size() >= 5 ? fields[2] : std::string_view();
  const auto [end, ec] = std::from_chars(uid.data(), uid.data() + uid.size(), account.uid);
  if (fields.size() < 5 || uid.empty() || ec != std::errc() || end != uid.data() + uid.size()) {
    return fail(ErrorCode::internal, "unexpected getent output for " + std::string(name));
  }
  account.gecos = std::string(fields[4]);
  return std::optional<UnixAccount>(std::move(account));
}

Result<bool> unix_group_exists(ProcessRunner& runner, std::string_view name) {
  auto result = getent(runner, "group", name);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->exit_code == 0;
}

std::uint32_t login_uid_min(const std::filesystem::path& login_defs) {
  std::ifstream in(login_defs);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view text(line);
    const auto start = text.find_first_not_of(" \t");
    if (start == std::string_view::npos || text.substr(start, 7) != "UID_MIN") {
      continue;
    }
    text.remove_prefix(start + 7);
    if (text.empty() || (text.front() != ' ' && text.front() != '\t')) {
      continue; // UID_MINIMUM or the like
    }
    const auto digits = text.find_first_not_of(" \t");
    if (digits == std::string_view::npos) {
      continue;
    }
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data() + digits, text.data() + text.size(), value);
    if (ec == std::errc() && value > 0) {
      return value;
    }
  }
  return 1000;
}

bool is_reserved_username(std::string_view name) {
  if (name.starts_with("_") || name.starts_with("systemd-")) {
    return true;
  }
  for (const auto reserved : k_reserved) {
    if (name == reserved) {
      return true;
    }
  }
  return false;
}

Status check_reserved_username(std::string_view name) {
  if (is_reserved_username(name)) {
    return fail(ErrorCode::conflict,
                fmt::format("username {} is reserved for the system; choose another", name));
  }
  return {};
}

Status check_new_username(ProcessRunner& runner, std::string_view username,
                          const NameCheck& check) {
  if (auto ok = check_reserved_username(username); !ok) {
    return ok;
  }
  auto account = find_unix_account(runner, username);
  if (!account) {
    return std::unexpected(account.error());
  }
  if (account->has_value()) {
    const UnixAccount& found = **account;
    if (found.gecos == k_account_gecos) {
      return {}; // made by sharectl for a user deleted since
    }
    if (found.uid < check.uid_min || found.uid == 65534) {
      return fail(
          ErrorCode::conflict,
          fmt::format("username {} is a system account on this host; choose another", username));
    }
    if (check.external_accounts && check.vouched) {
      return {}; // the directory's account, named by an admin
    }
    return fail(ErrorCode::conflict,
                fmt::format("username {} belongs to a Unix account on this host that sharectl did "
                            "not make; choose another name{}",
                            username,
                            check.external_accounts
                                ? " (an admin can create the sharectl user of a directory account)"
                                : ""));
  }
  if (!check.external_accounts) {
    auto group = unix_group_exists(runner, username);
    if (!group) {
      return std::unexpected(group.error());
    }
    if (*group) {
      return fail(ErrorCode::conflict,
                  fmt::format("username {} is the name of a Unix group on this host; choose "
                              "another",
                              username));
    }
  }
  return {};
}

} // namespace sharectl::agent::host
