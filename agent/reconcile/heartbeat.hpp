// The heartbeat of this host: every k_heartbeat_interval the agent records its Server row's
// last_heartbeat, load average (/proc/loadavg) and memory (/proc/meminfo), the free bytes
// of its configured filesystems (statvfs) and what each of its ready spaces uses
// (space_usage.hpp), as store bookkeeping (Tx::touch_server / touch_filesystem /
// touch_space_usage: no new revision, no change-feed entry, so no reconcile pass), and then
// rewrites the figures files of sharectl-dfree (Samba's `dfree command`) from those measures.
// Only real changes take a revision: a filesystem whose capacity changed, a server row marked
// down.
// A server counts as up while its status is up and its last heartbeat is at most
// k_missed_heartbeats intervals old (server_up); placement and the servers routes use that. On
// etcd each beat first renews the agent's lease (Store::keep_server_alive), and a server is read
// up with a fresh heartbeat exactly while its lease lives, down otherwise.
// Failures are values: a beat that cannot read /proc or the store says why and changes nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "agent/auth/clock.hpp"
#include "agent/host/samba/usage_files.hpp"
#include "agent/reconcile/space_usage.hpp"
#include "agent/store/store.hpp"
#include "common/config/agent_config.hpp"
#include "common/util/process.hpp"

namespace sharectl::agent::reconcile {

// How often a host beats, and how many beats it may miss before it counts as down.
inline constexpr std::chrono::seconds k_heartbeat_interval{15};
inline constexpr int k_missed_heartbeats = 3;

// Whether `server` counts as up at `now`: status up and a heartbeat no older than
// k_missed_heartbeats intervals (a heartbeat from the future counts as fresh). Never fails.
bool server_up(const model::Server& server, model::Timestamp now);

// The load and memory figures of a host.
struct HostFigures {
  double load_average = 0;              // 1-minute load average
  std::uint64_t memory_total_bytes = 0; // MemTotal
  std::uint64_t memory_used_bytes = 0;  // MemTotal − MemAvailable
};

// The 1-minute load average of /proc/loadavg text; bad_request when it has none.
Result<double> parse_loadavg(std::string_view text);

// Total and used memory of /proc/meminfo text (used = MemTotal − MemAvailable, in bytes);
// bad_request when MemTotal or MemAvailable is missing or malformed.
Result<HostFigures> parse_meminfo(std::string_view text);

// The figures of this host from /proc; unavailable when /proc cannot be read.
Result<HostFigures> read_host_figures();

// Capacity and free bytes (for unprivileged users: f_bavail) of the filesystem holding `path`;
// nullopt when it cannot be measured.
struct FsFigures {
  std::uint64_t capacity_bytes = 0;
  std::uint64_t free_bytes = 0;
};
std::optional<FsFigures> measure_filesystem(const std::filesystem::path& path);

// Beats for the host `config` describes, stamping times from `clock` (store, clock and runner
// must outlive it).
class Heartbeat {
public:
  // Measures spaces with a ProcessRunner of its own and writes no dfree figures files.
  Heartbeat(store::Store& store, config::AgentConfig config, const auth::Clock& clock);
  // Runs host tools (btrfs) through `runner`, writes the figures files `dfree` names (when
  // enabled; the agent passes host::dfree_setup_for(samba.include)) and logs through `log`.
  Heartbeat(store::Store& store, config::AgentConfig config, const auth::Clock& clock,
            ProcessRunner& runner, host::DfreeSetup dfree = {}, UsageLog log = {});

  // One beat (see the header comment). Fails with not_found when this host is not registered
  // (register_host has not run), with the store's error otherwise; a filesystem or space that
  // cannot be measured keeps its last figures (a space's problem is logged, not failed).
  Status beat();

private:
  store::Store& m_store;
  config::AgentConfig m_config;
  const auth::Clock& m_clock;
  std::unique_ptr<ProcessRunner> m_own_runner; // when none was given
  SpaceUsage m_usage;
};

} // namespace sharectl::agent::reconcile
