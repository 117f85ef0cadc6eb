// A bounded pool for password verification: a fixed number of threads and a bounded queue.
// Logins run here, not on the request workers, so a storm of logins (each ~50 ms of argon2id
// and 19 MiB) can occupy at most `threads` cores and `threads` × 19 MiB, and when the queue is
// full a login is refused at once (unavailable → 503 + Retry-After) instead of waiting.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/util/error.hpp"

namespace sharectl::agent::auth {

// Sizes of a LoginPool.
struct LoginPoolConfig {
  std::size_t threads = 2;         // verifications running at once
  std::size_t queue_capacity = 64; // verifications waiting (at least 1); more are refused
};

// Fixed threads over a bounded FIFO queue. Thread-safe; the destructor stops accepting work,
// runs what is queued and joins the threads.
class LoginPool {
public:
  // Starts the threads (at least 1). Throws std::system_error if a thread cannot start.
  explicit LoginPool(LoginPoolConfig config = {});
  // Finishes queued work and joins the threads.
  ~LoginPool();
  LoginPool(const LoginPool&) = delete;
  LoginPool& operator=(const LoginPool&) = delete;

  // Queues fn; its result arrives through the future (an exception in fn too). Fails with
  // unavailable when the queue is full or the pool is stopping.
  template <typename F>
  Result<std::future<std::invoke_result_t<F&>>> submit(F fn) {
    using R = std::invoke_result_t<F&>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    auto future = task->get_future();
    Status queued = enqueue([task] { (*task)(); });
    if (!queued) {
      return std::unexpected(queued.error());
    }
    return future;
  }

  // Runs fn on the pool and waits for it: submit() then get(). Fails like submit(); an
  // exception thrown by fn propagates.
  template <typename F>
  Result<std::invoke_result_t<F&>> run(F fn) {
    auto future = submit(std::move(fn));
    if (!future) {
      return std::unexpected(future.error());
    }
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      future->get();
      return {};
    } else {
      return future->get();
    }
  }

  // Tasks waiting (not running).
  std::size_t queued() const;

  // Stops accepting work, finishes what is queued and joins the threads; idempotent.
  void stop();

private:
  Status enqueue(std::function<void()> job);
  void worker();

  LoginPoolConfig m_config;
  mutable std::mutex m_mutex;
  std::mutex m_join_mutex; // one stop() joins at a time
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_queue;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

} // namespace sharectl::agent::auth
