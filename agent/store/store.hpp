// The store: where the agent keeps all desired state. One interface (transactions over typed
// repositories, a store-wide revision, a change feed, schema migration) with one
// implementation per backend, chosen by URL scheme (DESIGN.md Convention 2):
//   sqlite:///var/lib/sharectl/state.db   sqlite::memory:   postgres://user:pass@host:port/db
// See agent/store/README.md for the schema and the entity → table / etcd key mapping.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "agent/store/tx.hpp"
#include "common/util/error.hpp"

namespace sharectl::store {

// How often the agent runs Store::maintain().
inline constexpr std::chrono::minutes k_maintenance_interval{5};

// One object changed at a revision (deleted = it is gone).
struct Change {
  Revision revision = 0;
  Kind kind = Kind::user;
  Id id;
  bool deleted = false;
};

// The changes after a revision, oldest first. compacted = some were already pruned from the
// feed: the caller must do a full resync up to `revision`.
struct ChangeSet {
  Revision revision = 0; // the store revision these changes bring the caller up to
  bool compacted = false;
  std::vector<Change> changes;
};

// How open_store opens a store.
struct OpenOptions {
  bool migrate = true;               // create or upgrade the schema; false: refuse an old one
  std::optional<int> schema_version; // migrate only up to this version (tests)
  std::size_t pool_size = 4;         // connections per store
  std::chrono::milliseconds busy_timeout{5000}; // how long to wait for a lock
  std::function<Timestamp()> clock;             // the time source; default model::now_utc
};

// A store. Thread-safe: any thread may run transactions concurrently.
class Store {
public:
  virtual ~Store() = default;

  // The backend's name: "sqlite" or "postgres".
  virtual std::string_view backend() const = 0;

  // Runs fn in one read-write transaction: commits when fn succeeds, rolls everything back when
  // it fails (and returns its error). Writers are serialized; fn may run again after a
  // serialization failure, so it must have no effects outside tx. unavailable when the backend
  // cannot be reached.
  virtual Status transact(const std::function<Status(Tx&)>& fn) = 0;

  // Runs fn in a read-only transaction that sees one consistent snapshot.
  virtual Status view(const std::function<Status(Tx&)>& fn) = 0;

  // transact() for a callback that returns a value: Result<T> fn(Tx&).
  template <typename F>
  auto transact_result(F&& fn) -> std::invoke_result_t<F&, Tx&> {
    return run_result(std::forward<F>(fn), true);
  }

  // view() for a callback that returns a value: Result<T> fn(Tx&).
  template <typename F>
  auto view_result(F&& fn) -> std::invoke_result_t<F&, Tx&> {
    return run_result(std::forward<F>(fn), false);
  }

  // The store revision: the revision of the last committed change (0 for a new store).
  virtual Result<Revision> current_revision() = 0;

  // The newest store revision this process knows of without asking the database: its own
  // commits at once, other processes' when the change feed delivers them (PostgreSQL
  // notifications) or wait_for_change reads them. Grows with every change this process commits,
  // so a value read before a read transaction and unchanged after it means no local commit
  // happened in between (caches key on it). Never fails.
  virtual Revision seen_revision() const = 0;

  // The changes after revision `after`, at most limit of them (0 = all).
  virtual Result<ChangeSet> changes_since(Revision after, std::size_t limit = 0) = 0;

  // Waits until the store revision exceeds `after` or the timeout passes; returns the store
  // revision (equal to `after` on timeout). Notices commits of this process at once and those
  // of other processes by notification (PostgreSQL) or polling (SQLite).
  virtual Result<Revision> wait_for_change(Revision after, std::chrono::milliseconds timeout) = 0;

  // Liveness of this process's server where the backend tracks it itself (etcd: one lease per
  // agent with a TTL of 3 × interval holding an alive key, so `down` needs no comparison of
  // clocks between hosts; a lease found expired is replaced). Called every heartbeat interval.
  // A no-op where liveness is the heartbeat's timestamps (SQL).
  virtual Status keep_server_alive(const Id& server_id, std::chrono::seconds interval) {
    (void)server_id;
    (void)interval;
    return {};
  }
  // Ends that liveness at a clean stop (the server shows down at once). No-op on SQL.
  virtual void release_server_alive() {}

  // Housekeeping a backend needs on a schedule (the agent calls it every
  // k_maintenance_interval): etcd compacts its history — one agent of a cluster per interval,
  // to the revision recorded one interval earlier, so watchers keep that much history — and
  // warns as its database nears its space quota. Returns warnings to log (empty: none); a
  // no-op on SQL.
  virtual Result<std::vector<std::string>> maintain() { return std::vector<std::string>{}; }

  // The schema version of the database (0 = empty).
  virtual Result<int> schema_version() = 0;

  // Applies the numbered migrations up to target (default: all this build knows); returns
  // the version reached. unavailable if the database is newer than this build.
  virtual Result<int> migrate(std::optional<int> target = std::nullopt) = 0;

  // The newest schema version this build knows.
  virtual int latest_schema_version() const = 0;

private:
  template <typename F>
  auto run_result(F&& fn, bool write) -> std::invoke_result_t<F&, Tx&> {
    using R = std::invoke_result_t<F&, Tx&>;
    std::optional<R> out;
    auto body = [&](Tx& tx) -> Status {
      out.emplace(fn(tx));
      if (!*out) {
        return std::unexpected((*out).error());
      }
      return {};
    };
    Status st = write ? transact(body) : view(body);
    if (!st) {
      return std::unexpected(st.error());
    }
    return std::move(*out);
  }
};

// Opens (and by default creates or migrates) the store at url. bad_request for an unknown
// scheme or a malformed URL (the message lists the supported schemes); unavailable when the
// database cannot be opened or reached, or its schema is newer than this build (or older,
// with options.migrate false).
Result<std::unique_ptr<Store>> open_store(std::string_view url, const OpenOptions& options = {});

// The store URL as it may be shown in logs, messages and output: a password in the user part
// (postgres://u:pw@h/db, etcd://u:pw@h1,h2) or in a password= query parameter becomes "***".
std::string redact_store_url(std::string_view url);

// The URL schemes open_store understands in this build, e.g. {"sqlite", "postgres"}.
std::vector<std::string_view> supported_store_schemes();

} // namespace sharectl::store
