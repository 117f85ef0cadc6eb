// SMB accounts for `samba.accounts: local`: each sharectl user gets a Unix account (no home,
// nologin shell, its own group, marked as ours by its GECOS field) and a Samba passdb entry.
// Passwords travel on stdin (`smbpasswd -s`), NT hashes in a 0600 file (`pdbedit -i
// smbpasswd:FILE`) — never on a command line, where /proc/PID/cmdline would show them. Accounts
// that exist but are not ours (root, daemon, an admin's login) are never touched.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/error.hpp"
#include "common/util/process.hpp"

namespace sharectl::agent::host {

// The GECOS field of every account the agent creates; an account without it is not ours.
inline constexpr std::string_view k_account_gecos = "sharectl-agent account";

// Provisions and removes local SMB accounts through useradd/userdel, getent, smbpasswd and
// pdbedit (looked up on PATH), addressing Samba with its smb.conf.
class SambaAccounts {
public:
  // Uses runner for every tool; the runner must outlive this.
  SambaAccounts(ProcessRunner& runner, std::filesystem::path smb_conf);

  // Ensures the Unix account exists (useradd with k_account_gecos) and sets its passdb password
  // (smbpasswd -c CONF -a -s NAME, password twice on stdin). Fails with bad_request for an
  // invalid username or a password with a newline/NUL (or empty), conflict when a Unix account
  // of that name exists and is not ours, internal with the tool's message otherwise.
  Status provision(std::string_view username, std::string_view password);

  // As provision(), but sets the passdb entry from a 32-hex-digit NT hash (the store keeps it
  // so that every host can provision the same password): a one-line smbpasswd file, mode 0600
  // in a 0700 directory, imported with `pdbedit --configfile=CONF -i smbpasswd:FILE`.
  Status provision_nt_hash(std::string_view username, std::string_view nt_hash);

  // Deletes the passdb entry (smbpasswd -x; a missing one is fine) and the Unix account
  // (userdel) if it is ours. No-op when neither exists; conflict when the Unix account is not
  // ours.
  Status remove(std::string_view username);

  // Ensures the Unix account alone (no passdb entry): useradd with k_account_gecos when it is
  // missing. Fails as provision() does.
  Status ensure_unix_account(std::string_view username);

  // Whether a Unix account of that name exists and carries k_account_gecos; internal when
  // getent fails unexpectedly.
  Result<bool> is_ours(std::string_view username);

  // Disables the passdb entry (`smbpasswd -c CONF -d NAME`): new SMB logins fail, the Unix
  // account and the stored hash stay (provision_nt_hash enables it again). A missing entry is
  // fine. bad_request for an invalid username, internal with the tool's message otherwise.
  Status disable(std::string_view username);

  // Ends the user's open SMB sessions: every smbd process `smbstatus -p -u NAME` lists for the
  // user gets `smbcontrol --configfile=CONF PID close-share *`. No-op when there are none or
  // smbd is not running. bad_request for an invalid username.
  Status end_sessions(std::string_view username);

  // The user names of the passdb (`pdbedit --configfile=CONF -L`); internal on failure.
  Result<std::vector<std::string>> passdb_users();

private:
  // The account's GECOS field, or nullopt when it does not exist.
  Result<std::optional<std::string>> gecos_of(std::string_view username);

  ProcessRunner& m_runner;
  std::filesystem::path m_smb_conf;
};

} // namespace sharectl::agent::host
