#include "agent/reconcile/usage_refresh.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include <fmt/core.h>

namespace sharectl::agent::reconcile {

UsageRefresher::UsageRefresher(store::Store& store, std::string server_name, ProcessRunner& runner,
                               host::DfreeSetup dfree, UsageLog log)
    : m_store(store), m_server(std::move(server_name)),
      m_usage(runner, std::move(dfree), std::move(log)) {}

Status UsageRefresher::refresh(const model::Space& space) {
  // One measure at a time, and nobody waits for it: a busy refresher answers at once, so that
  // a flood of requests cannot hold the API's workers.
  std::unique_lock lock(m_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    return fail(ErrorCode::rate_limited, "a usage measure is already running; try again shortly");
  }
  auto filesystems =
      m_store.view_result([&](store::Tx& tx) -> Result<std::vector<model::FileSystem>> {
        auto server = tx.find_server(m_server);
        if (!server) {
          return std::unexpected(server.error());
        }
        return tx.list<model::FileSystem>(store::ListQuery{server->id, 0});
      });
  if (!filesystems) {
    return std::unexpected(filesystems.error());
  }
  if (std::ranges::none_of(*filesystems, [&](const model::FileSystem& fs) {
        return fs.id == space.filesystem_id;
      })) {
    return fail(ErrorCode::conflict,
                "the space is on another host; its own agent measures it (every 15 s)");
  }
  const auto measured = m_usage.measure(*filesystems, {space});
  if (measured.empty()) {
    return fail(ErrorCode::conflict, fmt::format("the space is {}; only a ready space is measured",
                                                 model::status_name(space.status)));
  }
  if (!measured.front().used_bytes) {
    return fail(ErrorCode::unavailable, "the space's usage cannot be measured now; see the log");
  }
  const std::uint64_t used = *measured.front().used_bytes;
  auto done = m_store.transact(
      [&](store::Tx& tx) { return tx.touch_space_usage(space.id, used, model::now_utc()); });
  if (!done) {
    return done;
  }
  // Its figures file too; nothing else is removed (no space counts as gone before the epoch).
  m_usage.write_files(measured, std::set<model::Id>{space.id},
                      std::chrono::system_clock::time_point{});
  return {};
}

} // namespace sharectl::agent::reconcile
