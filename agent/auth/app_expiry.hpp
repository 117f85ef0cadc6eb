// When an app (a login session) expires, as pure functions of its times and the configured
// lifetimes (agent.yaml apps.idle_expiry, apps.max_lifetime), and LastUsedTracker, which
// batches last_used_at updates in memory so an authenticated request does not write the store.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/model/entities.hpp"

namespace sharectl::agent::auth {

using model::Timestamp;

// How long apps live (SPEC.md apps:): unused for idle_expiry, or older than max_lifetime.
struct AppLifetime {
  std::chrono::seconds idle_expiry{7 * 24 * 3600};
  std::chrono::seconds max_lifetime{90 * 24 * 3600};
};

// The last moment the app is still valid: min(last_used + idle_expiry, created + max_lifetime).
// Never fails.
Timestamp app_expires_at(Timestamp created_at, Timestamp last_used_at, const AppLifetime& life);

// Whether the app has expired at `now`: now - last_used > idle_expiry or now - created >
// max_lifetime (at exactly the limit it is still valid). Never fails.
bool app_expired(Timestamp created_at, Timestamp last_used_at, Timestamp now,
                 const AppLifetime& life);

// app_expired for a stored App (its created_at and last_used_at). Never fails.
bool app_expired(const model::App& app, Timestamp now, const AppLifetime& life);

// Batches last_used_at updates: a use is recorded only when it is at least `granularity` newer
// than the newest time known for the app (stored or pending), so an app used continuously
// costs one store write per granularity per flush, not one per request. Thread-safe.
class LastUsedTracker {
public:
  // granularity: the smallest change of last_used_at worth writing (default 60 s).
  explicit LastUsedTracker(std::chrono::seconds granularity = std::chrono::seconds{60});

  // Notes that app_id was used at `now`, given the last_used_at the store returned. Returns
  // true when the use was recorded (the next flush() will carry it). Never fails.
  bool note_use(const model::Id& app_id, Timestamp stored_last_used, Timestamp now);

  // The newer of `stored_last_used` and a pending use of the app: what expiry checks should
  // use. Never fails.
  Timestamp effective_last_used(const model::Id& app_id, Timestamp stored_last_used) const;

  // Takes the pending uses ({app id → time}) for the store's touch_app; the tracker is empty
  // afterwards. Never fails.
  std::map<model::Id, Timestamp> flush();

  // Drops a pending use (the app was deleted). Never fails.
  void forget(const model::Id& app_id);

  // How many apps have a pending use.
  std::size_t pending_count() const;

  // A number that grows whenever what effective_last_used() answers may have changed (a use
  // recorded, a flush, a forget), so that answers built from it can be kept until it moves.
  std::uint64_t generation() const { return m_generation.load(std::memory_order_acquire); }

private:
  std::chrono::microseconds m_granularity;
  mutable std::mutex m_mutex;
  std::map<model::Id, Timestamp> m_pending;
  std::atomic<std::uint64_t> m_generation{0};
};

} // namespace sharectl::agent::auth
