// A private smbd for integration tests: its own smb.conf, tdbsam passdb, lock/state/cache/pid/
// ncalrpc/private dirs and log in a fresh TempDir, listening only on 127.0.0.1 on a free port,
// no NetBIOS, no printing, no winbindd, so several run side by side and none touches the host's
// Samba. smbd runs in the foreground as our child (its own process group, SIGTERM when the test
// process dies) and is stopped by pid: SIGTERM, a 5 s grace, then SIGKILL to the group; the
// samba-dcerpcd/rpcd_* helpers smbd starts on demand are killed by their --configfile argument.
// The directory is $TMPDIR/sharectl-smbd-<pid>-XXXXXX; the first server of a process removes
// what crashed runs left (their helpers and directories). Test users are real Unix accounts
// (TestUser) deleted at teardown. Failures are returned as Errors carrying the tool's output or the
// tail of smbd's log; the destructor never throws.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "common/util/error.hpp"
#include "common/util/process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_user.hpp"

namespace sharectl::test {

// smb.conf parameters as (name, value) pairs, rendered in order.
using SmbParams = std::vector<std::pair<std::string, std::string>>;

// One private smbd. Not copyable; everything it made is removed when it goes away.
class SmbdServer {
public:
  // Creates the private directory (mode 0755 so test users can traverse it); starts nothing.
  // Throws std::system_error / std::filesystem::filesystem_error when the directory cannot be
  // made.
  SmbdServer();
  // Stops smbd and its helpers, deletes the test users and removes the directory.
  ~SmbdServer();
  SmbdServer(const SmbdServer&) = delete;
  SmbdServer& operator=(const SmbdServer&) = delete;

  // Renders smb.conf and starts smbd on a free port, returning once this smbd listens (retries on
  // a new port when another process took it first). Fails with not_found when smbd is not
  // installed, unavailable when it exits or does not listen within 15 s (message: its log tail).
  Status start();

  // Stops smbd by pid (SIGTERM, 5 s grace, SIGKILL) and kills its RPC helpers; the directory,
  // users, configuration and port stay, so start() may be called again. No-op when
  // stopped.
  Status stop();

  // True while smbd runs.
  bool running();

  // smbd's pid (0 before start()).
  pid_t pid() const { return m_process.pid(); }
  // The TCP port smbd listens on (chosen when the config is first written; may change when
  // start() finds it taken).
  int port() const { return m_port; }
  // The private directory holding everything of this instance.
  const std::filesystem::path& dir() const { return m_dir.path(); }
  // The server's smb.conf.
  std::filesystem::path config_path() const;
  // The smb.conf smbclient uses (client settings only; never /etc/samba/smb.conf).
  std::filesystem::path client_config_path() const;
  // smbd's log file.
  std::filesystem::path log_path() const;

  // Creates dir()/data/<relative> (and parents) with mode 0755 — traversable by test users — and
  // returns its path. Fails (internal) when it cannot.
  Result<std::filesystem::path> make_directory(std::string_view relative);

  // Sets (or replaces) a [global] parameter beyond the built-in private ones. Applies like
  // add_share.
  Status set_global(std::string_view name, std::string_view value);

  // Adds (or replaces) share [name] serving path with extra parameters. When smbd runs, rewrites
  // smb.conf and reloads it. Fails with bad_request for a name or value that would break the file
  // (newline, ']', …), else as reload().
  Status add_share(std::string_view name, const std::filesystem::path& path,
                   const SmbParams& params = {});

  // Removes share [name] (reloading when running); not_found when there is no such share.
  Status remove_share(std::string_view name);

  // Adds `include = file` at the end of [global] (the agent owns such a file). Applies like
  // add_share; the file need not exist yet.
  Status add_include(const std::filesystem::path& file);

  // Rewrites smb.conf atomically; when smbd runs, makes it re-read the file now with
  // `smbcontrol --configfile=… smbd reload-config`. Fails (internal) with smbcontrol's output.
  Status reload();

  // Runs `smbcontrol --configfile=<ours> <args…>` (e.g. {"smbd", "close-share", "name"}) and
  // returns its result; fails only when smbcontrol cannot be run.
  Result<ProcessResult> smbcontrol(const std::vector<std::string>& args);

  // Creates a Unix test user (TestUser, label for readability) and adds it to this server's
  // passdb with password. The user is deleted at teardown. Fails (internal) with the tool's
  // message.
  Result<const TestUser*> add_user(std::string_view label, std::string_view password);

  // Adds or updates an existing Unix user's entry in this server's passdb (smbpasswd -a -s).
  Status set_smb_password(const std::string& unix_user, std::string_view password);

  // Runs `smbclient --configfile=<client conf> -p PORT //127.0.0.1/<share> -U user%password -c
  // commands` and returns stdout followed by stderr. smbclient's exit status only reflects its
  // last command, so it is not an error here: callers look for "NT_STATUS_" in the output. Fails
  // only when smbclient cannot be run or times out.
  Result<std::string> smbclient(std::string_view share, std::string_view user,
                                std::string_view password, std::string_view commands);

  // Runs smbclient with --configfile=<client conf> -p PORT and then args, returning the raw
  // result (for -L, --max-protocol, … tests).
  Result<ProcessResult> run_smbclient(const std::vector<std::string>& args);

private:
  struct Share {
    std::string name;
    std::filesystem::path path;
    SmbParams params;
  };

  std::string render_config() const;
  Status write_config();
  Status apply();
  Status start_once(bool& port_taken); // port_taken: in = pick a new port, out = retry

  TempDir m_dir;
  std::unique_ptr<ProcessRunner> m_runner;
  ChildProcess m_process;
  int m_port = 0;
  SmbParams m_globals;
  std::vector<std::filesystem::path> m_includes;
  std::vector<Share> m_shares;
  std::vector<std::unique_ptr<TestUser>> m_users;
};

} // namespace sharectl::test
