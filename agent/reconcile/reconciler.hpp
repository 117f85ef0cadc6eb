// The reconcile loop: makes this host match the store. On start it registers the host
// (register.hpp) and ensures the `include =` line in smb.conf; then on every store change
// (wait_for_change) and every `reconcile.resync` it runs one pass:
//  1. SMB accounts (samba.accounts local; `external`: nothing): every user who owns a space here
//     or has an active ACL row on a share here gets a Unix account and a passdb entry from the
//     stored NT hash (SambaAccounts::provision_nt_hash; no hash yet: the Unix account only). A
//     disabled user's entry is disabled and their sessions ended; a user no longer needing an
//     account here (deleted, last grant revoked) loses entry, sessions and Unix account. What
//     was provisioned is remembered per user (a digest of the hash), so an idle pass runs no
//     command and a changed hash (passwd) is provisioned once; after a start every user is
//     provisioned once and the passdb's entries of ours that nobody needs are removed. Accounts
//     not made by sharectl (no k_account_gecos) are never touched. Failures are logged and
//     retried by the next pass.
//  2. Spaces of this host that are not ready: a new one → quota driver create (owned by the
//     owner's account); one already on disk (a resize, an earlier error) → driver resize, so
//     shrinking below usage is refused (status error "SPACE-SHRINK-BELOW-USAGE …", the old
//     limit stays in force and its shares stay served) → status ready or error; deleting →
//     (after step 3 has applied an include without its shares) driver remove → row deleted, so
//     a space's row is gone only when nothing of it is served or left on disk.
//  3. Every share of this host whose space is on disk is rendered with the grants of its active
//     users and applied with SambaConfigWriter (a no-op when unchanged; close-share for every
//     share whose access shrank, so a revoked user's open session fails at once) → shares
//     ready or error.
// A pass writes a status only when it differs, so running it twice changes nothing. A host
// with no usable filesystem (none registered) leaves smb.conf and the include file alone.
// Failures of one object become that object's status; only store failures fail a pass.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "agent/host/samba/accounts.hpp"
#include "agent/host/samba/config_writer.hpp"
#include "agent/host/storage/quota_driver.hpp"
#include "agent/store/store.hpp"
#include "common/config/agent_config.hpp"
#include "common/util/process.hpp"

namespace sharectl::agent::reconcile {

// Converges this host to the store. Not copyable; stop() (or the destructor) ends the thread.
class Reconciler {
public:
  // A user who needs an SMB account on this host, with the stored NT hash (if any).
  struct Account {
    model::User user;
    std::optional<std::string> nt_hash;
  };

  // A log line sink (level "info" / "warn", message). May be empty.
  using Log = std::function<void(std::string_view level, std::string_view message)>;

  // Uses store and runner (both must outlive it) for the host `config` describes.
  Reconciler(store::Store& store, config::AgentConfig config, ProcessRunner& runner, Log log = {});
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // Registers the host and ensures the include line (a failure there is logged, retried by the
  // next pass). Fails only when the host cannot be registered in the store.
  Status prepare();

  // One pass over this host's spaces and shares (see the header comment); needs prepare()
  // (or register_host) to have run once. Writes nothing when the host already matches. Fails
  // with the store's error when the store cannot be read or written.
  Status run_once();

  // prepare() (once), then a thread running run_once() on every change and every resync.
  Status start();

  // Ends the thread started by start(); no-op when none runs.
  void stop();

private:
  void loop();
  void say(std::string_view level, const std::string& message);
  Result<host::QuotaDriver*> driver_for(const model::FileSystem& fs);
  void sync_accounts(const std::map<model::Id, Account>& wanted);
  Status provision(host::SambaAccounts& accounts, const Account& account, const std::string& state);
  // Records that this host has applied the store up to `revision` (Server.observed_revision).
  Status record_observed(const model::Server& server, model::Revision revision);

  static constexpr std::string_view k_disabled = "disabled";
  static constexpr std::string_view k_foreign = "foreign";

  store::Store& m_store;
  config::AgentConfig m_config;
  ProcessRunner& m_runner;
  Log m_log;
  host::SambaConfigWriter m_writer;
  bool m_include_ensured = false;
  std::map<std::string, std::string> m_accounts; // username → state provisioned (see sync_accounts)
  bool m_passdb_scanned = false;
  model::Revision m_observed = 0; // the observed_revision last recorded
  std::map<model::Id, std::unique_ptr<host::QuotaDriver>> m_drivers;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

} // namespace sharectl::agent::reconcile
