// The PostgreSQL backend: libpq with every value bound through PQexecParams (text format), a
// small pool that drops dead connections, writers serialized by a row lock on store_meta taken
// at BEGIN (so revisions are handed out in commit order and a write transaction sees every
// earlier commit), read-only transactions at REPEATABLE READ (one snapshot), and LISTEN/NOTIFY
// on a dedicated connection for the change feed.
#include "agent/store/postgres/pg_store.hpp"

#include <atomic>
#include <cstring>
#include <thread>

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "agent/store/sql/sql_store.hpp"

namespace sharectl::store {
namespace {

using sql::Fault;
using sql::Params;
using sql::Rows;
using sql::SqlError;
using sql::SqlResult;

// The channel commits notify with their revision.
constexpr const char* k_channel = "sharectl_changes";

Fault classify(const char* sqlstate, bool connection_bad) {
  if (connection_bad) {
    return Fault::connection;
  }
  std::string_view s = sqlstate ? sqlstate : "";
  if (s == "23505") {
    return Fault::unique;
  }
  if (s == "23503") {
    return Fault::foreign_key;
  }
  if (s == "23514" || s == "23502" || s.starts_with("22")) {
    return Fault::check;
  }
  if (s == "40001" || s == "40P01") {
    return Fault::serialization;
  }
  if (s == "55P03") {
    return Fault::busy;
  }
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03" || s.empty()) {
    return Fault::connection;
  }
  return Fault::other;
}

std::string trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) {
    m.pop_back();
  }
  return m;
}

class PgConnection final : public sql::Connection {
public:
  explicit PgConnection(PGconn* conn) : m_conn(conn) {}
  ~PgConnection() override { PQfinish(m_conn); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  SqlResult<Rows> exec(std::string_view text, const Params& params) override {
    std::vector<std::string> values(params.size());
    std::vector<const char*> pointers(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              return;
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              values[i] = std::to_string(v);
            } else if constexpr (std::is_same_v<T, double>) {
              char buf[64];
              std::snprintf(buf, sizeof buf, "%.17g", v);
              values[i] = buf;
            } else if constexpr (std::is_same_v<T, bool>) {
              values[i] = v ? "true" : "false";
            } else {
              values[i] = v;
            }
            pointers[i] = values[i].c_str();
          },
          params[i]);
    }
    std::string sql(text);
    PGresult* res = PQexecParams(m_conn, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                 pointers.data(), nullptr, nullptr, 0);
    return take(res);
  }

  SqlResult<void> exec_script(std::string_view text) override {
    auto r = take(PQexec(m_conn, std::string(text).c_str()));
    if (!r) {
      return std::unexpected(r.error());
    }
    return {};
  }

  bool broken() const override { return PQstatus(m_conn) != CONNECTION_OK; }

  // The raw handle (the listener waits on its socket).
  PGconn* handle() const { return m_conn; }

private:
  SqlResult<Rows> take(PGresult* res) {
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      SqlError e;
      const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
      e.fault = classify(state, PQstatus(m_conn) != CONNECTION_OK);
      e.message = trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(m_conn));
      if (e.message.empty()) {
        e.message = trimmed(PQerrorMessage(m_conn));
      }
      const char* constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
      e.constraint = constraint ? constraint : "";
      PQclear(res);
      return std::unexpected(e);
    }
    Rows out;
    int rows = PQntuples(res);
    int columns = PQnfields(res);
    out.rows.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      sql::Row row;
      row.cells.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(res, r, c)) {
          row.cells.emplace_back(std::nullopt);
        } else {
          row.cells.emplace_back(
              std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
        }
      }
      out.rows.push_back(std::move(row));
    }
    const char* tuples = PQcmdTuples(res);
    out.affected = tuples && *tuples ? std::stoll(tuples) : 0;
    PQclear(res);
    return out;
  }

  PGconn* m_conn;
};

// Hides the password of a connection URI for messages.
std::string redact(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) {
    return url;
  }
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) {
    return url;
  }
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

Result<std::unique_ptr<PgConnection>> connect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string message = conn ? trimmed(PQerrorMessage(conn)) : "out of memory";
    PQfinish(conn);
    return fail(ErrorCode::unavailable,
                "store: cannot connect to PostgreSQL at " + redact(url) + ": " + message);
  }
  auto out = std::make_unique<PgConnection>(conn);
  // Quiet NOTICEs (e.g. CREATE TABLE IF NOT EXISTS) and keep times unambiguous.
  (void)out->exec_script("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
  return out;
}

class PgStore final : public sql::SqlStore {
public:
  PgStore(std::unique_ptr<sql::Pool> pool, std::string url, std::function<Timestamp()> clock)
      : SqlStore(std::move(pool), sql::postgres_migrations(), std::move(clock), false),
        m_url(std::move(url)), m_wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

  ~PgStore() override {
    m_stopping = true;
    std::uint64_t one = 1;
    if (m_wake >= 0) {
      (void)!write(m_wake, &one, sizeof one);
    }
    if (m_listener.joinable()) {
      m_listener.join();
    }
    if (m_wake >= 0) {
      close(m_wake);
    }
  }
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  std::string_view backend() const override { return "postgres"; }

  Result<Revision> wait_for_change(Revision after, std::chrono::milliseconds timeout) override {
    std::call_once(m_listener_started, [this] { m_listener = std::thread([this] { listen(); }); });
    return SqlStore::wait_for_change(after, timeout);
  }

protected:
  std::vector<std::string_view> begin_statements(bool write) const override {
    if (write) {
      return {"BEGIN ISOLATION LEVEL READ COMMITTED",
              "SELECT revision FROM store_meta WHERE id = 1 FOR UPDATE"};
    }
    return {"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"};
  }
  std::vector<std::string_view> migration_begin_statements() const override {
    // One migrator at a time across all agents: a transaction-scoped advisory lock.
    return {"BEGIN", "SELECT pg_advisory_xact_lock(7303614571348452401)"};
  }
  SqlResult<bool> has_migrations_table(sql::Connection& conn) override {
    auto r = conn.exec("SELECT to_regclass('schema_migrations') IS NOT NULL", {});
    if (!r) {
      return std::unexpected(r.error());
    }
    return !r->rows.empty() && r->rows[0].cells[0] == "t";
  }
  SqlResult<void> before_commit(sql::Connection& conn, Revision revision) override {
    // Delivered to listeners at COMMIT, never for a rolled-back transaction.
    auto r =
        conn.exec("SELECT pg_notify($1, $2)", {std::string(k_channel), std::to_string(revision)});
    if (!r) {
      return std::unexpected(r.error());
    }
    return {};
  }
  std::chrono::milliseconds poll_interval() const override {
    return std::chrono::milliseconds{1000};
  }

private:
  // The listener thread: LISTEN on a dedicated connection, wake waiters on every NOTIFY;
  // reconnect (and re-read the revision, since notifications may have been missed) after loss.
  void listen() {
    while (!m_stopping) {
      auto conn = connect(m_url);
      if (!conn || !(*conn)->exec_script(std::string("LISTEN ") + k_channel)) {
        sleep_or_wake(std::chrono::milliseconds(500));
        continue;
      }
      if (auto r = (*conn)->exec("SELECT revision FROM store_meta WHERE id = 1", {});
          r && !r->rows.empty()) {
        notify_revision(std::stoll(r->rows[0].cells[0].value_or("0")));
      }
      PGconn* pg = (*conn)->handle();
      while (!m_stopping && PQstatus(pg) == CONNECTION_OK) {
        pollfd fds[2] = {{PQsocket(pg), POLLIN, 0}, {m_wake, POLLIN, 0}};
        if (poll(fds, 2, 1000) < 0 && errno != EINTR) {
          break;
        }
        if (fds[0].revents != 0 && PQconsumeInput(pg) == 0) {
          break;
        }
        while (PGnotify* n = PQnotifies(pg)) {
          notify_revision(std::strtoll(n->extra, nullptr, 10));
          PQfreemem(n);
        }
      }
    }
  }

  void sleep_or_wake(std::chrono::milliseconds ms) {
    pollfd fd{m_wake, POLLIN, 0};
    (void)poll(&fd, 1, static_cast<int>(ms.count()));
  }

  std::string m_url;
  int m_wake;
  std::atomic<bool> m_stopping{false};
  std::once_flag m_listener_started;
  std::thread m_listener;
};

} // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url,
                                                   const OpenOptions& options) {
  auto pool = std::make_unique<sql::Pool>(
      [url]() -> Result<std::unique_ptr<sql::Connection>> {
        auto c = connect(url);
        if (!c) {
          return std::unexpected(c.error());
        }
        return std::unique_ptr<sql::Connection>(std::move(*c));
      },
      options.pool_size);
  {
    auto first = pool->acquire();
    if (!first) {
      return std::unexpected(first.error());
    }
  }
  auto store = std::make_unique<PgStore>(std::move(pool), url, options.clock);
  if (auto st = store->prepare_schema(options); !st) {
    return std::unexpected(st.error());
  }
  return std::unique_ptr<Store>(std::move(store));
}

} // namespace sharectl::store
