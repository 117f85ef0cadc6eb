// Usage on demand (POST /api/v1/spaces/{owner}/{name}/usage, `sharectl space show --refresh`):
// one space of this host measured now, with the same measure as the heartbeat
// (space_usage.hpp), recorded as bookkeeping (Tx::touch_space_usage) together with its figures
// file for sharectl-dfree. One measure at a time; a request meanwhile is refused (429), so many
// requests can neither start many tools nor hold the API's workers.
#pragma once

#include <mutex>
#include <string>

#include "agent/reconcile/space_usage.hpp"
#include "agent/store/store.hpp"

namespace sharectl::agent::reconcile {

// Measures spaces of the host `server_name` on request. Thread-safe.
class UsageRefresher {
public:
  // Uses store and runner (both must outlive it) for the host named server_name.
  UsageRefresher(store::Store& store, std::string server_name, ProcessRunner& runner,
                 host::DfreeSetup dfree, UsageLog log = {});

  // Measures `space` now and records used_bytes/used_at. Fails with rate_limited while another
  // measure runs, conflict when the space is on another host (its own agent measures it) or is
  // not ready, unavailable when it cannot be measured, and with the store's errors.
  Status refresh(const model::Space& space);

private:
  store::Store& m_store;
  std::string m_server;
  SpaceUsage m_usage;
  std::mutex m_mutex;
};

} // namespace sharectl::agent::reconcile
