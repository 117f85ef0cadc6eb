// SqlTx, part 3: bookkeeping written in place. A host's liveness figures, its filesystems' free
// bytes, its spaces' usage and an app's last use: no new revision and no change-feed entry, so
// a heartbeat every few seconds or a flush of app use times neither moves the store revision
// nor wakes any host's reconcile loop.
#include <limits>

#include "agent/store/sql/mapping.hpp"
#include "agent/store/sql/sql_tx.hpp"

namespace sharectl::store::sql {

namespace {

std::int64_t as_int(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

} // namespace

Status SqlTx::touch_server(const Server& figures) {
  if (!m_writable) {
    return fail(ErrorCode::internal, "touch server: a write in a read-only transaction");
  }
  const std::int64_t heartbeat = model::to_micros(figures.last_heartbeat.value_or(now()));
  auto r = query("UPDATE servers SET last_heartbeat = $2, load_average = $3, "
                 "memory_total_bytes = $4, memory_used_bytes = $5, net_rx_bytes = $6, "
                 "net_tx_bytes = $7 WHERE id = $1",
                 {figures.id, heartbeat, figures.load_average, as_int(figures.memory_total_bytes),
                  as_int(figures.memory_used_bytes), as_int(figures.net_rx_bytes),
                  as_int(figures.net_tx_bytes)},
                 "touch server");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, "server " + figures.id + " does not exist");
  }
  return {};
}

Status SqlTx::touch_server_observed(const Id& server_id, Revision observed) {
  if (!m_writable) {
    return fail(ErrorCode::internal, "touch server: a write in a read-only transaction");
  }
  auto r = query("UPDATE servers SET observed_revision = $2 WHERE id = $1", {server_id, observed},
                 "record a server's observed revision");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, "server " + server_id + " does not exist");
  }
  return {};
}

Status SqlTx::touch_filesystem(const FileSystem& figures) {
  if (!m_writable) {
    return fail(ErrorCode::internal, "touch filesystem: a write in a read-only transaction");
  }
  auto r = query("UPDATE filesystems SET free_bytes = $2 WHERE id = $1",
                 {figures.id, as_int(figures.free_bytes)}, "touch filesystem");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, "filesystem " + figures.id + " does not exist");
  }
  return {};
}

Status SqlTx::touch_space_usage(const Id& space_id, std::uint64_t used_bytes, Timestamp when) {
  if (!m_writable) {
    return fail(ErrorCode::internal, "touch space usage: a write in a read-only transaction");
  }
  if (used_bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return fail(ErrorCode::bad_request, "used_bytes is too large to store");
  }
  auto r = query("UPDATE spaces SET used_bytes = $2, used_at = $3 WHERE id = $1",
                 {space_id, as_int(used_bytes), model::to_micros(when)}, "touch space usage");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, noun_id("space", space_id) + " does not exist");
  }
  return {};
}

Status SqlTx::touch_app(const Id& app_id, Timestamp when) {
  if (!m_writable) {
    return fail(ErrorCode::internal, "touch app: a write in a read-only transaction");
  }
  auto r = query("UPDATE apps SET last_used_at = $2 WHERE id = $1",
                 {app_id, model::to_micros(when)}, "touch app");
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->affected == 0) {
    return fail(ErrorCode::not_found, noun_id("app", app_id) + " does not exist");
  }
  return {};
}

} // namespace sharectl::store::sql
