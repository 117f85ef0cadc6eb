// What this host's spaces use, for the heartbeat: every ready space on this host's filesystems
// is measured with its filesystem's QuotaDriver::measure (btrfs: qgroup referenced bytes, after
// one `btrfs filesystem sync ROOT` per filesystem and beat, since qgroup figures move only at a
// transaction commit; dir: a bounded walk that reports what it counted when cut short). The
// figures files of sharectl-dfree (host/samba/usage_files.hpp) are written from the same
// measures, and those of spaces that are gone are removed. Problems are logged once per space
// and message (stable ids HEARTBEAT-W001…W004) and never fail a beat.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/host/samba/usage_files.hpp"
#include "agent/host/storage/dir_driver.hpp"
#include "agent/host/storage/quota_driver.hpp"
#include "common/model/entities.hpp"
#include "common/util/process.hpp"

namespace sharectl::agent::reconcile {

// A log line sink (level "info" / "warn", message). May be empty.
using UsageLog = std::function<void(std::string_view level, std::string_view message)>;

// One space as measured in a beat.
struct SpaceMeasure {
  model::Id id;
  std::string path;
  std::uint64_t size_bytes = 0;            // the space's size (from the store)
  std::uint64_t stored_used_bytes = 0;     // used_bytes as the store had it
  std::optional<std::uint64_t> used_bytes; // measured now; nullopt: could not be measured
};

// Measures spaces and keeps the dfree figures files. Not thread-safe (one heartbeat uses it).
class SpaceUsage {
public:
  // Runs host tools through runner (must outlive this); writes figures files when dfree is
  // enabled; reports problems through log; walks dir spaces within `walk`.
  SpaceUsage(ProcessRunner& runner, host::DfreeSetup dfree, UsageLog log = {},
             host::WalkLimits walk = {});

  // The ready spaces among `spaces` that live on one of `filesystems` (this host's), each
  // measured. Never fails: a space that cannot be measured has used_bytes nullopt (logged).
  std::vector<SpaceMeasure> measure(const std::vector<model::FileSystem>& filesystems,
                                    const std::vector<model::Space>& spaces);

  // Writes the figures file and link of every measured space (its stored figure when the
  // measure failed) and removes those of spaces whose id is not in `existing` and that were
  // last changed before `snapshot_time` (when the caller read the store); the directory is made
  // only when there is a space to write. No-op when dfree is disabled. Never fails (problems
  // are logged).
  void write_files(const std::vector<SpaceMeasure>& measured, const std::set<model::Id>& existing,
                   std::chrono::system_clock::time_point snapshot_time);

  // The dfree setup in use.
  const host::DfreeSetup& dfree() const { return m_dfree; }

private:
  Result<host::QuotaDriver*> driver_for(const model::FileSystem& fs);
  // Logs `message` under `key` unless the same message was the last one logged for it.
  void report(const std::string& key, const std::string& message);
  // Forgets the last message of `key` (the next problem there is logged again).
  void settled(const std::string& key);

  ProcessRunner& m_runner;
  host::DfreeSetup m_dfree;
  UsageLog m_log;
  host::WalkLimits m_walk;
  std::map<model::Id, std::unique_ptr<host::QuotaDriver>> m_drivers; // by filesystem id
  std::map<std::string, std::string> m_reported;                     // key → last message
};

} // namespace sharectl::agent::reconcile
