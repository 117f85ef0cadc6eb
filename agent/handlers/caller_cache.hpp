// Recently authenticated callers by token hash, so that a burst of requests with one app does
// not read the app and its user from the store on every request. An entry is used only while
// the store revision this process has seen (Store::seen_revision: its own commits at once,
// other agents' by the change feed) is the one it was read at, and for at most `ttl`: a logout,
// password change or disabled user takes effect at once through this agent and within `ttl`
// through another agent sharing the store. Expiry is still decided on every request by the
// caller of find(). Thread-safe; nothing here fails.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "agent/handlers/caller.hpp"
#include "agent/store/tx.hpp"

namespace sharectl::agent::handlers {

class CallerCache {
public:
  using Clock = std::chrono::steady_clock;

  // A cache of at most `capacity` callers, each trusted for at most `ttl`.
  explicit CallerCache(std::chrono::milliseconds ttl = std::chrono::seconds{2},
                       std::size_t capacity = 4096);

  // The caller cached for `token_hash` when it was read at store revision `seen` less than
  // ttl before `now`; null otherwise.
  std::shared_ptr<const Caller> find(const std::string& token_hash, store::Revision seen,
                                     Clock::time_point now) const;

  // Remembers `caller`, read at store revision `seen` (taken before the read began) at `now`.
  // When full, expired entries are dropped first, then everything.
  void put(const std::string& token_hash, Caller caller, store::Revision seen,
           Clock::time_point now);

  // How many callers are cached (tests).
  std::size_t size() const;

private:
  struct Entry {
    std::shared_ptr<const Caller> caller;
    store::Revision seen = 0;
    Clock::time_point read_at;
  };

  std::chrono::milliseconds m_ttl;
  std::size_t m_capacity;
  mutable std::mutex m_mutex;
  std::unordered_map<std::string, Entry> m_entries;
};

} // namespace sharectl::agent::handlers
