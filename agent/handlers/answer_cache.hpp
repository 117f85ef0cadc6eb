// Answers of cacheable routes (api::Route::cacheable: GETs whose 200 is a function of the
// caller, the target and the store) kept per app and request target, so that a repeat is
// answered on an I/O thread without authorizing, reading the store and rendering again. A kept
// answer is given only while the read stamp it was built at still holds — the store revision
// this process has seen and the app-use generation unchanged — and for less than `ttl` of agent
// clock time: a change made through this agent shows at once, one made through another agent
// sharing the store (or an expiry falling due) within `ttl`. Bounded in entries and bytes; an
// answer larger than an eighth of the byte budget is not kept. Thread-safe; nothing here fails.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/api/http.hpp"
#include "agent/handlers/caller.hpp"

namespace sharectl::agent::handlers {

class AnswerCache {
public:
  // A cache of at most `max_entries` answers and `max_bytes` of bodies, each kept for `ttl`.
  explicit AnswerCache(std::chrono::milliseconds ttl = std::chrono::seconds{1},
                       std::size_t max_entries = 4096, std::size_t max_bytes = 64 << 20);

  // The answer kept for `app_id` and `target` when it was built at a stamp that `now` still
  // matches (same revision and uses, less than ttl later); nullopt otherwise.
  std::optional<api::Response> find(std::string_view app_id, std::string_view target,
                                    const ReadStamp& now) const;

  // Keeps `answer` for `app_id` and `target`, built from reads that began at `stamp`. When full,
  // entries no longer valid at `stamp` are dropped first, then everything.
  void put(std::string_view app_id, std::string_view target, const api::Response& answer,
           const ReadStamp& stamp);

  // How many answers, and how many body bytes, are kept (tests, metrics).
  std::size_t size() const;
  std::size_t bytes() const;

private:
  struct Entry {
    std::shared_ptr<const api::Response> answer;
    ReadStamp stamp;
  };

  bool valid(const Entry& entry, const ReadStamp& now) const;
  static std::string key(std::string_view app_id, std::string_view target);

  std::chrono::milliseconds m_ttl;
  std::size_t m_max_entries;
  std::size_t m_max_bytes;
  mutable std::mutex m_mutex;
  std::unordered_map<std::string, Entry> m_entries;
  std::size_t m_bytes = 0;
};

} // namespace sharectl::agent::handlers
