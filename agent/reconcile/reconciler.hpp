// The reconcile loop: makes this host match the store. On start it registers the host
// (register.hpp) and ensures the `include =` line in smb.conf; then on every store change
// (wait_for_change) and every `reconcile.resync` it runs one pass: spaces of this host that
// are pending → owner's Unix account (samba.accounts local) + quota driver create/resize →
// status ready or error; deleting → driver remove → row deleted; then every share of this host
// whose space is ready is rendered (with its active grants) and applied with SambaConfigWriter
// (a no-op when unchanged) → shares ready or error. A pass writes a status only when it
// differs, so running it twice changes nothing. A host with no usable filesystem (none
// registered) leaves smb.conf and the include file alone. Failures of one object become that
// object's status; only store failures fail a pass.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "agent/host/samba/config_writer.hpp"
#include "agent/host/storage/quota_driver.hpp"
#include "agent/store/store.hpp"
#include "common/config/agent_config.hpp"
#include "common/util/process.hpp"

namespace sharectl::agent::reconcile {

// Converges this host to the store. Not copyable; stop() (or the destructor) ends the thread.
class Reconciler {
public:
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
  Status ensure_owner_account(const model::User& owner);

  store::Store& m_store;
  config::AgentConfig m_config;
  ProcessRunner& m_runner;
  Log m_log;
  host::SambaConfigWriter m_writer;
  bool m_include_ensured = false;
  std::map<model::Id, std::unique_ptr<host::QuotaDriver>> m_drivers;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

} // namespace sharectl::agent::reconcile
