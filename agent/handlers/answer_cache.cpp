#include "agent/handlers/answer_cache.hpp"

namespace sharectl::agent::handlers {

AnswerCache::AnswerCache(std::chrono::milliseconds ttl, std::size_t max_entries,
                         std::size_t max_bytes)
    : m_ttl(ttl), m_max_entries(max_entries == 0 ? 1 : max_entries), m_max_bytes(max_bytes) {}

std::string AnswerCache::key(std::string_view app_id, std::string_view target) {
  std::string out;
  out.reserve(app_id.size() + 1 + target.size());
  out.append(app_id).push_back(' '); // app ids have no spaces; targets start with '/'
  out.append(target);
  return out;
}

bool AnswerCache::valid(const Entry& entry, const ReadStamp& now) const {
  return entry.stamp.revision == now.revision && entry.stamp.uses == now.uses &&
         entry.stamp.at <= now.at && now.at - entry.stamp.at < m_ttl;
}

std::optional<api::Response> AnswerCache::find(std::string_view app_id, std::string_view target,
                                               const ReadStamp& now) const {
  std::shared_ptr<const api::Response> answer;
  {
    const auto wanted = key(app_id, target);
    std::lock_guard lock(m_mutex);
    const auto it = m_entries.find(wanted);
    if (it == m_entries.end() || !valid(it->second, now)) {
      return std::nullopt;
    }
    answer = it->second.answer;
  }
  return *answer; // copied outside the lock
}

void AnswerCache::put(std::string_view app_id, std::string_view target, const api::Response& answer,
                      const ReadStamp& stamp) {
  const std::size_t size = answer.body.size();
  if (size > m_max_bytes / 8) {
    return;
  }
  auto kept = std::make_shared<const api::Response>(answer);
  auto name = key(app_id, target);
  std::lock_guard lock(m_mutex);
  if (auto it = m_entries.find(name); it != m_entries.end()) {
    m_bytes -= it->second.answer->body.size();
    m_entries.erase(it);
  }
  if (m_entries.size() >= m_max_entries || m_bytes + size > m_max_bytes) {
    std::erase_if(m_entries, [&](const auto& item) {
      if (valid(item.second, stamp)) {
        return false;
      }
      m_bytes -= item.second.answer->body.size();
      return true;
    });
    if (m_entries.size() >= m_max_entries || m_bytes + size > m_max_bytes) {
      m_entries.clear();
      m_bytes = 0;
    }
  }
  m_entries.emplace(std::move(name), Entry{std::move(kept), stamp});
  m_bytes += size;
}

std::size_t AnswerCache::size() const {
  std::lock_guard lock(m_mutex);
  return m_entries.size();
}

std::size_t AnswerCache::bytes() const {
  std::lock_guard lock(m_mutex);
  return m_bytes;
}

} // namespace sharectl::agent::handlers
