// The etcd store backend; see etcd_store.hpp.
#include "agent/store/etcd/etcd_store.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/store/etcd/codec.hpp"
#include "agent/store/etcd/etcd_tx.hpp"
#include "agent/store/etcd/gateway.hpp"
#include "agent/store/etcd/kv_store.hpp"
#include "agent/store/etcd/watch.hpp"
#include "agent/store/sql/migrations.hpp"

namespace sharectl::store::etcd {

namespace {

// How many revisions the change feed keeps (as the SQL backends), pruned every 256th.
constexpr Revision k_feed_retention = 100000;
constexpr Revision k_prune_every = 256;
// 80% of etcd's default space quota (2 GiB).
constexpr std::int64_t k_quota_warning_bytes = std::int64_t{2} * 1024 * 1024 * 1024 / 10 * 8;

class EtcdStore final : public Store {
public:
  EtcdStore(EtcdUrl url, std::function<Timestamp()> clock)
      : m_gateway(std::move(url)), m_client(gateway_kv_client(m_gateway)),
        m_layout(m_gateway.url().prefix), m_kv(*m_client, m_gateway.url().prefix),
        m_clock(std::move(clock)) {}

  ~EtcdStore() override {
    std::lock_guard lock(m_watch_mutex);
    m_watch.reset();
  }

  std::string_view backend() const override { return "etcd"; }

  Status transact(const std::function<Status(Tx&)>& fn) override {
    // Writers of this process queue here instead of racing each other's head compares (as the
    // SQLite backend's writer mutex); other agents' writers still race, and lose only a retry.
    std::lock_guard writer(m_write_mutex);
    Revision committed = 0;
    auto done = m_kv.transact([&](KvTx& kv) -> Status {
      EtcdTx tx(kv, m_layout, true, m_clock);
      if (auto st = fn(tx); !st) {
        return st;
      }
      tx.finish();
      committed = kv.changes() ? tx.write_revision() : 0;
      return {};
    });
    if (!done) {
      return std::unexpected(done.error());
    }
    if (committed != 0) {
      notify_revision(committed);
      if (committed % k_prune_every == 0 && committed > k_feed_retention) {
        prune_feed(committed - k_feed_retention);
      }
    }
    return {};
  }

  Status view(const std::function<Status(Tx&)>& fn) override {
    return m_kv.view([&](KvTx& kv) -> Status {
      EtcdTx tx(kv, m_layout, false, m_clock);
      return fn(tx);
    });
  }

  Result<Revision> current_revision() override {
    auto head = m_gateway.range(RangeRequest::of_key(m_layout.head()));
    if (!head) {
      return std::unexpected(head.error());
    }
    const Revision rev = decode_head(head->kvs.empty() ? std::optional<KeyValue>()
                                                       : std::optional(head->kvs.front()))
                             .revision;
    notify_revision(rev);
    return rev;
  }

  Revision seen_revision() const override { return m_seen_now.load(); }

  Result<ChangeSet> changes_since(Revision after, std::size_t limit) override {
    ChangeSet out;
    auto st = m_kv.view([&](KvTx& kv) -> Status {
      auto head = kv.get(m_layout.head());
      if (!head) {
        return std::unexpected(head.error());
      }
      out.revision = decode_head(*head).revision;
      auto floor = kv.get(m_layout.feed_floor());
      if (!floor) {
        return std::unexpected(floor.error());
      }
      Revision compacted = 0;
      if (*floor) {
        compacted = nlohmann::json::parse((*floor)->value, nullptr, false).value("revision", 0);
      }
      if (after < compacted) {
        out.compacted = true;
        return {};
      }
      RangeRequest request = RangeRequest::of_prefix(m_layout.feed_all());
      request.key = m_layout.feed(after + 1);
      request.limit = limit > 0 ? static_cast<std::int64_t>(limit) + 1 : 0;
      auto feed = kv.scan(request);
      if (!feed) {
        return std::unexpected(feed.error());
      }
      for (const auto& entry : feed->kvs) {
        const Revision rev = std::stoll(entry.key.substr(m_layout.feed_all().size()));
        const auto list = nlohmann::json::parse(entry.value, nullptr, false);
        if (!list.is_array()) {
          return fail(ErrorCode::internal, "store: malformed change feed key " + entry.key);
        }
        std::vector<Change> changes;
        for (const auto& item : list) {
          auto kind = item.is_array() && item.size() == 3 && item[0].is_string()
                          ? model::kind_from_name(item[0].get<std::string>())
                          : std::nullopt;
          if (!kind || !item[1].is_string() || !item[2].is_boolean()) {
            return fail(ErrorCode::internal, "store: malformed change feed key " + entry.key);
          }
          changes.push_back(Change{rev, *kind, item[1].get<std::string>(), item[2].get<bool>()});
        }
        if (limit > 0 && !out.changes.empty() && out.changes.size() + changes.size() > limit) {
          out.revision = out.changes.back().revision; // never half a revision
          return {};
        }
        out.changes.insert(out.changes.end(), changes.begin(), changes.end());
        if (limit > 0 && out.changes.size() >= limit) {
          out.revision = rev;
          return {};
        }
      }
      return {};
    });
    if (!st) {
      return std::unexpected(st.error());
    }
    return out;
  }

  Result<Revision> wait_for_change(Revision after, std::chrono::milliseconds timeout) override {
    ensure_watch();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto rev = current_revision();
      if (!rev || *rev > after) {
        return rev;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return *rev;
      }
      std::unique_lock lock(m_seen_mutex);
      m_seen_changed.wait_until(lock, std::min(deadline, now + std::chrono::seconds(1)),
                                [&] { return m_seen > after; });
    }
  }

  Status keep_server_alive(const Id& server_id, std::chrono::seconds interval) override {
    std::lock_guard lock(m_alive_mutex);
    if (m_alive_lease != 0) {
      auto kept = m_gateway.lease_keepalive(m_alive_lease);
      if (kept && kept->ttl > 0) {
        return {};
      }
      if (!kept && kept.error().code != ErrorCode::not_found) {
        return std::unexpected(kept.error());
      }
      m_alive_lease = 0; // expired (etcd answers TTL 0): grant a new one and register again
    }
    auto granted = m_gateway.lease_grant(3 * interval.count());
    if (!granted) {
      return std::unexpected(granted.error());
    }
    auto put = m_gateway.put(PutRequest::of(m_layout.alive(server_id), "", granted->id));
    if (!put) {
      (void)m_gateway.lease_revoke(granted->id);
      return std::unexpected(put.error());
    }
    m_alive_lease = granted->id;
    return {};
  }

  void release_server_alive() override {
    std::lock_guard lock(m_alive_mutex);
    if (m_alive_lease != 0) {
      (void)m_gateway.lease_revoke(m_alive_lease); // its alive key goes with it
      m_alive_lease = 0;
    }
  }

  Result<std::vector<std::string>> maintain() override {
    std::vector<std::string> warnings;
    std::lock_guard lock(m_maintenance_mutex);
    // Kubernetes' compactor: whoever still sees the marker at the version it saw last time wins
    // this round, compacts to the revision recorded a round ago and records the current one.
    TxnRequest round;
    round.compare.push_back(
        Compare::version(m_layout.maintenance(), CompareResult::equal, m_marker_version));
    round.success.emplace_back(PutRequest::of(
        m_layout.maintenance(), nlohmann::json{{"revision", m_marker_revision}}.dump()));
    round.failure.emplace_back(RangeRequest::of_key(m_layout.maintenance()));
    auto done = m_gateway.txn(round);
    if (!done) {
      return std::unexpected(done.error());
    }
    if (done->succeeded) {
      ++m_marker_version;
      if (m_marker_revision > 0) {
        auto compacted = m_gateway.compact(m_marker_revision);
        if (!compacted && compacted.error().code != ErrorCode::not_found) {
          warnings.push_back("etcd compaction to revision " + std::to_string(m_marker_revision) +
                             " failed: " + compacted.error().message);
        }
      }
    } else {
      const auto* range =
          done->responses.empty() ? nullptr : std::get_if<RangeResponse>(&done->responses.front());
      m_marker_version = range != nullptr && !range->kvs.empty() ? range->kvs.front().version : 0;
    }
    m_marker_revision = done->header.revision;
    // The database size against etcd's default quota (--quota-backend-bytes, 2 GiB).
    for (std::size_t i = 0; i < m_gateway.endpoints().size(); ++i) {
      auto status = m_gateway.status(i);
      if (status && status->db_size > k_quota_warning_bytes) {
        warnings.push_back(fmt::format(
            "etcd member {} holds {} MiB, past 80% of the default 2 GiB quota: defragment it "
            "(etcdctl defrag) or raise --quota-backend-bytes before writes are refused",
            m_gateway.endpoints()[i], status->db_size >> 20));
      }
    }
    return warnings;
  }

  Result<int> schema_version() override {
    auto read = read_schema();
    if (!read) {
      return std::unexpected(read.error());
    }
    return read->first;
  }

  int latest_schema_version() const override {
    const auto migrations = sql::sqlite_migrations();
    return migrations.empty() ? 0 : migrations.back().version;
  }

  Result<int> migrate(std::optional<int> target) override {
    const int want = target.value_or(latest_schema_version());
    if (want > latest_schema_version() || want < 0) {
      return fail(ErrorCode::bad_request,
                  fmt::format("store: schema version {} is unknown to this build (latest {})", want,
                              latest_schema_version()));
    }
    for (;;) {
      auto current = read_schema();
      if (!current) {
        return std::unexpected(current.error());
      }
      auto [version, mod] = *current;
      if (version > latest_schema_version()) {
        return newer(version);
      }
      if (version >= want) {
        return version;
      }
      // Documents take missing fields at their defaults: moving up records the version only.
      // Guarded by the schema key's revision, so agents starting together race safely.
      TxnRequest request;
      request.compare.push_back(Compare::mod(m_layout.schema(), CompareResult::equal, mod));
      request.success.emplace_back(
          PutRequest::of(m_layout.schema(), nlohmann::json{{"version", want}}.dump()));
      auto done = m_gateway.txn(request);
      if (!done) {
        return std::unexpected(done.error());
      }
      if (done->succeeded) {
        return want;
      }
    }
  }

  Status prepare(const OpenOptions& options) {
    auto version = schema_version();
    if (!version) {
      return fail(ErrorCode::unavailable, "store " + m_gateway.url().redacted() +
                                              " cannot be read: " + version.error().message);
    }
    const int latest = latest_schema_version();
    if (*version > latest) {
      return std::unexpected(newer(*version).error());
    }
    const int want = options.schema_version.value_or(latest);
    if (*version < want) {
      if (!options.migrate) {
        return fail(ErrorCode::unavailable,
                    fmt::format("store: the schema version {} is older than this build needs "
                                "({}); run `sharectl-agent migrate`",
                                *version, want));
      }
      if (auto reached = migrate(want); !reached) {
        return std::unexpected(reached.error());
      }
    }
    return {};
  }

private:
  Result<int> newer(int version) const {
    return fail(ErrorCode::unavailable,
                fmt::format("store: the schema version {} is newer than this build knows ({}); "
                            "upgrade sharectl-agent",
                            version, latest_schema_version()));
  }

  // (version, mod_revision of the schema key); (0, 0) for an empty store.
  Result<std::pair<int, std::int64_t>> read_schema() {
    auto got = m_gateway.range(RangeRequest::of_key(m_layout.schema()));
    if (!got) {
      return std::unexpected(got.error());
    }
    if (got->kvs.empty()) {
      return std::pair<int, std::int64_t>{0, 0};
    }
    const auto j = nlohmann::json::parse(got->kvs.front().value, nullptr, false);
    if (!j.is_object() || !j.contains("version") || !j["version"].is_number_integer()) {
      return fail(ErrorCode::internal, "store: malformed schema key " + m_layout.schema());
    }
    return std::pair<int, std::int64_t>{j["version"].get<int>(), got->kvs.front().mod_revision};
  }

  void notify_revision(Revision revision) {
    {
      std::lock_guard lock(m_seen_mutex);
      if (revision <= m_seen) {
        return;
      }
      m_seen = revision;
      m_seen_now.store(revision);
    }
    m_seen_changed.notify_all();
  }

  // A watch on the head key wakes wait_for_change at once; restarted when it has ended.
  void ensure_watch() {
    std::lock_guard lock(m_watch_mutex);
    if (m_watch && m_watch->running()) {
      return;
    }
    m_watch.reset();
    WatchCreate request;
    request.key = m_layout.head();
    m_watch = std::make_unique<EtcdWatch>(m_gateway, request, [this](const WatchNotice& notice) {
      for (const auto& event : notice.events) {
        notify_revision(decode_head(std::optional(event.kv)).revision);
      }
    });
  }

  // Drops the feed's keys up to `through` and records the floor (a reader from before it must
  // resync). Best effort: a failure leaves them for the next prune.
  void prune_feed(Revision through) {
    TxnRequest request;
    request.success.emplace_back(
        PutRequest::of(m_layout.feed_floor(), nlohmann::json{{"revision", through}}.dump()));
    DeleteRangeRequest old;
    old.key = m_layout.feed(0);
    old.range_end = m_layout.feed(through + 1);
    request.success.emplace_back(std::move(old));
    (void)m_gateway.txn(request);
  }

  EtcdGateway m_gateway;
  std::unique_ptr<KvClient> m_client;
  Layout m_layout;
  KvStore m_kv;
  std::function<Timestamp()> m_clock;

  std::mutex m_write_mutex;
  std::mutex m_seen_mutex;
  std::condition_variable m_seen_changed;
  Revision m_seen = 0;
  std::atomic<Revision> m_seen_now{0};

  std::mutex m_maintenance_mutex;
  std::int64_t m_marker_version = 0;  // the compaction marker's version when last seen
  std::int64_t m_marker_revision = 0; // etcd's revision then: the next round compacts to it

  std::mutex m_alive_mutex;
  std::int64_t m_alive_lease = 0;

  std::mutex m_watch_mutex;
  std::unique_ptr<EtcdWatch> m_watch;
};

} // namespace

Result<std::unique_ptr<Store>> open_etcd_store(std::string_view url, const OpenOptions& options) {
  auto parsed = parse_etcd_url(url);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  auto store = std::make_unique<EtcdStore>(std::move(*parsed), options.clock);
  if (auto st = store->prepare(options); !st) {
    return std::unexpected(st.error());
  }
  return std::unique_ptr<Store>(std::move(store));
}

} // namespace sharectl::store::etcd
