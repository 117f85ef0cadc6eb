// The shared part of the SQL backends' Store: transactions with retry, commit bookkeeping
// (change feed rows, waking waiters), the change feed, and schema migration. A backend supplies
// the connection pool and its dialect's BEGIN statements and commit hook.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "agent/store/sql/connection.hpp"
#include "agent/store/sql/migrations.hpp"
#include "agent/store/store.hpp"

namespace sharectl::store::sql {

// A Store over a SQL database, completed by a backend.
class SqlStore : public Store {
public:
  ~SqlStore() override;

  Status transact(const std::function<Status(Tx&)>& fn) override;
  Status view(const std::function<Status(Tx&)>& fn) override;
  Result<Revision> current_revision() override;
  Revision seen_revision() const override;
  Result<ChangeSet> changes_since(Revision after, std::size_t limit) override;
  Result<Revision> wait_for_change(Revision after, std::chrono::milliseconds timeout) override;
  Result<int> schema_version() override;
  Result<int> migrate(std::optional<int> target) override;
  int latest_schema_version() const override;

  // Checks the schema version and migrates per options; called once by the backend's
  // factory. unavailable when the schema is newer than this build, or older and not migrated.
  Status prepare_schema(const OpenOptions& options);

protected:
  // A store over pool with these migrations; serialize_writers takes a process-wide lock
  // around write transactions (SQLite: one writer at a time anyway).
  SqlStore(std::unique_ptr<Pool> pool, std::span<const Migration> migrations,
           std::function<Timestamp()> clock, bool serialize_writers);

  // The statements that open a transaction (write: take the writer lock).
  virtual std::vector<std::string_view> begin_statements(bool write) const = 0;
  // The statements that open the migration transaction (exclusive against other migrators).
  virtual std::vector<std::string_view> migration_begin_statements() const = 0;
  // Whether the schema_migrations table exists.
  virtual SqlResult<bool> has_migrations_table(Connection& conn) = 0;
  // Runs inside the transaction just before COMMIT of a write at revision (e.g. NOTIFY).
  virtual SqlResult<void> before_commit(Connection& conn, Revision revision);
  // How often wait_for_change re-reads the revision when nothing woke it.
  virtual std::chrono::milliseconds poll_interval() const = 0;

  // Wakes wait_for_change callers: the store reached at least this revision.
  void notify_revision(Revision revision);
  // The pool.
  Pool& pool() { return *m_pool; }

private:
  Status run(const std::function<Status(Tx&)>& fn, bool write);

  std::unique_ptr<Pool> m_pool;
  std::span<const Migration> m_migrations;
  std::function<Timestamp()> m_clock;
  bool m_serialize_writers;
  std::mutex m_write_mutex;
  std::mutex m_seen_mutex;
  std::condition_variable m_seen_changed;
  Revision m_seen = 0;
  std::atomic<Revision> m_seen_now{0}; // m_seen, readable without the lock
};

} // namespace sharectl::store::sql
