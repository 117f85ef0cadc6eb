// The bounded login pool; see login_pool.hpp.
#include "agent/auth/login_pool.hpp"

namespace sharectl::agent::auth {

LoginPool::LoginPool(LoginPoolConfig config) : m_config(config) {
  if (m_config.threads == 0) {
    m_config.threads = 1;
  }
  if (m_config.queue_capacity == 0) {
    m_config.queue_capacity = 1;
  }
  m_threads.reserve(m_config.threads);
  for (std::size_t i = 0; i < m_config.threads; ++i) {
    m_threads.emplace_back([this] { worker(); });
  }
}

LoginPool::~LoginPool() {
  stop();
}

Status LoginPool::enqueue(std::function<void()> job) {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) {
      return fail(ErrorCode::unavailable, "the agent is shutting down");
    }
    if (m_queue.size() >= m_config.queue_capacity) {
      return fail(ErrorCode::unavailable, "too many logins in progress; try again shortly");
    }
    m_queue.push_back(std::move(job));
  }
  m_cv.notify_one();
  return {};
}

void LoginPool::worker() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
      if (m_queue.empty()) {
        return; // stopping and drained
      }
      job = std::move(m_queue.front());
      m_queue.pop_front();
    }
    job(); // a packaged_task: exceptions go to its future
  }
}

std::size_t LoginPool::queued() const {
  std::lock_guard lock(m_mutex);
  return m_queue.size();
}

void LoginPool::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  std::lock_guard join_lock(m_join_mutex);
  for (auto& t : m_threads) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) {
      t.join();
    }
  }
}

} // namespace sharectl::agent::auth
