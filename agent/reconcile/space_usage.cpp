// Measuring this host's spaces and writing sharectl-dfree's figures; see space_usage.hpp.
#include "agent/reconcile/space_usage.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "agent/host/command.hpp"

namespace sharectl::agent::reconcile {

namespace {

// Files changed this little before the store was read count as written after it (file times
// come from a coarse clock).
constexpr auto k_mtime_slack = std::chrono::seconds(2);
// `btrfs filesystem sync` commits a transaction; it normally takes well under a second.
constexpr auto k_sync_timeout = std::chrono::seconds(30);

} // namespace

SpaceUsage::SpaceUsage(ProcessRunner& runner, host::DfreeSetup dfree, UsageLog log,
                       host::WalkLimits walk)
    : m_runner(runner), m_dfree(std::move(dfree)), m_log(std::move(log)), m_walk(walk) {}

Result<host::QuotaDriver*> SpaceUsage::driver_for(const model::FileSystem& fs) {
  auto it = m_drivers.find(fs.id);
  if (it == m_drivers.end()) {
    auto made = host::make_quota_driver(fs.driver, m_runner, fs.path);
    if (!made) {
      return std::unexpected(made.error());
    }
    if (fs.driver == model::FsDriver::dir) { // the same driver with this walk's limits
      const std::filesystem::path root = (*made)->root();
      *made = std::make_unique<host::DirDriver>(m_runner, root, m_walk);
    }
    it = m_drivers.emplace(fs.id, std::move(*made)).first;
  }
  return it->second.get();
}

void SpaceUsage::report(const std::string& key, const std::string& message) {
  auto [it, inserted] = m_reported.emplace(key, message);
  if (!inserted) {
    if (it->second == message) {
      return;
    }
    it->second = message;
  }
  if (m_log) {
    m_log("warn", message);
  }
}

void SpaceUsage::settled(const std::string& key) {
  m_reported.erase(key);
}

std::vector<SpaceMeasure> SpaceUsage::measure(const std::vector<model::FileSystem>& filesystems,
                                              const std::vector<model::Space>& spaces) {
  // Forget what was reported about spaces that are gone.
  std::set<std::string> known;
  for (const model::Space& space : spaces) {
    known.insert(space.id);
  }
  std::erase_if(m_reported, [&](const auto& entry) {
    const auto blank = entry.first.find(' ');
    const std::string kind = entry.first.substr(0, blank);
    return (kind == "space" || kind == "file") && !known.contains(entry.first.substr(blank + 1));
  });
  std::vector<SpaceMeasure> out;
  for (const model::FileSystem& fs : filesystems) {
    std::vector<const model::Space*> ready;
    for (const model::Space& space : spaces) {
      if (space.filesystem_id == fs.id && space.status == model::ObjectStatus::ready) {
        ready.push_back(&space);
      }
    }
    if (ready.empty()) {
      continue;
    }
    auto driver = driver_for(fs);
    if (driver && (*driver)->kind() == model::FsDriver::btrfs) {
      // qgroup figures change at transaction commit: commit first so fresh writes show.
      const Command sync =
          host::host_command("btrfs", {"filesystem", "sync", fs.path}, k_sync_timeout);
      auto ran = m_runner.run(sync);
      const Status synced = !ran ? Status(std::unexpected(ran.error())) : check_exit(sync, *ran);
      if (!synced) {
        report("sync " + fs.path, fmt::format("HEARTBEAT-W004 btrfs filesystem sync {}: {}",
                                              fs.path, synced.error().message));
      } else {
        settled("sync " + fs.path);
      }
    }
    for (const model::Space* space : ready) {
      SpaceMeasure measure{space->id, space->path, space->size_bytes, space->used_bytes, {}};
      auto reading = driver ? (*driver)->measure(space->path)
                            : Result<host::UsageReading>(std::unexpected(driver.error()));
      if (!reading) {
        report("space " + space->id,
               fmt::format("HEARTBEAT-W001 usage of space {} not measured: {}", space->path,
                           reading.error().message));
      } else if (!reading->complete) {
        measure.used_bytes = reading->bytes;
        // Logged once (the count changes every beat; the message does not).
        report("space " + space->id,
               fmt::format("HEARTBEAT-W002 usage of space {} is a lower bound: its walk stops "
                           "at a limit (entries or time), so only part of it is counted",
                           space->path));
      } else {
        measure.used_bytes = reading->bytes;
        settled("space " + space->id);
      }
      out.push_back(std::move(measure));
    }
  }
  return out;
}

void SpaceUsage::write_files(const std::vector<SpaceMeasure>& measured,
                             const std::set<model::Id>& existing,
                             std::chrono::system_clock::time_point snapshot_time) {
  if (!m_dfree.enabled()) {
    return;
  }
  if (!measured.empty()) { // a host without spaces makes no directory
    if (auto made = host::ensure_usage_dir(m_dfree.usage_dir); !made) {
      report("dir", "HEARTBEAT-W003 dfree figures: " + made.error().message);
      return;
    }
    settled("dir");
  }
  for (const SpaceMeasure& space : measured) {
    const auto how = space.used_bytes ? host::FiguresWrite::replace : host::FiguresWrite::keep_used;
    auto written =
        host::write_space_figures(m_dfree, space.id, space.size_bytes,
                                  space.used_bytes.value_or(space.stored_used_bytes), how);
    const std::string key = "file " + space.id;
    if (!written) {
      report(key, fmt::format("HEARTBEAT-W003 dfree figures of space {}: {}", space.path,
                              written.error().message));
    } else {
      settled(key);
    }
  }
  std::set<std::string> keep(existing.begin(), existing.end());
  auto removed = host::remove_stale_figures(m_dfree.usage_dir, keep, snapshot_time - k_mtime_slack);
  if (!removed) {
    report("stale", "HEARTBEAT-W003 dfree figures: " + removed.error().message);
  } else {
    settled("stale");
  }
}

} // namespace sharectl::agent::reconcile
