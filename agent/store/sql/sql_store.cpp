// SqlStore: the transaction loop (begin, run the caller's function, record changes, commit, or
// roll back and maybe retry), the change feed and the migration runner shared by the SQL
// backends.
#include "agent/store/sql/sql_store.hpp"

#include <algorithm>

#include "agent/store/sql/sql_tx.hpp"

namespace sharectl::store::sql {
namespace {

// How often a transaction runs when it keeps hitting serialization failures or a connection
// that died while idle in the pool.
constexpr int k_max_attempts = 3;

Result<Revision> first_int(const Result<Rows>& r) {
  if (!r) {
    return std::unexpected(r.error());
  }
  if (r->rows.empty()) {
    return fail(ErrorCode::internal, "store: expected a row");
  }
  auto v = cell_int(r->rows[0], 0);
  if (!v) {
    return std::unexpected(v.error());
  }
  return v->value_or(0);
}

} // namespace

SqlStore::SqlStore(std::unique_ptr<Pool> pool, std::span<const Migration> migrations,
                   std::function<Timestamp()> clock, bool serialize_writers)
    : m_pool(std::move(pool)), m_migrations(migrations),
      m_clock(clock ? std::move(clock) : std::function<Timestamp()>(model::now_utc)),
      m_serialize_writers(serialize_writers) {}

SqlStore::~SqlStore() = default;

SqlResult<void> SqlStore::before_commit(Connection&, Revision) {
  return {};
}

Status SqlStore::transact(const std::function<Status(Tx&)>& fn) {
  return run(fn, true);
}

Status SqlStore::view(const std::function<Status(Tx&)>& fn) {
  return run(fn, false);
}

Status SqlStore::run(const std::function<Status(Tx&)>& fn, bool write) {
  Status last;
  for (int attempt = 1; attempt <= k_max_attempts; ++attempt) {
    auto lease = m_pool->acquire();
    if (!lease) {
      return std::unexpected(lease.error());
    }
    std::unique_lock<std::mutex> writer(m_write_mutex, std::defer_lock);
    if (write && m_serialize_writers) {
      writer.lock();
    }
    Connection& conn = **lease;
    bool begun = true;
    for (auto stmt : begin_statements(write)) {
      auto r = conn.exec(stmt, {});
      if (!r) {
        if (conn.broken()) {
          lease->discard();
        } else {
          (void)conn.exec("ROLLBACK", {});
        }
        // Nothing ran yet: a connection that died while idle is replaced and the call retried.
        if (r.error().fault == Fault::connection && attempt < k_max_attempts) {
          last = std::unexpected(to_error(r.error(), "begin transaction"));
          begun = false;
          break;
        }
        return std::unexpected(to_error(r.error(), "begin transaction"));
      }
    }
    if (!begun) {
      continue;
    }
    SqlTx tx(conn, write, m_clock);
    Status st = fn(tx);
    if (st && write) {
      st = tx.finish();
      if (st && tx.write_revision() != 0) {
        auto hook = before_commit(conn, tx.write_revision());
        if (!hook) {
          st = std::unexpected(to_error(hook.error(), "commit"));
        }
      }
    }
    std::optional<Fault> fault = tx.last_fault();
    if (st) {
      auto r = conn.exec("COMMIT", {});
      if (r) {
        if (tx.write_revision() != 0) {
          notify_revision(tx.write_revision());
        }
        return {};
      }
      fault = r.error().fault;
      st = std::unexpected(to_error(r.error(), "commit"));
    }
    if (conn.broken()) {
      lease->discard();
    } else if (!conn.exec("ROLLBACK", {}) && conn.broken()) {
      lease->discard();
    }
    if (fault == Fault::serialization && attempt < k_max_attempts) {
      last = st;
      continue;
    }
    return st;
  }
  return last;
}

Revision SqlStore::seen_revision() const {
  return m_seen_now.load();
}

void SqlStore::notify_revision(Revision revision) {
  {
    std::lock_guard lock(m_seen_mutex);
    m_seen = std::max(m_seen, revision);
    m_seen_now.store(m_seen);
  }
  m_seen_changed.notify_all();
}

Result<Revision> SqlStore::current_revision() {
  Revision out = 0;
  auto st = view([&](Tx& tx) -> Status {
    auto rev = first_int(static_cast<SqlTx&>(tx).query(
        "SELECT revision FROM store_meta WHERE id = 1", {}, "read store revision"));
    if (!rev) {
      return std::unexpected(rev.error());
    }
    out = *rev;
    return {};
  });
  if (!st) {
    return std::unexpected(st.error());
  }
  return out;
}

Result<ChangeSet> SqlStore::changes_since(Revision after, std::size_t limit) {
  ChangeSet out;
  auto st = view([&](Tx& base) -> Status {
    auto& tx = static_cast<SqlTx&>(base);
    auto meta = tx.query("SELECT revision, compacted_revision FROM store_meta WHERE id = 1", {},
                         "read change feed");
    if (!meta) {
      return std::unexpected(meta.error());
    }
    auto rev = cell_int(meta->rows.at(0), 0);
    auto compacted = cell_int(meta->rows.at(0), 1);
    if (!rev || !compacted) {
      return fail(ErrorCode::internal, "store: malformed store_meta");
    }
    out.revision = rev->value_or(0);
    if (after < compacted->value_or(0)) {
      out.compacted = true;
      return {};
    }
    Params params{after};
    std::string sql = "SELECT revision, kind, object_id, deleted FROM changes WHERE revision > $1 "
                      "ORDER BY revision, kind, object_id";
    if (limit > 0) {
      params.emplace_back(static_cast<std::int64_t>(limit + 1));
      sql += " LIMIT $2";
    }
    auto rows = tx.query(sql, params, "read change feed");
    if (!rows) {
      return std::unexpected(rows.error());
    }
    for (const Row& row : rows->rows) {
      Change c;
      auto r = cell_int(row, 0);
      auto d = cell_bool(row, 3);
      auto kind = model::kind_from_name(row.cells.at(1).value_or(""));
      if (!r || !d || !kind) {
        return fail(ErrorCode::internal, "store: malformed change feed row");
      }
      c.revision = r->value_or(0);
      c.kind = *kind;
      c.id = row.cells.at(2).value_or("");
      c.deleted = d->value_or(false);
      out.changes.push_back(std::move(c));
    }
    if (limit > 0 && out.changes.size() > limit) {
      // Stop at a revision boundary so that the caller never sees half a revision.
      Revision cut = out.changes[limit].revision;
      auto keep = std::find_if(out.changes.begin(), out.changes.end(),
                               [&](const Change& c) { return c.revision == cut; });
      if (keep == out.changes.begin()) {
        auto all = tx.query("SELECT revision, kind, object_id, deleted FROM changes "
                            "WHERE revision = $1 ORDER BY kind, object_id",
                            {cut}, "read change feed");
        if (!all) {
          return std::unexpected(all.error());
        }
        out.changes.clear();
        for (const Row& row : all->rows) {
          auto kind = model::kind_from_name(row.cells.at(1).value_or(""));
          auto d = cell_bool(row, 3);
          out.changes.push_back(Change{cut, kind.value_or(Kind::user), row.cells.at(2).value_or(""),
                                       d && d->value_or(false)});
        }
        out.revision = cut;
      } else {
        out.changes.erase(keep, out.changes.end());
        out.revision = out.changes.back().revision;
      }
    }
    return {};
  });
  if (!st) {
    return std::unexpected(st.error());
  }
  return out;
}

Result<Revision> SqlStore::wait_for_change(Revision after, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto rev = current_revision();
    if (rev) {
      notify_revision(*rev); // another process's commits become seen here
    }
    if (!rev || *rev > after) {
      return rev;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return *rev;
    }
    std::unique_lock lock(m_seen_mutex);
    m_seen_changed.wait_until(lock, std::min(deadline, now + poll_interval()),
                              [&] { return m_seen > after; });
  }
}

Result<int> SqlStore::schema_version() {
  auto lease = m_pool->acquire();
  if (!lease) {
    return std::unexpected(lease.error());
  }
  auto has = has_migrations_table(**lease);
  if (!has) {
    return std::unexpected(to_error(has.error(), "read schema version"));
  }
  if (!*has) {
    return 0;
  }
  auto r = (*lease)->exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!r) {
    return std::unexpected(to_error(r.error(), "read schema version"));
  }
  auto v = first_int(Result<Rows>(std::move(*r)));
  if (!v) {
    return std::unexpected(v.error());
  }
  return static_cast<int>(*v);
}

int SqlStore::latest_schema_version() const {
  return m_migrations.empty() ? 0 : m_migrations.back().version;
}

Result<int> SqlStore::migrate(std::optional<int> target) {
  int want = target.value_or(latest_schema_version());
  if (want > latest_schema_version() || want < 0) {
    return fail(ErrorCode::bad_request, "store: schema version " + std::to_string(want) +
                                            " is unknown to this build (latest " +
                                            std::to_string(latest_schema_version()) + ")");
  }
  auto lease = m_pool->acquire();
  if (!lease) {
    return std::unexpected(lease.error());
  }
  Connection& conn = **lease;
  auto fail_sql = [&](const SqlError& e) -> Result<int> {
    if (conn.broken()) {
      lease->discard();
    } else {
      (void)conn.exec("ROLLBACK", {});
    }
    return std::unexpected(to_error(e, "migrate store"));
  };
  for (auto stmt : migration_begin_statements()) {
    if (auto r = conn.exec(stmt, {}); !r) {
      return fail_sql(r.error());
    }
  }
  if (auto r = conn.exec_script("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                                "PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
      !r) {
    return fail_sql(r.error());
  }
  auto cur = conn.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (!cur) {
    return fail_sql(cur.error());
  }
  int version =
      static_cast<int>(cur->rows.at(0).cells.at(0) ? std::stoll(*cur->rows[0].cells[0]) : 0);
  if (version > latest_schema_version()) {
    (void)conn.exec("ROLLBACK", {});
    return fail(ErrorCode::unavailable, "store: the schema version " + std::to_string(version) +
                                            " is newer than this build knows (" +
                                            std::to_string(latest_schema_version()) +
                                            "); upgrade sharectl-agent");
  }
  for (const Migration& m : m_migrations) {
    if (m.version <= version || m.version > want) {
      continue;
    }
    if (auto r = conn.exec_script(m.sql); !r) {
      auto e = r.error();
      e.message = std::string(m.name) + ": " + e.message;
      return fail_sql(e);
    }
    auto r =
        conn.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                  {std::int64_t{m.version}, std::string(m.name), model::to_micros(m_clock())});
    if (!r) {
      return fail_sql(r.error());
    }
    version = m.version;
  }
  if (auto r = conn.exec("COMMIT", {}); !r) {
    return fail_sql(r.error());
  }
  return version;
}

Status SqlStore::prepare_schema(const OpenOptions& options) {
  auto version = schema_version();
  if (!version) {
    return std::unexpected(version.error());
  }
  int latest = latest_schema_version();
  if (*version > latest) {
    return fail(ErrorCode::unavailable, "store: the schema version " + std::to_string(*version) +
                                            " is newer than this build knows (" +
                                            std::to_string(latest) + "); upgrade sharectl-agent");
  }
  int want = options.schema_version.value_or(latest);
  if (*version < want) {
    if (!options.migrate) {
      return fail(ErrorCode::unavailable, "store: the schema version " + std::to_string(*version) +
                                              " is older than this build needs (" +
                                              std::to_string(want) +
                                              "); run `sharectl-agent migrate`");
    }
    auto reached = migrate(want);
    if (!reached) {
      return std::unexpected(reached.error());
    }
  }
  return {};
}

} // namespace sharectl::store::sql
