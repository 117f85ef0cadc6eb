// EtcdWatch: one etcd watch over the v3 JSON gateway's streaming POST /v3/watch, on its own
// thread with its own libcurl handle (curl.h stays in watch.cpp). The response is a stream of
// back-to-back {"result":{…}} documents, split with JsonStreamSplitter however the bytes
// arrive. Events (PUT/DELETE with kv and, if asked, prev_kv) go to the callback with the
// response's header revision, in etcd's order.
//   * A broken stream (member killed, "no leader", connection lost) is reopened on the next
//     member, resuming at the last delivered revision + 1, so no event is lost or repeated;
//     retries back off (100 ms doubling to 2 s) while no member answers, for as long as it takes.
//     The callback hears `disconnected` once per outage.
//   * When etcd cancels the watch because the start revision was compacted, the callback hears
//     `compacted` with the compact revision, and the watch ends (resync, then watch again).
//   * An expired auth token is renewed through the gateway and the stream reopened; a watch
//     etcd refuses for good (permission denied, bad credentials) ends with `failed`.
//   * stop() returns promptly (it wakes the transfer's poll; it does not wait for an event).
// The callback runs on the watch thread, one call at a time; it may call stop() but must not
// destroy the EtcdWatch. No callback runs after stop() returns (called from another thread).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/store/etcd/gateway.hpp"
#include "agent/store/etcd/types.hpp"
#include "common/util/error.hpp"

namespace sharectl::store::etcd {

// What the watch tells its callback.
struct WatchNotice {
  enum class Kind {
    events,       // events holds one or more changes
    progress,     // nothing changed up to revision (only with WatchCreate::progress_notify)
    compacted,    // revision = etcd's compact revision; the watch has ended
    failed,       // error says why; the watch has ended
    disconnected, // error says why; the watch keeps trying other members
  };
  Kind kind = Kind::events;
  // events/progress: the response header's revision (the store revision when it was sent; may
  // exceed the events' own mod_revision); compacted: the compact revision.
  std::int64_t revision = 0;
  std::vector<Event> events;
  std::optional<Error> error;
};

// Called on the watch thread for every notice.
using WatchCallback = std::function<void(const WatchNotice&)>;

// Reconnection pacing.
struct WatchOptions {
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{2'000};
};

// A running watch. Not copyable or movable; stops when destroyed.
class EtcdWatch {
public:
  // Starts watching [request.key, request.range_end) from request.start_revision (0: from the
  // current revision on) through gateway's members, token and TLS settings. gateway must
  // outlive the watch. Never fails here: problems reach the callback.
  EtcdWatch(EtcdGateway& gateway, WatchCreate request, WatchCallback callback,
            WatchOptions options = {});
  // stop().
  ~EtcdWatch();
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

  // Ends the watch and joins its thread (when called from another thread). Idempotent.
  void stop();

  // True until the watch ended (stop(), compacted or failed).
  bool running() const { return !m_finished.load(); }

  // The revision a reopened stream would start at (last delivered revision + 1; 0 until the
  // first stream was created when watching from now on).
  std::int64_t next_revision() const { return m_next_revision.load(); }

  // How many streams were opened so far (1 + reconnections), for tests and diagnostics.
  std::uint64_t streams_opened() const { return m_streams.load(); }

private:
  struct Stream;
  enum class StreamEnd { stopped, broken, invalid_token, compacted, failed };
  // How one stream ended.
  struct StreamResult {
    StreamEnd end = StreamEnd::broken;
    Error error;                       // broken, failed, invalid_token
    std::int64_t compact_revision = 0; // compacted
    bool created = false;              // etcd confirmed the watch on this stream
  };

  void run();
  StreamResult run_stream(std::size_t endpoint, const std::string& token);
  // Handles one stream document; a value when it ends the stream.
  std::optional<StreamResult> handle_document(Stream& stream, std::string_view document);
  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* arg);
  bool wait_backoff(std::chrono::milliseconds delay);
  void deliver(const WatchNotice& notice);

  EtcdGateway& m_gateway;
  WatchCreate m_request;
  WatchCallback m_callback;
  WatchOptions m_options;

  std::atomic<bool> m_stopping{false};
  std::atomic<bool> m_finished{false};
  std::atomic<std::int64_t> m_next_revision{0};
  std::atomic<std::uint64_t> m_streams{0};
  bool m_outage_reported = false; // `disconnected` was delivered since the last good stream

  void* m_multi = nullptr; // CURLM*, created before the thread starts, woken by stop()
  std::mutex m_mutex;      // guards the backoff wait
  std::condition_variable m_wake;
  std::thread m_thread;
};

} // namespace sharectl::store::etcd
