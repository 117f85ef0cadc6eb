// ViewStore: the read view of the store (agent/store/view/README.md). A decorator over any
// backend: transact goes to the backend and, before it returns, the view is brought up to the
// commit's revision (a client reads its own write); view runs over memory; a follower thread
// applies the backend's change feed (another agent's write shows within the feed's delay) and
// re-reads the bookkeeping figures every second. Kubernetes' watch cache is the model.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <pthread.h>

#include "agent/store/store.hpp"
#include "agent/store/view/state.hpp"

namespace sharectl::store::view {

struct ViewOptions {
  // How often the follower re-reads the bookkeeping figures (touch_* writes no feed entry).
  std::chrono::milliseconds bookkeeping_interval{1000};
  // How often it re-reads just the servers and filesystems (liveness, free bytes): few rows,
  // and what placement and `server list` show.
  std::chrono::milliseconds liveness_interval{250};
  // false: no follower thread; the view moves only by sync() and by writes through it (tests).
  bool follow = true;
  // Where the follower reports trouble (the backend unreachable, a reload); may be empty.
  std::function<void(std::string_view message)> warn;
};

// What the view holds and how it got there (/metrics, benchmarks).
struct ViewStats {
  Revision revision = 0;
  Counts counts;
  std::chrono::milliseconds load_time{0}; // the last full load
  std::size_t load_bytes = 0;             // heap the last full load took (mallinfo2)
  std::uint64_t full_loads = 0;           // 1 + the reloads a compacted feed forced
};

// A reader-writer lock that prefers writers, so that a stream of short reads cannot starve the
// follower. Not recursive: a reader never takes it twice.
class RwLock {
public:
  RwLock();
  ~RwLock();
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;
  void lock() { pthread_rwlock_wrlock(&m_lock); }
  void unlock() { pthread_rwlock_unlock(&m_lock); }
  void lock_shared() { pthread_rwlock_rdlock(&m_lock); }
  void unlock_shared() { pthread_rwlock_unlock(&m_lock); }

private:
  pthread_rwlock_t m_lock;
};

class ViewStore final : public Store {
public:
  // Loads the view from backend (one full read) and starts following it. unavailable when the
  // backend cannot be read.
  static Result<std::unique_ptr<ViewStore>> open(std::unique_ptr<Store> backend,
                                                 ViewOptions options = {});
  ~ViewStore() override;

  std::string_view backend() const override { return m_backend->backend(); }
  Status transact(const std::function<Status(Tx&)>& fn) override;
  Status view(const std::function<Status(Tx&)>& fn) override;
  // The store's revision, once the view has reached it: a read that follows sees at least
  // that revision (the reconciler records what it applied by it).
  Result<Revision> current_revision() override;
  Revision seen_revision() const override { return m_revision.load(); }
  Result<ChangeSet> changes_since(Revision after, std::size_t limit) override {
    return m_backend->changes_since(after, limit);
  }
  Result<Revision> wait_for_change(Revision after, std::chrono::milliseconds timeout) override;
  Status keep_server_alive(const Id& server_id, std::chrono::seconds interval) override {
    return m_backend->keep_server_alive(server_id, interval);
  }
  void release_server_alive() override { m_backend->release_server_alive(); }
  Result<std::vector<std::string>> maintain() override { return m_backend->maintain(); }
  Result<int> schema_version() override { return m_backend->schema_version(); }
  Result<int> migrate(std::optional<int> target) override { return m_backend->migrate(target); }
  int latest_schema_version() const override { return m_backend->latest_schema_version(); }

  ViewStats stats() const;
  // Brings the view up to the backend's current revision now (tests; the follower does it).
  Status sync();

  // For ViewTx: the state under a shared lock, and the backend for what the view leaves out.
  RwLock& lock() const { return m_lock; }
  const State& state() const { return *m_state; }
  Store& backend_store() { return *m_backend; }

private:
  ViewStore(std::unique_ptr<Store> backend, ViewOptions options);
  Status load();
  Status catch_up(Revision target);
  Status apply(const ChangeSet& changes);
  Status refresh_bookkeeping();
  Status refresh_liveness();
  void follow();
  void warn(const std::string& message) const;

  std::unique_ptr<Store> m_backend;
  ViewOptions m_options;
  mutable RwLock m_lock;          // guards *m_state
  std::unique_ptr<State> m_state; // replaced whole by a full load
  std::mutex m_apply;             // one applier of the feed at a time
  std::atomic<Revision> m_revision{0};
  mutable std::mutex m_wait_mutex;
  std::condition_variable m_advanced;
  std::atomic<bool> m_stop{false};
  std::chrono::milliseconds m_load_time{0};
  std::size_t m_load_bytes = 0;
  std::uint64_t m_full_loads = 0;
  std::thread m_follower;
};

// The view's figures in Prometheus text exposition format (sharectl_view_*), for /metrics.
std::string metrics_text(const ViewStats& stats);

// Wraps backend in a ViewStore (see ViewStore::open).
Result<std::unique_ptr<Store>> with_read_view(std::unique_ptr<Store> backend,
                                              ViewOptions options = {});

} // namespace sharectl::store::view
