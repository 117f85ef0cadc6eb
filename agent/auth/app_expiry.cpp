// App expiry and last-used batching; see app_expiry.hpp.
#include "agent/auth/app_expiry.hpp"

#include <algorithm>

namespace sharectl::agent::auth {

Timestamp app_expires_at(Timestamp created_at, Timestamp last_used_at, const AppLifetime& life) {
  const Timestamp last = std::max(created_at, last_used_at);
  return std::min(last + life.idle_expiry, created_at + life.max_lifetime);
}

bool app_expired(Timestamp created_at, Timestamp last_used_at, Timestamp now,
                 const AppLifetime& life) {
  return now > app_expires_at(created_at, last_used_at, life);
}

bool app_expired(const model::App& app, Timestamp now, const AppLifetime& life) {
  return app_expired(app.created_at, app.last_used_at, now, life);
}

LastUsedTracker::LastUsedTracker(std::chrono::seconds granularity) : m_granularity(granularity) {}

bool LastUsedTracker::note_use(const model::Id& app_id, Timestamp stored_last_used, Timestamp now) {
  std::lock_guard lock(m_mutex);
  Timestamp known = stored_last_used;
  auto it = m_pending.find(app_id);
  if (it != m_pending.end()) {
    known = std::max(known, it->second);
  }
  if (now - known < m_granularity) {
    return false;
  }
  m_pending[app_id] = now;
  m_generation.fetch_add(1, std::memory_order_release);
  return true;
}

Timestamp LastUsedTracker::effective_last_used(const model::Id& app_id,
                                               Timestamp stored_last_used) const {
  std::lock_guard lock(m_mutex);
  auto it = m_pending.find(app_id);
  return it == m_pending.end() ? stored_last_used : std::max(stored_last_used, it->second);
}

std::map<model::Id, Timestamp> LastUsedTracker::flush() {
  std::lock_guard lock(m_mutex);
  std::map<model::Id, Timestamp> out;
  out.swap(m_pending);
  if (!out.empty()) {
    m_generation.fetch_add(1, std::memory_order_release);
  }
  return out;
}

void LastUsedTracker::forget(const model::Id& app_id) {
  std::lock_guard lock(m_mutex);
  if (m_pending.erase(app_id) > 0) {
    m_generation.fetch_add(1, std::memory_order_release);
  }
}

std::size_t LastUsedTracker::pending_count() const {
  std::lock_guard lock(m_mutex);
  return m_pending.size();
}

} // namespace sharectl::agent::auth
