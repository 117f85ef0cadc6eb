#include "agent/handlers/caller_cache.hpp"

#include <iterator>

namespace sharectl::agent::handlers {

CallerCache::CallerCache(std::chrono::milliseconds ttl, std::size_t capacity)
    : m_ttl(ttl), m_capacity(capacity == 0 ? 1 : capacity) {}

std::shared_ptr<const Caller> CallerCache::find(const std::string& token_hash, store::Revision seen,
                                                Clock::time_point now) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_entries.find(token_hash);
  if (it == m_entries.end() || it->second.seen != seen || now - it->second.read_at >= m_ttl ||
      now < it->second.read_at) {
    return nullptr;
  }
  return it->second.caller;
}

void CallerCache::put(const std::string& token_hash, Caller caller, store::Revision seen,
                      Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  if (m_entries.size() >= m_capacity && !m_entries.contains(token_hash)) {
    std::erase_if(m_entries, [&](const auto& item) {
      return item.second.seen != seen || now - item.second.read_at >= m_ttl;
    });
    if (m_entries.size() >= m_capacity) {
      m_entries.clear();
    }
  }
  m_entries.insert_or_assign(token_hash,
                             Entry{std::make_shared<const Caller>(std::move(caller)), seen, now});
}

std::size_t CallerCache::size() const {
  std::lock_guard lock(m_mutex);
  return m_entries.size();
}

} // namespace sharectl::agent::handlers
