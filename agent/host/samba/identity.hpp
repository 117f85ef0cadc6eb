// Which Unix identity a sharectl user may take on this host. The agent never acts as an account
// it did not make: with `samba.accounts: local` every sharectl user gets a Unix account of the
// same name that the agent creates (marked by k_account_gecos), so a name that already belongs
// to a Unix account or group that is not sharectl's is refused when the user is created, system
// accounts (uid below the login range) and reserved names are refused outright, and on any
// other host such a user's spaces are left in `error` by the reconciler. With `accounts:
// external` (a domain-joined host) the Unix accounts come from the directory: an admin may
// create the sharectl user of an existing non-system account, self-registration may not.
// Lookups go through `getent` (NSS: files, winbind, sssd) with argv, never a shell.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/error.hpp"
#include "common/util/process.hpp"

namespace sharectl::agent::host {

// One entry of the passwd database.
struct UnixAccount {
  std::uint32_t uid = 0;
  std::string gecos;
};

// The passwd entry of `name` (`getent passwd NAME`), nullopt when there is none; internal when
// getent fails otherwise or prints what is not a passwd line.
Result<std::optional<UnixAccount>> find_unix_account(ProcessRunner& runner, std::string_view name);

// Whether a group of that name exists (`getent group NAME`); internal when getent fails
// otherwise.
Result<bool> unix_group_exists(ProcessRunner& runner, std::string_view name);

// The first uid of login accounts: UID_MIN of `login_defs` (Debian's /etc/login.defs), 1000
// when the file or the key is missing or unreadable. Never fails.
std::uint32_t login_uid_min(const std::filesystem::path& login_defs = "/etc/login.defs");

// Whether the name is kept for the system whatever this host has: root, nobody, the service
// accounts of a Debian host (daemon, www-data, postgres, …), Samba's and sharectl's own, and
// names beginning "_" or "systemd-". Never fails.
bool is_reserved_username(std::string_view name);

// conflict ("username X is reserved for the system; choose another") for a reserved name.
Status check_reserved_username(std::string_view name);

// How check_new_username() judges a name.
struct NameCheck {
  bool external_accounts = false; // samba.accounts: external
  bool vouched = false;           // an admin or manager creates the user (not self-registration)
  std::uint32_t uid_min = 1000;   // login_uid_min()
};

// Whether `username` (already valid by SPEC's rules) may become a sharectl user here: conflict
// naming the reason and what to do for a reserved name, a system account (uid below uid_min, or
// 65534), a Unix account not made by sharectl (unless external accounts and vouched), or a Unix
// group of that name without such an account (local accounts: useradd makes a group of the
// user's name). An account the agent made (a user deleted earlier) is fine. Fails with
// internal when getent cannot answer.
Status check_new_username(ProcessRunner& runner, std::string_view username, const NameCheck& check);

} // namespace sharectl::agent::host
