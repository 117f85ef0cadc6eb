// Local SMB accounts; see accounts.hpp.
#include "agent/host/samba/accounts.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <vector>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent/host/command.hpp"
#include "agent/host/samba/identity.hpp"
#include "common/util/atomic_file.hpp"
#include "common/validate/names.hpp"

namespace sharectl::agent::host {
namespace {

namespace fs = std::filesystem;

Status run_checked(ProcessRunner& runner, const Command& command) {
  auto result = runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  return check_exit(command, *result);
}

Status check_password(std::string_view password) {
  if (password.empty() ||
      password.find_first_of(std::string_view("\n\r\0", 3)) != std::string_view::npos) {
    return fail(ErrorCode::bad_request,
                "an SMB password must be non-empty and hold no newline or NUL");
  }
  return {};
}

bool is_nt_hash(std::string_view hash) {
  return hash.size() == 32 && std::ranges::all_of(hash, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

constexpr std::string_view k_private_prefix = "sharectl-passdb-";

// Removes the private directories of processes that are gone (an agent killed while it
// provisioned a password leaves its directory behind). Their names carry the creator's pid.
void remove_dead_private_dirs() {
  std::error_code ec;
  for (fs::directory_iterator it(fs::temp_directory_path(ec), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(k_private_prefix)) {
      continue;
    }
    const std::string rest = name.substr(k_private_prefix.size());
    const auto dash = rest.find('-');
    ::pid_t pid = 0;
    const auto [end_of_pid, parsed] =
        std::from_chars(rest.data(), rest.data() + std::min(dash, rest.size()), pid);
    if (parsed != std::errc() || dash == std::string::npos || end_of_pid != rest.data() + dash ||
        pid <= 0) {
      continue;
    }
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
}

// A private directory (0700, named after this process) removed with its contents on
// destruction. The first one of a process also removes those of dead processes.
class PrivateDir {
public:
  PrivateDir() {
    static std::once_flag swept;
    std::call_once(swept, remove_dead_private_dirs);
    std::string pattern = (fs::temp_directory_path() /
                           (std::string(k_private_prefix) + std::to_string(::getpid()) + "-XXXXXX"))
                              .string();
    if (::mkdtemp(pattern.data()) != nullptr) { // mkdtemp creates it 0700
      m_path = pattern;
    }
  }
  ~PrivateDir() {
    if (!m_path.empty()) {
      std::error_code ec;
      fs::remove_all(m_path, ec);
    }
  }
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  const fs::path& path() const { return m_path; }

private:
  fs::path m_path;
};

} // namespace

SambaAccounts::SambaAccounts(ProcessRunner& runner, fs::path smb_conf)
    : m_runner(runner), m_smb_conf(std::move(smb_conf)) {}

Result<std::optional<std::string>> SambaAccounts::gecos_of(std::string_view username) {
  auto entry = find_unix_account(m_runner, username);
  if (!entry) {
    return std::unexpected(entry.error());
  }
  if (!entry->has_value()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>((*entry)->gecos);
}

Result<bool> SambaAccounts::is_ours(std::string_view username) {
  auto gecos = gecos_of(username);
  if (!gecos) {
    return std::unexpected(gecos.error());
  }
  return gecos->has_value() && **gecos == k_account_gecos;
}

Status SambaAccounts::ensure_unix_account(std::string_view username) {
  if (auto status = validate::validate_username(username); !status) {
    return status;
  }
  auto gecos = gecos_of(username);
  if (!gecos) {
    return std::unexpected(gecos.error());
  }
  if (gecos->has_value()) {
    if (**gecos != k_account_gecos) {
      return fail(ErrorCode::conflict, "SAMBA-ACCOUNT-NOT-OURS: the Unix account " +
                                           std::string(username) +
                                           " exists and is not managed by sharectl");
    }
    return {};
  }
  return run_checked(
      m_runner,
      host_command("useradd", {"--no-create-home", "--home-dir", "/nonexistent", "--shell",
                               "/usr/sbin/nologin", "--comment", std::string(k_account_gecos),
                               "--user-group", std::string(username)}));
}

Status SambaAccounts::provision(std::string_view username, std::string_view password) {
  if (auto status = check_password(password); !status) {
    return status;
  }
  if (auto status = ensure_unix_account(username); !status) {
    return status;
  }
  const std::string line = std::string(password) + "\n";
  return run_checked(m_runner,
                     host_command("smbpasswd",
                                  {"-c", m_smb_conf.string(), "-a", "-s", std::string(username)},
                                  std::chrono::seconds(30), line + line));
}

Status SambaAccounts::provision_nt_hash(std::string_view username, std::string_view nt_hash) {
  if (!is_nt_hash(nt_hash)) {
    return fail(ErrorCode::bad_request, "an NT hash must be 32 hexadecimal digits");
  }
  if (auto status = ensure_unix_account(username); !status) {
    return status;
  }
  auto account = find_unix_account(m_runner, username);
  if (!account) {
    return std::unexpected(account.error());
  }
  if (!account->has_value()) {
    return fail(ErrorCode::internal, "the Unix account " + std::string(username) + " vanished");
  }
  PrivateDir dir;
  if (dir.path().empty()) {
    return fail(ErrorCode::internal, "cannot create a private temporary directory");
  }
  // smbpasswd format: name:uid:LM:NT:[flags]:LCT-hex: — pdbedit maps the entry to the Unix
  // account by uid; the last-change time is now (0 would mean "must change at next logon").
  std::string upper(nt_hash);
  std::ranges::transform(upper, upper.begin(), [](unsigned char c) { return std::toupper(c); });
  char lct[16];
  std::snprintf(lct, sizeof lct, "%08llX", static_cast<unsigned long long>(std::time(nullptr)));
  const std::string entry = std::string(username) + ":" + std::to_string((*account)->uid) + ":" +
                            std::string(32, 'X') + ":" + upper + ":[U          ]:LCT-" + lct +
                            ":\n";
  const fs::path file = dir.path() / "smbpasswd";
  AtomicWriteOptions options;
  options.mode = 0600;
  if (auto status = write_file_atomic(file, entry, options); !status) {
    return status;
  }
  return run_checked(m_runner, host_command("pdbedit", {"--configfile=" + m_smb_conf.string(), "-i",
                                                        "smbpasswd:" + file.string()}));
}

Status SambaAccounts::disable(std::string_view username) {
  if (auto status = validate::validate_username(username); !status) {
    return status;
  }
  const Command command =
      host_command("smbpasswd", {"-c", m_smb_conf.string(), "-d", std::string(username)});
  auto result = m_runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  if (result->ok()) {
    return {};
  }
  auto users = passdb_users();
  if (users && std::ranges::find(*users, username) == users->end()) {
    return {}; // no entry: nothing can log in anyway
  }
  return check_exit(command, *result);
}

Status SambaAccounts::end_sessions(std::string_view username) {
  if (auto status = validate::validate_username(username); !status) {
    return status;
  }
  auto listed = m_runner.run(host_command(
      "smbstatus", {"--configfile=" + m_smb_conf.string(), "-p", "-u", std::string(username)}));
  if (!listed) {
    return std::unexpected(listed.error());
  }
  if (!listed->ok()) {
    return {}; // smbd not running (no sessions database): no session to end
  }
  // Process lines: "PID  Username  Group  Machine …"; the PID is all digits.
  std::vector<std::string> pids;
  std::string_view text = listed->out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const auto first = line.find_first_of(" \t");
    if (first == std::string_view::npos || first == 0) {
      continue;
    }
    const std::string_view pid = line.substr(0, first);
    std::string_view rest = line.substr(first);
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    const std::string_view user = rest.substr(0, rest.find_first_of(" \t"));
    if (std::ranges::all_of(pid, [](char c) { return c >= '0' && c <= '9'; }) && user == username) {
      pids.emplace_back(pid);
    }
  }
  Status outcome = {};
  for (const auto& pid : pids) {
    auto closed =
        run_checked(m_runner, host_command("smbcontrol", {"--configfile=" + m_smb_conf.string(),
                                                          pid, "close-share", "*"}));
    if (!closed && outcome) {
      outcome = closed; // the process may have ended meanwhile; report the first failure
    }
  }
  return outcome;
}

Result<std::vector<std::string>> SambaAccounts::passdb_users() {
  const Command command = host_command("pdbedit", {"--configfile=" + m_smb_conf.string(), "-L"});
  auto result = m_runner.run(command);
  if (!result) {
    return std::unexpected(result.error());
  }
  if (auto status = check_exit(command, *result); !status) {
    return std::unexpected(status.error());
  }
  std::vector<std::string> names; // "name:uid:full name" per line
  std::string_view text = result->out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      names.emplace_back(line.substr(0, colon));
    }
  }
  return names;
}

Status SambaAccounts::remove(std::string_view username) {
  if (auto status = validate::validate_username(username); !status) {
    return status;
  }
  auto gecos = gecos_of(username);
  if (!gecos) {
    return std::unexpected(gecos.error());
  }
  if (gecos->has_value() && **gecos != k_account_gecos) {
    return fail(ErrorCode::conflict, "SAMBA-ACCOUNT-NOT-OURS: the Unix account " +
                                         std::string(username) +
                                         " exists and is not managed by sharectl");
  }
  // A passdb entry without a Unix account can exist (deleted by hand): remove it regardless;
  // smbpasswd -x fails when there is none, which is the state we want.
  (void)m_runner.run(
      host_command("smbpasswd", {"-c", m_smb_conf.string(), "-x", std::string(username)}));
  if (!gecos->has_value()) {
    return {};
  }
  return run_checked(m_runner, host_command("userdel", {std::string(username)}));
}

} // namespace sharectl::agent::host
